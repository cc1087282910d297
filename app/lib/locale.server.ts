/** The first locale of Accept-Language this runtime knows, else 'en': numbers are formatted for it on both sides. */
export function requestLocale(request: Request): string {
  const header = request.headers.get('accept-language') ?? '';
  for (const part of header.split(',')) {
    const tag = part.split(';')[0]?.trim();
    if (!tag || tag === '*') continue;
    try {
      const [locale] = Intl.getCanonicalLocales(tag);
      if (locale && Intl.NumberFormat.supportedLocalesOf(locale).length > 0) return locale;
    } catch {
      // not a language tag
    }
  }
  return 'en';
}
