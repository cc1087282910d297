import type Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Viewer } from '../../app/domain/access';
import { getAgentRequestCards } from '../../app/read/agent-console.server';
import { getAgentDashboard, getDashboard } from '../../app/read/dashboard.server';
import type { Filters } from '../../app/read/filters';
import type { ListSort } from '../../app/read/request-list/options.server';
import { listPaymentRequests } from '../../app/read/request-list/request-list.server';
import { runExpirySweep } from '../../app/write/expiry-sweeper.server';
import { ingestEvents } from '../../app/write/ingest.server';
import type { Db } from '../../db/client';
import { createTestDb } from '../support/db';
import { created, MINUTE, step, T0 } from '../support/events';
import { plansOf } from '../support/sqlite-plans';

// Issue 14: every index of payment_requests costs disk and a write per projection change, so each
// one is here with the read that needs it. The test runs that read and asserts the index appears in
// the EXPLAIN QUERY PLAN of a statement it ran: an index no read needs (not listed) fails the last
// test, and a read whose plan stops using its index fails its own.

const manager: Viewer = { userId: 'usr_m', name: 'Manager', role: 'manager', scope: { kind: 'all' } };
const supervisor: Viewer = {
  userId: 'usr_s',
  name: 'Supervisor',
  role: 'supervisor',
  scope: { kind: 'teams', teamIds: ['tm_retail'] },
};
const supervisorOfTwo: Viewer = { ...supervisor, scope: { kind: 'teams', teamIds: ['tm_retail', 'tm_support'] } };
const agent: Viewer = { userId: 'usr_a', name: 'Agent', role: 'agent', scope: { kind: 'agent', agentId: 'ag_17' } };

const filters = (more: Partial<Filters> = {}): Filters => ({
  team: [],
  agent: [],
  channel: [],
  currency: [],
  status: [],
  tz: 'UTC',
  ...more,
});
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const range = { from: day(T0 - 86_400_000), to: day(T0 + 86_400_000) };
const NOW = T0 + 60 * MINUTE;

const list =
  (sort: ListSort, viewer: Viewer = manager, more: Partial<Filters> = {}) =>
  async (db: Db) =>
    await listPaymentRequests(db, filters(more), viewer, { sort, order: 'desc', limit: 50 });

/** Each index and the read that needs it (what the index serves, for the failure message). */
const JUSTIFIED: [index: string, read: string, run: (db: Db) => unknown][] = [
  ['pr_sent_idx', 'the request list by sentAt (the default), and exports in sentAt order', list('sentAt')],
  ['pr_team_sent_idx', "a supervisor's request list by sentAt", list('sentAt', supervisor)],
  ['pr_agent_sent_idx', "an agent's request list by sentAt", list('sentAt', agent)],
  [
    'pr_team_agent_sent_idx',
    'the request list by agent name for a supervisor of two teams (the agents of their teams)',
    list('agent', supervisorOfTwo),
  ],
  ['pr_created_idx', 'the request list by createdAt', list('createdAt')],
  ['pr_opened_idx', 'the request list by openedAt (the opened)', list('openedAt')],
  ['pr_closed_idx', 'the request list by closedAt', list('closedAt')],
  ['pr_expires_idx', 'the request list by expiresAt', list('expiresAt')],
  ['pr_order_idx', 'the request list by orderNumber', list('orderNumber')],
  [
    'pr_period_currency_amount_idx',
    'the request list by amount (within a currency), a 30-day period at a time',
    list('amount'),
  ],
  ['pr_status_sent_idx', 'the request list by status', list('status')],
  ['pr_channel_sent_idx', 'the request list by channel', list('channel')],
  ['pr_expiry_due_idx', 'the expiry sweeper', async (db) => await runExpirySweep(db, NOW)],
  ['pr_never_sent_idx', 'the never sent of the request list by sentAt, by id', list('sentAt')],
  ['pr_never_opened_idx', 'the never opened of the request list by openedAt, by id', list('openedAt')],
  [
    'pr_agent_never_sent_idx',
    "the agent console's never sent since its 30 newest sent",
    async (db) => await getAgentRequestCards(db, 'ag_17', 'https://pay.example', NOW),
  ],
  [
    'pr_paid_period_sub_bin_idx',
    "the dashboard's median time to pay",
    async (db) => await getDashboard(db, { ...filters(), ...range }, { preset: null, ...range }, manager, NOW),
  ],
  [
    'pr_paid_agent_period_sub_bin_idx',
    "an agent's dashboard median time to pay",
    async (db) =>
      await getAgentDashboard(db, 'ag_17', { ...filters(), ...range }, { preset: null, ...range }, manager, NOW),
  ],
];

