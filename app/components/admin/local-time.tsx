import { useRouteLoaderData } from '@remix-run/react';
import { formatDateTime } from '../../domain/format';
import { useLocale } from '../use-locale';

/** The organisation's time zone, from the signed-in layout's loader. */
export function useOrgTimeZone(): string {
  const data = useRouteLoaderData<{ orgTimeZone: string }>('routes/_app');
  return data?.orgTimeZone ?? 'UTC';
}

/** An instant in the organisation's zone; the machine-readable ISO form rides along. */
export function LocalTime({ ms, fallback = '—' }: { ms: number | null; fallback?: string }) {
  const timeZone = useOrgTimeZone();
  const locale = useLocale();
  if (ms === null) return <span className="muted">{fallback}</span>;
  return (
    // Server and browser may ship different ICU data ('Sep' vs 'Sept'); the server's text stays.
    <time dateTime={new Date(ms).toISOString()} suppressHydrationWarning>
      {formatDateTime(ms, timeZone, locale)}
    </time>
  );
}
