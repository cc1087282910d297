import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IN_FLIGHT_STATUSES, type Status } from '../../app/domain/lifecycle';
import { verifyProjections } from '../../app/read/projection-check.server';
import { hashToken } from '../../app/write/api-tokens.server';
import { closeDatabase, openDatabase, openDatabaseUrl, sqlRun } from '../../db/client';
import { migrateDatabase } from '../../db/migrate';
import { ON_POSTGRES } from '../../db/tables';
import { generateSeedEvents, type SeedEvent } from '../../seed/generate';
import { queryRow, queryRows } from '../support/db';
import { TEST_TMP } from '../support/paths';
import { postEvents, startServer, type TestServer } from '../support/server';

/*
 * Acceptance for issue 13 ("production is hostile: one client never stalls others, nothing accepted
 * is lost"): a generated stream of events (the demo-data generator's), shuffled, with duplicates
 * and late events, is posted as signed NDJSON batches. One SQLite server receives it in one place,
 * one batch at a time; on PostgreSQL two servers on one database receive it too, the batches
 * alternating between them, several in flight at once, some sent to both at once. Every server
 * must end with the generator's outcome for each request (exact statuses, amounts, counts per
 * status, paid totals per currency), and the two instances' answers over HTTP and their stored
 * projection must equal the SQLite server's. The SQLite half runs on both vitest projects.
 */

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const TTL = { ttlUnopenedMs: 5 * MINUTE, ttlOpenedMs: 15 * MINUTE };
const SERVER_ENV = { LINK_TTL_UNOPENED: '300', LINK_TTL_OPENED: '900', EXPIRY_SWEEP_MS: '500' };
/**
 * The stream ends an hour ago: every request still in flight then is past its link's TTL (15
 * minutes at most) by the time it arrives, so it is expired on every server whenever it lands.
 */
const STREAM_END = Math.floor(Date.now() / MINUTE) * MINUTE - 60 * MINUTE;
const REQUESTS = 400;
const DAYS = 2;
const BATCH = 40;
/** Batches in flight at once against the two instances. */
const IN_FLIGHT = 4;

interface Stream {
  events: SeedEvent[];
  /** Each request's status as the generator planned it, and its amount. */
  expected: Map<string, { status: Status; amount: number; currency: string; sent: boolean }>;
}

/** A deterministic shuffle (a linear congruential generator): the same order every run. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed;
  for (let index = out.length - 1; index > 0; index--) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    const other = state % (index + 1);
    [out[index], out[other]] = [out[other]!, out[index]!];
  }
  return out;
}

function generatedStream(): Stream {
  const events: SeedEvent[] = [];
  const planned = new Map<string, Status>();
  for (const batch of generateSeedEvents({ requests: REQUESTS, days: DAYS, seed: 13, now: STREAM_END, ...TTL })) {
    events.push(...batch.events);
    for (const { requestId, status } of batch.outcomes) planned.set(requestId, status);
  }
  // Late events: an `opened` a minute after every fifth payment lands after terminal and changes nothing.
  const late = events
    .filter((event) => event.type === 'payment_request.paid')
    .filter((_, index) => index % 5 === 0)
    .map(
      (paid): SeedEvent => ({
        id: `evt_late_${paid.paymentRequest.id}`,
        type: 'payment_request.opened',
        occurredAt: new Date(Date.parse(paid.occurredAt) + MINUTE).toISOString(),
        paymentRequest: { id: paid.paymentRequest.id },
        data: {},
      }),
    );
  expect(late.length).toBeGreaterThan(10);
  const expected: Stream['expected'] = new Map();
  for (const event of events) {
    if (event.type !== 'payment_request.created') continue;
    const request = event.paymentRequest as { id: string; amount: number; currency: string };
    const status = planned.get(request.id)!;
    expected.set(request.id, {
      // In flight when the stream ended, expired by the time it arrives (STREAM_END).
      status:
        (IN_FLIGHT_STATUSES as readonly Status[]).includes(status) || status === 'send_failed' ? 'expired' : status,
      amount: request.amount,
      currency: request.currency,
      sent: false,
    });
  }
  for (const event of events) {
    if (event.type === 'payment_request.sent') expected.get(event.paymentRequest.id)!.sent = true;
  }
  expect(expected.size).toBe(REQUESTS);
  // Out of order: later steps often arrive before their request's `created` (orphans until then).
  return { events: shuffled([...events, ...late], 1313), expected };
}

interface Delivery {
  batch: SeedEvent[];
  /** Sent to both instances at once (on SQLite: twice, one after the other). */
  both: boolean;
}

