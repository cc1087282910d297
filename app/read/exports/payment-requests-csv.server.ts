import { secondsToPay } from '../../domain/metrics';
import { formatMinorUnits } from '../../domain/money';
import { ByteChunker } from '../../lib/byte-chunker';
import { csvCell, csvRecord } from '../../lib/csv';
import { isoFormatter } from '../../lib/zoned-time';
import { maskPhoneForExport, secondsCell } from './cells';
import type { ExportNames, ExportRequestRow } from './rows.server';

/**
 * payment-requests.csv, row by row. It runs in the server's thread for small exports and in the
 * export workers for large ones (app/read/exports/payment-requests-csv.worker.ts), so it depends on
 * nothing but the rows, the names and the zone.
 */

/** SPEC §4, in this order. */
export const PAYMENT_REQUEST_COLUMNS = [
  'request_id',
  'order_number',
  'agent_id',
  'agent_name',
  'team_id',
  'team_name',
  'channel',
  'currency',
  'amount',
  'status',
  'created_at',
  'sent_at',
  'opened_at',
  'closed_at',
  'seconds_to_pay',
  'reason',
  'customer_phone',
] as const;

/** agent_id,agent_name,team_id,team_name as CSV, made once per agent and team, not per row. */
function ownerCells(names: ExportNames): (agentId: string, teamId: string) => string {
  const byAgent = new Map<string, Map<string, string>>();
  return (agentId, teamId) => {
    let byTeam = byAgent.get(agentId);
    if (byTeam === undefined) {
      byTeam = new Map();
      byAgent.set(agentId, byTeam);
    }
    let cells = byTeam.get(teamId);
    if (cells === undefined) {
      cells = csvRecord([agentId, names.agents.get(agentId) ?? '', teamId, names.teams.get(teamId) ?? '']).slice(0, -2);
      byTeam.set(teamId, cells);
    }
    return cells;
  };
}

/**
 * Writes rows of payment-requests.csv into byte chunks of about 64 KB. `add` hands back a chunk
 * when one fills up; it holds every row added before the one that filled it.
 */
export class PaymentRequestsCsvWriter {
  private readonly chunker = new ByteChunker();
  private readonly time: (ms: number | null) => string;
  private readonly owners: (agentId: string, teamId: string) => string;

  constructor(names: ExportNames, timeZone: string) {
    const iso = isoFormatter(timeZone);
    this.time = (ms) => (ms === null ? '' : iso(ms));
    this.owners = ownerCells(names);
  }

  header(): Uint8Array | null {
    return this.chunker.add(csvRecord(PAYMENT_REQUEST_COLUMNS));
  }

  add(row: ExportRequestRow): Uint8Array | null {
    const [
      id,
      orderNumber,
      agentId,
      teamId,
      channel,
      currency,
      amount,
      status,
      createdAt,
      sentAt,
      openedAt,
      closedAt,
      paidAt,
      reason,
      phone,
    ] = row;
    const { time } = this;
    // Codes, timestamps, decimals and the mask are ours and never need quoting; everything
    // else (ids may start with '-', names and text are free) goes through csvCell. An array
    // join per row makes one flat string, quick to encode (a template literal leaves a rope).
    return this.chunker.add(
      [
        csvCell(id),
        csvCell(orderNumber),
        this.owners(agentId, teamId),
        channel,
        currency,
        formatMinorUnits(amount, currency),
        status,
        time(createdAt),
        time(sentAt),
        time(openedAt),
        time(closedAt),
        secondsCell(secondsToPay({ status, sentAt, paidAt })),
        csvCell(reason),
        `${maskPhoneForExport(phone)}\r\n`,
      ].join(','),
    );
  }

  /** The rows added since the last chunk, if any. */
  flush(): Uint8Array | null {
    return this.chunker.take();
  }
}
