const DAY = 86_400_000;

function toDay(date: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return Math.floor(Date.UTC(y, m - 1, d) / DAY);
}

function toDate(day: number): string {
  return new Date(day * DAY).toISOString().slice(0, 10);
}

export interface DatePreset {
  key: string;
  label: string;
  from: string;
  to: string;
}

/** Ranges people ask for, relative to today's date in their zone (calendar days, ISO weeks). */
export function datePresets(today: string): DatePreset[] {
  const t = toDay(today);
  const monday = t - ((new Date(t * DAY).getUTCDay() + 6) % 7);
  const [y, m] = today.split('-').map(Number) as [number, number];
  const firstOfMonth = Math.floor(Date.UTC(y, m - 1, 1) / DAY);
  const firstOfLastMonth = Math.floor(Date.UTC(y, m - 2, 1) / DAY);
  return [
    { key: 'today', label: 'Today', from: toDate(t), to: toDate(t) },
    { key: 'yesterday', label: 'Yesterday', from: toDate(t - 1), to: toDate(t - 1) },
    { key: 'last-7', label: 'Last 7 days', from: toDate(t - 6), to: toDate(t) },
    { key: 'last-30', label: 'Last 30 days', from: toDate(t - 29), to: toDate(t) },
    { key: 'last-week', label: 'Last week', from: toDate(monday - 7), to: toDate(monday - 1) },
    { key: 'this-month', label: 'This month', from: toDate(firstOfMonth), to: toDate(t) },
    { key: 'last-month', label: 'Last month', from: toDate(firstOfLastMonth), to: toDate(firstOfMonth - 1) },
  ];
}