/**
 * The batches, in the order they are sent: every sixth one to both instances at once, and every
 * seventh sent again eight batches later (a sender's retry).
 */
function deliveries(events: readonly SeedEvent[]): Delivery[] {
  const batches: SeedEvent[][] = [];
  for (let start = 0; start < events.length; start += BATCH) batches.push(events.slice(start, start + BATCH));
  const planned: Delivery[] = [];
  const retries = new Map<number, SeedEvent[]>();
  batches.forEach((batch, index) => {
    planned.push({ batch, both: index % 6 === 5 });
    if (index % 7 === 3) retries.set(index + 8, batch);
    const retry = retries.get(index);
    if (retry) planned.push({ batch: retry, both: false });
  });
  for (const [index, batch] of retries) if (index >= batches.length) planned.push({ batch, both: false });
  return planned;
}

interface Tally {
  accepted: number;
  duplicates: number;
  rejected: number;
}

/** Posts one batch as signed NDJSON; a 503 (overloaded) is retried after its Retry-After, as a sender would. */
async function post(server: TestServer, batch: readonly SeedEvent[], tally: Tally): Promise<void> {
  const body = batch.map((event) => JSON.stringify(event)).join('\n');
  for (let attempt = 0; ; attempt++) {
    const response = await postEvents(server, body, { contentType: 'application/x-ndjson' });
    if (response.status === 503 && attempt < 20) {
      await response.body?.cancel();
      await new Promise((resolve) => setTimeout(resolve, 1000 * Number(response.headers.get('retry-after') ?? 1)));
      continue;
    }
    expect(response.status).toBe(200);
    const summary = (await response.json()) as Tally;
    tally.accepted += summary.accepted;
    tally.duplicates += summary.duplicates;
    tally.rejected += summary.rejected;
    return;
  }
}

/** A manager's API token, written into the database at `file` (a path or a URL) with SQL both engines take. */
async function managerToken(file: string): Promise<string> {
  const token = `pld_${randomUUID()}`;
  const userId = `usr_${randomUUID()}`;
  const db = openDatabaseUrl(file);
  try {
    await sqlRun(db, "INSERT INTO users (id, name, role, created_at) VALUES (?, 'Acceptance', 'manager', ?)", [
      userId,
      Date.now(),
    ]);
    await sqlRun(db, 'INSERT INTO api_tokens (id, user_id, name, token_hash, created_at) VALUES (?, ?, ?, ?, ?)', [
      `tok_${randomUUID()}`,
      userId,
      'acceptance',
      hashToken(token),
      Date.now(),
    ]);
  } finally {
    await closeDatabase(db);
  }
  return token;
}

/** The filters of every read: all days of the stream, in UTC. */
const RANGE = new URLSearchParams({
  from: new Date(STREAM_END - (DAYS + 1) * DAY).toISOString().slice(0, 10),
  to: new Date(Date.now() + DAY).toISOString().slice(0, 10),
  tz: 'UTC',
});

async function getJson(server: TestServer, token: string, path: string, params: URLSearchParams): Promise<unknown> {
  const response = await fetch(`${server.url}${path}?${params}`, { headers: { authorization: `Bearer ${token}` } });
  expect(response.status, path).toBe(200);
  return response.json();
}

