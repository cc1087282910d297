import { Form, Link } from '@remix-run/react';
import { CHANNEL_LABELS, CHANNELS, STATUS_LABELS, STATUSES } from '../domain/lifecycle';
import type { DatePreset } from '../lib/date-presets';
import type { Filters } from '../lib/filters';

export interface FilterOptions {
  teams: { id: string; name: string }[];
  agents: { id: string; name: string; teamId: string }[];
}

interface Props {
  filters: Filters;
  presets: DatePreset[];
  presetQuery: (preset: DatePreset) => string;
  timeZones: string[];
  options: FilterOptions;
  busy: boolean;
}

/** Range, time zone and the shared filters (SPEC §3) as a GET form: the URL holds the view. */
export function ReportFilterForm({ filters, presets, presetQuery, timeZones, options, busy }: Props) {
  const activePreset = presets.find((preset) => preset.from === filters.from && preset.to === filters.to)?.key;
  return (
    <Form method="get" className="card report-filters" aria-labelledby="filters-heading">
      <h2 id="filters-heading">Range and filters</h2>
      <nav className="presets" aria-label="Quick ranges">
        {presets.map((preset) => (
          <Link
            key={preset.key}
            to={`?${presetQuery(preset)}`}
            className={preset.key === activePreset ? 'preset active' : 'preset'}
            aria-current={preset.key === activePreset ? 'true' : undefined}
          >
            {preset.label}
          </Link>
        ))}
      </nav>
      <div className="field-row">
        <label className="field">
          <span>From</span>
          <input type="date" name="from" defaultValue={filters.from ?? ''} />
        </label>
        <label className="field">
          <span>To</span>
          <input type="date" name="to" defaultValue={filters.to ?? ''} />
        </label>
      </div>
      <div className="field">
        <label htmlFor="filter-tz">Time zone</label>
        <select id="filter-tz" name="tz" defaultValue={filters.tz}>
          {timeZones.map((zone) => (
            <option key={zone} value={zone}>
              {zone}
            </option>
          ))}
        </select>
      </div>
      {options.teams.length > 1 ? (
        <div className="field">
          <label htmlFor="filter-team">Teams</label>
          <select
            id="filter-team"
            name="team"
            multiple
            size={Math.min(5, options.teams.length)}
            defaultValue={filters.team}
          >
            {options.teams.map((team) => (
              <option key={team.id} value={team.id}>
                {team.name}
              </option>
            ))}
          </select>
        </div>
      ) : null}
      <div className="field">
        <label htmlFor="filter-agent">Agents</label>
        <select
          id="filter-agent"
          name="agent"
          multiple
          size={Math.min(6, Math.max(2, options.agents.length))}
          defaultValue={filters.agent}
        >
          {options.agents.map((agent) => (
            <option key={agent.id} value={agent.id}>
              {agent.name}
            </option>
          ))}
        </select>
        <small className="muted">None selected means all. Ctrl/⌘-click picks several.</small>
      </div>
      <fieldset className="checks">
        <legend>Channels</legend>
        {CHANNELS.map((channel) => (
          <label key={channel}>
            <input type="checkbox" name="channel" value={channel} defaultChecked={filters.channel.includes(channel)} />{' '}
            {CHANNEL_LABELS[channel] ?? channel}
          </label>
        ))}
      </fieldset>
      <label className="field">
        <span>Currencies</span>
        <input name="currency" placeholder="All, or e.g. USD, EUR" defaultValue={filters.currency.join(', ')} />
      </label>
      <fieldset className="checks single">
        <legend>Statuses (request export)</legend>
        {STATUSES.map((status) => (
          <label key={status}>
            <input type="checkbox" name="status" value={status} defaultChecked={filters.status.includes(status)} />{' '}
            {STATUS_LABELS[status]}
          </label>
        ))}
      </fieldset>
      <div className="actions">
        <button type="submit" disabled={busy}>
          {busy ? 'Counting…' : 'Apply'}
        </button>
        <Link to="?" className="button secondary">
          Reset
        </Link>
      </div>
    </Form>
  );
}
