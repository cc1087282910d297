import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { ROLES, type Role } from '../app/domain/access';
import { createServiceToken } from '../app/write/api-tokens.server';
import { recordAudit } from '../app/write/audit.server';
import { runExpirySweep } from '../app/write/expiry-sweeper.server';
import { getDb } from '../db/client';
import { migrateDatabase } from '../db/migrate';
import { importNdjsonFile } from './import';
import { signCurlHeaders } from './sign';

const USAGE = `Usage: npm run cli -- <command>

  token create --role R [--team T ...] [--agent A] --name NAME
                             create a service user with that role and scope; prints its token last
  import FILE.ndjson         ingest a file of events (one per line), with a progress bar
  expire                     run the expiry sweep once
  sign FILE.json             print curl headers that sign FILE with WEBHOOK_SECRET`;

function fail(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
}

async function main(argv: string[]) {
  const [command, ...rest] = argv;
  const db = getDb();
  migrateDatabase(db);
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
        const { token, userId } = createServiceToken(db, {
          role: values.role as Role,
          name: values.name,
          teamIds: values.team ?? [],
          agentId: values.agent ?? null,
        });
        recordAudit(db, {
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
      const recorded = runExpirySweep(db);
      console.log(`Recorded ${recorded} expiries`);
      return;
    }
    case 'sign': {
      const file = rest[0];
      if (!file) fail('sign needs a file');
      console.log(signCurlHeaders(file));
      return;
    }
    default:
      fail(command ? `Unknown command ${command}` : 'No command given');
  }
}

await main(process.argv.slice(2));