/** What a server answers over HTTP: the metrics of the range, and the whole request list, page by page. */
async function answers(server: TestServer, token: string) {
  const rows: { id: string; status: string; amount: number; currency: string }[] = [];
  for (let cursor: string | null = null, pages = 0; pages === 0 || cursor; pages++) {
    const params = new URLSearchParams(RANGE);
    params.set('sort', 'createdAt');
    params.set('limit', '100');
    if (cursor) params.set('cursor', cursor);
    const page = (await getJson(server, token, '/api/v1/payment-requests', params)) as {
      rows: typeof rows;
      nextCursor: string | null;
    };
    rows.push(...page.rows);
    cursor = page.nextCursor;
  }
  const summary = (await getJson(server, token, '/api/v1/metrics/summary', RANGE)) as Record<string, unknown>;
  const agents = await getJson(server, token, '/api/v1/metrics/agents', RANGE);
  return { rows, summary, agents };
}

/**
 * What a database holds, written from events alone (updated_at is the write's clock): each
 * projection, the events posted (not the sweeper's own expiry events, whose timing differs), the
 * teams and agents.
 */
async function stored(file: string) {
  const db = openDatabaseUrl(file);
  try {
    // The sweeper records each expiry due (SPEC §1: within 10 s); wait until none is left to record.
    await expect
      .poll(
        async () =>
          Number(
            (await queryRow<{ n: number }>(
              db,
              'SELECT count(*) AS n FROM payment_requests WHERE expiry_due_at IS NOT NULL',
            ))!.n,
          ),
        { timeout: 30_000, interval: 250 },
      )
      .toBe(0);
    const verified = await verifyProjections(db, TTL);
    return {
      verified,
      projections: await queryRows(
        db,
        `SELECT id, agent_id, team_id, amount, currency, channel, order_number, reason, customer_name, customer_phone,
           status, created_at, sent_at, opened_at, paid_at, closed_at, expires_at, expiry_due_at, send_failures,
           last_event_at
         FROM payment_requests ORDER BY id`,
      ),
      events: await queryRows(
        db,
        "SELECT id, request_id, type, occurred_at, anomaly FROM events WHERE source = 'api' ORDER BY id",
      ),
      teams: await queryRows(db, 'SELECT id, name FROM teams ORDER BY id'),
      agents: await queryRows(db, 'SELECT id, name, team_id FROM agents ORDER BY id'),
    };
  } finally {
    await closeDatabase(db);
  }
}

/** A fresh SQLite database file, migrated here: the postgres project's setup builds no SQLite base. */
async function sqliteFile(): Promise<string> {
  const file = join(TEST_TMP, `acceptance-${randomUUID()}.db`);
  const db = openDatabase(file);
  migrateDatabase(db);
  await closeDatabase(db);
  return file;
}

const servers: TestServer[] = [];
let stream: Stream;
let plan: Delivery[];
let reference: { server: TestServer; token: string; tally: Tally };

beforeAll(async () => {
  stream = generatedStream();
  plan = deliveries(stream.events);
  // On the postgres project too: the child is given the SQLite file as DATABASE_URL.
  const server = await startServer(SERVER_ENV, { dbFile: await sqliteFile() });
  servers.push(server);
  const tally = { accepted: 0, duplicates: 0, rejected: 0 };
  reference = { server, token: await managerToken(server.dbFile), tally };
  for (const { batch, both } of plan) {
    await post(server, batch, tally);
    if (both) await post(server, batch, tally);
  }
}, 120_000);

afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()));
});

/** Events offered in all, counting every resend. */
const offered = () => plan.reduce((sum, { batch, both }) => sum + batch.length * (both ? 2 : 1), 0);

