import { Link } from '@remix-run/react';
import { createColumnHelper, type SortingState } from '@tanstack/react-table';
import { createContext, type ReactNode, useContext } from 'react';
import { formatCount, formatDuration, formatMoney, formatRate } from '../domain/format';
import { type Metrics, MIN_SENT_TO_COMPARE } from '../domain/metrics';
import { pathSegment } from '../lib/path-segment';
import {
  fewLinks,
  isLeaderboardSort,
  isRateSort,
  LEADERBOARD_COLUMNS,
  type LeaderboardRateId,
  type LeaderboardSortId,
  type RankedAgent,
} from '../read/leaderboard-order';
import { type SortableFeatures, SortableTable, useSortableTable } from './sortable-table';

export type LeaderboardRow = RankedAgent;

interface CellEnv {
  locale: string;
  agentHref: (agentId: string) => string;
  /** The rate the rows are sorted by, if any: its cells say which agents sent too few links to rank. */
  sortedRate?: LeaderboardSortId;
}
const CellContext = createContext<CellEnv>({ locale: 'en', agentHref: (id) => `/dashboard/agents/${pathSegment(id)}` });

/** The rows come sorted and paged by the server (read/leaderboard-order.ts): the URL says how (sort, order, agentsPage). */
const helper = createColumnHelper<SortableFeatures, LeaderboardRow>();

/** A header clicked first sorts the way the shared order says (figures biggest first, names A to Z). */
const sortable = (id: LeaderboardSortId) => ({ id, sortDescFirst: LEADERBOARD_COLUMNS[id].descFirst });

function AgentCell({ row }: { row: LeaderboardRow }) {
  const { agentHref } = useContext(CellContext);
  return (
    <>
      <Link to={agentHref(row.agentId)} prefetch="intent" className="agent-link">
        {row.agentName}
      </Link>
      <div className="muted small">{row.teamName}</div>
    </>
  );
}

function Count({ value }: { value: number }) {
  return <>{formatCount(value, useContext(CellContext).locale)}</>;
}

/**
 * A rate; in the column sorted by, an agent who sent too few links for a fair one is marked, as the
 * server ranks them after the others (read/leaderboard-order.ts).
 */
function Rate({ id, row }: { id: LeaderboardRateId; row: LeaderboardRow }) {
  const { locale, sortedRate } = useContext(CellContext);
  const value = row[id];
  const marked = sortedRate === id && value !== null && fewLinks(row);
  return (
    <>
      {formatRate(value, locale)}
      {marked && (
        <span className="few-links muted small">
          few links
          <span className="visually-hidden">
            : {formatCount(row.sent, locale)} sent, ranked after agents who sent at least {MIN_SENT_TO_COMPARE}
          </span>
        </span>
      )}
    </>
  );
}

/** A duration in the reader's digits and units (formatDuration takes the locale). */
function Duration({ seconds }: { seconds: number | null }) {
  const { locale } = useContext(CellContext);
  return <>{formatDuration(seconds, locale)}</>;
}

function Collected({ collected }: { collected: Metrics['collected'] }) {
  const { locale } = useContext(CellContext);
  const entries = Object.entries(collected);
  if (entries.length === 0) return <span className="muted">—</span>;
  return (
    <ul className="plain-list collected-cell">
      {entries.map(([currency, amount]) => (
        <li key={currency}>{formatMoney(amount, currency, locale)}</li>
      ))}
    </ul>
  );
}

const numeric = { numeric: true };

/** A rate column: its header says so ("… %"), its cell a percentage; null rates sort last either way. */
function rateColumn(id: LeaderboardRateId, header: string) {
  return helper.accessor(id, {
    ...sortable(id),
    header,
    meta: numeric,
    cell: ({ row }) => <Rate id={id} row={row.original} />,
  });
}

function countColumn(id: 'sent' | 'paid' | 'expiredUnopened', header: string) {
  return helper.accessor(id, {
    ...sortable(id),
    header,
    meta: numeric,
    cell: ({ getValue }) => <Count value={getValue()} />,
  });
}

