import { useSearchParams } from '@remix-run/react';
import { type ChangeEvent, type KeyboardEvent, type SyntheticEvent, useEffect, useRef, useState } from 'react';
import { formatCount } from '../domain/format';
import { CHANNEL_LABELS, CHANNELS, STATUS_LABELS, STATUSES } from '../domain/lifecycle';
import { foldedName } from '../lib/name-order';
import { AGENT_FIND_MAX, AGENT_SEARCH_PATH, type AgentSearchResult, FIND_AGENT_PARAM } from '../read/agent-choices';
import type { Filters } from '../read/filters';
import type { getReportFilterOptions } from '../read/reports.server';
import { type ChoiceSearch, useChoiceSearch } from './use-choice-search';
import { useLocale } from './use-locale';

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

/**
 * A list the page was sent only part of (the agents of a large organisation): the Find box asks the
 * server for the others.
 */
export interface RemoteChoices {
  /** How many there are in the viewer's scope. */
  total: number;
  /** The JSON route answering `?q=` (GET /filters/agents). */
  searchPath: string;
  /** The Find box's name without JavaScript: submitting the form narrows the page's list to it. */
  findParam: string;
  /** What that box held (the page's list is then the ticked and the first that match it). */
  find: string;
}

interface Props {
  legend: string;
  /** The repeatable query parameter: one `name=value` per ticked box. */
  name: string;
  items: Choice[];
  selected: readonly string[];
  /** The id of a note that explains the picker further. */
  describedBy?: string;
  /** Set when `items` may be part of the list: its total, and where to search for the rest. */
  remote?: RemoteChoices;
}

/** A picker with more items than this gets a box to find one by typing part of its name. */
export const FIND_FROM = 12;

/** 'an agent', 'a team': the legend as a noun with its article. */
function oneOf(legend: string): string {
  const noun = legend.toLowerCase();
  return `${/^[aeiou]/.test(noun) ? 'an' : 'a'} ${noun}`;
}

/** 'All' when nothing is ticked, the name when one is (if known), else how many. */
function summarize(labels: ReadonlyMap<string, string>, ticked: readonly string[]): string {
  if (ticked.length === 0) return 'All';
  const only = ticked.length === 1 ? labels.get(ticked[0]!) : undefined;
  return only ?? `${ticked.length} selected`;
}

/**
 * A multi-select picker: a disclosure that shows what is picked, opening on a group of checkboxes.
 * It is a <details>, so it opens and submits without JavaScript, and its <summary> is the button
 * (browsers expose its expanded state). With JavaScript: one open at a time; Escape (focus back on
 * the summary) or a click outside closes it; the summary follows the ticks before the form is sent;
 * a list of more than FIND_FROM opens on a box that hides the items not containing what is typed
 * (any case, any accents). A hidden item keeps its tick and is sent with the form.
 *
 * A `remote` list the page has only part of: the box asks the server as typing pauses and lists its
 * answer (ticks kept and sent, shown or not: those not listed as hidden inputs). Without JavaScript
 * the box is a field of the form: sending it lists the page's agents that match it.
 */
