import { useRouteLoaderData } from '@remix-run/react';
import { dateTimeFormat } from '../lib/intl-cache';

/**
 * The reader's locale (the first of their browser's Accept-Language that this runtime knows), from
 * the root loader: every date, time and number on a page is formatted for it, alike on the server
 * and in the browser.
 */
export function useLocale(): string {
  const root = useRouteLoaderData('root') as { locale?: string } | undefined;
  return root?.locale ?? 'en';
}

/** A calendar date 'YYYY-MM-DD' as the reader writes it: '26 Nov 2026' (en-GB), 'Nov 26, 2026' (en-US), '26.11.2026' (de). */
export function formatCalendarDate(date: string, locale: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return '';
  const at = Date.parse(`${date}T00:00:00Z`);
  if (Number.isNaN(at)) return '';
  return dateTimeFormat(locale, { timeZone: 'UTC', dateStyle: 'medium' }).format(at);
}
