import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Viewer } from '../../app/domain/access';
import { createExport } from '../../app/read/exports/exports.server';
import { parseFilters } from '../../app/read/filters';
import { type Db, onPostgres } from '../../db/client';
import { agents, paymentRequests, teams } from '../../db/tables';
import { closeTestDb, createTestDb } from '../support/db';

// payment-requests.csv on either engine (issue 13): on PostgreSQL the rows come from a server-side
// cursor on a client of the export's own; on SQLite from the export's own connection. Same bytes.

const manager: Viewer = { userId: 'usr_m', name: 'Mia', role: 'manager', scope: { kind: 'all' } };
const supervisor: Viewer = {
  userId: 'usr_s',
  name: 'Sam',
  role: 'supervisor',
  scope: { kind: 'teams', teamIds: ['tm_sales'] },
};
const filters = parseFilters(new URLSearchParams('from=2026-11-01&to=2026-11-03&tz=America/New_York'), 'UTC');
// 07:00 in New York: the clocks went back to EST (-05:00) at 06:00Z that day.
const T = Date.parse('2026-11-01T12:00:00Z');

const HEADER =
  'request_id,order_number,agent_id,agent_name,team_id,team_name,channel,currency,amount,status,created_at,sent_at,opened_at,closed_at,seconds_to_pay,reason,customer_phone\r\n';
const ROW_A =
  'pr_a,SO-1,ag_1,Thandi Mokoena,tm_retail,Retail,sms,USD,12.34,paid,2026-11-01T07:00:00.000-05:00,2026-11-01T07:01:00.000-05:00,2026-11-01T07:02:00.000-05:00,2026-11-01T07:03:00.000-05:00,120,Dress,*******4567\r\n';
const ROW_B = `pr_b,'=1+2,ag_2,"Lee, ""Sam""",tm_sales,Sales,whatsapp,JPY,5000,sent,2026-11-01T08:00:00.000-05:00,2026-11-01T08:01:00.000-05:00,,,,Shoes,*******9876\r\n`;

let db: Db;

async function insertFixture(extra = 0) {
  await db.insert(teams).values([
    { id: 'tm_retail', name: 'Retail', createdAt: 0 },
    { id: 'tm_sales', name: 'Sales', createdAt: 0 },
  ]);
  await db.insert(agents).values([
    { id: 'ag_1', name: 'Thandi Mokoena', teamId: 'tm_retail', createdAt: 0 },
    { id: 'ag_2', name: 'Lee, "Sam"', teamId: 'tm_sales', createdAt: 0 },
  ]);
  const base = { channel: 'sms' as const, customerName: null, sendFailures: 0, updatedAt: T };
  await db.insert(paymentRequests).values([
    {
      ...base,
      id: 'pr_a',
      agentId: 'ag_1',
      teamId: 'tm_retail',
      amount: 1234,
      currency: 'USD',
      orderNumber: 'SO-1',
      reason: 'Dress',
      customerPhone: '+15551234567',
      status: 'paid',
      createdAt: T,
      sentAt: T + 60_000,
      openedAt: T + 120_000,
      paidAt: T + 180_000,
      closedAt: T + 180_000,
      lastEventAt: T + 180_000,
    },
    {
      ...base,
      id: 'pr_b',
      agentId: 'ag_2',
      teamId: 'tm_sales',
      amount: 5000,
      currency: 'JPY',
      channel: 'whatsapp',
      orderNumber: '=1+2',
      reason: 'Shoes',
      customerPhone: '+15559879876',
      status: 'sent',
      createdAt: T + 3_600_000,
      sentAt: T + 3_660_000,
      expiresAt: T + 3_960_000,
      lastEventAt: T + 3_660_000,
    },
  ]);
  for (let start = 0; start < extra; start += 1000) {
    await db.insert(paymentRequests).values(
      Array.from({ length: Math.min(1000, extra - start) }, (_, offset) => ({
        ...base,
        id: `pr_x${String(start + offset).padStart(6, '0')}`,
        agentId: 'ag_1',
        teamId: 'tm_retail',
        amount: 100,
        currency: 'USD',
        orderNumber: `SO-X${start + offset}`,
        reason: 'Bulk',
        customerPhone: '+15550000000',
        status: 'sent' as const,
        createdAt: T + 7_200_000,
        sentAt: T + 7_200_000 + start + offset,
        lastEventAt: T + 7_200_000,
      })),
    );
  }
}

async function exportText(viewer: Viewer): Promise<{ text: string; rows: number; completed: boolean }> {
  let ended!: { rows: number; completed: boolean };
  const { stream } = await createExport(
    db,
    { report: 'payment-requests', format: 'csv', filters, viewer },
    (result) => {
      ended = result;
    },
    T,
    { workers: 0 },
  );
  const text = await new Response(stream).text();
  return { text, ...ended };
}

beforeEach(async () => {
  db = (await createTestDb()).db;
});
afterEach(async () => {
  await closeTestDb(db);
});

describe('payment-requests.csv on this engine', () => {
  it('writes every row of S in sentAt order for a manager, only their teams for a supervisor', async () => {
    await insertFixture();
    expect(await exportText(manager)).toEqual({ text: HEADER + ROW_A + ROW_B, rows: 2, completed: true });
    expect(await exportText(supervisor)).toEqual({ text: HEADER + ROW_B, rows: 1, completed: true });
  });

  it('streams rows past one fetch, in order, and gives its connection back when the reader goes away', async () => {
    await insertFixture(4500);
    const all = await exportText(manager);
    expect(all.rows).toBe(4502);
    const ids = all.text
      .split('\r\n')
      .slice(1, -1)
      .map((line) => line.slice(0, line.indexOf(',')));
    expect(ids.slice(0, 3)).toEqual(['pr_a', 'pr_b', 'pr_x000000']);
    expect(ids.at(-1)).toBe('pr_x004499');
    expect(new Set(ids).size).toBe(4502);

    let ended: { rows: number; completed: boolean } | undefined;
    const { stream } = await createExport(
      db,
      { report: 'payment-requests', format: 'csv', filters, viewer: manager },
      (result) => {
        ended = result;
      },
      T,
      { workers: 0 },
    );
    const reader = stream.getReader();
    expect((await reader.read()).done).toBe(false);
    await reader.cancel();
    await expect.poll(() => ended?.completed, { timeout: 10_000 }).toBe(false);
    if (onPostgres(db)) {
      // The cursor's client was released (rolled back), not kept checked out.
      await expect.poll(() => db.$pg!.pool.totalCount - db.$pg!.pool.idleCount, { timeout: 10_000 }).toBe(0);
    }
  });
});