/** The indexes the EXPLAIN QUERY PLAN of every payment_requests read `run` makes names. */
async function indexesUsedBy(db: Db, run: (db: Db) => unknown): Promise<Set<string>> {
  const client = db.$client;
  const prepare = client.prepare;
  const found = new Set<string>();
  const explain = (text: string, params: unknown[]) => {
    if (!/payment_requests/.test(text) || !/^\s*(SELECT|WITH)/i.test(text)) return;
    const statement = prepare.call(client, `EXPLAIN QUERY PLAN ${text}`) as Database.Statement<unknown[]>;
    const plan = statement.all(...params) as { detail: string }[];
    for (const { detail } of plan) {
      const match = /USING (?:COVERING )?INDEX (\w+)/.exec(detail);
      if (match) found.add(match[1]!);
    }
  };
  const watch = (text: string, statement: Database.Statement): Database.Statement =>
    new Proxy(statement, {
      get(target, key) {
        const value = Reflect.get(target, key) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (key === 'all' || key === 'get' || key === 'iterate' || key === 'run') explain(text, args);
          const result = (value as (...a: unknown[]) => unknown).apply(target, args);
          return result === target ? watch(text, target) : result;
        };
      },
    });
  client.prepare = ((text: string) => watch(text, prepare.call(client, text))) as typeof client.prepare;
  try {
    await run(db);
  } finally {
    client.prepare = prepare;
  }
  return found;
}

