import { Link } from '@remix-run/react';
import { createColumnHelper, type SortingState } from '@tanstack/react-table';
import { createContext, useContext } from 'react';
import { formatMoney } from '../domain/format';
import { CHANNEL_LABELS, isTerminal, type Status } from '../domain/lifecycle';
import { pathSegment } from '../lib/path-segment';
import { type SortableFeatures, SortableTable, useSortableTable } from './sortable-table';
import { StatusBadge } from './status-badge';
import { TimeLeft, useServerClock } from './time-left';
import { useLocale } from './use-locale';

/** One row as GET /api/v1/payment-requests answers it. */
export interface RequestListRow {
  id: string;
  status: Status;
  statusLabel: string;
  agent: { id: string; name: string };
  team: { id: string; name: string };
  amount: number;
  currency: string;
  channel: string;
  orderNumber: string;
  createdAt: string | null;
  sentAt: string | null;
  openedAt: string | null;
  closedAt: string | null;
  expiresAt: string | null;
}

/** What cells need besides their row: the viewer's zone, the server's clock, where a row links. */
interface CellEnv {
  timeZone: string;
  serverNow: number;
  detailHref: (id: string) => string;
  /** Sorted by amount: amounts are ordered within each currency, never across them. */
  byAmount: boolean;
}
const CellContext = createContext<CellEnv>({
  timeZone: 'UTC',
  serverNow: 0,
  detailHref: (id) => `/requests/${pathSegment(id)}`,
  byAmount: false,
});

/** The amount column says how it sorts: within a currency (the list is then grouped by currency). */
function AmountHeader() {
  return useContext(CellContext).byAmount ? <>Amount, within currency</> : <>Amount</>;
}

const epoch = (iso: string | null) => (iso === null ? null : Date.parse(iso));

