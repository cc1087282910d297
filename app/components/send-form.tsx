import { useActionData, useFetcher, useNavigation } from '@remix-run/react';
import { cloneElement, type ReactElement, type RefObject, useCallback, useEffect, useRef, useState } from 'react';
import type { ConsoleActionResult, SendField, SendResult } from '../domain/agent-console';
import { maskFreeText } from '../domain/card-masking';
import { CHANNEL_LABELS, CHANNELS } from '../domain/lifecycle';

export interface CurrencyChoice {
  code: string;
  decimals: number;
}

const FIELD_ORDER: readonly SendField[] = ['customerPhone', 'customerName', 'orderNumber', 'amount', 'reason'];

/**
 * The currency the form starts with: the one chosen (a refused send's), else USD, when the
 * organisation offers it; else the first of theirs (the list shows it, and the amount's hint and
 * decimals must follow what the list shows).
 */
export function initialCurrency(currencies: readonly { code: string }[], chosen: string | undefined): string {
  const wanted = chosen || 'USD';
  return currencies.some((choice) => choice.code === wanted) ? wanted : (currencies[0]?.code ?? wanted);
}

const DRAFT_PREFIX = 'paylink:send-draft:';

type DraftStore = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> & { keys(): string[] };
const inPageDrafts = new Map<string, string>();

/**
 * The tab's sessionStorage; where the browser refuses it (all site data blocked, or the panel in a
 * chat desk's frame where third-party storage is blocked, as in Chromium's private windows), this
 * page's memory: it lasts as long as the page, and the panel's sign-in does not load the page again.
 */
function draftStorage(): DraftStore {
  try {
    const storage = window.sessionStorage;
    return {
      getItem: (key) => storage.getItem(key),
      setItem: (key, value) => storage.setItem(key, value),
      removeItem: (key) => storage.removeItem(key),
      keys: () => Object.keys(storage),
    };
  } catch {
    return {
      getItem: (key) => inPageDrafts.get(key) ?? null,
      setItem: (key, value) => inPageDrafts.set(key, value),
      removeItem: (key) => inPageDrafts.delete(key),
      keys: () => [...inPageDrafts.keys()],
    };
  }
}
const DRAFT_FIELDS = [...FIELD_ORDER, 'currency', 'channel'] as const;

/** Keeps what the form holds under the person's key, for useDraftAcrossSignIn to put back after a sign-in. */
function keepDraft(form: HTMLFormElement, draftKey: string): void {
  const typed = new FormData(form);
  // A card number typed into a field is masked before it is kept, as the server stores it: nothing
  // in clear reaches the browser's storage. The phone, checked as a phone when sent, is kept whole.
  const draft = Object.fromEntries(
    DRAFT_FIELDS.map((name) => {
      const value = String(typed.get(name) ?? '');
      return [name, name === 'customerPhone' ? value : maskFreeText(value)];
    }),
  );
  try {
    if (FIELD_ORDER.some((name) => draft[name])) draftStorage().setItem(DRAFT_PREFIX + draftKey, JSON.stringify(draft));
  } catch {
    // Storage full: the sign-in goes on, as it did before drafts were kept.
  }
}

/**
 * What the agent typed survives a session that ends before it is sent. A send, or a live reload,
 * answered with the sign-in page (`/login?redirectTo=`: the session expired or was ended elsewhere)
 * used to drop the typed request; it is kept in the tab's sessionStorage (draftStorage), under the
 * person's own key, and put back once, after they signed in again. A sign-out of their own (plain `/login`) keeps
 * nothing. Nothing was sent then: every action checks the session before anything else.
 */
