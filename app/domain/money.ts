// ISO 4217 active codes with their minor-unit exponent. Codes not listed in an exponent group use 2.
const EXPONENT_0 = 'BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF';
const EXPONENT_3 = 'BHD IQD JOD KWD LYD OMR TND';
const EXPONENT_4 = 'CLF UYW';
const EXPONENT_2 = `AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN BZD
  CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD
  GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD
  MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD
  RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD
  USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG`;

const EXPONENTS = new Map<string, number>();
for (const [codes, exponent] of [
  [EXPONENT_0, 0],
  [EXPONENT_2, 2],
  [EXPONENT_3, 3],
  [EXPONENT_4, 4],
] as const) {
  for (const code of codes.split(/\s+/).filter(Boolean)) EXPONENTS.set(code, exponent);
}

export function isCurrencyCode(code: string): boolean {
  return EXPONENTS.has(code);
}

export function currencyExponent(currency: string): number {
  const exponent = EXPONENTS.get(currency);
  if (exponent === undefined) throw new Error(`Unknown currency ${currency}`);
  return exponent;
}

/**
 * A sum of amounts in minor units as JSON carries it: a number while it is a safe integer (SPEC §3's
 * `{ "USD": 36121 }`), a decimal string of the exact integer beyond 2^53 (`"12000000000000000"`),
 * where a JSON number would lose digits. One request's amount is at most 2^53 - 1 (the event
 * schema); sums across requests are what outgrow it.
 */
export type MinorAmount = number | string;

/** An exact integer as a MinorAmount: a number up to Number.MAX_SAFE_INTEGER, else its decimal string. */
export function toMinorAmount(value: bigint): MinorAmount {
  const safe = value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER);
  return safe ? Number(value) : value.toString();
}

/** A MinorAmount (or a safe integer number) as the exact integer it stands for. */
export function minorAmountToBigInt(value: MinorAmount | bigint): bigint {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new Error(`Not an exact amount: ${value}`);
  return BigInt(value);
}

/** a + b exactly, as a MinorAmount. */
export function addMinorAmounts(a: MinorAmount, b: MinorAmount): MinorAmount {
  return toMinorAmount(minorAmountToBigInt(a) + minorAmountToBigInt(b));
}

/**
 * Integer minor units as a decimal string in major units, by string arithmetic so that no digit is
 * lost above 2^53: (36121, 'USD') → '361.21', ('12000000000000000', 'USD') → '120000000000000.00'.
 */
export function formatMinorUnits(amount: MinorAmount | bigint, currency: string): string {
  const exponent = currencyExponent(currency);
  const value = minorAmountToBigInt(amount);
  const sign = value < 0n ? '-' : '';
  const digits = (value < 0n ? -value : value).toString().padStart(exponent + 1, '0');
  if (exponent === 0) return sign + digits;
  return `${sign}${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}

/**
 * A decimal string in major units as integer minor units, or null when it is not a positive
 * amount with at most the currency's decimals: ('361.21', 'USD') → 36121, ('1.5', 'JPY') → null.
 */
export function parseMajorUnits(text: string, currency: string): number | null {
  const exponent = currencyExponent(currency);
  const trimmed = text.trim();
  // Commas only as thousands separators ('1,234.50'): '1,50' is ambiguous and refused, never read as 150.
  if (trimmed.includes(',') && !/^\d{1,3}(,\d{3})+(\.\d*)?$/.test(trimmed)) return null;
  const match = /^(\d+)(?:\.(\d*))?$/.exec(trimmed.replace(/,/g, ''));
  if (!match) return null;
  const [, whole = '', fraction = ''] = match;
  if (fraction.length > exponent) return null;
  const minor = Number(whole + fraction.padEnd(exponent, '0'));
  return Number.isSafeInteger(minor) && minor > 0 ? minor : null;
}

/** Adds amounts per currency, exactly; never across currencies. */
export function addToTotals(totals: Record<string, MinorAmount>, currency: string, amount: MinorAmount): void {
  totals[currency] = addMinorAmounts(totals[currency] ?? 0, amount);
}
