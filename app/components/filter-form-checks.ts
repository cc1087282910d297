import type { FormEvent } from 'react';
import { isCurrencyCode } from '../domain/money';

/** The browser's word on a field the server would refuse (shown when the form is submitted). */
function refuse(input: HTMLInputElement | null, message: string) {
  input?.setCustomValidity(message);
}

/**
 * What the server checks of the filter forms that a person can get wrong by typing or picking: a
 * From after the To (two date pickers) and a currency that is not an ISO 4217 code. Checked in the
 * browser as the fields change, so Apply says so beside the field instead of loading the error page
 * (the server still checks: app/read/filters.ts). Attach as the form's onChange.
 */
export function checkFilterForm(event: FormEvent<HTMLFormElement>) {
  const form = event.currentTarget;
  const field = (name: string) => form.elements.namedItem(name) as HTMLInputElement | null;
  const from = field('from');
  const to = field('to');
  refuse(from, from?.value && to?.value && from.value > to.value ? 'Choose a From on or before the To' : '');
  const currency = field('currency');
  const unknown = (currency?.value ?? '')
    .split(',')
    .map((code) => code.trim().toUpperCase())
    .filter((code) => code !== '' && !isCurrencyCode(code));
  refuse(
    currency,
    unknown.length > 0
      ? `Not a currency code: ${unknown.join(', ')}. Use ISO codes separated by commas, e.g. USD, EUR`
      : '',
  );
}