function useDraftAcrossSignIn(
  form: RefObject<HTMLFormElement | null>,
  draftKey: string | undefined,
  setCurrency: (currency: string) => void,
): boolean {
  const navigation = useNavigation();
  const [restored, setRestored] = useState(false);
  const target = navigation.location;
  const toSignIn = target?.pathname === '/login' && new URLSearchParams(target.search).has('redirectTo');
  useEffect(() => {
    if (draftKey && toSignIn && form.current) keepDraft(form.current, draftKey);
  }, [draftKey, toSignIn, form]);
  useEffect(() => {
    if (!draftKey || !form.current) return;
    const storage = draftStorage();
    const stored = storage.getItem(DRAFT_PREFIX + draftKey);
    // Anyone else's draft in this tab is dropped unread: customers' phones stay with their agent.
    for (const key of storage.keys()) if (key.startsWith(DRAFT_PREFIX)) storage.removeItem(key);
    if (!stored) return;
    const draft = JSON.parse(stored) as Partial<Record<(typeof DRAFT_FIELDS)[number], string>>;
    for (const name of DRAFT_FIELDS) {
      const field = form.current.elements.namedItem(name);
      if (name !== 'currency' && (field instanceof HTMLInputElement || field instanceof HTMLSelectElement))
        field.value = draft[name] ?? '';
    }
    // The currency list is the form's own state; a currency no longer offered is left as it is.
    const currencies = form.current.elements.namedItem('currency');
    if (
      currencies instanceof HTMLSelectElement &&
      [...currencies.options].some((option) => option.value === draft.currency)
    )
      setCurrency(draft.currency!);
    setRestored(true);
  }, [draftKey, form, setCurrency]);
  return restored;
}

/**
 * The embedded panel's session ends without a way to /login: its loader answers with the panel's own
 * sign-in in place of the form (after a send, or a live reload, that found the session gone). So the
 * form as it was last shown is kept when the page's data turns signed out, under the agent who typed
 * it, and SendForm puts it back after they sign in again, as in the console. Their own Sign out
 * (`intent=sign_out`) keeps nothing. Returns the ref for SendForm's `formRef`.
 */
export function useDraftKeptWhenSignedOut(userId: string | null): (form: HTMLFormElement | null) => void {
  const shown = useRef<{ form: HTMLFormElement; userId: string } | null>(null);
  const navigation = useNavigation();
  const signingOut = navigation.formData?.get('intent') === 'sign_out';
  const ownSignOut = useRef(false);
  useEffect(() => {
    if (signingOut) ownSignOut.current = true;
  }, [signingOut]);
  useEffect(() => {
    if (userId !== null) return;
    // The form is gone from the page by now; its element still holds what was typed.
    if (shown.current && !ownSignOut.current) keepDraft(shown.current.form, shown.current.userId);
    shown.current = null;
    ownSignOut.current = false;
  }, [userId]);
  return useCallback(
    (form: HTMLFormElement | null) => {
      if (form && userId !== null) shown.current = { form, userId };
    },
    [userId],
  );
}

/**
 * The agent's send form. It posts through a fetcher: its answer (field errors, what was typed) is
 * the fetcher's own and survives the page's live reloads, which would drop a navigation's action
 * data when they land while the form is submitted. Without JavaScript it posts the page, and the
 * answer arrives as the page's action data. Remounted (keyed) after each send.
 */
