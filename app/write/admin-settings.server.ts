import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { type Db, writeTransaction } from '../../db/client';
import { settings } from '../../db/tables';
import { isCurrencyCode } from '../domain/money';
import { getEnv } from '../lib/env.server';
import { failure, fieldErrorsOf, type Outcome } from '../lib/form.server';
import { isTimeZoneName } from '../lib/time-zone';
import { WEEK_STARTS } from '../read/date-ranges';
import {
  DEFAULT_ORG_DISPLAY_NAME,
  getCurrencies,
  getEmbedOrigins,
  getExpirySettings,
  getOrgBranding,
  getOrgTimeZone,
  getWeekStartsOn,
  readSetting,
  type SettingKey,
} from '../read/settings.server';
import type { AdminContext } from './admin.server';
import { recordAudit } from './audit.server';

async function writeSetting(db: Db, key: SettingKey, value: string | null): Promise<void> {
  if (value === null) await writeTransaction(db, async () => await db.delete(settings).where(eq(settings.key, key)));
  else
    await writeTransaction(
      db,
      async () =>
        await db.insert(settings).values({ key, value }).onConflictDoUpdate({ target: settings.key, set: { value } }),
    );
}

/** The IANA name as the runtime spells it ('europe/london' → 'Europe/London'); offsets like '+02:00' are not zones. */
function canonicalTimeZone(zone: string): string | null {
  if (!isTimeZoneName(zone) || /^[+-]\d/.test(zone)) return null;
  return new Intl.DateTimeFormat('en', { timeZone: zone }).resolvedOptions().timeZone;
}

const ttlMinutes = (label: string) =>
  z.coerce
    .number({ message: `Enter the ${label} in minutes` })
    .min(1, 'At least 1 minute')
    .max(30, 'At most 30 minutes');

/** http is for a desk on this machine only (development); anything else must be https. */
function isLocalHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '127.0.0.1' || hostname === '[::1]';
}

/** 'https://desk.example.com/path' → 'https://desk.example.com'; null when it is not an allowable origin. */
export function parseEmbedOrigin(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  const secure = url.protocol === 'https:' || (url.protocol === 'http:' && isLocalHost(url.hostname));
  if (!secure || url.username || url.password) return null;
  return url.origin;
}

const settingsSchema = z.object({
  linkTtlUnopened: ttlMinutes('time an unopened link stays valid'),
  linkTtlOpened: ttlMinutes('time an opened link stays valid'),
  orgTimezone: z
    .string()
    .trim()
    .transform((zone, ctx) => {
      const canonical = canonicalTimeZone(zone);
      if (!canonical)
        ctx.addIssue({ code: 'custom', message: 'Enter an IANA time zone name, e.g. Africa/Johannesburg' });
      return canonical ?? zone;
    }),
  weekStartsOn: z.coerce
    .number()
    .refine((day) => WEEK_STARTS.some((start) => start.day === day), 'Choose Monday, Sunday or Saturday')
    .optional(),
  currencies: z
    .string()
    .max(400, 'Too long')
    .transform((list, ctx) => {
      const codes = [
        ...new Set(
          list
            .split(/[\s,]+/)
            .map((code) => code.trim().toUpperCase())
            .filter(Boolean),
        ),
      ];
      const bad = codes.filter((code) => !isCurrencyCode(code));
      if (bad.length) ctx.addIssue({ code: 'custom', message: `Not ISO 4217 currency codes: ${bad.join(', ')}` });
      return codes;
    }),
  orgDisplayName: z
    .string()
    .trim()
    .max(80, 'At most 80 characters')
    .transform((name) => name || DEFAULT_ORG_DISPLAY_NAME),
  orgLogoUrl: z
    .string()
    .trim()
    .max(500, 'At most 500 characters')
    .refine((text) => text === '' || (/^https:\/\/[^\s]+$/i.test(text) && URL.canParse(text)), {
      message: 'Enter an https:// address of an image, or leave it empty',
    })
    .transform((text) => text || null),
  embedOrigins: z
    .string()
    .max(2000, 'Too long')
    .transform((list, ctx) => {
      const entries = list.split(/[\s,]+/).filter(Boolean);
      const origins = entries.map(parseEmbedOrigin);
      const bad = entries.filter((_, index) => origins[index] === null);
      if (bad.length) {
        ctx.addIssue({
          code: 'custom',
          message: `Not https origins: ${bad.join(', ')} (http only for localhost, e.g. https://desk.example.com)`,
        });
      }
      return [...new Set(origins.filter((origin): origin is string => origin !== null))];
    }),
});

/** The organisation settings as the admin edits them: TTLs in minutes (stored in seconds). */
export async function getSettingsValues(db: Db) {
  const { ttlUnopenedMs, ttlOpenedMs } = await getExpirySettings(db);
  return {
    linkTtlUnopened: ttlUnopenedMs / 60_000,
    linkTtlOpened: ttlOpenedMs / 60_000,
    orgTimezone: await getOrgTimeZone(db),
    currencies: await getCurrencies(db),
    weekStartsOn: (await getWeekStartsOn(db)) as number,
    orgDisplayName: (await getOrgBranding(db)).displayName,
    orgLogoUrl: (await getOrgBranding(db)).logoUrl ?? '',
    embedOrigins: await getEmbedOrigins(db),
  };
}