// A table page formats hundreds of instants; building an Intl.DateTimeFormat costs ~75 µs, so
// each (zone, style) is built once.
const formatters = new Map<string, Intl.DateTimeFormat>();
const STYLES = {
  year: { year: 'numeric' },
  short: { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' },
  shortWithYear: { day: 'numeric', month: 'short', year: '2-digit', hour: '2-digit', minute: '2-digit' },
  // The same as formatDateTime (app/domain/format.ts): the full instant, on hover.
  full: { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' },
} satisfies Record<string, Intl.DateTimeFormatOptions>;

function format(epochMs: number, timeZone: string, locale: string, style: keyof typeof STYLES): string {
  const key = `${locale} ${timeZone} ${style}`;
  let formatter = formatters.get(key);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat(locale, { timeZone, ...STYLES[style] });
    formatters.set(key, formatter);
  }
  return formatter.format(epochMs);
}

/**
 * '23 Nov, 10:15' in the viewer's zone (the year too when it is not `now`'s year); the full instant on
 * hover. The request list's and the agent page's tables write instants alike.
 */
export function ShortInstant({
  epochMs,
  timeZone,
  now,
  locale,
}: {
  epochMs: number | null;
  timeZone: string;
  now: number;
  locale: string;
}) {
  if (epochMs === null) return <span className="muted">—</span>;
  const thisYear = format(epochMs, timeZone, locale, 'year') === format(now, timeZone, locale, 'year');
  return (
    <time dateTime={new Date(epochMs).toISOString()} title={format(epochMs, timeZone, locale, 'full')}>
      {format(epochMs, timeZone, locale, thisYear ? 'short' : 'shortWithYear')}
    </time>
  );
}

function When({ iso }: { iso: string | null }) {
  const { timeZone, serverNow } = useContext(CellContext);
  const locale = useLocale();
  return <ShortInstant epochMs={epoch(iso)} timeZone={timeZone} now={serverNow} locale={locale} />;
}

function Countdown({ expiresAt }: { expiresAt: number }) {
  const { serverNow } = useContext(CellContext);
  const now = useServerClock(serverNow);
  return <TimeLeft expiresAt={expiresAt} now={now} className="countdown" />;
}

/** When a closed request closed; for an open one, the time its link has left, counting down. */
function ClosedOrTimeLeft({ row }: { row: RequestListRow }) {
  const expiresAt = epoch(row.expiresAt);
  if (!isTerminal(row.status) && expiresAt !== null) return <Countdown expiresAt={expiresAt} />;
  return <When iso={row.closedAt} />;
}

function OrderCell({ row }: { row: RequestListRow }) {
  const { detailHref } = useContext(CellContext);
  return (
    <>
      <Link to={detailHref(row.id)} className="order-link" prefetch="intent">
        {row.orderNumber}
      </Link>
      <div className="mono muted small-id">{row.id}</div>
    </>
  );
}

/** An amount in the reader's locale ('1.234,56 €' in de). */
function AmountCell({ amount, currency }: { amount: RequestListRow['amount']; currency: string }) {
  return <>{formatMoney(amount, currency, useLocale())}</>;
}

// Sorting belongs to the server (manualSorting): the table only holds which column is sorted.
const helper = createColumnHelper<SortableFeatures, RequestListRow>();

// Column ids are the API's sort keys.
const columns = helper.columns([
  helper.accessor('orderNumber', {
    id: 'orderNumber',
    header: 'Order',
    cell: ({ row }) => <OrderCell row={row.original} />,
  }),
  helper.accessor('status', {
    id: 'status',
    header: 'Status',
    cell: ({ row }) => <StatusBadge status={row.original.status} />,
  }),
  helper.accessor('amount', {
    id: 'amount',
    header: () => <AmountHeader />,
    sortDescFirst: true,
    meta: { numeric: true },
    cell: ({ row }) => <AmountCell amount={row.original.amount} currency={row.original.currency} />,
  }),
  helper.accessor((row) => row.agent.name, {
    id: 'agent',
    header: 'Agent',
    cell: ({ row }) => (
      <>
        <bdi className="wrap-name">{row.original.agent.name}</bdi>
        <div className="muted small-id" dir="auto">
          {row.original.team.name}
        </div>
      </>
    ),
  }),
  helper.accessor('channel', {
    id: 'channel',
    header: 'Channel',
    cell: ({ getValue }) => CHANNEL_LABELS[getValue()] ?? getValue(),
  }),
  helper.accessor('createdAt', {
    id: 'createdAt',
    header: 'Created',
    sortDescFirst: true,
    cell: ({ getValue }) => <When iso={getValue()} />,
  }),
  helper.accessor('sentAt', {
    id: 'sentAt',
    header: 'Sent',
    sortDescFirst: true,
    cell: ({ getValue }) => <When iso={getValue()} />,
  }),
  // Open requests have no closedAt: they sort with the NULLs (first ascending, last descending).
  helper.accessor('closedAt', {
    id: 'closedAt',
    header: 'Closed / time left',
    sortDescFirst: true,
    cell: ({ row }) => <ClosedOrTimeLeft row={row.original} />,
  }),
]);

interface Props {
  rows: RequestListRow[];
  sorting: SortingState;
  /** The URL of the list sorted this way (first page). */
  sortHref: (sort: SortingState) => string;
  onSortingChange: (sort: SortingState) => void;
  timeZone: string;
  serverNow: number;
  detailHref: (id: string) => string;
  busy: boolean;
}

/** The requests explorer's table: server-sorted columns whose headers are links (they work without JavaScript). */
export function RequestsTable({
  rows,
  sorting,
  sortHref,
  onSortingChange,
  timeZone,
  serverNow,
  detailHref,
  busy,
}: Props) {
  const byAmount = sorting[0]?.id === 'amount';
  const table = useSortableTable({
    columns,
    data: rows,
    getRowId: (row) => row.id,
    sorting,
    onSortingChange,
    manualSorting: true,
  });

  return (
    <CellContext.Provider value={{ timeZone, serverNow, detailHref, byAmount }}>
      <div className={busy ? 'table-scroll busy' : 'table-scroll'} aria-busy={busy}>
        <SortableTable
          table={table}
          sortHref={sortHref}
          className="requests-table"
          rowAttributes={(row) => ({ 'data-status': row.status })}
          unsortedMark="↕"
          groupOf={byAmount ? (row) => row.currency : undefined}
          groupHeading={(currency) => `${currency}: amounts in ${currency} only, sorted by amount`}
        />
      </div>
    </CellContext.Provider>
  );
}
