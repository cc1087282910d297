import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Viewer } from '../../app/domain/access';
import { createExport } from '../../app/read/exports/exports.server';
import { countExportAgents, countExportRequests } from '../../app/read/exports/rows.server';
import { parseFilters } from '../../app/read/filters';
import {
  getAgentLeaderboard,
  getMetricsSummary,
  getMetricsTimeseries,
  getTrend,
} from '../../app/read/metrics/metrics.server';
import { ingestEvents } from '../../app/write/ingest.server';
import type { Db } from '../../db/client';
import { closeTestDb, createTestDb } from '../support/db';

/**
 * Every number of the metrics views and exports against an oracle computed here from the events
 * and SPEC §3 (zone readings from Intl, not the app's zone code): a few thousand requests around
 * DST changes (London, Auckland, Sao Paulo's skipped and repeated midnights of 2018-19, Lord Howe's
 * 30-minute changes, Chatham's +12:45/+13:45, St John's -03:30) and a year end, with amounts near
 * 2^53 (sums beyond it), JPY/KWD/BHD decimals, times to pay with milliseconds, send failures,
 * delivered shuffled with duplicates. Summary, leaderboard, series and trend at every interval,
 * the export counts, payment-requests.csv/.xlsx and agents.csv.
 */
const MIN = 60_000;
const HOUR = 60 * MIN;
const settings = { ttlUnopenedMs: 5 * MIN, ttlOpenedMs: 15 * MIN };
const manager: Viewer = { userId: 'usr_m', name: 'Manager', role: 'manager', scope: { kind: 'all' } };

type Outcome = 'paid' | 'declined' | 'canceled' | 'expired' | 'expiredOpened' | 'openedPaid' | 'failedOnly';
interface Req {
  id: string;
  agent: string;
  sentAt: number;
  outcome: Outcome;
  amount: number;
  currency: string;
  payMs: number;
  retried: boolean;
}

const CURRENCIES: [string, number][] = [
  ['JPY', 1999],
  ['KWD', 9_007_199_254_740_991],
  ['BHD', 1001],
  ['USD', 36121],
  ['EUR', 4_500_000_000_000_001],
];
const OUTCOMES: Outcome[] = ['paid', 'declined', 'canceled', 'expired', 'expiredOpened', 'openedPaid', 'failedOnly'];

const reqs: Req[] = [];
function build() {
  const windows: [string, string][] = [
    ['2026-03-25T00:00:00Z', '2026-04-08T00:00:00Z'],
    ['2026-09-24T00:00:00Z', '2026-10-06T00:00:00Z'],
    ['2026-10-23T00:00:00Z', '2026-11-03T00:00:00Z'],
    ['2018-11-01T00:00:00Z', '2018-11-06T00:00:00Z'],
    ['2019-02-14T00:00:00Z', '2019-02-19T00:00:00Z'],
    ['2025-12-29T00:00:00Z', '2026-01-03T00:00:00Z'],
  ];
  let n = 0;
  for (const [a, b] of windows) {
    for (let t = Date.parse(a) + 7 * MIN; t < Date.parse(b); t += 37 * MIN + 13_000) {
      const [currency, amount] = CURRENCIES[n % CURRENCIES.length]!;
      reqs.push({
        id: `pr_${n}`,
        agent: `ag_${n % 3}`,
        sentAt: t,
        outcome: OUTCOMES[(n * 3) % OUTCOMES.length]!,
        amount,
        currency,
        payMs: ((n * 7919) % 200) * 1000 + 1000 + (n % 4) * 17,
        retried: n % 5 === 0,
      });
      n++;
    }
  }
}

function eventsOf(r: Req) {
  const iso = (at: number) => new Date(at).toISOString();
  const ev = (type: string, at: number) => ({
    id: `evt_${r.id}_${type}`,
    type: `payment_request.${type}`,
    occurredAt: iso(at),
    paymentRequest: { id: r.id },
    data: {},
  });
  const out: unknown[] = [
    {
      id: `evt_${r.id}_created`,
      type: 'payment_request.created',
      occurredAt: iso(r.sentAt - MIN),
      paymentRequest: {
        id: r.id,
        agent: { id: r.agent, name: `Agent ${r.agent}`, team: { id: 'tm_a', name: 'A' } },
        amount: r.amount,
        currency: r.currency,
        orderNumber: `SO-${r.id}`,
        reason: 'x',
        channel: 'sms',
        customer: { phone: '+27821234567', name: 'V' },
      },
      data: {},
    },
  ];
  if (r.retried || r.outcome === 'failedOnly')
    out.push({ ...ev('send_failed', r.sentAt - 30_000), data: { reason: 'Network' } });
  if (r.outcome !== 'failedOnly') out.push(ev('sent', r.sentAt));
  switch (r.outcome) {
    case 'paid':
      out.push(ev('paid', r.sentAt + r.payMs));
      break;
    case 'openedPaid':
      out.push(ev('opened', r.sentAt + 500), ev('paid', r.sentAt + r.payMs));
      break;
    case 'declined':
      out.push(ev('declined', r.sentAt + 1000));
      break;
    case 'canceled':
      out.push(ev('canceled', r.sentAt + 1000));
      break;
    case 'expiredOpened':
      out.push(ev('opened', r.sentAt + 1000));
      break;
    case 'expired':
    case 'failedOnly':
      break;
  }
  return out;
}

