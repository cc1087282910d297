import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { Funnel } from '../../app/components/funnel';

/** The funnel's notes under each step, as text. */
function notes(metrics: { sent: number; opened: number; paid: number }, locale = 'en'): string[] {
  const html = renderToStaticMarkup(createElement(Funnel, { metrics, locale }));
  return [...html.matchAll(/<div class="funnel-note muted small">(.*?)<\/div>/g)].map((match) => match[1]!);
}

describe('the funnel', () => {
  it('gives each step as a share of sent, and paid of opened', () => {
    expect(notes({ sent: 200, opened: 150, paid: 60 })).toEqual([
      '100.0%',
      '75.0% of sent',
      '30.0% of sent · 40.0% of opened',
    ]);
    expect(notes({ sent: 200, opened: 150, paid: 60 }, 'de')[2]).toBe('30,0\u00a0% of sent · 40,0\u00a0% of opened');
  });

  it('leaves out "of opened" when more were paid than opened (paid straight from sent): never over 100%', () => {
    expect(notes({ sent: 10, opened: 4, paid: 5 })).toEqual(['100.0%', '40.0% of sent', '50.0% of sent']);
    expect(notes({ sent: 10, opened: 0, paid: 2 })).toEqual(['100.0%', '0.0% of sent', '20.0% of sent']);
  });

  it('says so when no link was sent', () => {
    expect(notes({ sent: 0, opened: 0, paid: 0 })).toEqual(['No links sent', '— of sent', '— of sent']);
  });
});
