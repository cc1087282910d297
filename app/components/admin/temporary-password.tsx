import { formatDayTime } from '../../domain/format';
import { useLocale } from '../use-locale';
import { useOrgTimeZone } from './local-time';

/** An admin's temporary password that its holder has not replaced yet (see listUsers). */
export interface TemporaryPasswordState {
  expiresAt: number | null;
  expired: boolean;
}

/** Day and time in the organisation's zone; the machine-readable ISO form rides along. */
function DayTime({ ms }: { ms: number }) {
  const timeZone = useOrgTimeZone();
  const locale = useLocale();
  return (
    <time dateTime={new Date(ms).toISOString()} suppressHydrationWarning>
      {formatDayTime(ms, timeZone, locale)}
    </time>
  );
}

/**
 * For the users list: a 'Temporary password' badge, amber while it works and red once expired, over
 * when it expires or expired ('Expires 25 Nov, 14:00').
 */
export function TemporaryPasswordBadge({ state }: { state: TemporaryPasswordState }) {
  const { expiresAt, expired } = state;
  return (
    <>
      <span className={`badge ${expired ? 'badge-bad' : 'badge-warn'}`}>Temporary password</span>
      {expiresAt === null ? null : (
        <span className={expired ? 'expiry bad-text' : 'expiry hint'}>
          {expired ? 'Expired' : 'Expires'} <DayTime ms={expiresAt} />
        </span>
      )}
    </>
  );
}

/** For the notes beside a temporary password shown once. */
export function ValidUntil({ expiresAt }: { expiresAt: number | undefined }) {
  if (expiresAt === undefined) return null;
  return (
    <>
      It works for 72 hours, until <DayTime ms={expiresAt} />.{' '}
    </>
  );
}
