import { Form, Link } from '@remix-run/react';
import { type DashboardRange, DEFAULT_PRESET } from '../read/dashboard-view';
import { PRESET_LABELS, RANGE_PRESETS } from '../read/date-ranges';
import type { Filters } from '../read/filters';
import { AGENTS_PAGE_PARAM } from '../read/leaderboard-order';
import { type FilterOptions, TeamAgentChannelChoices } from './choices';
import { DateField } from './date-field';
import { checkFilterForm } from './filter-form-checks';
import { usePresetFocus } from './preset-focus';
import { TimeZoneField } from './time-zone-field';

interface Props {
  /** Where the form and the preset links go: /dashboard or an agent's page. */
  action: string;
  range: DashboardRange;
  filters: Filters;
  /** The teams and agents to pick from: none on an agent's own page. */
  options: FilterOptions;
  timeZones: readonly string[];
  /** The current query string, so preset links keep the other filters. */
  search: string;
}

function presetHref(action: string, search: string, preset: string): string {
  const params = new URLSearchParams(search);
  params.delete('from');
  params.delete('to');
  params.delete(AGENTS_PAGE_PARAM);
  if (preset === DEFAULT_PRESET) params.delete('range');
  else params.set('range', preset);
  const text = params.toString();
  return text ? `${action}?${text}` : action;
}

/** The range presets as links, and every filter as one GET form: the URL holds the whole view. */
export function DashboardFilters({ action, range, filters, options, timeZones, search }: Props) {
  const { activeChip, choose } = usePresetFocus(range.preset);
  return (
    <div className="card dash-filters">
      <nav className="presets" aria-label="Date range">
        {RANGE_PRESETS.map((preset) => (
          <Link
            key={preset}
            to={presetHref(action, search, preset)}
            ref={range.preset === preset ? activeChip : undefined}
            onClick={() => choose(preset)}
            preventScrollReset
            className={range.preset === preset ? 'preset active' : 'preset'}
            aria-current={range.preset === preset ? 'true' : undefined}
          >
            {PRESET_LABELS[preset]}
          </Link>
        ))}
      </nav>
      <Form method="get" action={action} className="dash-filter-form" aria-label="Filters" onChange={checkFilterForm}>
        <input type="hidden" name="range" value={range.preset ?? 'custom'} />
        <DateField label="From" name="from" defaultValue={range.from} required />
        <DateField label="To" name="to" defaultValue={range.to} required />
        <TeamAgentChannelChoices options={options} filters={filters} />
        <label className="field">
          <span>Currency</span>
          <input name="currency" size={10} placeholder="All" defaultValue={filters.currency.join(', ')} />
        </label>
        <TimeZoneField name="tz" zones={timeZones} defaultValue={filters.tz} />
        <div className="dash-filter-actions">
          <button type="submit">Apply</button>
          <Link to={action} className="button secondary">
            Reset
          </Link>
        </div>
      </Form>
    </div>
  );
}