/** Saves the settings that changed; one settings_change audit entry lists each with its before and after. */
export async function updateSettings(ctx: AdminContext, input: unknown): Promise<Outcome> {
  const { db } = ctx;
  const parsed = settingsSchema.safeParse(input);
  if (!parsed.success) return failure(fieldErrorsOf(parsed.error));
  const current = await getSettingsValues(db);
  const next = parsed.data;
  const changes: Record<string, { before: unknown; after: unknown }> = {};
  const writes: [SettingKey, string | null][] = [];
  const ttl = [
    ['link_ttl_unopened', current.linkTtlUnopened, next.linkTtlUnopened],
    ['link_ttl_opened', current.linkTtlOpened, next.linkTtlOpened],
  ] as const;
  for (const [key, beforeMinutes, afterMinutes] of ttl) {
    const before = Math.round(beforeMinutes * 60);
    const after = Math.round(afterMinutes * 60);
    if (before !== after) {
      changes[key] = { before, after };
      writes.push([key, String(after)]);
    }
  }
  if (current.orgTimezone !== next.orgTimezone) {
    changes.org_timezone = { before: current.orgTimezone, after: next.orgTimezone };
    writes.push(['org_timezone', next.orgTimezone]);
  }
  if (next.weekStartsOn !== undefined && current.weekStartsOn !== next.weekStartsOn) {
    changes.week_starts_on = { before: current.weekStartsOn, after: next.weekStartsOn };
    writes.push(['week_starts_on', String(next.weekStartsOn)]);
  }
  if (current.currencies.join(',') !== next.currencies.join(',')) {
    changes.currencies = { before: current.currencies, after: next.currencies };
    writes.push(['currencies', next.currencies.length ? next.currencies.join(',') : null]);
  }
  if (current.orgDisplayName !== next.orgDisplayName) {
    changes.org_display_name = { before: current.orgDisplayName, after: next.orgDisplayName };
    writes.push(['org_display_name', next.orgDisplayName === DEFAULT_ORG_DISPLAY_NAME ? null : next.orgDisplayName]);
  }
  if ((current.orgLogoUrl || null) !== next.orgLogoUrl) {
    changes.org_logo_url = { before: current.orgLogoUrl || null, after: next.orgLogoUrl };
    writes.push(['org_logo_url', next.orgLogoUrl]);
  }
  if (current.embedOrigins.join(' ') !== next.embedOrigins.join(' ')) {
    changes.embed_origins = { before: current.embedOrigins, after: next.embedOrigins };
    writes.push(['embed_origins', next.embedOrigins.length ? next.embedOrigins.join(' ') : null]);
  }
  if (writes.length === 0) return { ok: true, message: 'Nothing to change.' };
  await writeTransaction(db, async () => {
    for (const [key, value] of writes) await writeSetting(db, key, value);
    await recordAudit(db, { action: 'settings_change', actor: ctx.actor, details: { changes }, ip: ctx.ip });
  });
  return { ok: true, message: 'Settings saved.' };
}

/** A Standard Webhooks secret: whsec_ and 32 random bytes in base64. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** Where the signing secret comes from and whether a rotation (two valid secrets) is under way. */
export async function getWebhookSecretStatus(db: Db) {
  return {
    source: (await readSetting(db, 'webhook_secret')) ? ('settings' as const) : ('environment' as const),
    rotating: (await readSetting(db, 'webhook_secret_previous')) !== null,
  };
}

/**
 * Starts a rotation: a new current secret, the old one kept as previous so both verify until the
 * senders switch (SPEC §2). Refused while a rotation is under way: a third secret would silently
 * drop the one senders may still use.
 */
export async function rotateWebhookSecret(ctx: AdminContext): Promise<Outcome<{ secret: string }>> {
  const { db } = ctx;
  const secret = generateWebhookSecret();
  const started = await writeTransaction(db, async () => {
    if ((await readSetting(db, 'webhook_secret_previous')) !== null) return false;
    const current = (await readSetting(db, 'webhook_secret')) ?? getEnv().WEBHOOK_SECRET;
    await writeSetting(db, 'webhook_secret_previous', current);
    await writeSetting(db, 'webhook_secret', secret);
    // Never the secrets themselves: the audit log is readable by every admin, forever.
    await recordAudit(db, {
      action: 'webhook_secret_rotate',
      actor: ctx.actor,
      details: { phase: 'started' },
      ip: ctx.ip,
    });
    return true;
  });
  if (!started) return failure({}, 'A rotation is already under way: finish it before starting another.');
  return { ok: true, message: 'New secret created. Both secrets are valid until you finish the rotation.', secret };
}

/** Ends a rotation: only the new secret verifies from now on. */
export async function finishWebhookRotation(ctx: AdminContext): Promise<Outcome> {
  const { db } = ctx;
  const finished = await writeTransaction(db, async () => {
    if ((await readSetting(db, 'webhook_secret_previous')) === null) return false;
    await writeSetting(db, 'webhook_secret_previous', null);
    await recordAudit(db, {
      action: 'webhook_secret_rotate',
      actor: ctx.actor,
      details: { phase: 'finished' },
      ip: ctx.ip,
    });
    return true;
  });
  if (!finished) return failure({}, 'No rotation is under way.');
  return { ok: true, message: 'Rotation finished: only the new secret is valid now.' };
}