const partsCache = new Map<string, Intl.DateTimeFormat>();
function local(at: number, tz: string) {
  let f = partsCache.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    partsCache.set(tz, f);
  }
  const p = Object.fromEntries(f.formatToParts(at).map((x) => [x.type, x.value]));
  return {
    date: `${p.year}-${p.month}-${p.day}`,
    hour: p.hour!,
    minute: p.minute!,
    second: p.second!,
  };
}
function weekOf(date: string) {
  const d = new Date(`${date}T00:00:00Z`);
  const back = (d.getUTCDay() + 6) % 7;
  return new Date(d.getTime() - back * 86_400_000).toISOString().slice(0, 10);
}
function keyOf(at: number, tz: string, interval: string) {
  const l = local(at, tz);
  if (interval === 'day') return l.date;
  if (interval === 'week') return weekOf(l.date);
  if (interval === 'month') return l.date.slice(0, 7);
  return String(at - (Number(l.minute) * 60 + Number(l.second)) * 1000 - (((at % 1000) + 1000) % 1000));
}

function oracle(all: Req[], failures = 0) {
  const rs = all.filter((r) => r.outcome !== 'failedOnly');
  const sent = rs.length;
  const paid = rs.filter((r) => r.outcome === 'paid' || r.outcome === 'openedPaid');
  const count = (o: Outcome[]) => rs.filter((r) => o.includes(r.outcome)).length;
  const secs = paid.map((r) => r.payMs / 1000).sort((a, b) => a - b);
  const rank = (p: number) => (secs.length ? secs[Math.max(1, Math.ceil(p * secs.length)) - 1]! : null);
  const collected: Record<string, number | string> = {};
  for (const c of [...new Set(paid.map((r) => r.currency))].sort()) {
    const total = paid.filter((r) => r.currency === c).reduce((s, r) => s + BigInt(r.amount), 0n);
    collected[c] = total <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(total) : total.toString();
  }
  const opened = count(['openedPaid', 'expiredOpened']);
  const rate = (x: number) => (sent === 0 ? null : x / sent);
  return {
    sent,
    opened,
    paid: paid.length,
    declined: count(['declined']),
    expired: count(['expired', 'expiredOpened']),
    canceled: count(['canceled']),
    inFlight: 0,
    openRate: rate(opened),
    conversionRate: rate(paid.length),
    declineRate: rate(count(['declined'])),
    expiryRate: rate(count(['expired', 'expiredOpened'])),
    cancelRate: rate(count(['canceled'])),
    expiredUnopened: count(['expired']),
    expiredAfterOpen: count(['expiredOpened']),
    medianSecondsToPay: rank(0.5),
    p90SecondsToPay: rank(0.9),
    collected,
    sendFailures: failures,
  };
}

let db: Db;
beforeAll(async () => {
  db = (await createTestDb()).db;
  build();
  // Delivered shuffled (created after the rest at times), with every 7th event twice.
  const events = reqs.flatMap(eventsOf);
  let seed = 42;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  for (let i = events.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [events[i], events[j]] = [events[j], events[i]];
  }
  events.push(...events.filter((_, i) => i % 7 === 0));
  for (let i = 0; i < events.length; i += 5000) {
    const s = await ingestEvents(db, events.slice(i, i + 5000), 'api', {
      now: Date.parse('2027-01-01T00:00:00Z'),
      settings,
    });
    expect(s.rejected, JSON.stringify(s.results.filter((r) => r.status === 'rejected').slice(0, 3))).toBe(0);
  }
}, 600_000);
afterAll(() => closeTestDb(db));