describe('a generated stream, shuffled, with duplicates and late events', () => {
  it('one SQLite server that received it in one place ends with the generator’s outcome', async () => {
    const distinct = new Set(stream.events.map((event) => event.id)).size;
    expect(distinct).toBe(stream.events.length);
    expect(reference.tally).toEqual({ accepted: distinct, duplicates: offered() - distinct, rejected: 0 });

    const { rows, summary } = await answers(reference.server, reference.token);
    const sent = [...stream.expected].filter(([, request]) => request.sent);
    expect(Object.fromEntries(rows.map((row) => [row.id, [row.status, row.amount, row.currency]]))).toEqual(
      Object.fromEntries(sent.map(([id, request]) => [id, [request.status, request.amount, request.currency]])),
    );
    const count = (status: Status) => sent.filter(([, request]) => request.status === status).length;
    const collected: Record<string, number> = {};
    for (const [, request] of sent) {
      if (request.status === 'paid') collected[request.currency] = (collected[request.currency] ?? 0) + request.amount;
    }
    expect(count('paid')).toBeGreaterThan(50);
    expect(count('expired')).toBeGreaterThan(10);
    expect(summary).toMatchObject({
      sent: sent.length,
      paid: count('paid'),
      declined: count('declined'),
      expired: count('expired'),
      canceled: count('canceled'),
      inFlight: 0,
      collected,
    });
    console.log(
      `acceptance: ${stream.events.length} events in ${plan.length} batches (${offered()} offered); ${sent.length} ` +
        `sent: paid ${count('paid')}, declined ${count('declined')}, expired ${count('expired')}, canceled ` +
        `${count('canceled')}; collected ${JSON.stringify(collected)}`,
    );

    const { verified, projections, events } = await stored(reference.server.dbFile);
    expect(verified).toEqual({ checked: REQUESTS, different: [] });
    const late = events.filter((event) => String(event.id).startsWith('evt_late_'));
    expect(late.length).toBeGreaterThan(10);
    expect(late.filter((event) => event.anomaly !== 'after_terminal')).toEqual([]);
    expect(
      Object.fromEntries(projections.map((row) => [row.id, [row.status, Number(row.amount), row.currency]])),
    ).toEqual(
      Object.fromEntries(
        [...stream.expected].map(([id, request]) => [id, [request.status, request.amount, request.currency]]),
      ),
    );
  });

  it.runIf(ON_POSTGRES)(
    'two PostgreSQL instances on one database, sent it alternately and both at once, end equal to the SQLite server',
    async () => {
      const first = await startServer(SERVER_ENV);
      servers.push(first);
      const second = await startServer(
        { ...SERVER_ENV, WEBHOOK_SECRET: first.webhookSecret },
        { dbFile: first.dbFile },
      );
      servers.push(second);
      expect(first.dbFile).toMatch(/^postgres/);
      const token = await managerToken(first.dbFile);
      const tally = { accepted: 0, duplicates: 0, rejected: 0 };
      // Rounds of IN_FLIGHT deliveries at once, alternating instances; a batch for both goes to each.
      for (let start = 0; start < plan.length; start += IN_FLIGHT) {
        await Promise.all(
          plan.slice(start, start + IN_FLIGHT).flatMap(({ batch, both }, offset) => {
            const [mine, other] = (start + offset) % 2 ? [second, first] : [first, second];
            return both ? [post(mine, batch, tally), post(other, batch, tally)] : [post(mine, batch, tally)];
          }),
        );
      }
      expect(tally).toEqual(reference.tally);

      const expected = await answers(reference.server, reference.token);
      for (const server of [first, second]) {
        const { rows, summary, agents } = await answers(server, token);
        expect(rows).toEqual(expected.rows);
        expect(summary).toEqual(expected.summary);
        expect(agents).toEqual(expected.agents);
      }
      const [mine, theirs] = [await stored(first.dbFile), await stored(reference.server.dbFile)];
      expect(mine.verified).toEqual({ checked: REQUESTS, different: [] });
      expect(mine.projections).toEqual(theirs.projections);
      expect(mine.events).toEqual(theirs.events);
      expect(mine.events.length).toBe(stream.events.length);
      expect(mine.teams).toEqual(theirs.teams);
      expect(mine.agents).toEqual(theirs.agents);
    },
    180_000,
  );
});
