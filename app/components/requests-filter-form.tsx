import { Form, Link } from '@remix-run/react';
import type { Filters } from '../read/filters';
import { Choices, type FilterOptions, STATUS_CHOICES, TeamAgentChannelChoices } from './choices';
import { DateField } from './date-field';
import { checkFilterForm } from './filter-form-checks';
import { TimeZoneField } from './time-zone-field';

interface Props {
  filters: Filters;
  /** Kept across a new search: the sort, and the page size. */
  keep: { sort: string; order: string; limit: number };
  options: FilterOptions;
  timeZones: readonly string[];
  pageSizes: readonly number[];
}

/** Search and the shared filters (SPEC §3) as a GET form: the URL holds the whole view. */
export function RequestsFilterForm({ filters, keep, options, timeZones, pageSizes }: Props) {
  return (
    <Form
      method="get"
      className="card requests-filters"
      role="search"
      aria-label="Search and filter requests"
      onChange={checkFilterForm}
    >
      <div className="filter-row">
        <label className="field grow">
          <span>Search order number, request id or customer name</span>
          <input
            type="search"
            name="q"
            defaultValue={filters.q ?? ''}
            placeholder="Part of one, e.g. 1299, pr_88 or Valeria"
            aria-describedby="search-hint"
          />
          <span id="search-hint" className="muted hint">
            Any part, upper or lower case.
          </span>
        </label>
        <DateField label="Sent from" name="from" defaultValue={filters.from ?? ''} />
        <DateField label="to" name="to" defaultValue={filters.to ?? ''} />
        <TimeZoneField name="tz" zones={timeZones} defaultValue={filters.tz} />
      </div>
      <div className="filter-row">
        <Choices legend="Status" name="status" items={STATUS_CHOICES} selected={filters.status} />
        <TeamAgentChannelChoices options={options} filters={filters} />
        <label className="field inline">
          <span>Currency</span>
          <input name="currency" size={12} placeholder="All, or USD, EUR" defaultValue={filters.currency.join(', ')} />
        </label>
        <label className="field inline">
          <span>Rows</span>
          <select name="limit" defaultValue={String(keep.limit)}>
            {pageSizes.map((size) => (
              <option key={size} value={size}>
                {size}
              </option>
            ))}
          </select>
        </label>
        <input type="hidden" name="sort" value={keep.sort} />
        <input type="hidden" name="order" value={keep.order} />
        <div className="filter-actions">
          <button type="submit">Search</button>
          <Link to="/requests" className="button secondary">
            Reset
          </Link>
        </div>
      </div>
    </Form>
  );
}
