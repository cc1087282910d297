import { apiError, refusing } from '../lib/http.server';

/** A path under /api/ that names no route: 404 in the API's error shape (SPEC §4), not the HTML page. */
const notFound = refusing(() => apiError(404, 'not_found', 'No such API route'));

export const loader = notFound;
export const action = notFound;
