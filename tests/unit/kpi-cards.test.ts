import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { KpiCards } from '../../app/components/kpi-cards';
import { emptyCounts, type MetricCounts, type PayTimes, payTimes, toMetrics } from '../../app/domain/metrics';
import type { Comparison } from '../../app/read/date-ranges';

const comparison: Comparison = {
  from: '2026-11-23',
  to: '2026-11-29',
  start: Date.parse('2026-11-23T00:00:00Z'),
  end: Date.parse('2026-11-30T00:00:00Z'),
  partial: false,
};

const metrics = (counts: Partial<MetricCounts>, times?: PayTimes) => toMetrics({ ...emptyCounts(), ...counts }, times);

/** Each card's value, the text under it as the page shows them, and the tone of its change. */
function cards(
  current: Partial<MetricCounts>,
  previous: Partial<MetricCounts>,
  locale = 'en',
  times: { current?: number[]; previous?: number[] } = {},
): Record<string, string[]> {
  const html = renderToStaticMarkup(
    createElement(KpiCards, {
      current: metrics(current, times.current && payTimes(times.current)),
      previous: metrics(previous, times.previous && payTimes(times.previous)),
      comparison,
      timeZone: 'UTC',
      locale,
    }),
  );
  const text = (fragment: string) =>
    fragment
      .replace(/<span class="visually-hidden">.*?<\/span>/g, '')
      .replace(/<[^>]+>/g, '')
      .replace(/&#x27;/g, "'")
      .trim();
  const result: Record<string, string[]> = {};
  for (const match of html.matchAll(
    /<div class="kpi card" data-kpi="([^"]+)"><div class="kpi-label">[^<]*<\/div><div class="kpi-value">(.*?)<\/div><div class="kpi-delta ([a-z]+)"[^>]*>(.*?)<\/div><\/div>/g,
  ))
    result[match[1]!] = [text(match[2]!), text(match[4]!), match[3]!];
  return result;
}

describe('the KPI cards', () => {
  it('say how many requests failed to send when none was sent: the range is not silently zero', () => {
    const shown = cards({ sendFailures: 3 }, {});
    expect(shown['Links sent']).toEqual(['0', 'not enough data', 'none']);
    expect(shown['Failed sends']).toEqual(['3', 'not enough data · requests created in range', 'none']);
  });

  it('count failed sends in the reader’s locale, a rise shown as bad, a fall as good', () => {
    const german = cards({ sent: 2_000, sendFailures: 1_500 }, { sent: 40, sendFailures: 1_000 }, 'de');
    expect(german['Failed sends']).toEqual(['1.500', '+50,0\u00a0% · requests created in range', 'bad']);
    expect(cards({ sent: 40, sendFailures: 2 }, { sent: 40, sendFailures: 4 })['Failed sends']).toEqual([
      '2',
      '−50.0% · requests created in range',
      'good',
    ]);
  });

  it('round a change of a rate half away from zero, a rise and a fall alike, and call too small a change flat', () => {
    // 201 of 400 paid is 50.25%, 200 of 400 50%: a quarter of a point either way.
    expect(cards({ sent: 400, paid: 201 }, { sent: 400, paid: 200 }).Conversion).toEqual([
      '50.3%',
      '+0.3 pts · 201 paid',
      'good',
    ]);
    expect(cards({ sent: 400, paid: 200 }, { sent: 400, paid: 201 }).Conversion).toEqual([
      '50.0%',
      '−0.3 pts · 200 paid',
      'bad',
    ]);
    // 2,001 of 5,000 against 2,000 of 5,000: 0.02 points, shown as no change.
    expect(cards({ sent: 5_000, paid: 2_001 }, { sent: 5_000, paid: 2_000 }).Conversion).toEqual([
      '40.0%',
      '0.0 pts · 2,001 paid',
      'flat',
    ]);
  });

  it('compare no rate over a few links of this period: 0 of 3 paid is no fall of 45 points', () => {
    const shown = cards({ sent: 3, opened: 3 }, { sent: 40, opened: 20, paid: 18 });
    expect(shown.Conversion).toEqual(['0.0%', 'not enough data · 0 paid', 'none']);
    expect(shown['Open rate']).toEqual(['100.0%', 'not enough data · 3 opened', 'none']);
    // Counts are still compared: 3 links against 40 is a true fall.
    expect(shown['Links sent']).toEqual(['3', '−92.5%', 'bad']);
    const enough = cards({ sent: 20, paid: 5 }, { sent: 40, paid: 18 });
    expect(enough.Conversion).toEqual(['25.0%', '−20.0 pts · 5 paid', 'bad']);
  });

  it('say what a median of a few payments stands on, and compare it only over enough of them', () => {
    const median = (paid: number, seconds: number[], before: number[], locale = 'en') =>
      cards({ sent: 40, paid }, { sent: 40, paid: before.length }, locale, { current: seconds, previous: before })[
        'Median time to pay'
      ];
    // One payment is its own median and p90; one in 4 minutes against one in 1 was '+300.0%' in red.
    expect(median(1, [240], [60])).toEqual(['4m 00s', 'not enough data · 1 paid', 'none']);
    // With 2 to 9 payments the nearest-rank p90 is the slowest of them: it was 'p90 9m 00s'.
    expect(median(2, [60, 540], [60])).toEqual(['1m 00s', 'not enough data · slowest 9m 00s · 2 paid', 'none']);
    const nine = [60, 70, 80, 90, 100, 110, 120, 130, 900];
    expect(median(9, nine, [], 'fr-FR')).toEqual(['1min 40s', 'not enough data · slowest 15min 00s · 9 paid', 'none']);
    // From 10 the p90 is one of them, not the slowest (9th of 10), and from 20 on each side a change is shown.
    const ten = [...nine, 1_000];
    expect(median(10, ten, [])).toEqual(['1m 40s', 'not enough data · p90 15m 00s', 'none']);
    const twenty = Array.from({ length: 20 }, (_, i) => 60 + i);
    expect(
      median(
        20,
        twenty,
        twenty.map((s) => s * 2),
      ),
    ).toEqual(['1m 09s', '−50.0% · p90 1m 17s', 'good']);
    expect(median(20, twenty, twenty.slice(1))).toEqual(['1m 09s', 'not enough data · p90 1m 17s', 'none']);
  });
});
