import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { ROLES, type Role } from '../app/domain/access';
import { verifyProjections } from '../app/read/projection-check.server';
import { getExpirySettings } from '../app/read/settings.server';
import { createServiceToken } from '../app/write/api-tokens.server';
import { recordAudit } from '../app/write/audit.server';
import { runExpirySweep } from '../app/write/expiry-sweeper.server';
import { closeDb, getDb, onPostgres } from '../db/client';
import { migrateDatabase } from '../db/migrate';
import { isPostgresUrl, migratePostgres, redactUrl } from '../db/pg-client';
import { copyDatabase, verifyCopy } from './copy-database';
import { importNdjsonFile } from './import';
import { signCurlHeaders } from './sign';

const USAGE = `Usage: npm run cli -- <command>

  token create --role R [--team T ...] [--agent A] --name NAME
                             create a service user with that role and scope; prints its token last
  import FILE.ndjson         ingest a file of events (one per line), with a progress bar
  expire                     run the expiry sweep once
  sign FILE.json             print curl headers that sign FILE with WEBHOOK_SECRET
  verify                     replay every request from its events; list those whose stored projection differs
  backup FILE                copy the database to FILE with SQLite's online backup (safe while the server runs)
  copy-database --from FILE --to postgres://…
                             copy an SQLite database into an empty PostgreSQL one, then check that every
                             table, every request's projection and the last 90 days' metrics agree`;

function fail(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
}

async function main(argv: string[]) {
  const [command, ...rest] = argv;
  if (command === 'copy-database') return await copyDatabaseCommand(rest);
  const db = getDb();
  if (onPostgres(db)) await migratePostgres(db.$pg.pool);
  else migrateDatabase(db);
  switch (command) {
    case 'token': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: {
          role: { type: 'string' },
          team: { type: 'string', multiple: true },
          agent: { type: 'string' },
          name: { type: 'string' },
        },
      });
      if (positionals[0] !== 'create') fail('Unknown token command');
      if (!values.role || !ROLES.includes(values.role as Role)) fail(`--role must be one of ${ROLES.join(', ')}`);
      if (!values.name?.trim()) fail('--name is required');
      try {
        const { token, userId } = await createServiceToken(db, {
          role: values.role as Role,
          name: values.name,
          teamIds: values.team ?? [],
          agentId: values.agent ?? null,
        });
        await recordAudit(db, {
          action: 'token_create',
          actorName: `cli (${userInfo().username})`,
          target: userId,
          details: { role: values.role, teams: values.team ?? [], agent: values.agent ?? null, name: values.name },
        });
        console.log(`Created a ${values.role} token "${values.name}". It is shown once; keep it secret:`);
        console.log(token);
      } catch (error) {
        fail((error as Error).message);
      }
      return;
    }
    case 'import': {
      const file = rest[0];
      if (!file) fail('import needs a file');
      const tally = await importNdjsonFile(db, file, { progress: process.stderr.isTTY ? 'bar' : 'lines' });
      console.log(
        `Imported ${file}: ${tally.accepted} accepted, ${tally.duplicates} duplicates, ${tally.rejected} rejected, ` +
          `${tally.invalidLines} unreadable lines, in ${(tally.ms / 1000).toFixed(1)} s ` +
          `(${Math.round(tally.total / (tally.ms / 1000))} events/s)`,
      );
      if (tally.rejected > 0 || tally.invalidLines > 0) process.exitCode = 1;
      return;
    }
    case 'expire': {
      const recorded = await runExpirySweep(db);
      console.log(`Recorded ${recorded} expiries`);
      return;
    }
    case 'sign': {
      const file = rest[0];
      if (!file) fail('sign needs a file');
      console.log(signCurlHeaders(file));
      return;
    }
    case 'verify': {
      const { checked, different } = await verifyProjections(db, await getExpirySettings(db));
      for (const difference of different) console.log(`${difference.requestId}\t${JSON.stringify(difference.fields)}`);
      console.log(`Verified ${checked} requests: ${different.length} different`);
      if (different.length > 0) process.exitCode = 1;
      return;
    }
    case 'backup': {
      const file = rest[0];
      if (!file) fail('backup needs a file');
      if (existsSync(file)) fail(`${file} exists: choose a new file`);
      if (onPostgres(db))
        fail("backup copies an SQLite database; on PostgreSQL use pg_dump (or your provider's backups)");
      const started = performance.now();
      // After the first step, the rest in one step: a write from another connection between steps
      // restarts the backup, so small steps never finish under steady ingest. In WAL mode the one
      // long step is a read transaction: writers go on, and the copy is one consistent snapshot.
      await db.$client.backup(file, { progress: () => 2 ** 30 });
      const copy = new Database(file, { readonly: true });
      const integrity = copy.pragma('integrity_check', { simple: true });
      copy.close();
      if (integrity !== 'ok') fail(`The backup failed its integrity check: ${integrity}`);
      console.log(
        `Backed up to ${file} in ${((performance.now() - started) / 1000).toFixed(1)} s (integrity_check ok)`,
      );
      return;
    }
    default:
      fail(command ? `Unknown command ${command}` : 'No command given');
  }
}

async function copyDatabaseCommand(args: string[]) {
  const { values } = parseArgs({ args, options: { from: { type: 'string' }, to: { type: 'string' } } });
  if (!values.from) fail('copy-database needs --from FILE (the SQLite database)');
  if (!existsSync(values.from)) fail(`--from ${values.from} does not exist`);
  if (!values.to || !isPostgresUrl(values.to)) fail('copy-database needs --to postgres://… (an empty database)');
  const target = redactUrl(values.to);
  console.log(`Copying ${values.from} into ${target}`);
  try {
    const copied = await copyDatabase(values.from, values.to, (line) => console.log(line));
    const rows = copied.tables.reduce((sum, table) => sum + table.rows, 0);
    console.log(`Copied ${rows.toLocaleString('en')} rows in ${(copied.ms / 1000).toFixed(1)} s; checking…`);
    const check = await verifyCopy(values.from, values.to);
    for (const difference of [...check.tableDifferences, ...check.rollupDifferences])
      console.log(`DIFFERENT ${difference.table} ${difference.key}: ${difference.detail}`);
    for (const difference of check.projectionDifferences)
      console.log(`DIFFERENT projection ${difference.requestId}: ${JSON.stringify(difference.fields)}`);
    const paid = Object.entries(check.totals.paidAmountByCurrency)
      .map(([currency, amount]) => `${currency} ${amount}`)
      .join(', ');
    console.log(
      `Checked ${check.requestsChecked.toLocaleString('en')} requests (projection = replay of the copied events), ` +
        `every table row for row, and ${check.rollupCells.toLocaleString('en')} metric cells of the last 90 days ` +
        `(sent ${check.totals.sent}, paid ${check.totals.paid}, paid amounts in minor units: ${paid || 'none'})`,
    );
    const differences =
      check.tableDifferences.length + check.rollupDifferences.length + check.projectionDifferences.length;
    if (differences > 0) {
      console.log(`The copy DIFFERS in ${differences} place(s): see above.`);
      process.exitCode = 1;
    } else {
      console.log('The copy agrees with the source: every table, every projection, the last 90 days of metrics.');
    }
  } catch (error) {
    console.error(`copy-database failed: ${(error as Error).message}`);
    process.exitCode = 1;
  }
}

try {
  await main(process.argv.slice(2));
} finally {
  // A PostgreSQL pool would keep the process alive until its idle clients time out.
  await closeDb();
}
