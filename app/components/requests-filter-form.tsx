import { Form, Link } from '@remix-run/react';
import { CHANNEL_LABELS, CHANNELS, STATUS_LABELS, STATUSES } from '../domain/lifecycle';
import type { Filters } from '../lib/filters';

export interface RequestFilterOptions {
  teams: { id: string; name: string }[];
  agents: { id: string; name: string; teamId: string }[];
}

interface Props {
  filters: Filters;
  /** Kept across a new search: the sort, and the page size. */
  keep: { sort: string; order: string; limit: number };
  options: RequestFilterOptions;
  timeZones: string[];
  pageSizes: readonly number[];
}

function Choices({
  legend,
  name,
  items,
  selected,
}: {
  legend: string;
  name: string;
  items: { value: string; label: string }[];
  selected: readonly string[];
}) {
  const chosen = items.filter((item) => selected.includes(item.value));
  const summary = chosen.length === 0 ? 'All' : chosen.length === 1 ? chosen[0]!.label : `${chosen.length} selected`;
  return (
    <details className="choices">
      <summary>
        <span className="choices-legend">{legend}</span> <span className="choices-value">{summary}</span>
      </summary>
      <fieldset>
        <legend className="visually-hidden">{legend}</legend>
        {items.map((item) => (
          <label key={item.value}>
            <input type="checkbox" name={name} value={item.value} defaultChecked={selected.includes(item.value)} />{' '}
            {item.label}
          </label>
        ))}
      </fieldset>
    </details>
  );
}

/** Search and the shared filters (SPEC §3) as a GET form: the URL holds the whole view. */
export function RequestsFilterForm({ filters, keep, options, timeZones, pageSizes }: Props) {
  return (
    <Form method="get" className="card requests-filters" role="search" aria-label="Search and filter requests">
      <div className="filter-row">
        <label className="field grow">
          <span>Order number or request id</span>
          <input type="search" name="q" defaultValue={filters.q ?? ''} placeholder="e.g. SO-1234 or pr_8842" />
        </label>
        <label className="field">
          <span>Sent from</span>
          <input type="date" name="from" defaultValue={filters.from ?? ''} />
        </label>
        <label className="field">
          <span>to</span>
          <input type="date" name="to" defaultValue={filters.to ?? ''} />
        </label>
        <label className="field">
          <span>Time zone</span>
          <select name="tz" defaultValue={filters.tz}>
            {timeZones.map((zone) => (
              <option key={zone} value={zone}>
                {zone}
              </option>
            ))}
          </select>
        </label>
      </div>
      <div className="filter-row">
        <Choices
          legend="Status"
          name="status"
          items={STATUSES.map((status) => ({ value: status, label: STATUS_LABELS[status] }))}
          selected={filters.status}
        />
        {options.teams.length > 1 ? (
          <Choices
            legend="Team"
            name="team"
            items={options.teams.map((team) => ({ value: team.id, label: team.name }))}
            selected={filters.team}
          />
        ) : null}
        {options.agents.length > 0 ? (
          <Choices
            legend="Agent"
            name="agent"
            items={options.agents.map((agent) => ({ value: agent.id, label: agent.name }))}
            selected={filters.agent}
          />
        ) : null}
        <Choices
          legend="Channel"
          name="channel"
          items={CHANNELS.map((channel) => ({ value: channel, label: CHANNEL_LABELS[channel] ?? channel }))}
          selected={filters.channel}
        />
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
