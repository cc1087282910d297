import type { Day } from 'date-fns';
import { eq } from 'drizzle-orm';
import { type Db, first } from '../../db/client';
import { settings } from '../../db/tables';
import { currencyExponent } from '../domain/money';
import type { ExpirySettings } from '../domain/replay';
import { getEnv } from '../lib/env.server';
import { DEFAULT_WEEK_START, WEEK_STARTS } from './date-ranges';

export const SETTING_KEYS = [
  'link_ttl_unopened',
  'link_ttl_opened',
  'org_timezone',
  'webhook_secret',
  'webhook_secret_previous',
  /** Comma list of ISO 4217 codes the organisation takes payments in (admin settings). */
  'currencies',
  /** The day weeks start on for the This week / Last week presets: 0 Sunday, 1 Monday, 6 Saturday. */
  'week_starts_on',
  /** The name customers see on the pay page (default DEFAULT_ORG_DISPLAY_NAME). */
  'org_display_name',
  /** An https URL of the organisation's logo, shown on the pay page. */
  'org_logo_url',
  /** Space-separated origins allowed to frame /embed/* (the chat desks that host the agent panel). */
  'embed_origins',
] as const;
export type SettingKey = (typeof SETTING_KEYS)[number];

export async function readSetting(db: Db, key: SettingKey): Promise<string | null> {
  return (
    first(await db.select({ value: settings.value }).from(settings).where(eq(settings.key, key)).limit(1))?.value ??
    null
  );
}

/** Link TTLs: the admin's setting when there is one, else the environment's. */
export async function getExpirySettings(db: Db): Promise<ExpirySettings> {
  const env = getEnv();
  const unopened = Number((await readSetting(db, 'link_ttl_unopened')) ?? env.LINK_TTL_UNOPENED);
  const opened = Number((await readSetting(db, 'link_ttl_opened')) ?? env.LINK_TTL_OPENED);
  return { ttlUnopenedMs: unopened * 1000, ttlOpenedMs: opened * 1000 };
}

export async function getOrgTimeZone(db: Db): Promise<string> {
  return (await readSetting(db, 'org_timezone')) ?? getEnv().ORG_TIMEZONE;
}

/** The organisation's first day of the week (admin settings), Monday unless set. */
export async function getWeekStartsOn(db: Db): Promise<Day> {
  const value = await readSetting(db, 'week_starts_on');
  return WEEK_STARTS.find((start) => String(start.day) === value)?.day ?? DEFAULT_WEEK_START;
}

/** The currencies in use, in the order the admin listed them; empty when none are set. */
export async function getCurrencies(db: Db): Promise<string[]> {
  const value = await readSetting(db, 'currencies');
  return value ? value.split(',').filter(Boolean) : [];
}

export const DEFAULT_ORG_DISPLAY_NAME = 'Paylink Desk';

/** Who the customer pays, as the pay page names it: the admin's display name and logo. */
export async function getOrgBranding(db: Db): Promise<{ displayName: string; logoUrl: string | null }> {
  return {
    displayName: (await readSetting(db, 'org_display_name')) ?? DEFAULT_ORG_DISPLAY_NAME,
    logoUrl: await readSetting(db, 'org_logo_url'),
  };
}

/** The origins an admin allows to frame the embedded agent panel, e.g. ['https://desk.example.com']. */
export async function getEmbedOrigins(db: Db): Promise<string[]> {
  const value = await readSetting(db, 'embed_origins');
  return value ? value.split(' ').filter(Boolean) : [];
}

/** Offered when the admin has not set the currencies in use. */
const DEFAULT_CURRENCIES = [
  'USD',
  'EUR',
  'GBP',
  'ZAR',
  'KES',
  'NGN',
  'INR',
  'AUD',
  'CAD',
  'CHF',
  'AED',
  'BRL',
  'MXN',
  'JPY',
  'KWD',
];

/** The currencies the agent's send form offers, with their decimals. */
export async function getCurrencyChoices(db: Db): Promise<{ code: string; decimals: number }[]> {
  const configured = await getCurrencies(db);
  return (configured.length > 0 ? configured : DEFAULT_CURRENCIES).map((code) => ({
    code,
    decimals: currencyExponent(code),
  }));
}
