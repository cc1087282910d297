import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDatabase, type Db, openDatabaseUrl } from '../../db/client';
import { queryRow, queryRows } from '../support/db';
import { startServer, type TestServer } from '../support/server';
import { addUserAt, signInOverHttp } from '../support/users';
import { seedAgents } from './payment-request-fixtures';

async function count(db: Db, table: string): Promise<number> {
  return (await queryRow<{ n: number }>(db, `SELECT count(*) AS n FROM ${table}`))!.n;
}

describe('the agent console send form (HTTP)', () => {
  let server: TestServer;
  let cookie: string;
  let db: Db;

  beforeAll(async () => {
    server = await startServer();
    db = openDatabaseUrl(server.dbFile);
    await seedAgents(db);
    const { email } = await addUserAt(server.dbFile, { role: 'agent', agentId: 'ag_17', teamIds: ['tm_retail'] });
    ({ cookie } = await signInOverHttp(server.url, email));
  });
  afterAll(async () => {
    await closeDatabase(db);
    await server.stop();
  });

  const fields = {
    customerPhone: '+27 82 123 4567',
    customerName: 'Valeria',
    orderNumber: 'SO-CONSOLE-1',
    amount: '361.21',
    currency: 'USD',
    reason: 'Floral Oasis Dress',
    channel: 'whatsapp',
  };
  const formKey = (html: string) => /<input type="hidden" name="idempotencyKey" value="([^"]+)"\/>/.exec(html)?.[1];
  const page = async () => (await fetch(`${server.url}/agent`, { headers: { cookie } })).text();
  const submit = (form: Record<string, string>) =>
    fetch(`${server.url}/agent`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.url, cookie },
      body: new URLSearchParams({ ...form, intent: 'send' }).toString(),
    });
  const consoleRequests = async () =>
    await queryRows<{ id: string; order_number: string; amount: number }>(
      db,
      "SELECT id, order_number, amount FROM payment_requests WHERE order_number LIKE 'SO-CONSOLE-%'",
    );

  it('renders a key per form and sends a double-submitted form once', async () => {
    const key = formKey(await page());
    expect(key).toMatch(/^[0-9a-f-]{36}$/);
    expect(formKey(await page())).not.toBe(key);

    const [first, second] = await Promise.all([
      submit({ ...fields, idempotencyKey: key! }),
      submit({ ...fields, idempotencyKey: key! }),
    ]);
    const created = await consoleRequests();
    expect(created).toEqual([{ id: expect.stringMatching(/^pr_/), order_number: 'SO-CONSOLE-1', amount: 36121 }]);
    const location = `/agent?sent=${created[0]!.id}`;
    expect([first.status, first.headers.get('location')]).toEqual([302, location]);
    expect([second.status, second.headers.get('location')]).toEqual([302, location]);

    // The page resubmitted later (back button, a retry after a timeout) lands on the same request.
    const again = await submit({ ...fields, idempotencyKey: key! });
    expect([again.status, again.headers.get('location')]).toEqual([302, location]);
    expect((await consoleRequests()).length).toBe(1);
    expect(await count(db, 'outbound_messages')).toBe(1);
  });

  it('refuses other details under a used key and hands the form a new key', async () => {
    const key = formKey(await page())!;
    expect((await submit({ ...fields, orderNumber: 'SO-CONSOLE-2', idempotencyKey: key })).status).toBe(302);
    const edited = await submit({ ...fields, orderNumber: 'SO-CONSOLE-2', amount: '99.00', idempotencyKey: key });
    expect(edited.status).toBe(422);
    const html = await edited.text();
    expect(html).toContain(
      'This form already sent a request with other details. Check your requests, then send again if you still need this one.',
    );
    const fresh = formKey(html);
    expect(fresh).toMatch(/^[0-9a-f-]{36}$/);
    expect(fresh).not.toBe(key);
    expect(
      (await submit({ ...fields, orderNumber: 'SO-CONSOLE-2', amount: '99.00', idempotencyKey: fresh! })).status,
    ).toBe(302);
    expect(
      (await consoleRequests())
        .filter((row) => row.order_number === 'SO-CONSOLE-2')
        .map((row) => row.amount)
        .sort(),
    ).toEqual([36121, 9900]);
  });

  it('shows a refused form back with a card number typed into it masked, never whole (session 36)', async () => {
    const card = '4111 1111 1111 1111';
    const stored = await count(db, 'payment_requests');
    const refused = await submit({
      ...fields,
      customerName: `Valeria ${card}`,
      orderNumber: card,
      reason: `card ${card}`,
      amount: card,
      idempotencyKey: formKey(await page())!,
    });
    const html = await refused.text();
    const shown = (name: string) => new RegExp(`<input name="${name}"[^>]*? value="([^"]*)"`).exec(html)?.[1];
    expect({
      status: refused.status,
      whole: /4111[ ]?1111[ ]?1111[ ]?1111/.test(html),
      name: shown('customerName'),
      order: shown('orderNumber'),
      reason: shown('reason'),
      amount: shown('amount'),
      phone: shown('customerPhone'),
    }).toEqual({
      status: 400,
      whole: false,
      name: 'Valeria **** **** **** 1111',
      order: '**** **** **** 1111',
      reason: 'card **** **** **** 1111',
      amount: '**** **** **** 1111',
      phone: '+27 82 123 4567',
    });
    expect(await count(db, 'payment_requests')).toBe(stored);
  });
});
