import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { type TrendBucket, TrendChart } from '../../app/components/trend-chart';
import { bucketProgress, bucketStarts, isoInZone } from '../../app/lib/time-buckets';

const zero = { sent: 0, paid: 0, declined: 0, expired: 0, canceled: 0, inFlight: 0 };

describe('bucketProgress', () => {
  it('says which day of the range is still running and which have not begun, in the zone, DST day included', () => {
    // Paris falls back on 25 Oct 2026: that day is 25 hours long.
    const start = Date.parse('2026-10-24T00:00:00+02:00');
    const end = Date.parse('2026-10-27T00:00:00+01:00');
    const starts = bucketStarts(start, end, 'day', 'Europe/Paris')!;
    // 23:30 local on the 25 Oct (UTC+1 by then) is still that day.
    expect(bucketProgress(starts, end, Date.parse('2026-10-25T23:30:00+01:00'))).toEqual(['over', 'running', 'ahead']);
    expect(bucketProgress(starts, end, Date.parse('2026-10-26T00:00:00+01:00'))).toEqual(['over', 'over', 'running']);
    expect(bucketProgress(starts, end, end)).toEqual(['over', 'over', 'over']);
    expect(bucketProgress(starts, end, start - 1)).toEqual(['ahead', 'ahead', 'ahead']);
  });
});

function render(buckets: TrendBucket[], interval: 'day' | 'hour' = 'day') {
  const html = renderToStaticMarkup(
    createElement(TrendChart, { buckets, interval, timeZone: 'Europe/Paris', locale: 'en-US' }),
  );
  const rows = [...html.matchAll(/<tr><th scope="row"><time[^>]*>(.*?)<\/time><\/th>(.*?)<\/tr>/g)].map((row) => [
    row[1]!,
    ...[...row[2]!.matchAll(/<td class="num">(.*?)<\/td>/g)].map((cell) => cell[1]!),
  ]);
  const caption = /<figcaption[^>]*>(.*?)<\/figcaption>/.exec(html)![1]!.replace(/<[^>]+>/g, '');
  return { rows, caption };
}

describe('the trend chart', () => {
  it('marks today as counted so far and the days after it as not begun, not as days of nothing', () => {
    const { rows, caption } = render([
      { start: '2026-12-05T00:00:00.000+01:00', ...zero, sent: 40, paid: 36, expired: 4, progress: 'over' },
      { start: '2026-12-06T00:00:00.000+01:00', ...zero, sent: 2, paid: 1, inFlight: 1, progress: 'running' },
      { start: '2026-12-07T00:00:00.000+01:00', ...zero, progress: 'ahead' },
    ]);
    expect(rows).toEqual([
      ['Dec 5', '0', '36', '0', '4', '0', '40'],
      ['Dec 6 (so far)', '1', '1', '0', '0', '0', '2'],
      ['Dec 7 (not yet)', '—', '—', '—', '—', '—', '—'],
    ]);
    expect(caption).toBe(
      'Links sent per day by what became of them: 42 in all. Dec 6 is not over: its bar, drawn lighter, holds the links sent so far. Later days of the range have not begun.',
    );
  });

  it('says nothing more of a range that is over', () => {
    const { rows, caption } = render([{ start: '2026-12-05T00:00:00.000+01:00', ...zero, sent: 3, paid: 3 }]);
    expect(rows).toEqual([['Dec 5', '0', '3', '0', '0', '0', '3']]);
    expect(caption).toBe('Links sent per day by what became of them: 3 in all.');
  });

  it('names the offset of the hour a fall-back repeats, which read the same twice', () => {
    // Paris, 25 Oct 2026: 02:00-03:00 happens at +02:00, then again at +01:00 (a 25-hour day).
    const start = Date.parse('2026-10-25T00:00:00+02:00');
    const starts = bucketStarts(start, Date.parse('2026-10-26T00:00:00+01:00'), 'hour', 'Europe/Paris')!;
    const { rows } = render(
      starts.map((at) => ({ start: isoInZone(at, 'Europe/Paris'), ...zero })),
      'hour',
    );
    expect(rows).toHaveLength(25);
    expect(rows.slice(0, 5).map((row) => row[0])).toEqual([
      '12:00 AM',
      '1:00 AM',
      '2:00 AM GMT+2',
      '2:00 AM GMT+1',
      '3:00 AM',
    ]);
  });
});
