import { getDb } from '../../db/client';
import { badRequest } from '../lib/http.server';
import { FilterError, type Filters, parseFilters } from '../read/filters';
import { getOrgTimeZone } from '../read/settings.server';

/** The shared filters of a request's query string; bad input throws a 400 that names the field. */
export async function filtersFromRequest(request: Request): Promise<Filters> {
  try {
    return parseFilters(new URL(request.url).searchParams, await getOrgTimeZone(getDb()));
  } catch (error) {
    if (error instanceof FilterError) throw badRequest('invalid_filter', error.field, error.message);
    throw error;
  }
}
