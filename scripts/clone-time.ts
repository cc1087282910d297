// What copying a prepared batch of 1,000 bench events to another thread costs (v8.serialize and
// deserialize, as postMessage does): as PreparedInput objects, and as the writer thread's flat arrays
// (app/write/ingest-writer.ts). Usage: npx tsx scripts/clone-time.ts
import { deserialize, serialize } from 'node:v8';
import { prepareInputs } from '../app/write/ingest-plan';
import { toWire } from '../app/write/ingest-writer';
import { freshEvents } from '../bench/_events';

const now = Date.now();
const prepared = prepareInputs(freshEvents(1000, now), now);
for (const [name, value] of [
  ['objects', prepared],
  ['flat arrays', toWire(prepared)],
] as const) {
  const write: number[] = [];
  const read: number[] = [];
  let bytes = 0;
  for (let round = 0; round < 50; round++) {
    let started = performance.now();
    const buffer = serialize(value);
    write.push(performance.now() - started);
    started = performance.now();
    deserialize(buffer);
    read.push(performance.now() - started);
    bytes = buffer.length;
  }
  const median = (times: number[]) => times.sort((a, b) => a - b)[times.length >> 1]!.toFixed(2);
  console.log(`${name}: serialize ${median(write)} ms, deserialize ${median(read)} ms, ${bytes.toLocaleString('en')} bytes`);
}
