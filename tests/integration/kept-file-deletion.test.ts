import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listReportFiles, listSchedules } from '../../app/read/reports.server';
import { action } from '../../app/routes/_app.reports';
import { createServiceToken, loadViewer } from '../../app/write/api-tokens.server';
import { openReportFile } from '../../app/write/report-file-store.server';
import { type ReportFileSummary, runSchedule } from '../../app/write/report-scheduler.server';
import { createSchedule, deleteSchedule } from '../../app/write/report-schedules.server';
import { closeDatabase, closeDb, type Db, openDatabaseUrl } from '../../db/client';
import { startServer, type TestServer } from '../support/server';
import { addUser } from '../support/users';

// A kept file deleted from /reports (POST intent=delete-file) by its owner, over HTTP on the built
// server: on SQLite its file beside the database goes, on PostgreSQL its chunks in the database.

let server: TestServer;
let db: Db;
const tokens = { other: '', admin: '', agent: '' };

beforeAll(async () => {
  server = await startServer();
  db = openDatabaseUrl(server.dbFile);
  tokens.other = (await createServiceToken(db, { role: 'manager', name: 'Olu Other' })).token;
  tokens.admin = (await createServiceToken(db, { role: 'admin', name: 'Ada Admin' })).token;
  await addUser(db, { role: 'agent', agentId: 'ag_abe' });
  tokens.agent = (await createServiceToken(db, { role: 'agent', name: 'Abe Agent', agentId: 'ag_abe' })).token;
});
afterAll(async () => {
  await closeDatabase(db);
  await server.stop();
});

const DAY = 86_400_000;
// In 2030: the server's own scheduler never finds these schedules due while the test runs.
const MADE = Date.parse('2030-03-01T12:00:00Z');

/**
 * A new manager's daily agents CSV, run for `days` days in a row: the manager (their token and
 * themselves), the schedule and its files, oldest first.
 */
async function keptFiles(days: number) {
  const made = await createServiceToken(db, { role: 'manager', name: 'Mia Manager' });
  const owner = (await loadViewer(db, made.userId))!;
  const form = {
    name: 'Daily agents',
    report: 'agents',
    format: 'csv',
    cadence: 'daily',
    runAt: '06:00',
    timezone: 'UTC',
  };
  expect((await createSchedule(db, owner, new URLSearchParams(form), MADE)).ok).toBe(true);
  const [schedule] = await listSchedules(db, owner);
  const files: ReportFileSummary[] = [];
  for (let day = 1; day <= days; day++) {
    const dueAt = schedule!.nextRunAt + day * DAY;
    files.push((await runSchedule(db, schedule!, dueAt, dueAt))!);
  }
  const listed = async () => (await listReportFiles(db, owner)).map((file) => file.id);
  return { token: made.token, owner, scheduleId: schedule!.id, files, listed };
}

const deleteFile = (token: string, fields: Record<string, string>) =>
  fetch(`${server.url}/reports`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ intent: 'delete-file', ...fields }).toString(),
  });

const download = (token: string, id: string) =>
  fetch(`${server.url}/reports/files/${id}`, { headers: { authorization: `Bearer ${token}` } });

/** The route's action in this process, on the server's database: its answer's status and data. */
async function inProcess(token: string, body: string) {
  const saved = process.env.DATABASE_URL;
  process.env.DATABASE_URL = server.dbFile;
  try {
    const request = new Request('http://desk.test/reports', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    const answer = (await action({ request, params: {}, context: { cspNonce: '' } })) as {
      data: unknown;
      init: ResponseInit | null;
    };
    return { status: answer.init?.status, data: answer.data };
  } finally {
    await closeDb();
    process.env.DATABASE_URL = saved;
  }
}

/** The status line the page shows for the answer. */
const statusOf = (html: string) => /<p role="status" class="[^"]*">([^<]*)<\/p>/.exec(html)?.[1];

describe('deleting a kept file from /reports', () => {
  it('is for its owner only: anyone else, an admin too, gets 404 and the file stays', async () => {
    const { token, files, listed } = await keptFiles(2);
    const [older, newer] = files as [ReportFileSummary, ReportFileSummary];
    const before = await (await download(token, older.id)).text();
    expect(before.startsWith('agent_id,')).toBe(true);

    for (const someoneElse of [tokens.other, tokens.admin]) {
      const refused = await deleteFile(someoneElse, { id: older.id });
      expect(refused.status).toBe(404);
      expect(statusOf(await refused.text())).toBe('No such file.');
    }
    // An agent may not use /reports at all.
    expect((await deleteFile(tokens.agent, { id: older.id })).status).toBe(403);
    expect(await listed()).toEqual([newer.id, older.id]);
    const kept = await download(token, older.id);
    expect([kept.status, await kept.text()]).toEqual([200, before]);

    // An id that is nobody's: 404 as well (the same answer, so ids are not confirmed). No id: 400 naming it.
    const missing = await deleteFile(token, { id: 'rpf_missing' });
    expect([missing.status, statusOf(await missing.text())]).toEqual([404, 'No such file.']);
    const malformed = await fetch(`${server.url}/reports`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'intent=delete-file',
    });
    expect([malformed.status, statusOf(await malformed.text())]).toEqual([400, 'Choose a file to delete.']);
    // The answer's data (in the page, turbo-stream encoded) names the field: read in-process.
    expect(await inProcess(token, 'intent=delete-file&id=+')).toEqual({
      status: 400,
      data: {
        ok: false,
        fieldErrors: { id: 'Choose a file to delete' },
        formError: 'Choose a file to delete.',
        about: 'files',
      },
    });
    expect(await listed()).toEqual([newer.id, older.id]);
  });

  it('the owner deletes one: it is no longer listed, its bytes are gone and it downloads 404', async () => {
    const { token, files, listed } = await keptFiles(3);
    const [first, second, third] = files as [ReportFileSummary, ReportFileSummary, ReportFileSummary];
    expect(await listed()).toEqual([third.id, second.id, first.id]);

    const deleted = await deleteFile(token, { id: second.id });
    expect(deleted.status).toBe(200);
    expect(statusOf(await deleted.text())).toBe(`Deleted ${second.fileName}.`);
    expect(await listed()).toEqual([third.id, first.id]);
    expect(await openReportFile(db, second.path)).toBeNull();
    expect((await download(token, second.id)).status).toBe(404);
    expect((await download(tokens.admin, second.id)).status).toBe(404);
    // The others are untouched; the same file again is 404.
    expect((await download(token, first.id)).status).toBe(200);
    expect((await download(token, third.id)).status).toBe(200);
    expect((await deleteFile(token, { id: second.id })).status).toBe(404);
  });

  it('deletes a file its deleted schedule left behind', async () => {
    const { token, owner, scheduleId, files, listed } = await keptFiles(2);
    const [older, newer] = files as [ReportFileSummary, ReportFileSummary];
    expect(await deleteSchedule(db, owner, scheduleId)).toBe('Daily agents');
    expect(await listed()).toEqual([newer.id, older.id]);

    expect((await deleteFile(token, { id: newer.id })).status).toBe(200);
    expect(await listed()).toEqual([older.id]);
    expect((await download(token, newer.id)).status).toBe(404);
    expect((await download(token, older.id)).status).toBe(200);
  });
});
