import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listReportFiles, listSchedules } from '../../app/read/reports.server';
import { action } from '../../app/routes/_app.reports';
import { createServiceToken, loadViewer } from '../../app/write/api-tokens.server';
import { runSchedule } from '../../app/write/report-scheduler.server';
import { closeDb, type Db } from '../../db/client';
import { closeTestDb, createTestDb, queryRows } from '../support/db';

// The /reports form actions (create, resume, run now and delete a schedule; delete a kept file), in
// this process on a test database: what each answers, and the audit entry each change leaves.

let db: Db;
let file: string;
beforeEach(async () => {
  ({ db, file } = await createTestDb());
});
afterEach(() => closeTestDb(db));

/** POSTs `body` to the /reports action as the token's holder: its status and data. */
async function post(token: string, body: string, contentType = 'application/x-www-form-urlencoded') {
  const saved = process.env.DATABASE_URL;
  process.env.DATABASE_URL = file;
  try {
    const request = new Request('http://desk.test/reports', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
      body,
    });
    const answer = (await action({ request, params: {}, context: { cspNonce: '' } })) as {
      data: unknown;
      init: ResponseInit | null;
    };
    return { status: answer.init?.status, data: answer.data };
  } catch (thrown) {
    if (thrown instanceof Response) return { status: thrown.status, data: await thrown.json() };
    throw thrown;
  } finally {
    await closeDb();
    process.env.DATABASE_URL = saved;
  }
}

const audit = async () =>
  (
    await queryRows<{ actor_name: string; action: string; target: string; details: string }>(
      db,
      "SELECT actor_name, action, target, details FROM audit_log WHERE action LIKE 'report_%' ORDER BY seq",
    )
  ).map((row) => ({ ...row, details: JSON.parse(row.details) as unknown }));

const SCHEDULE =
  'intent=schedule&name=Daily+4111+1111+1111+1111&report=agents&format=csv&cadence=daily&runAt=06:00&timezone=Europe/Paris&team=tm_retail&currency=eur';

describe('the /reports schedule actions', () => {
  it('answer for the owner alone, say 404 for anyone else, name a missing id, and audit each change', async () => {
    const mia = await createServiceToken(db, { role: 'manager', name: 'Mia Manager' });
    const olu = await createServiceToken(db, { role: 'manager', name: 'Olu Other' });

    const made = await post(mia.token, SCHEDULE);
    expect(made).toEqual({
      status: 200,
      data: { ok: true, message: 'Scheduled “Daily **** **** **** 1111”.', about: 'schedules' },
    });
    const [schedule] = await listSchedules(db, (await loadViewer(db, mia.userId))!);
    const id = schedule!.id;

    // Someone else's, or nobody's: the same 404, and nothing changes.
    for (const intent of ['delete-schedule', 'resume-schedule', 'run-now']) {
      for (const [token, target] of [
        [olu.token, id],
        [mia.token, 'rps_missing'],
      ] as const) {
        expect(await post(token, `intent=${intent}&id=${target}`)).toEqual({
          status: 404,
          data: { ok: false, fieldErrors: {}, formError: 'No such schedule.', about: 'schedules' },
        });
      }
      expect(await post(mia.token, `intent=${intent}&id=+`)).toEqual({
        status: 400,
        data: {
          ok: false,
          fieldErrors: { id: 'Choose a schedule' },
          formError: 'Choose a schedule.',
          about: 'schedules',
        },
      });
    }
    expect(await post(mia.token, 'intent=publish&id=x')).toEqual({
      status: 400,
      data: {
        ok: false,
        fieldErrors: { intent: 'Choose an action' },
        formError: 'Unknown action.',
        about: 'schedules',
      },
    });
    expect(await post(mia.token, JSON.stringify({ intent: 'delete-schedule', id }), 'application/json')).toMatchObject({
      status: 415,
      data: { error: { code: 'unsupported_media_type', field: 'Content-Type' } },
    });
    expect((await listSchedules(db, (await loadViewer(db, mia.userId))!)).map((row) => row.id)).toEqual([id]);

    expect(await post(mia.token, `intent=resume-schedule&id=${id}`)).toEqual({
      status: 200,
      data: { ok: true, message: 'Resumed “Daily **** **** **** 1111”.', about: 'schedules' },
    });
    expect(await post(mia.token, `intent=delete-schedule&id=${id}`)).toEqual({
      status: 200,
      data: { ok: true, message: 'Deleted the schedule “Daily **** **** **** 1111”.', about: 'schedules' },
    });
    expect(await listSchedules(db, (await loadViewer(db, mia.userId))!)).toEqual([]);
    expect((await post(mia.token, `intent=delete-schedule&id=${id}`)).status).toBe(404);

    const name = 'Daily **** **** **** 1111';
    expect(await audit()).toEqual([
      {
        actor_name: 'Mia Manager',
        action: 'report_schedule_create',
        target: `schedule:${id}`,
        details: {
          name,
          report: 'agents',
          format: 'csv',
          cadence: 'daily',
          runAt: '06:00',
          timezone: 'Europe/Paris',
          filters: { team: ['tm_retail'], agent: [], channel: [], currency: ['EUR'], status: [] },
        },
      },
      { actor_name: 'Mia Manager', action: 'report_schedule_resume', target: `schedule:${id}`, details: { name } },
      { actor_name: 'Mia Manager', action: 'report_schedule_delete', target: `schedule:${id}`, details: { name } },
    ]);
  });

  it('a refused schedule names its fields and leaves no audit entry', async () => {
    const mia = await createServiceToken(db, { role: 'manager', name: 'Mia Manager' });
    const refused = await post(
      mia.token,
      'intent=schedule&name=&report=agents&format=pdf&cadence=daily&runAt=6am&timezone=UTC',
    );
    expect(refused).toEqual({
      status: 400,
      data: {
        ok: false,
        fieldErrors: { name: 'Give the report a name', format: 'Choose CSV or XLSX', runAt: 'Enter a time HH:MM' },
        formError: null,
        about: 'schedules',
      },
    });
    expect(await audit()).toEqual([]);
  });
});

describe('deleting a kept file from /reports', () => {
  it('is audited with the file it removed', async () => {
    const mia = await createServiceToken(db, { role: 'manager', name: 'Mia Manager' });
    expect((await post(mia.token, SCHEDULE)).status).toBe(200);
    const owner = (await loadViewer(db, mia.userId))!;
    const [schedule] = await listSchedules(db, owner);
    const made = (await runSchedule(
      db,
      schedule!,
      Date.parse('2030-03-02T05:00:00Z'),
      Date.parse('2030-03-02T05:00:00Z'),
    ))!;
    expect((await listReportFiles(db, owner)).map((row) => row.id)).toEqual([made.id]);

    expect(await post(mia.token, `intent=delete-file&id=${made.id}`)).toEqual({
      status: 200,
      data: { ok: true, message: `Deleted ${made.fileName}.`, about: 'files' },
    });
    expect((await audit()).slice(1)).toEqual([
      {
        actor_name: 'Mia Manager',
        action: 'report_file_delete',
        target: `report_file:${made.id}`,
        details: { fileName: made.fileName },
      },
    ]);
  });
});
