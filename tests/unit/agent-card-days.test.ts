import { describe, expect, it } from 'vitest';
import { groupAgentCards } from '../../app/read/agent-console.server';

describe('the agent console’s days of finished requests', () => {
  it('calls the calendar day before Yesterday, on the evening of a 25-hour DST day too', () => {
    // New York left summer time on 1 November 2026 (a 25-hour day); now is 23:30 that evening.
    const now = Date.parse('2026-11-02T04:30:00Z');
    const card = (id: string, closedAt: string) => ({
      id,
      status: 'paid' as const,
      closedAt: Date.parse(closedAt),
      createdAt: Date.parse(closedAt) - 60_000,
    });
    const grouped = groupAgentCards(
      [
        card('pr_today', '2026-11-01T14:00:00Z'),
        card('pr_yesterday', '2026-10-31T16:00:00Z'),
        card('pr_before', '2026-10-30T16:00:00Z'),
      ],
      'America/New_York',
      now,
    );
    expect(grouped.finished.map((day) => [day.label, day.cards.map((c) => c.id)])).toEqual([
      ['Today', ['pr_today']],
      ['Yesterday', ['pr_yesterday']],
      ['Friday 30 October', ['pr_before']],
    ]);
  });
});