const CASES: [string, string, string][] = [
  ['Europe/London', '2026-03-28', '2026-03-30'],
  ['Europe/London', '2026-10-24', '2026-10-26'],
  ['America/Sao_Paulo', '2018-11-03', '2018-11-05'],
  ['America/Sao_Paulo', '2019-02-15', '2019-02-18'],
  ['Pacific/Auckland', '2026-04-04', '2026-04-06'],
  ['Pacific/Auckland', '2026-09-26', '2026-09-28'],
  ['Asia/Kolkata', '2025-12-30', '2026-01-02'],
  ['Australia/Lord_Howe', '2026-04-04', '2026-04-06'],
  ['Australia/Lord_Howe', '2026-10-03', '2026-10-05'],
  ['Pacific/Chatham', '2026-04-04', '2026-04-06'],
  ['Pacific/Chatham', '2026-09-26', '2026-09-28'],
  ['America/St_Johns', '2026-10-31', '2026-11-02'],
  ['America/St_Johns', '2025-12-30', '2026-01-02'],
  ['Pacific/Chatham', '2025-12-30', '2026-01-02'],
  ['Europe/London', '2026-03-25', '2026-04-07'],
  ['Australia/Lord_Howe', '2026-09-24', '2026-10-05'],
];

describe('metrics against an oracle, zone by zone', () => {
  for (const [tz, from, to] of CASES) {
    it(`${tz} ${from}..${to}`, async () => {
      const f = parseFilters(new URLSearchParams({ from, to, tz }), 'UTC');
      const dayIn = (at: number) => {
        const d = local(at, tz).date;
        return d >= from && d <= to;
      };
      const failed = (r: Req) => r.retried || r.outcome === 'failedOnly';
      const createdIn = reqs.filter((r) => failed(r) && dayIn(r.sentAt - MIN));
      const inRange = reqs.filter((r) => r.outcome !== 'failedOnly' && dayIn(r.sentAt));
      expect(await getMetricsSummary(db, f, manager)).toEqual(oracle(inRange, createdIn.length));
      const board = await getAgentLeaderboard(db, f, manager);
      expect(await countExportRequests(db, f, manager)).toBe(inRange.length);
      expect(await countExportAgents(db, f, manager)).toBe(new Set(inRange.map((r) => r.agent)).size);
      expect(board.length).toBe(new Set(inRange.map((r) => r.agent)).size);
      for (const row of board) {
        const { agentId, agentName, teamId, teamName, ...m } = row;
        expect(m, agentId).toEqual(
          oracle(
            inRange.filter((r) => r.agent === agentId),
            createdIn.filter((r) => r.agent === agentId).length,
          ),
        );
      }
      for (const interval of ['hour', 'day', 'week', 'month'] as const) {
        if (interval === 'hour' && to > from && Date.parse(to) - Date.parse(from) > 5 * 86_400_000) continue;
        const series = await getMetricsTimeseries(db, f, manager, interval);
        const trend = await getTrend(db, f, manager, interval);
        expect(trend.map((b) => b.start)).toEqual(series.map((b) => b.start));
        const keys = series.map((b) => {
          const at = Date.parse(b.start);
          // the start string's wall reading must be the zone's reading at that instant
          const l = local(at, tz);
          expect(b.start.slice(0, 19), `${tz} ${interval}`).toBe(`${l.date}T${l.hour}:${l.minute}:${l.second}`);
          if (interval !== 'hour') expect(['00:00', '01:00']).toContain(`${l.hour}:${l.minute}`);
          return keyOf(at, tz, interval);
        });
        // every bucket distinct and consecutive coverage of the range's dates
        expect(new Set(keys).size, `${tz} ${interval} ${keys.join()}`).toBe(keys.length);
        const startsMs = series.map((b) => Date.parse(b.start));
        if (interval === 'hour') {
          // every instant (on a minute) whose reading is HH:00 inside the range is a bucket start
          const expected: number[] = [];
          for (let t = startsMs[0]!; t < Date.parse(series.at(-1)!.start) + HOUR; t += MIN) {
            if (local(t, tz).minute === '00') expected.push(t);
          }
          expect(startsMs, tz).toEqual(expected);
        }
        for (const [i, b] of series.entries()) {
          const inBucket = (at: number) =>
            interval === 'hour'
              ? at >= startsMs[i]! && (i + 1 === startsMs.length || at < startsMs[i + 1]!)
              : keyOf(at, tz, interval) === keys[i];
          const rs = inRange.filter((r) => inBucket(r.sentAt));
          const fails = createdIn.filter((r) => inBucket(r.sentAt - MIN)).length;
          expect(b, `${tz} ${interval} ${b.start}`).toEqual({ start: b.start, ...oracle(rs, fails) });
          expect(trend[i]).toMatchObject({ sent: rs.length });
        }
        const covered = series.reduce((s, b) => s + b.sent, 0);
        expect(covered, `${tz} ${interval}`).toBe(inRange.length);
      }
      // CSV
      const { stream } = await createExport(
        db,
        { report: 'payment-requests', format: 'csv', filters: f, viewer: manager },
        () => {},
      );
      const text = await new Response(stream).text();
      const lines = text.split('\r\n').filter(Boolean).slice(1);
      expect(lines.length).toBe(inRange.length);
      const byId = new Map(inRange.map((r) => [r.id, r]));
      for (const line of lines) {
        const cells = line.split(',');
        const r = byId.get(cells[0]!)!;
        expect(r, line).toBeDefined();
        const sentAt = cells[11]!;
        expect(Date.parse(sentAt)).toBe(r.sentAt);
        const l = local(r.sentAt, tz);
        expect(sentAt.slice(0, 19)).toBe(`${l.date}T${l.hour}:${l.minute}:${l.second}`);
        const paid = r.outcome === 'paid' || r.outcome === 'openedPaid';
        expect(cells[14], line).toBe(paid ? String(r.payMs / 1000) : '');
        const exp = r.currency === 'JPY' ? 0 : r.currency === 'KWD' || r.currency === 'BHD' ? 3 : 2;
        const digits = String(r.amount).padStart(exp + 1, '0');
        expect(cells[8]).toBe(exp ? `${digits.slice(0, -exp)}.${digits.slice(-exp)}` : digits);
      }
      // XLSX
      const book = new ExcelJS.Workbook();
      await book.xlsx.load(
        (await new Response(
          (
            await createExport(
              db,
              { report: 'payment-requests', format: 'xlsx', filters: f, viewer: manager },
              () => {},
            )
          ).stream,
        ).arrayBuffer()) as ArrayBuffer,
      );
      const summary = new Map<string, unknown>();
      book.getWorksheet('Summary')!.eachRow((row) => {
        summary.set(String(row.getCell(1).value), row.getCell(2).value);
      });
      const o = oracle(inRange, createdIn.length);
      expect(summary.get('Sent')).toBe(o.sent);
      expect(summary.get('Send failures')).toBe(o.sendFailures);
      expect(summary.get('P90 seconds to pay')).toBe(o.p90SecondsToPay);
      expect(summary.get('Conversion rate')).toBe(o.conversionRate);
      expect(summary.get('Median seconds to pay')).toBe(o.medianSecondsToPay);
      for (const [c, v] of Object.entries(o.collected)) {
        const exp = c === 'JPY' ? 0 : c === 'KWD' || c === 'BHD' ? 3 : 2;
        const got = summary.get(`Collected ${c}`);
        if (typeof v === 'string') {
          const digits = v.padStart(exp + 1, '0');
          expect(got, c).toBe(exp ? `${digits.slice(0, -exp)}.${digits.slice(-exp)}` : digits);
        } else expect(got, c).toBe(v / 10 ** exp);
      }
      const sheet = book.getWorksheet('Payment requests')!;
      let xrows = 0;
      sheet.eachRow((row, n) => {
        if (n === 1) return;
        xrows++;
        const r = byId.get(String(row.getCell(1).value))!;
        const cell = row.getCell(12).value as Date;
        const l = local(r.sentAt, tz);
        expect(cell.toISOString().slice(0, 19), r.id).toBe(`${l.date}T${l.hour}:${l.minute}:${l.second}`);
        const paid = r.outcome === 'paid' || r.outcome === 'openedPaid';
        expect(row.getCell(15).value ?? null).toBe(paid ? r.payMs / 1000 : null);
      });
      expect(xrows).toBe(inRange.length);
      // agents CSV
      const agentsCsv = await new Response(
        (await createExport(db, { report: 'agents', format: 'csv', filters: f, viewer: manager }, () => {})).stream,
      ).text();
      const [head, ...rows] = agentsCsv.split('\r\n').filter(Boolean);
      const cols = head!.split(',');
      for (const row of rows) {
        const cells = Object.fromEntries(row.split(',').map((c, i) => [cols[i], c]));
        const o = oracle(inRange.filter((r) => r.agent === cells.agent_id));
        expect(Number(cells.sent)).toBe(o.sent);
        expect(cells.conversion_rate).toBe(o.conversionRate === null ? '' : o.conversionRate.toFixed(4));
        expect(cells.median_seconds_to_pay).toBe(o.medianSecondsToPay === null ? '' : String(o.medianSecondsToPay));
        for (const [c, v] of Object.entries(o.collected)) {
          const exp = c === 'JPY' ? 0 : c === 'KWD' || c === 'BHD' ? 3 : 2;
          const digits = String(v).padStart(exp + 1, '0');
          expect(cells[`collected_${c}`], `${c} ${row}`).toBe(
            exp ? `${digits.slice(0, -exp)}.${digits.slice(-exp)}` : digits,
          );
        }
      }
    }, 120_000);
  }
});
