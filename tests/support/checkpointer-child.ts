/**
 * Run in a process of its own by checkpointer.test.ts: a checkpointer started on the file named on
 * the command line and never stopped, one write, then nothing left to do: the process must end.
 */
import { startCheckpointer } from '../../db/checkpointer';
import { openDatabase } from '../../db/client';

const file = process.argv[2]!;
const db = openDatabase(file);
startCheckpointer(db.$client, file, { intervalMs: 20 });
db.$client.exec("INSERT INTO settings (key, value) VALUES ('child', '1') ON CONFLICT DO NOTHING");
console.log('written');
