import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { getExpirySettings } from '../app/read/settings.server';
import { ingestEvents } from '../app/write/ingest.server';
import type { Db } from '../db/client';

const BATCH = 5000;

export interface ImportTally {
  total: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  invalidLines: number;
  ms: number;
}

export interface ImportOptions {
  progress?: 'bar' | 'lines' | 'none';
}

/**
 * Streams an NDJSON file through ingestEvents in batches: memory stays bounded whatever the size.
 * Events of one request may span batches; the replay of each batch re-reads the stored events.
 */
export async function importNdjsonFile(db: Db, file: string, options: ImportOptions = {}): Promise<ImportTally> {
  const size = (await stat(file)).size;
  const settings = await getExpirySettings(db);
  const stream = createReadStream(file, { encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  const started = performance.now();
  const tally: ImportTally = { total: 0, accepted: 0, duplicates: 0, rejected: 0, invalidLines: 0, ms: 0 };
  const report = progressReporter(options.progress ?? 'none', size);
  let batch: unknown[] = [];
  let lineNumber = 0;

  const flush = async () => {
    if (batch.length === 0) return;
    const summary = await ingestEvents(db, batch, 'import', { settings });
    tally.total += batch.length;
    tally.accepted += summary.accepted;
    tally.duplicates += summary.duplicates;
    tally.rejected += summary.rejected;
    for (const result of summary.results) {
      if (result.status === 'rejected')
        console.error(`  rejected ${result.id ?? '(no id)'}: ${result.error.code} at ${result.error.path}`);
    }
    batch = [];
    report(stream.bytesRead, tally);
  };

  for await (const line of lines) {
    lineNumber += 1;
    if (!line.trim()) continue;
    try {
      batch.push(JSON.parse(line));
    } catch {
      tally.invalidLines += 1;
      console.error(`  line ${lineNumber} is not valid JSON; skipped`);
      continue;
    }
    if (batch.length >= BATCH) await flush();
  }
  await flush();
  tally.ms = performance.now() - started;
  report(size, tally, true);
  return tally;
}

function progressReporter(mode: 'bar' | 'lines' | 'none', totalBytes: number) {
  let lastLine = 0;
  return (bytes: number, tally: ImportTally, done = false) => {
    if (mode === 'none') return;
    const fraction = totalBytes === 0 ? 1 : Math.min(1, bytes / totalBytes);
    const percent = Math.round(fraction * 100);
    if (mode === 'bar') {
      const width = 30;
      const filled = Math.round(fraction * width);
      process.stderr.write(
        `\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${percent}% ${tally.total.toLocaleString('en')} events`,
      );
      if (done) process.stderr.write('\n');
    } else if (done || percent >= lastLine + 10) {
      lastLine = percent - (percent % 10);
      process.stderr.write(`${percent}% ${tally.total} events\n`);
    }
  };
}
