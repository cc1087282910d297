import { type ChangeEvent, type KeyboardEvent, type SyntheticEvent, useEffect, useRef, useState } from 'react';
import { CHANNEL_LABELS, CHANNELS, STATUS_LABELS, STATUSES } from '../domain/lifecycle';
import type { Filters } from '../read/filters';
import type { getReportFilterOptions } from '../read/reports.server';

export interface Choice {
  value: string;
  label: string;
}

/** The teams and agents the viewer may filter by, as every filter form receives them. */
export type FilterOptions = Awaited<ReturnType<typeof getReportFilterOptions>>;

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

/** A picker with more items than this gets a box to find one by typing part of its name. */
export const FIND_FROM = 12;

/** Lower case without accents: `Émile` and `emile` read the same. */
function folded(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

/** 'an agent', 'a team': the legend as a noun with its article. */
function oneOf(legend: string): string {
  const noun = legend.toLowerCase();
  return `${/^[aeiou]/.test(noun) ? 'an' : 'a'} ${noun}`;
}

/** 'All' when nothing is ticked, the name when one is, else how many. */
function summarize(items: Choice[], ticked: readonly string[]): string {
  const chosen = items.filter((item) => ticked.includes(item.value));
  if (chosen.length === 0) return 'All';
  return chosen.length === 1 ? chosen[0]!.label : `${chosen.length} selected`;
}

/**
 * A multi-select picker: a disclosure that shows what is picked, opening on a group of checkboxes.
 * It is a <details>, so it opens and submits without JavaScript, and its <summary> is the button
 * (browsers expose its expanded state). With JavaScript: one open at a time; Escape (focus back on
 * the summary) or a click outside closes it; the summary follows the ticks before the form is sent;
 * a list of more than FIND_FROM opens on a box that hides the items not containing what is typed
 * (any case, any accents). A hidden item keeps its tick and is sent with the form.
 */
export function Choices({ legend, name, items, selected, describedBy }: Props) {
  const details = useRef<HTMLDetailsElement>(null);
  const findBox = useRef<HTMLInputElement>(null);
  const [open, setOpen] = useState(false);
  // The forms remount on a new URL (their key), so the URL's selection is only the starting point.
  const [ticked, setTicked] = useState<readonly string[]>(selected);
  // The find box comes with JavaScript only: without it, it could hide nothing.
  const [hydrated, setHydrated] = useState(false);
  const [query, setQuery] = useState('');
  useEffect(() => setHydrated(true), []);
  const findable = hydrated && items.length > FIND_FROM;

  useEffect(() => {
    const element = details.current;
    if (!open || !element) return;
    const onPointerDown = (event: PointerEvent) => {
      if (!element.contains(event.target as Node)) element.open = false;
    };
    const onKeyDown = (event: globalThis.KeyboardEvent) => {
      if (event.key !== 'Escape') return;
      const focus = document.activeElement;
      element.open = false;
      // Focus inside would vanish with the list; focus elsewhere on the page stays where it is.
      if (!focus || focus === document.body || element.contains(focus)) element.querySelector('summary')?.focus();
    };
    document.addEventListener('pointerdown', onPointerDown);
    document.addEventListener('keydown', onKeyDown);
    return () => {
      document.removeEventListener('pointerdown', onPointerDown);
      document.removeEventListener('keydown', onKeyDown);
    };
  }, [open]);

  const onToggle = (event: SyntheticEvent<HTMLDetailsElement>) => {
    const element = event.currentTarget;
    setOpen(element.open);
    // A closed picker opens again on the whole list.
    if (!element.open) return setQuery('');
    findBox.current?.focus();
    for (const other of document.querySelectorAll<HTMLDetailsElement>('details.choices[open]')) {
      if (other !== element) other.open = false;
    }
  };

  const onTick = (event: ChangeEvent<HTMLInputElement>) => {
    const { value, checked } = event.currentTarget;
    setTicked((now) => (checked ? [...now, value] : now.filter((other) => other !== value)));
  };

  // Enter in the box would send the whole form while the person is still picking.
  const onFindKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'Enter') event.preventDefault();
  };

  const wanted = findable ? folded(query.trim()) : '';
  const shown = (item: Choice) => wanted === '' || folded(item.label).includes(wanted);
  const none = wanted !== '' && !items.some(shown);

  return (
    <details className="choices" ref={details} onToggle={onToggle}>
      <summary aria-describedby={describedBy}>
        <span className="choices-legend">{legend}</span>{' '}
        <span className="choices-value">{summarize(items, ticked)}</span>
      </summary>
      <fieldset aria-describedby={describedBy}>
        <legend className="visually-hidden">{legend}</legend>
        {findable ? (
          <div className="choices-find">
            {/* No name: the box filters the list and is never part of the URL. */}
            <label>
              <span>Find {oneOf(legend)}</span>
              <input
                ref={findBox}
                type="text"
                autoComplete="off"
                spellCheck={false}
                value={query}
                onChange={(event) => setQuery(event.currentTarget.value)}
                onKeyDown={onFindKeyDown}
              />
            </label>
            <p className="choices-none" role="status">
              {none ? `No ${legend.toLowerCase()} matches “${query.trim()}”.` : ''}
            </p>
          </div>
        ) : null}
        {items.map((item) => (
          // A hidden box keeps its tick and is still sent: display:none inputs are submitted.
          <label key={item.value} hidden={!shown(item)}>
            <input
              type="checkbox"
              name={name}
              value={item.value}
              defaultChecked={selected.includes(item.value)}
              onChange={onTick}
            />{' '}
            {item.label}
          </label>
        ))}
      </fieldset>
    </details>
  );
}

interface GroupProps {
  options: FilterOptions;
  filters: Pick<Filters, 'team' | 'agent' | 'channel'>;
}

/** The team, agent and channel pickers of every filter form: teams when there are two or more, agents when any. */
export function TeamAgentChannelChoices({ options, filters }: GroupProps) {
  return (
    <>
      {options.teams.length > 1 ? (
        <Choices legend="Team" name="team" items={namedChoices(options.teams)} selected={filters.team} />
      ) : null}
      {options.agents.length > 0 ? (
        <Choices legend="Agent" name="agent" items={namedChoices(options.agents)} selected={filters.agent} />
      ) : null}
      <Choices legend="Channel" name="channel" items={CHANNEL_CHOICES} selected={filters.channel} />
    </>
  );
}