// Counts first, in the order of the everyday question (sent, paid, expired unopened), then rates.
const columns = helper.columns([
  helper.accessor('agentName', {
    ...sortable('agentName'),
    header: 'Agent',
    cell: ({ row }) => <AgentCell row={row.original} />,
  }),
  countColumn('sent', 'Sent'),
  countColumn('paid', 'Paid'),
  countColumn('expiredUnopened', 'Expired unopened'),
  rateColumn('openRate', 'Open rate %'),
  rateColumn('conversionRate', 'Conversion %'),
  rateColumn('declineRate', 'Decline rate %'),
  rateColumn('expiryRate', 'Expiry rate %'),
  rateColumn('cancelRate', 'Cancel rate %'),
  helper.accessor('medianSecondsToPay', {
    ...sortable('medianSecondsToPay'),
    header: 'Median time to pay',
    meta: numeric,
    cell: ({ getValue }) => <Duration seconds={getValue()} />,
  }),
  helper.display({
    id: 'collected',
    header: 'Collected',
    meta: numeric,
    cell: ({ row }) => <Collected collected={row.original.collected} />,
  }),
]);

interface Props {
  rows: LeaderboardRow[];
  sorting: SortingState;
  /** The URL of this view sorted another way: headers are links, so sorting works without JavaScript. */
  sortHref: (sorting: SortingState) => string;
  onSortingChange: (sorting: SortingState) => void;
  agentHref: (agentId: string) => string;
  locale: string;
}

/** A page of the agents of the range, one row each (as GET /api/v1/metrics/agents), sortable on every figure. */
export function AgentLeaderboard({ rows, sorting, sortHref, onSortingChange, agentHref, locale }: Props) {
  const table = useSortableTable({
    columns,
    data: rows,
    getRowId: (row) => row.agentId,
    manualSorting: true,
    sorting,
    onSortingChange,
  });
  const sort = sorting[0]?.id;
  const sortedRate = sort && isLeaderboardSort(sort) && isRateSort(sort) ? sort : undefined;

  return (
    <CellContext.Provider value={{ locale, agentHref, sortedRate }}>
      {sortedRate && rows.some(fewLinks) && (
        <p className="muted small few-links-note" data-testid="few-links-note">
          Agents who sent fewer than {MIN_SENT_TO_COMPARE} links come after the others, marked “few links”: a rate over
          a few links says little.
        </p>
      )}
      <div className="leaderboard-box">
        <SortableTable
          table={table}
          sortHref={sortHref}
          className="leaderboard"
          testId="leaderboard"
          rowAttributes={(row) => ({ 'data-agent': row.agentId })}
          inPlace
        />
      </div>
    </CellContext.Provider>
  );
}

interface PagerProps {
  /** Rows on this page, the agents on all pages, this page (from 1) and the page size. */
  shown: number;
  total: number;
  page: number;
  pageSize: number;
  pageHref: (page: number) => string;
  locale: string;
}

/** '51–100 of 2,000 agents' with Previous / Next links; shown when the agents take more than one page. */
export function LeaderboardPager({ shown, total, page, pageSize, pageHref, locale }: PagerProps) {
  if (total <= pageSize) return null;
  const first = (page - 1) * pageSize + 1;
  const count = (n: number) => formatCount(n, locale);
  const step = (to: number, rel: 'prev' | 'next', label: string, text: ReactNode) =>
    to >= 1 && to <= Math.ceil(total / pageSize) ? (
      <Link to={pageHref(to)} rel={rel} aria-label={label} className="button secondary small">
        {text}
      </Link>
    ) : (
      // biome-ignore lint/a11y/useValidAnchor: a link that leads nowhere now (ARIA's disabled link): no href, so not focusable; read as an unavailable link
      <a role="link" aria-disabled="true" aria-label={label} className="button secondary small disabled">
        {text}
      </a>
    );
  return (
    <nav className="leaderboard-pager" aria-label="Agents pages" data-testid="leaderboard-pager">
      <p className="muted small" aria-live="polite">
        {count(first)}–{count(first + shown - 1)} of {count(total)} agents
      </p>
      <div className="pager-links">
        {step(
          page - 1,
          'prev',
          'Previous page of agents',
          <>
            <span aria-hidden="true">← </span>Previous
          </>,
        )}
        {step(
          page + 1,
          'next',
          'Next page of agents',
          <>
            Next<span aria-hidden="true"> →</span>
          </>,
        )}
      </div>
    </nav>
  );
}
