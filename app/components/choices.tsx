import { CHANNEL_LABELS, CHANNELS, STATUS_LABELS, STATUSES } from '../domain/lifecycle';
import type { getReportFilterOptions } from '../queries/reports.server';

export interface Choice {
  value: string;
  label: string;
}

/** The teams and agents the viewer may filter by, as every filter form receives them. */
export type FilterOptions = ReturnType<typeof getReportFilterOptions>;

export const CHANNEL_CHOICES: Choice[] = CHANNELS.map((channel) => ({
  value: channel,
  label: CHANNEL_LABELS[channel] ?? channel,
}));

export const STATUS_CHOICES: Choice[] = STATUSES.map((status) => ({ value: status, label: STATUS_LABELS[status] }));

/** Teams or agents as choices: the id is submitted, the name shown. */
export function namedChoices(rows: readonly { id: string; name: string }[]): Choice[] {
  return rows.map((row) => ({ value: row.id, label: row.name }));
}

interface Props {
  legend: string;
  /** The repeatable query parameter: one `name=value` per ticked box. */
  name: string;
  items: Choice[];
  selected: readonly string[];
  /** The id of a note that explains the picker further. */
  describedBy?: string;
}

/** A multi-select picker: a disclosure that shows what is picked, opening on a group of checkboxes. */
export function Choices({ legend, name, items, selected, describedBy }: Props) {
  const chosen = items.filter((item) => selected.includes(item.value));
  const summary = chosen.length === 0 ? 'All' : chosen.length === 1 ? chosen[0]!.label : `${chosen.length} selected`;
  return (
    <details className="choices">
      <summary aria-describedby={describedBy}>
        <span className="choices-legend">{legend}</span> <span className="choices-value">{summary}</span>
      </summary>
      <fieldset aria-describedby={describedBy}>
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
