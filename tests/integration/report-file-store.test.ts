import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Viewer } from '../../app/domain/access';
import { listReportFiles } from '../../app/read/reports.server';
import {
  openReportFile,
  removeStored,
  reportsDirectory,
  storeReportFile,
} from '../../app/write/report-file-store.server';
import { closeDatabase, type Db, onPostgres, openDatabaseUrl } from '../../db/client';
import { reportFiles } from '../../db/tables';
import { closeTestDb, createTestDb, queryRow } from '../support/db';

// Kept report files (issue 13): on files beside an SQLite database, in the database on PostgreSQL,
// where a file stored through one instance reads back through another.

let db: Db;
let file: string;
beforeEach(async () => {
  ({ db, file } = await createTestDb());
});
afterEach(() => closeTestDb(db));

function streamOf(bytes: Buffer, pieceBytes: number, failAt?: number): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (failAt !== undefined && offset >= failAt) return controller.error(new Error('export failed'));
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(new Uint8Array(bytes.subarray(offset, offset + pieceBytes)));
      offset += pieceBytes;
    },
  });
}

async function bytesOf(stream: ReadableStream<Uint8Array> | null): Promise<Buffer | null> {
  return stream ? Buffer.from(await new Response(stream).arrayBuffer()) : null;
}

describe('report files on this engine', () => {
  it('stores 2.5 MB in pieces and reads the same bytes back, through another handle too; removed, it is gone', async () => {
    const content = randomBytes(2_500_000);
    const { path, bytes } = await storeReportFile(db, 'rpf_test', 'csv', streamOf(content, 65_536));
    expect(bytes).toBe(2_500_000);
    expect((await bytesOf(await openReportFile(db, path)))?.equals(content)).toBe(true);
    const other = openDatabaseUrl(file);
    try {
      expect((await bytesOf(await openReportFile(other, path)))?.equals(content)).toBe(true);
    } finally {
      await closeDatabase(other);
    }
    if (onPostgres(db)) {
      expect(path).toBe('postgres:report_file_chunks/rpf_test');
      expect(
        await queryRow(db, "SELECT count(*)::int AS n FROM report_file_chunks WHERE file_id = 'rpf_test'"),
      ).toEqual({
        n: 3,
      });
    }
    await removeStored(db, [path]);
    expect(await openReportFile(db, path)).toBeNull();
  });

  it('never reads a file deleted while it is read as if it were whole', async () => {
    const content = randomBytes(2_500_000);
    const { path } = await storeReportFile(db, 'rpf_deleted', 'csv', streamOf(content, 65_536));
    const reader = (await openReportFile(db, path))!.getReader();
    const first = await reader.read();
    expect(first.value?.byteLength).toBe(onPostgres(db) ? 1 << 20 : 65_536);
    await removeStored(db, [path]);
    const rest = async () => {
      const pieces = [Buffer.from(first.value!)];
      for (let next = await reader.read(); !next.done; next = await reader.read()) pieces.push(Buffer.from(next.value));
      return Buffer.concat(pieces);
    };
    if (onPostgres(db)) {
      // Its chunks are gone: the download fails (before: it ended after the first MB, as if whole).
      await expect(rest()).rejects.toThrow('Report file rpf_deleted was removed while it was read');
    } else {
      // The open file stays readable to the end once unlinked.
      expect((await rest()).equals(content)).toBe(true);
    }
  });

  it('leaves nothing behind when the export fails half way', async () => {
    const content = randomBytes(3_000_000);
    await expect(storeReportFile(db, 'rpf_failed', 'csv', streamOf(content, 65_536, 1_500_000))).rejects.toThrow(
      'export failed',
    );
    if (onPostgres(db)) {
      expect(
        await queryRow(db, "SELECT count(*)::int AS n FROM report_file_chunks WHERE file_id = 'rpf_failed'"),
      ).toEqual({
        n: 0,
      });
    }
    if (!onPostgres(db)) {
      const directory = reportsDirectory(db);
      expect(existsSync(join(directory, 'rpf_failed.csv'))).toBe(false);
      expect(existsSync(join(directory, 'rpf_failed.csv.part'))).toBe(false);
    }
  });
});

describe('the list of kept files', () => {
  it('lists the newest 50 the owner may still read, however many newer ones their lost team made', async () => {
    const supervisor: Viewer = {
      userId: 'usr_sam',
      name: 'Sam',
      role: 'supervisor',
      scope: { kind: 'teams', teamIds: ['tm_a'] },
    };
    const teams = (teamIds: string[]) => JSON.stringify({ kind: 'teams', teamIds });
    // 260 files: the newest 230 made while Sam had tm_lost too (oldest first below), then 30 of tm_a alone.
    const rows = Array.from({ length: 260 }, (_, i) => ({
      id: `rpf_${String(i).padStart(3, '0')}`,
      ownerUserId: 'usr_sam',
      fileName: `report-${i}.csv`,
      path: `rpf_${i}.csv`,
      format: 'csv',
      rows: 1,
      bytes: 10,
      createdAt: 1_000 + i,
      scope: i < 30 ? teams(['tm_a']) : teams(['tm_a', 'tm_lost']),
    }));
    await db.insert(reportFiles).values([...rows, { ...rows[0]!, id: 'rpf_other', ownerUserId: 'usr_other' }]);
    const listed = await listReportFiles(db, supervisor);
    expect(listed.map((file) => file.id)).toEqual(
      Array.from({ length: 30 }, (_, i) => `rpf_${String(29 - i).padStart(3, '0')}`),
    );
    // Given back tm_lost, the newest 50 of all 260.
    const again = await listReportFiles(db, { ...supervisor, scope: { kind: 'teams', teamIds: ['tm_a', 'tm_lost'] } });
    expect(again.map((file) => file.id)).toEqual(Array.from({ length: 50 }, (_, i) => `rpf_${259 - i}`));
  });
});