export function Choices({ legend, name, items, selected, describedBy, remote }: Props) {
  const details = useRef<HTMLDetailsElement>(null);
  const findBox = useRef<HTMLInputElement>(null);
  const locale = useLocale();
  const partial = remote !== undefined && remote.total > items.length;
  const [open, setOpen] = useState(false);
  // The forms remount on a new URL (their key), so the URL's selection is only the starting point; a
  // partial list's ticks are those it lists (the URL's agents out of scope are dropped, as by the
  // checkboxes of a whole list).
  const [ticked, setTicked] = useState<readonly string[]>(() =>
    partial ? selected.filter((value) => items.some((item) => item.value === value)) : selected,
  );
  // The find box comes with JavaScript only (without it, it could hide nothing), but for a partial
  // list: then it is a field of the form.
  const [hydrated, setHydrated] = useState(false);
  const initialFind = partial ? remote.find : '';
  const [query, setQuery] = useState(initialFind);
  useEffect(() => setHydrated(true), []);
  const findable = partial || (hydrated && items.length > FIND_FROM);
  const wanted = findable ? foldedName(query.trim()) : '';
  // The server is asked for other text than the page's list answers.
  const asking = partial && hydrated && wanted !== foldedName(initialFind.trim()) ? query.trim() : null;
  const search = useChoiceSearch(remote?.searchPath ?? '', asking);
  // Every name seen (the page's and the answers'), so a ticked one keeps its name in the summary.
  const [labels, setLabels] = useState<ReadonlyMap<string, string>>(
    () => new Map(items.map((item) => [item.value, item.label])),
  );
  useEffect(() => {
    if (search.status !== 'done') return;
    setLabels((now) => new Map([...now, ...search.result.agents.map((agent) => [agent.id, agent.name] as const)]));
  }, [search]);

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
    // A closed picker opens again on the whole list (a partial one on the page's).
    if (!element.open) return setQuery(initialFind);
    findBox.current?.focus();
    for (const other of document.querySelectorAll<HTMLDetailsElement>('details.choices[open]')) {
      if (other !== element) other.open = false;
    }
  };

  const onTick = (event: ChangeEvent<HTMLInputElement>) => {
    const { value, checked } = event.currentTarget;
    setTicked((now) => (checked ? [...now, value] : now.filter((other) => other !== value)));
  };

  // Enter in the box would send the whole form while the person is still picking (without
  // JavaScript it does: that is how a partial list is searched then).
  const onFindKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'Enter') event.preventDefault();
  };

  // What the list shows: the server's answer for the text asked, else (while it answers, or when the
  // text is the page's own) the page's items.
  const answered = asking !== null && search.status === 'done' && search.q === asking ? search.result : null;
  const listed: Choice[] = answered ? answered.agents.map((agent) => ({ value: agent.id, label: agent.name })) : items;
  const shown = (item: Choice) => partial || wanted === '' || foldedName(item.label).includes(wanted);
  const status = partial
    ? remoteStatus({ legend, query: query.trim(), asking, search, answered, empty: items.length === 0, locale })
    : wanted !== '' && !items.some(shown)
      ? `No ${legend.toLowerCase()} matches “${query.trim()}”.`
      : '';
  // Ticked but not listed now: still sent. Only with JavaScript: without it every tick is a listed box.
  const unlisted = partial && hydrated ? ticked.filter((value) => !listed.some((item) => item.value === value)) : [];
  const noteId = `${name}-choices-note`;
  const count = (n: number) => formatCount(n, locale);

  return (
    <details className="choices" ref={details} onToggle={onToggle}>
      <summary aria-describedby={describedBy}>
        <span className="choices-legend">{legend}</span>{' '}
        <span className="choices-value">{summarize(labels, ticked)}</span>
      </summary>
      <fieldset aria-describedby={describedBy} aria-busy={search.status === 'loading'}>
        <legend className="visually-hidden">{legend}</legend>
        {findable ? (
          <div className="choices-find">
            {/* No name with JavaScript: the box filters the list and is never part of the URL. */}
            <label>
              <span>Find {oneOf(legend)}</span>
              <input
                ref={findBox}
                type="text"
                name={partial && !hydrated ? remote.findParam : undefined}
                maxLength={AGENT_FIND_MAX}
                autoComplete="off"
                spellCheck={false}
                value={query}
                aria-describedby={partial ? noteId : undefined}
                onChange={(event) => setQuery(event.currentTarget.value)}
                onKeyDown={hydrated ? onFindKeyDown : undefined}
              />
            </label>
            {partial ? (
              <p id={noteId} className="choices-note">
                {count(items.length)} of {count(remote.total)} {legend.toLowerCase()}s listed:{' '}
                {hydrated ? 'type to find others.' : 'type a name, then send the form to list those that match.'}
              </p>
            ) : null}
            <p className={search.status === 'failed' ? 'choices-none choices-failed' : 'choices-none'} role="status">
              {status}
            </p>
          </div>
        ) : null}
        {listed.map((item) => (
          // A hidden box keeps its tick and is still sent: display:none inputs are submitted.
          <label key={item.value} hidden={!shown(item)}>
            <input
              type="checkbox"
              name={name}
              value={item.value}
              defaultChecked={partial && hydrated ? ticked.includes(item.value) : selected.includes(item.value)}
              onChange={onTick}
            />{' '}
            {item.label}
          </label>
        ))}
        {unlisted.map((value) => (
          <input key={value} type="hidden" name={name} value={value} />
        ))}
      </fieldset>
    </details>
  );
}

interface StatusInput {
  legend: string;
  query: string;
  asking: string | null;
  search: ChoiceSearch;
  answered: AgentSearchResult | null;
  /** The page's own list is empty. */
  empty: boolean;
  locale: string;
}

/** What a partial list's live status says: searching, the matches, none, or why it failed. */
function remoteStatus({ legend, query, asking, search, answered, empty, locale }: StatusInput): string {
  const noun = legend.toLowerCase();
  // The page's own list: of the text sent without JavaScript, when there was one.
  if (asking === null) return query !== '' && empty ? `No ${noun} matches “${query}”.` : '';
  if (search.status === 'failed') return search.message;
  if (!answered) return 'Searching…';
  const { matches, agents } = answered;
  const text = query === '' ? 'the list' : `“${query}”`;
  if (matches === 0) return `No ${noun} matches ${text}.`;
  if (matches <= agents.length) {
    return matches === 1 ? `1 ${noun} matches ${text}.` : `${formatCount(matches, locale)} ${noun}s match ${text}.`;
  }
  return `The first ${formatCount(agents.length, locale)} of ${formatCount(matches, locale)} ${noun}s matching ${text}: type more of the name to narrow.`;
}

interface GroupProps {
  options: FilterOptions;
  filters: Pick<Filters, 'team' | 'agent' | 'channel'>;
}

/** The team, agent and channel pickers of every filter form: teams when there are two or more, agents when any. */
export function TeamAgentChannelChoices({ options, filters }: GroupProps) {
  // What a form without JavaScript sent in the Agent picker's Find box: the loader listed those matching.
  const find = useSearchParams()[0].get(FIND_AGENT_PARAM) ?? '';
  return (
    <>
      {options.teams.length > 1 ? (
        <Choices legend="Team" name="team" items={namedChoices(options.teams)} selected={filters.team} />
      ) : null}
      {options.agentCount > 0 ? (
        <Choices
          legend="Agent"
          name="agent"
          items={namedChoices(options.agents)}
          selected={filters.agent}
          remote={{ total: options.agentCount, searchPath: AGENT_SEARCH_PATH, findParam: FIND_AGENT_PARAM, find }}
        />
      ) : null}
      <Choices legend="Channel" name="channel" items={CHANNEL_CHOICES} selected={filters.channel} />
    </>
  );
}
