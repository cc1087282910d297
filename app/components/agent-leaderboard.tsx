import { Link } from '@remix-run/react';
import { createColumnHelper, type SortingState } from '@tanstack/react-table';
import { createContext, useContext } from 'react';
import { formatCount, formatDuration, formatMoney, formatRate } from '../domain/format';
import type { Metrics } from '../domain/metrics';
import { type SortableFeatures, SortableTable, useSortableTable } from './sortable-table';

export interface LeaderboardRow extends Metrics {
  agentId: string;
  agentName: string;
  teamId: string;
  teamName: string;
}

interface CellEnv {
  locale: string;
  agentHref: (agentId: string) => string;
}
const CellContext = createContext<CellEnv>({ locale: 'en', agentHref: (id) => `/dashboard/agents/${id}` });

/** Sorting happens here, on the rows the loader gave: the URL only says which column (sort, order). */
const helper = createColumnHelper<SortableFeatures, LeaderboardRow>();

// Rates are null when nothing was sent; undefined sorts them last whichever the direction.
const orLast = (value: number | null) => value ?? undefined;

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

function Rate({ value }: { value: number | null | undefined }) {
  return <>{formatRate(value ?? null, useContext(CellContext).locale)}</>;
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
function rateColumn(id: 'openRate' | 'conversionRate' | 'declineRate' | 'expiryRate' | 'cancelRate', header: string) {
  return helper.accessor((row) => orLast(row[id]), {
    id,
    header,
    sortDescFirst: true,
    sortUndefined: 'last',
    meta: numeric,
    cell: ({ getValue }) => <Rate value={getValue()} />,
  });
}

function countColumn(id: 'sent' | 'paid' | 'expiredUnopened', header: string) {
  return helper.accessor(id, {
    id,
    header,
    sortDescFirst: true,
    meta: numeric,
    cell: ({ getValue }) => <Count value={getValue()} />,
  });
}

// Counts first, in the order of the everyday question (sent, paid, expired unopened), then rates.
const columns = helper.columns([
  helper.accessor('agentName', {
    id: 'agentName',
    header: 'Agent',
    sortFn: 'alphanumeric',
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
  helper.accessor((row) => orLast(row.medianSecondsToPay), {
    id: 'medianSecondsToPay',
    header: 'Median time to pay',
    sortUndefined: 'last',
    meta: numeric,
    cell: ({ getValue }) => formatDuration(getValue() ?? null),
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

/** Agents of the range, one row each (GET /api/v1/metrics/agents), sortable on every figure. */
export function AgentLeaderboard({ rows, sorting, sortHref, onSortingChange, agentHref, locale }: Props) {
  const table = useSortableTable({
    columns,
    data: rows,
    getRowId: (row) => row.agentId,
    sorting,
    onSortingChange,
  });

  return (
    <CellContext.Provider value={{ locale, agentHref }}>
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