export function SendForm({
  currencies,
  sendKey,
  initialValues = {},
  focusOnMount = false,
  draftKey,
  formRef,
}: {
  currencies: readonly CurrencyChoice[];
  /** The idempotency key this form starts with (README: a double click sends once). */
  sendKey: string;
  /** Fields filled in from elsewhere, e.g. the chat conversation of the embedded panel. */
  initialValues?: Partial<Record<SendField, string>>;
  /** After a send: the agent's next request starts in the first field. */
  focusOnMount?: boolean;
  /** Whose typing this is (the user's id): kept under it when the session ends before a send. */
  draftKey?: string;
  /** Told of the form element (the embedded panel keeps a draft from it: useDraftKeptWhenSignedOut). */
  formRef?: (form: HTMLFormElement | null) => void;
}) {
  const fetcher = useFetcher<ConsoleActionResult>();
  const pageResult = useActionData<ConsoleActionResult>();
  const fromFetcher = fetcher.data?.intent === 'send' ? (fetcher.data as SendResult) : undefined;
  const fromPage = pageResult?.intent === 'send' ? (pageResult as SendResult) : undefined;
  const sendResult = fromFetcher ?? fromPage;
  // One key for the life of the form (it remounts after each send), not the latest loader's: live
  // updates reload the loader while the agent types, and a resubmission must carry the key it had.
  const [idempotencyKey, setIdempotencyKey] = useState(sendKey);
  const renewedKey = sendResult?.idempotencyKey;
  useEffect(() => {
    if (renewedKey) setIdempotencyKey(renewedKey);
  }, [renewedKey]);
  const errors = sendResult?.fieldErrors ?? {};
  const values: Partial<Record<string, string>> = sendResult?.values ?? initialValues;
  const [currency, setCurrency] = useState(initialCurrency(currencies, values.currency));
  const decimals = currencies.find((choice) => choice.code === currency)?.decimals ?? 2;
  const sending = fetcher.state !== 'idle';

  const form = useRef<HTMLFormElement | null>(null);
  const setForm = useCallback(
    (element: HTMLFormElement | null) => {
      form.current = element;
      formRef?.(element);
    },
    [formRef],
  );
  const restored = useDraftAcrossSignIn(form, draftKey, setCurrency);
  useEffect(() => {
    if (focusOnMount) form.current?.querySelector<HTMLInputElement>('#customerPhone')?.focus();
  }, [focusOnMount]);
  // After a refused send, the first field to fix has the focus (and its message is read out with it).
  useEffect(() => {
    if (!sendResult) return;
    const first = FIELD_ORDER.find((name) => sendResult.fieldErrors[name]) ?? Object.keys(sendResult.fieldErrors)[0];
    if (first) form.current?.querySelector<HTMLElement>(`#${first}`)?.focus();
  }, [sendResult]);

  return (
    <fetcher.Form method="post" className="stack send-form" noValidate ref={setForm}>
      <input type="hidden" name="idempotencyKey" value={idempotencyKey} />
      {restored && !sendResult ? (
        <p className="form-notice" role="status">
          You were signed out before this was sent. What you had typed is back: check it, then send it.
        </p>
      ) : null}
      {sendResult?.formError ? (
        <p className="form-error" role="alert">
          {sendResult.formError}
        </p>
      ) : null}
      {sendResult && !sendResult.formError && Object.keys(errors).length > 0 ? (
        <p className="form-error" role="alert">
          Nothing was sent: correct the fields marked below.
        </p>
      ) : null}
      <Field
        name="customerPhone"
        label="Customer phone"
        error={errors.customerPhone}
        hint="International format, e.g. +27821234567"
      >
        <input name="customerPhone" type="tel" autoComplete="off" inputMode="tel" defaultValue={values.customerPhone} />
      </Field>
      <Field name="customerName" label="Customer name (optional)" error={errors.customerName}>
        <input name="customerName" autoComplete="off" defaultValue={values.customerName} />
      </Field>
      <Field name="orderNumber" label="Order number" error={errors.orderNumber}>
        <input name="orderNumber" autoComplete="off" defaultValue={values.orderNumber} />
      </Field>
      <div className="field-row">
        <Field
          name="amount"
          label="Amount"
          error={errors.amount}
          hint={decimals === 0 ? `${currency} has no decimals` : `${currency}: up to ${decimals} decimals`}
        >
          <input
            name="amount"
            inputMode="decimal"
            autoComplete="off"
            placeholder={(0).toFixed(decimals)}
            defaultValue={values.amount}
          />
        </Field>
        <Field name="currency" label="Currency" error={errors.currency}>
          <select name="currency" value={currency} onChange={(event) => setCurrency(event.target.value)}>
            {currencies.map((choice) => (
              <option key={choice.code} value={choice.code}>
                {choice.code}
              </option>
            ))}
          </select>
        </Field>
      </div>
      <Field name="reason" label="Reason" error={errors.reason} hint="What the customer pays for; they see it">
        <input name="reason" autoComplete="off" defaultValue={values.reason} />
      </Field>
      <Field name="channel" label="Channel" error={errors.channel}>
        <select name="channel" defaultValue={values.channel || 'whatsapp'}>
          {CHANNELS.map((channel) => (
            <option key={channel} value={channel}>
              {CHANNEL_LABELS[channel]}
            </option>
          ))}
        </select>
      </Field>
      <button type="submit" name="intent" value="send" disabled={sending}>
        {sending ? 'Sending…' : 'Send link'}
      </button>
    </fetcher.Form>
  );
}

function Field({
  name,
  label,
  error,
  hint,
  children,
}: {
  name: string;
  label: string;
  error?: string;
  hint?: string;
  children: ReactElement<Record<string, unknown>>;
}) {
  const describedBy = [hint ? `${name}-hint` : null, error ? `${name}-error` : null].filter(Boolean).join(' ');
  return (
    <div className="field">
      <label htmlFor={name}>{label}</label>
      {cloneElement(children, {
        id: name,
        'aria-invalid': Boolean(error),
        'aria-describedby': describedBy || undefined,
      })}
      {hint ? (
        <span id={`${name}-hint`} className="field-hint">
          {hint}
        </span>
      ) : null}
      {error ? (
        <span id={`${name}-error`} className="field-error">
          {error}
        </span>
      ) : null}
    </div>
  );
}
