import { createColumnHelper, sortFn_alphanumeric, useTable } from '@tanstack/react-table';
import fc from 'fast-check';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { sortableFeatures } from '../../app/components/sortable-table';
import { emptyCounts, MIN_SENT_TO_COMPARE, toMetrics } from '../../app/domain/metrics';
import {
  busiestFirst,
  byName,
  isRateSort,
  LEADERBOARD_COLUMNS,
  type LeaderboardSortId,
  type RankedAgent,
  sortAgents,
} from '../../app/read/leaderboard-order';

/*
 * The server now sorts the leaderboard (read/leaderboard-order.ts); the browser's table sorted it
 * before. Oracle: that table as it was (TanStack's sorted row model over the column definitions of
 * components/agent-leaderboard.tsx before the change), given the rows busiest first as the loader
 * gave them. Any agents, any sort, both directions: the same order; but by a rate, the agents who
 * sent fewer than MIN_SENT_TO_COMPARE links come after the others (each part in the table's order).
 */
// The features every sortable table has (components/sortable-table.tsx).
const features = sortableFeatures;
const helper = createColumnHelper<typeof features, RankedAgent>();
const orLast = (value: number | null) => value ?? undefined;
const rate = (id: 'openRate' | 'conversionRate' | 'declineRate' | 'expiryRate' | 'cancelRate') =>
  helper.accessor((row) => orLast(row[id]), { id, sortDescFirst: true, sortUndefined: 'last' });
const count = (id: 'sent' | 'paid' | 'expiredUnopened') => helper.accessor(id, { id, sortDescFirst: true });
const formerColumns = helper.columns([
  helper.accessor('agentName', { id: 'agentName', sortFn: 'alphanumeric' }),
  count('sent'),
  count('paid'),
  count('expiredUnopened'),
  rate('openRate'),
  rate('conversionRate'),
  rate('declineRate'),
  rate('expiryRate'),
  rate('cancelRate'),
  helper.accessor((row) => orLast(row.medianSecondsToPay), {
    id: 'medianSecondsToPay',
    sortUndefined: 'last',
  }),
]);

interface ProbeProps {
  rows: RankedAgent[];
  id: string;
  desc: boolean;
  onOrder: (ids: string[]) => void;
}

/** The former table, rendered once as on the server: it tells the order of its rows. */
function FormerTable({ rows, id, desc, onOrder }: ProbeProps) {
  const table = useTable({
    features,
    columns: formerColumns,
    data: [...rows].sort(busiestFirst),
    getRowId: (row) => row.agentId,
    enableMultiSort: false,
    state: { sorting: [{ id, desc }] },
  });
  onOrder(table.getRowModel().rows.map((row) => row.id));
  return null;
}

function formerTableOrder(rows: RankedAgent[], id: string, desc: boolean): string[] {
  let order: string[] = [];
  renderToStaticMarkup(
    createElement(FormerTable, {
      rows,
      id,
      desc,
      onOrder: (ids) => {
        order = ids;
      },
    }),
  );
  return order;
}

const SORTS = Object.keys(LEADERBOARD_COLUMNS) as LeaderboardSortId[];
const RATES = ['openRate', 'conversionRate', 'declineRate', 'expiryRate', 'cancelRate'];

/** The table's order; by a rate, the agents with enough links first, then those with few. */
function expectedOrder(rows: RankedAgent[], id: string, desc: boolean): string[] {
  if (!RATES.includes(id)) return formerTableOrder(rows, id, desc);
  const enough = rows.filter((row) => row.sent >= MIN_SENT_TO_COMPARE);
  const few = rows.filter((row) => row.sent < MIN_SENT_TO_COMPARE);
  return [...formerTableOrder(enough, id, desc), ...formerTableOrder(few, id, desc)];
}

// Few values each, so ties (the tie rule) are common; names with digits, case and accents.
const agentArb = fc
  .record({
    name: fc.constantFrom('Agent 9', 'agent 10', 'Agent 10', 'Émile', 'emile', 'Zoë 2', 'Zoë 02', 'Bo', 'bo 1a'),
    sent: fc.oneof(fc.integer({ min: 1, max: 4 }), fc.integer({ min: MIN_SENT_TO_COMPARE - 1, max: 22 })),
    opened: fc.integer({ min: 0, max: 4 }),
    paid: fc.integer({ min: 0, max: 4 }),
    declined: fc.integer({ min: 0, max: 2 }),
    expiredUnopened: fc.integer({ min: 0, max: 2 }),
    median: fc.option(fc.constantFrom(30, 60, 600), { nil: null }),
  })
  .map(({ name, sent, opened, paid, declined, expiredUnopened, median }) => {
    const metrics = toMetrics({
      ...emptyCounts(),
      sent,
      opened: Math.min(opened, sent),
      paid: Math.min(paid, sent),
      declined: Math.min(declined, sent),
      expired: Math.min(expiredUnopened, sent),
    });
    return {
      ...metrics,
      agentName: name,
      expiredUnopened: Math.min(expiredUnopened, sent),
      medianSecondsToPay: median,
      teamId: 'tm',
      teamName: 'Team',
    };
  });

describe('the server sorts the leaderboard as the table did', () => {
  it('every column, both directions, ties in the rows’ busiest-first order; rates: few links last', () => {
    fc.assert(
      fc.property(
        fc.array(agentArb, { maxLength: 40 }),
        fc.constantFrom(...SORTS),
        fc.boolean(),
        (agents, sort, desc) => {
          const rows: RankedAgent[] = agents.map((agent, i) => ({ ...agent, agentId: `ag_${i}` }));
          const server = sortAgents(rows, sort, desc).map((row) => row.agentId);
          expect(server).toEqual(expectedOrder(rows, sort, desc));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('names compare as TanStack’s alphanumeric sort compares them', () => {
    const sign = (n: number) => Math.sign(n);
    const nameArb = fc.stringMatching(/^[A-Za-z0-9 éÉ_-]{0,8}$/);
    fc.assert(
      fc.property(nameArb, nameArb, (a, b) => {
        const row = (value: string) => ({ getValue: () => value }) as never;
        expect(sign(byName(a, b))).toBe(sign(sortFn_alphanumeric(row(a), row(b), 'agentName')));
      }),
      { numRuns: 2000 },
    );
  });

  it('a header clicked first: figures biggest first, names A to Z', () => {
    expect(SORTS.filter((id) => !LEADERBOARD_COLUMNS[id].descFirst)).toEqual(['agentName']);
  });

  it('the rate sorts are the five rates', () => {
    expect(SORTS.filter(isRateSort)).toEqual(RATES);
  });
});
