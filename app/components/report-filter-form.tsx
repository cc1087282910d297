import { Form, Link } from '@remix-run/react';
import type { DatePreset } from '../read/date-ranges';
import type { Filters } from '../read/filters';
import { Choices, type FilterOptions, STATUS_CHOICES, TeamAgentChannelChoices } from './choices';
import { DateField } from './date-field';
import { checkFilterForm } from './filter-form-checks';
import { useActivePreset } from './preset-focus';
import { TimeZoneField } from './time-zone-field';

interface Props {
  filters: Filters;
  presets: DatePreset[];
  presetQuery: (preset: DatePreset) => string;
  timeZones: readonly string[];
  options: FilterOptions;
  busy: boolean;
}

/** Range, time zone and the shared filters (SPEC §3) as a GET form: the URL holds the view. */
export function ReportFilterForm({ filters, presets, presetQuery, timeZones, options, busy }: Props) {
  const { activePreset, activeChip, choose } = useActivePreset(
    presets.filter((preset) => preset.from === filters.from && preset.to === filters.to).map((preset) => preset.key),
  );
  return (
    <Form method="get" className="card report-filters" aria-labelledby="filters-heading" onChange={checkFilterForm}>
      <h2 id="filters-heading">Range and filters</h2>
      <nav className="presets" aria-label="Quick ranges">
        {presets.map((preset) => (
          <Link
            key={preset.key}
            to={`?${presetQuery(preset)}`}
            ref={preset.key === activePreset ? activeChip : undefined}
            onClick={() => choose(preset.key)}
            preventScrollReset
            className={preset.key === activePreset ? 'preset active' : 'preset'}
            aria-current={preset.key === activePreset ? 'true' : undefined}
          >
            {preset.label}
          </Link>
        ))}
      </nav>
      <div className="field-row">
        <DateField label="From" name="from" defaultValue={filters.from ?? ''} />
        <DateField label="To" name="to" defaultValue={filters.to ?? ''} />
      </div>
      <TimeZoneField name="tz" zones={timeZones} defaultValue={filters.tz} />
      <TeamAgentChannelChoices options={options} filters={filters} />
      <label className="field">
        <span>Currencies</span>
        <input name="currency" placeholder="All, or e.g. USD, EUR" defaultValue={filters.currency.join(', ')} />
      </label>
      <div className="field">
        <Choices
          legend="Status"
          name="status"
          items={STATUS_CHOICES}
          selected={filters.status}
          describedBy="filter-status-note"
        />
        <small id="filter-status-note" className="muted">
          Filters the payment requests export only.
        </small>
      </div>
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
