/**
 * Run in a process of its own by report-scheduler-failover.test.ts: one instance's sweep of the due
 * scheduled reports on the database named on the command line, at the instant given (epoch ms).
 * Prints `running` before it starts and `done` once it has finished; the test kills it between.
 */
import { runDueReports } from '../../app/write/report-scheduler.server';
import { closeDatabase, openDatabaseUrl } from '../../db/client';

const [url, at] = process.argv.slice(2) as [string, string];
const db = openDatabaseUrl(url);
console.log('running');
const files = await runDueReports(db, Number(at));
console.log(`done ${files.length}`);
await closeDatabase(db);