describe('each index of payment_requests is used by the read that needs it', () => {
  let db: Db;
  beforeAll(async () => {
    db = (await createTestDb()).db;
    const retail = { teamId: 'tm_retail', agentId: 'ag_17' };
    const support = { teamId: 'tm_support', teamName: 'Support', agentId: 'ag_31', agentName: 'Lindiwe Dube' };
    const events = [
      created('pr_paid', 0, retail),
      step('pr_paid', 'sent', MINUTE),
      step('pr_paid', 'opened', 2 * MINUTE),
      step('pr_paid', 'paid', 3 * MINUTE),
      created('pr_open', 5 * MINUTE, { ...retail, orderNumber: 'SO-1002' }),
      step('pr_open', 'sent', 6 * MINUTE),
      created('pr_support', 7 * MINUTE, { ...support, orderNumber: 'SO-1003', currency: 'EUR' }),
      step('pr_support', 'sent', 8 * MINUTE),
      step('pr_support', 'paid', 9 * MINUTE),
      created('pr_never', 9 * MINUTE, { ...retail, orderNumber: 'SO-1004' }),
      // ag_17's 30 newest sent before them: the console's floor (agent-console.server.ts).
      ...Array.from({ length: 30 }, (_, i) => [
        created(`pr_old_${i}`, -(i + 1) * MINUTE, { ...retail, orderNumber: `SO-2${i}` }),
        step(`pr_old_${i}`, 'sent', -(i + 1) * MINUTE + 1_000),
      ]).flat(),
    ];
    await ingestEvents(db, events, 'api', {
      now: T0 + 10 * MINUTE,
      settings: { ttlUnopenedMs: 5 * MINUTE, ttlOpenedMs: 15 * MINUTE },
    });
  });
  afterAll(() => db.$client.close());

  it.each(JUSTIFIED)('%s: %s', async (index, _read, run) => {
    expect([...(await indexesUsedBy(db, run))]).toContain(index);
  });

  it("reads a dashboard's pieces off 15-minute boundaries by their time, not a team's whole history", async () => {
    // A supervisor's (team_id IN …) dashboard at a `now` off a 15-minute boundary: its last piece is
    // summed from the requests, by created_at too. Without statistics SQLite took pr_team_sent_idx
    // (team_id = ?) for that one and walked the team's history: 1.9-4.1 s at 10M requests.
    const plans = await plansOf(db, /created_at >= \?/, () =>
      getDashboard(
        db,
        { ...filters(), ...range },
        { preset: null, ...range },
        supervisorOfTwo,
        NOW + 7 * 60_000 + 13_000,
      ),
    );
    expect(plans.length).toBeGreaterThan(0);
    expect(
      plans.filter((plan) => !/USING INDEX pr_created_idx \(created_at>\? AND created_at<\?\)/.test(plan)),
    ).toEqual([]);
  });

  it("reads a chat conversation's cards from the conversation, not from the agent's history", async () => {
    const plans = await plansOf(db, /request_conversations/, () =>
      getAgentRequestCards(db, 'ag_17', 'https://pay.example', NOW, { conversationId: 'conv_a' }),
    );
    expect(plans).toHaveLength(1);
    expect(plans[0]).toMatch(/^SEARCH c USING INDEX request_conversations_conversation_idx \(conversation_id=\?\)/);
  });

  it('reads the never sent in the order they are shown, not as one run of sentAt to sort', async () => {
    // sentAt ascending starts with them; descending ends with them, in every partition (two teams).
    for (const viewer of [manager, supervisorOfTwo, agent]) {
      for (const order of ['asc', 'desc'] as const) {
        const plans = await plansOf(db, /sent_at" is null/, () =>
          listPaymentRequests(db, filters(), viewer, { sort: 'sentAt', order, limit: 50 }),
        );
        expect(plans.length).toBeGreaterThan(0);
        expect(plans.filter((plan) => plan !== 'SCAN payment_requests USING INDEX pr_never_sent_idx')).toEqual([]);
      }
    }
    const cards = await plansOf(db, /sent_at IS NULL/, () =>
      getAgentRequestCards(db, 'ag_17', 'https://pay.example', NOW),
    );
    expect(cards.join('\n')).toMatch(/USING INDEX pr_agent_never_sent_idx \(agent_id=\? AND created_at>\?\)/);
  });

  const OPENED_WALK =
    /^SEARCH payment_requests USING INDEX pr_opened_idx \(opened_at>\?( AND opened_at<\?)?\) \/ USE TEMP B-TREE FOR LAST TERM OF ORDER BY$/;

  it('reads the never opened in the order they are shown, and the opened through pr_opened_idx', async () => {
    // openedAt ascending starts with the never opened, descending ends with them; with a range longer
    // than a few days too (a range is of sent_at: it holds never opened).
    const long = { from: day(T0 - 10 * 86_400_000), to: day(T0 + 86_400_000) };
    for (const viewer of [manager, supervisorOfTwo, agent]) {
      for (const more of [{}, long]) {
        for (const order of ['asc', 'desc'] as const) {
          const read = () => listPaymentRequests(db, filters(more), viewer, { sort: 'openedAt', order, limit: 50 });
          const never = await plansOf(db, /opened_at" is null/, read);
          expect(never.length).toBeGreaterThan(0);
          expect(never.filter((plan) => plan !== 'SCAN payment_requests USING INDEX pr_never_opened_idx')).toEqual([]);
          // The opened through pr_opened_idx, their ties (rare: millisecond times) sorted by id as it
          // is walked, as pr_sent_idx's are.
          const opened = await plansOf(db, /opened_at" is not null/, read);
          expect(opened.length).toBeGreaterThan(0);
          expect(opened.filter((plan) => !OPENED_WALK.test(plan))).toEqual([]);
        }
      }
    }
  });

  it('has no index that no read above needs', () => {
    const indexes = db.$client
      .prepare("SELECT name FROM pragma_index_list('payment_requests') WHERE origin = 'c' ORDER BY name")
      .pluck()
      .all();
    expect(indexes).toEqual(JUSTIFIED.map(([index]) => index).sort());
  });
});
