/**
 * Run in a process of its own by requests-list-search-thread.test.ts: one statement on the search
 * thread of the file named on the command line, its rows printed, then nothing left to do.
 */
import { searchOnThread } from '../../app/read/request-list/search-pool.server';
import { openDatabase } from '../../db/client';

const db = openDatabase(process.argv[2]!);
console.log(JSON.stringify(await searchOnThread(db, { sql: 'SELECT count(*) FROM payment_requests', params: [] })));
