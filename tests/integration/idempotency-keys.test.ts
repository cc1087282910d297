import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Viewer } from '../../app/domain/access';
import { createPaymentRequestFromApi } from '../../app/http/payment-requests-api.server';
import { createServiceToken } from '../../app/write/api-tokens.server';
import type { ChannelAdapter, SendResult } from '../../app/write/channels/channel-adapter';
import { IDEMPOTENCY_KEY_TTL_MS } from '../../app/write/idempotency-keys.server';
import { ABANDONED_CREATE_MS } from '../../app/write/payment-request-commands.server';
import { closeDatabase, type Db, openDatabaseUrl, sqlRun } from '../../db/client';
import { closeTestDb, createTestDb, queryRow, queryRows } from '../support/db';
import { T0 } from '../support/events';
import { startServer, type TestServer } from '../support/server';
import { addUser } from '../support/users';
import { seedAgents } from './payment-request-fixtures';

const body = {
  customer: { phone: '+27 82 123 4567', name: 'Valeria' },
  orderNumber: 'SO-1001',
  amount: 36121,
  currency: 'USD',
  reason: 'Floral Oasis Dress',
  channel: 'whatsapp',
};
// The same body as canonical JSON (keys sorted), written out by hand: what the stored hash is of.
const BODY_HASH = createHash('sha256')
  .update(
    '{"amount":36121,"channel":"whatsapp","currency":"USD","customer":{"name":"Valeria","phone":"+27 82 123 4567"},"orderNumber":"SO-1001","reason":"Floral Oasis Dress"}',
  )
  .digest('hex');

const REUSED = {
  error: { code: 'idempotency_key_reused', message: 'This Idempotency-Key was already used with a different body' },
};
const IN_USE = {
  error: { code: 'idempotency_key_in_use', message: 'The first request with this key is still being sent' },
};

async function count(db: Db, table: string): Promise<number> {
  return ((await queryRow(db, `SELECT count(*) AS n FROM ${table}`)) as { n: number }).n;
}

