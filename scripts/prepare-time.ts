import { prepareInputs } from '../app/write/ingest-plan';
import { freshEvents } from '../bench/_events';
const now = Date.now();
const events = freshEvents(40000, now);
const texts = [];
for (let i = 0; i < events.length; i += 1000) texts.push(events.slice(i, i + 1000).map((e) => JSON.stringify(e)));
const times: number[] = [];
for (let round = 0; round < 7; round++) {
  const started = performance.now();
  for (const batch of texts) prepareInputs(batch.map((t) => JSON.parse(t)), now);
  times.push(performance.now() - started);
}
times.sort((a, b) => a - b);
console.log('prepare 40k events (incl. JSON.parse): median', times[3].toFixed(0), 'ms, min', times[0].toFixed(0));
