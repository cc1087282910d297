import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ingestEvents } from '../../app/write/ingest.server';
import { type Db, onPostgres } from '../../db/client';
import { closeTestDb, createTestDb, queryRow } from '../support/db';
import { at, created, MINUTE } from '../support/events';
import { storedBytes } from '../support/stored-bytes';

const SETTINGS = { ttlUnopenedMs: 5 * MINUTE, ttlOpenedMs: 15 * MINUTE };
const NOW = Date.parse('2026-11-20T12:00:00.000Z');

// Luhn-valid numbers, one per place, so a leak names its place.
const PANS = {
  agentName: '4111111111111111',
  teamName: '5555555555554444',
  reason: '4012888888881881',
  orderNumber: '378282246310005',
  customerName: '6011111111111117',
  dataRefNumber: '4222222222222',
  dataId: '3530111333300000',
  dataPhone: '30569309025904',
  cardBrand: '6011000990139424',
  key: '5105105105105100',
  rejectedNumber: '4000056655665556',
  rejectedKey: '5200828282828210',
  eventId: '4242424242424242',
  agentId: '4000002500003155',
  phone: '4000000000003220',
  amount: '4000000000000077',
};

const group = (pan: string, separator: string) => pan.match(/.{1,4}/g)!.join(separator);
const fullWidth = (pan: string) => Array.from(pan, (d) => String.fromCharCode(0xff10 + Number(d))).join('');

describe('card numbers never reach the database, its file or its WAL (PCI DSS)', () => {
  let db: Db;
  let file: string;
  beforeEach(async () => {
    ({ db, file } = await createTestDb());
    // SQLite only: everything stays in the WAL until we read it, nothing checkpointed into the main file meanwhile.
    if (!onPostgres(db)) db.$client.pragma('wal_autocheckpoint = 0');
  });
  afterEach(() => closeTestDb(db));

  it('masks or refuses a PAN in every field, key and number, accepted or rejected', async () => {
    const base = created('pr_pan_1', 0, {
      agentName: `Agent ${group(PANS.agentName, '.')}`,
      teamName: `Team ${group(PANS.teamName, '\u00A0')}`,
      reason: `Dress ${group(PANS.reason, '\u200B')}`,
      orderNumber: group(PANS.orderNumber, '/'),
    });
    base.paymentRequest.customer.name = `Val ${fullWidth(PANS.customerName)}`;
    const createdEvent = {
      ...base,
      data: { ref: Number(PANS.dataRefNumber), id: PANS.dataId, phone: group(PANS.dataPhone, '_'), [PANS.key]: 'x' },
    };
    const paid = {
      id: 'evt_pr_pan_1_paid',
      type: 'payment_request.paid',
      occurredAt: at(MINUTE),
      paymentRequest: { id: 'pr_pan_1' },
      data: { card: { brand: group(PANS.cardBrand, '  '), last4: '9424' } },
    };
    const rejectedWithNumber = {
      ...created('pr_pan_2'),
      id: 'evt_pan_2',
      data: { ref: Number(PANS.rejectedNumber) },
      type: 'nope',
    };
    const rejectedKey = {
      ...paid,
      id: 'evt_pan_3',
      data: { card: { brand: 'Visa', last4: '1111', [PANS.rejectedKey]: 1 } },
    };
    const cardId = { ...created('pr_pan_4'), id: `evt_${PANS.eventId}` };
    const cardAgentId = created('pr_pan_5', 0, { agentId: `ag-${group(PANS.agentId, '-')}` });
    const longPhone = created('pr_pan_6');
    longPhone.paymentRequest.customer.phone = PANS.phone;
    const cardAmount = created('pr_pan_7', 0, { amount: Number(PANS.amount) });

    const summary = await ingestEvents(
      db,
      [createdEvent, paid, rejectedWithNumber, rejectedKey, cardId, cardAgentId, longPhone, cardAmount],
      'api',
      { now: NOW, settings: SETTINGS },
    );
    expect(summary.results.map((result) => (result.status === 'rejected' ? result.error.code : result.status))).toEqual(
      [
        'accepted',
        'accepted',
        'invalid_type',
        'card_data_not_allowed',
        'card_data_not_allowed',
        'card_data_not_allowed',
        'invalid_phone',
        'invalid_amount',
      ],
    );
    // The stored names are masked too (they were written from the unmasked event).
    expect(await queryRow(db, 'SELECT name FROM agents WHERE id = ?', 'ag_17')).toEqual({
      name: 'Agent ****.****.****.1111',
    });
    expect(await queryRow(db, 'SELECT name FROM teams WHERE id = ?', 'tm_retail')).toEqual({
      name: 'Team ****\u00A0****\u00A0****\u00A04444',
    });

    // SQLite: the WAL holds this test's writes (autocheckpoint is off), so it must be read too.
    if (!onPostgres(db)) expect(readFileSync(`${file}-wal`).length).toBeGreaterThan(0);
    const bytes = await storedBytes(db, file);
    for (const [place, pan] of Object.entries(PANS)) {
      expect(bytes.includes(pan), `${place}: ${pan}`).toBe(false);
      expect(bytes.includes(Buffer.from(fullWidth(pan)).toString('latin1')), `${place} full-width`).toBe(false);
      for (const separator of ['.', '\u00A0', '\u200B', '/', '_', '  ', '-']) {
        expect(bytes.includes(Buffer.from(group(pan, separator)).toString('latin1')), `${place} ${separator}`).toBe(
          false,
        );
      }
    }
    // Last fours stay, so a person can still tell cards apart.
    expect(bytes.includes('****.****.****.1111')).toBe(true);
  });
});