describe('Idempotency-Key on POST /api/v1/payment-requests (HTTP)', () => {
  let server: TestServer;
  let thandi: { token: string; userId: string };
  let sam: { token: string; userId: string };
  let db: Db;

  beforeAll(async () => {
    server = await startServer();
    db = openDatabaseUrl(server.dbFile);
    await seedAgents(db);
    thandi = await createServiceToken(db, { role: 'agent', name: 'thandi', agentId: 'ag_17' });
    sam = await createServiceToken(db, { role: 'agent', name: 'sam', agentId: 'ag_40' });
  });
  afterAll(async () => {
    await closeDatabase(db);
    await server.stop();
  });

  function post(bearer: string, key: string | null, payload: unknown = body) {
    return fetch(`${server.url}/api/v1/payment-requests`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${bearer}`,
        ...(key === null ? {} : { 'idempotency-key': key }),
      },
      body: typeof payload === 'string' ? payload : JSON.stringify(payload),
    });
  }
  const requestsOf = async (agentId: string) =>
    await queryRows(db, 'SELECT id FROM payment_requests WHERE agent_id = ? ORDER BY created_at, id', agentId);

  it('replays the first answer to a retry with the same key and body, without creating or sending again', async () => {
    const before = { requests: await count(db, 'payment_requests'), messages: await count(db, 'outbound_messages') };
    const first = await post(thandi.token, 'order-SO-1001-try');
    const firstText = await first.text();
    const created = JSON.parse(firstText) as { id: string; status: string };
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(created.status).toBe('sent');

    // The same JSON with its keys in another order and other spacing is the same body.
    const reordered = `{ "channel": "whatsapp", "reason": "Floral Oasis Dress", "currency": "USD", "amount": 36121,
      "orderNumber": "SO-1001", "customer": { "name": "Valeria", "phone": "+27 82 123 4567" } }`;
    for (const payload of [body, reordered]) {
      const retry = await post(thandi.token, 'order-SO-1001-try', payload);
      expect(retry.status).toBe(201);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect(retry.headers.get('location')).toBe(`/api/v1/payment-requests/${created.id}`);
      expect(retry.headers.get('content-type')).toBe(first.headers.get('content-type'));
      expect(await retry.text()).toBe(firstText);
    }
    expect(await count(db, 'payment_requests')).toBe(before.requests + 1);
    expect(await count(db, 'outbound_messages')).toBe(before.messages + 1);
    expect(await queryRows(db, "SELECT * FROM idempotency_keys WHERE key = 'order-SO-1001-try'")).toEqual([
      {
        user_id: thandi.userId,
        key: 'order-SO-1001-try',
        body_hash: BODY_HASH,
        request_id: created.id,
        response_status: 201,
        response_body: firstText,
        created_at: expect.any(Number),
      },
    ]);
  });

  it('replays the original answer even after the request moved on', async () => {
    const first = await post(thandi.token, 'cancel-later');
    const firstText = await first.text();
    const { id } = JSON.parse(firstText) as { id: string };
    const cancel = await fetch(`${server.url}/api/v1/payment-requests/${id}/cancel`, {
      method: 'POST',
      headers: { authorization: `Bearer ${thandi.token}` },
    });
    expect(cancel.status).toBe(200);
    const retry = await post(thandi.token, 'cancel-later');
    expect(retry.status).toBe(201);
    expect(await retry.text()).toBe(firstText);
    expect((JSON.parse(firstText) as { status: string }).status).toBe('sent');
  });

  it('answers 422 idempotency_key_reused to the same key with another body, creating nothing', async () => {
    expect((await post(thandi.token, 'reused-key')).status).toBe(201);
    const before = await count(db, 'payment_requests');
    for (const payload of [
      { ...body, amount: 36122 },
      { ...body, customer: { phone: '+27821234567', name: 'Valeria' } },
    ]) {
      const response = await post(thandi.token, 'reused-key', payload);
      expect(response.status).toBe(422);
      expect(await response.json()).toEqual(REUSED);
    }
    expect(await count(db, 'payment_requests')).toBe(before);
  });

  it('answers 400 naming the header to a malformed key, creating nothing', async () => {
    const before = await count(db, 'payment_requests');
    // Our server hands an empty header to the app as it came (remix-serve's adapter dropped it).
    const cases: [string, string][] = [
      ['', 'Idempotency-Key must not be empty'],
      ['k'.repeat(256), 'Idempotency-Key must be at most 255 characters'],
      ['tab\there', 'Idempotency-Key must be printable ASCII characters'],
      ['clé', 'Idempotency-Key must be printable ASCII characters'],
    ];
    for (const [key, message] of cases) {
      const response = await post(thandi.token, key);
      expect(response.status, JSON.stringify(key)).toBe(400);
      expect(await response.json()).toEqual({
        error: { code: 'invalid_idempotency_key', message, field: 'Idempotency-Key' },
      });
    }
    expect(await count(db, 'payment_requests')).toBe(before);
    // The longest key allowed, with spaces and punctuation.
    const longest = `a key: ${'~'.repeat(248)}`;
    expect(longest.length).toBe(255);
    expect((await post(thandi.token, longest)).status).toBe(201);
    expect((await post(thandi.token, longest)).headers.get('idempotent-replayed')).toBe('true');
    expect(await count(db, 'payment_requests')).toBe(before + 1);
  });

  it('scopes keys per user: another agent with the same key creates their own request', async () => {
    const mine = await post(thandi.token, 'shared-key');
    const theirs = await post(sam.token, 'shared-key');
    const theirsAgain = await post(sam.token, 'shared-key', { ...body, orderNumber: 'SO-9' });
    expect([mine.status, theirs.status, theirsAgain.status]).toEqual([201, 201, 422]);
    expect(theirs.headers.get('idempotent-replayed')).toBeNull();
    const [a, b] = [(await mine.json()) as { id: string }, (await theirs.json()) as { id: string; agent: unknown }];
    expect(b.id).not.toBe(a.id);
    expect(b.agent).toEqual({ id: 'ag_40', name: 'Sam Lee' });
    expect(
      await queryRows(
        db,
        "SELECT user_id, request_id FROM idempotency_keys WHERE key = 'shared-key' ORDER BY created_at",
      ),
    ).toEqual([
      { user_id: thandi.userId, request_id: a.id },
      { user_id: sam.userId, request_id: b.id },
    ]);
  });

  it('creates every time without the header, as before', async () => {
    const before = await count(db, 'payment_requests');
    const [first, second] = [await post(thandi.token, null), await post(thandi.token, null)];
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(second.headers.get('idempotent-replayed')).toBeNull();
    expect(await count(db, 'payment_requests')).toBe(before + 2);
  });

  it('creates one request when retries with the same key race the first', async () => {
    const before = (await requestsOf('ag_17')).length;
    const responses = await Promise.all(Array.from({ length: 8 }, () => post(thandi.token, 'raced-key')));
    const answers = await Promise.all(
      responses.map(async (response) => ({
        status: response.status,
        replayed: response.headers.get('idempotent-replayed'),
        text: await response.text(),
      })),
    );
    expect((await requestsOf('ag_17')).length).toBe(before + 1);
    const firsts = answers.filter((answer) => answer.status === 201 && answer.replayed === null);
    expect(firsts.length).toBe(1);
    for (const answer of answers) {
      if (answer.status === 201) expect(answer.text).toBe(firsts[0]!.text);
      else expect({ status: answer.status, body: JSON.parse(answer.text) }).toEqual({ status: 409, body: IN_USE });
    }
  });
});

describe('Idempotency-Key at the service (fake clock, held channel)', () => {
  let db: Db;
  let viewer: Viewer;
  let other: Viewer;
  let clockAt: number;
  const clock = () => clockAt;

  beforeEach(async () => {
    db = (await createTestDb()).db;
    await seedAgents(db);
    clockAt = T0;
    const agent = async (agentId: string): Promise<Viewer> => ({
      userId: (await addUser(db, { role: 'agent', agentId })).id,
      name: agentId,
      role: 'agent',
      scope: { kind: 'agent', agentId },
    });
    viewer = await agent('ag_17');
    other = await agent('ag_40');
  });
  afterEach(() => closeTestDb(db));

  const call = async (key: string, payload: unknown = body, who = viewer, channel?: ChannelAdapter) =>
    await createPaymentRequestFromApi(
      db,
      who,
      new Request('https://desk.test/api/v1/payment-requests', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify(payload),
      }),
      { clock, channel },
    );

  it('keeps a key 24 hours: replays up to the last millisecond, then creates anew and forgets old keys', async () => {
    const first = await call('day-key');
    const firstText = await first.text();
    await call('other-user-key', body, other);
    expect(await count(db, 'idempotency_keys')).toBe(2);

    clockAt = T0 + IDEMPOTENCY_KEY_TTL_MS - 1;
    const late = await call('day-key');
    expect([late.status, late.headers.get('idempotent-replayed'), await late.text()]).toEqual([201, 'true', firstText]);
    expect((await call('day-key', { ...body, amount: 1 })).status).toBe(422);
    expect(await count(db, 'payment_requests')).toBe(2);

    clockAt = T0 + IDEMPOTENCY_KEY_TTL_MS;
    const next = await call('day-key', { ...body, amount: 1 });
    expect([next.status, next.headers.get('idempotent-replayed')]).toEqual([201, null]);
    const nextBody = (await next.json()) as { id: string; amount: number; createdAt: string };
    expect(nextBody).toMatchObject({ amount: 1, createdAt: new Date(T0 + IDEMPOTENCY_KEY_TTL_MS).toISOString() });
    expect(await count(db, 'payment_requests')).toBe(3);
    // Writing deleted every key older than 24 h, the other user's included.
    expect(await queryRows(db, 'SELECT user_id, key, request_id, created_at FROM idempotency_keys')).toEqual([
      { user_id: viewer.userId, key: 'day-key', request_id: nextBody.id, created_at: T0 + IDEMPOTENCY_KEY_TTL_MS },
    ]);
  });

  it('answers 400 to an empty key', async () => {
    const response = await call('');
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: {
        code: 'invalid_idempotency_key',
        message: 'Idempotency-Key must not be empty',
        field: 'Idempotency-Key',
      },
    });
    expect(await count(db, 'payment_requests')).toBe(0);
  });

  /** A channel that answers `result` and counts its sends. */
  const counting = (result: SendResult) => {
    const channel = {
      name: 'counting',
      sends: 0,
      send: async () => {
        channel.sends++;
        return result;
      },
    };
    return channel;
  };

  it('finishes a create whose instance never answered once ABANDONED_CREATE_MS have passed: its link sent once', async () => {
    // The instance that claimed the key died while sending: its channel never answers.
    const dead: ChannelAdapter = { name: 'dead', send: () => new Promise<never>(() => {}) };
    void call('dead-key', body, viewer, dead);
    await expect.poll(() => count(db, 'idempotency_keys'), { timeout: 10_000 }).toBe(1);
    const channel = counting({ status: 'delivered', messageId: 'msg_1' });

    clockAt = T0 + ABANDONED_CREATE_MS - 1;
    expect((await call('dead-key', body, viewer, channel)).status).toBe(409);
    clockAt = T0 + ABANDONED_CREATE_MS;
    const finished = await call('dead-key', body, viewer, channel);
    const finishedText = await finished.text();
    expect([finished.status, finished.headers.get('idempotent-replayed')]).toEqual([201, 'true']);
    expect(JSON.parse(finishedText)).toMatchObject({ status: 'sent', sendFailureReason: null });
    const again = await call('dead-key', body, viewer, channel);
    expect([again.status, await again.text()]).toEqual([201, finishedText]);
    expect(channel.sends).toBe(1);
    expect(await queryRows(db, 'SELECT status FROM payment_requests')).toEqual([{ status: 'sent' }]);
  });

  it('answers a create sent but never answered with the request as it stands, sending nothing again', async () => {
    const channel = counting({ status: 'failed', messageId: 'msg_1', reason: 'recipient_unreachable' });
    const first = await call('lost-key', body, viewer, channel);
    const firstText = await first.text();
    expect(JSON.parse(firstText)).toMatchObject({ status: 'send_failed', sendFailureReason: 'recipient_unreachable' });
    // The instance died after the send, before it recorded the answer.
    await sqlRun(db, 'UPDATE idempotency_keys SET response_status = NULL, response_body = NULL');

    clockAt = T0 + ABANDONED_CREATE_MS;
    const replayed = await call('lost-key', body, viewer, channel);
    expect([replayed.status, replayed.headers.get('idempotent-replayed'), await replayed.text()]).toEqual([
      201,
      'true',
      firstText,
    ]);
    expect(channel.sends).toBe(1);
  });

  it('answers 409 while the first request is still sending, then replays its answer', async () => {
    let release!: (result: SendResult) => void;
    let started!: () => void;
    const sending = new Promise<void>((resolve) => {
      started = resolve;
    });
    const held: ChannelAdapter = {
      name: 'held',
      send: () => {
        started();
        return new Promise((resolve) => {
          release = resolve;
        });
      },
    };
    const first = call('held-key', body, viewer, held);
    await sending;

    const second = await call('held-key', body, viewer, held);
    expect(second.status).toBe(409);
    expect(second.headers.get('retry-after')).toBe('1');
    expect(await second.json()).toEqual(IN_USE);
    expect((await call('held-key', { ...body, amount: 2 }, viewer, held)).status).toBe(422);
    expect(await queryRows(db, 'SELECT status FROM payment_requests')).toEqual([{ status: 'created' }]);
    expect(await queryRow(db, 'SELECT response_status, response_body FROM idempotency_keys')).toEqual({
      response_status: null,
      response_body: null,
    });

    release({ status: 'delivered', messageId: 'msg_1' });
    const done = await first;
    const doneText = await done.text();
    expect([done.status, (JSON.parse(doneText) as { status: string }).status]).toEqual([201, 'sent']);
    const third = await call('held-key', body, viewer, held);
    expect([third.status, third.headers.get('idempotent-replayed'), await third.text()]).toEqual([
      201,
      'true',
      doneText,
    ]);
    expect(await count(db, 'payment_requests')).toBe(1);
  });
});
