import type {
  ActionFunctionArgs,
  HeadersFunction,
  LinksFunction,
  LoaderFunctionArgs,
  MetaFunction,
} from '@remix-run/node';
import { data, redirect } from '@remix-run/node';
import {
  Form,
  isRouteErrorResponse,
  useActionData,
  useLoaderData,
  useNavigation,
  useRevalidator,
  useRouteError,
} from '@remix-run/react';
import { type ChangeEvent, type ReactNode, useCallback, useEffect, useRef, useState } from 'react';
import { getDb } from '../../db/client';
import { TimeLeft, useServerClock } from '../components/time-left';
import {
  CARD_BRAND_LABELS,
  cardBrand,
  formatCardNumber,
  formatExpiryInput,
  MAX_FAILED_CARD_ATTEMPTS,
  maxCardDigits,
} from '../domain/payment-cards';
import { repeatedField, repeatedFieldFailure, repeatedIntentRefused } from '../lib/form.server';
import { readForm } from '../lib/http.server';
import { requestLocale } from '../lib/locale.server';
import { getPayPage, type PayPage } from '../read/pay-page.server';
import payStylesHref from '../styles/pay.css';
import { decline, payWithCard, recordOpened } from '../write/customer-payment.server';

// The URL is the customer's key: never cached, and its path never sent on as a referrer.
// strict-origin, not no-referrer: under no-referrer browsers send `Origin: null` with form posts,
// which Remix's CSRF guard refuses, and Pay/Decline must work without JavaScript.
const PAY_HEADERS = {
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'strict-origin',
  'X-Robots-Tag': 'noindex, nofollow',
};

export const headers: HeadersFunction = ({ parentHeaders }) => {
  const headers = new Headers(parentHeaders);
  for (const [name, value] of Object.entries(PAY_HEADERS)) headers.set(name, value);
  return headers;
};

export const links: LinksFunction = () => [{ rel: 'stylesheet', href: payStylesHref }];

function notFound(): Response {
  return new Response('This payment link does not exist.', {
    status: 404,
    statusText: 'Not Found',
    headers: PAY_HEADERS,
  });
}

/** Browsers prefetching a page (speculation rules, link prefetch) are not the customer looking at it. */
function isPrefetch(request: Request): boolean {
  const purpose = `${request.headers.get('sec-purpose') ?? ''} ${request.headers.get('purpose') ?? ''}`;
  return purpose.includes('prefetch');
}

export async function loader({ request, params }: LoaderFunctionArgs) {
  const db = getDb();
  const token = params.token ?? '';
  if (request.method === 'GET' && !isPrefetch(request))
    await recordOpened(db, token, request.headers.get('user-agent'));
  const page = await getPayPage(db, token, Date.now(), requestLocale(request));
  if (!page) throw notFound();
  return page;
}

interface PayActionData {
  fieldErrors: Record<string, string>;
  /** What belongs to no card field (a field given twice). */
  formError?: string | null;
}

export async function action({ request, params }: ActionFunctionArgs) {
  const db = getDb();
  const token = params.token ?? '';
  const form = await readForm(request);
  const repeated = repeatedField(form);
  if (repeated === 'intent') throw repeatedIntentRefused();
  if (repeated !== null) {
    const { fieldErrors, formError } = repeatedFieldFailure(repeated);
    return data<PayActionData>({ fieldErrors, formError }, { status: 400, headers: PAY_HEADERS });
  }
  const intent = form.get('intent');
  const self = `/pay/${token}`;
  if (intent === 'decline') {
    const outcome = await decline(db, token);
    if (outcome.kind === 'unknown_link') throw notFound();
    return redirect(self, { headers: PAY_HEADERS });
  }
  if (intent === 'pay') {
    // The card fields go to the provider and nowhere else: the answer never repeats them.
    const outcome = await payWithCard(db, token, {
      number: form.get('number'),
      expiry: form.get('expiry'),
      cvc: form.get('cvc'),
    });
    if (outcome.kind === 'unknown_link') throw notFound();
    if (outcome.kind === 'invalid') {
      return data<PayActionData>({ fieldErrors: outcome.fieldErrors }, { status: 400, headers: PAY_HEADERS });
    }
    // Post/redirect/get: the page shows the outcome, and a refresh cannot pay twice.
    return redirect(self, { headers: PAY_HEADERS });
  }
  throw new Response('Unknown action', { status: 400, headers: PAY_HEADERS });
}

export const meta: MetaFunction<typeof loader> = ({ data: page }) => [
  { title: page ? `Pay ${page.amountText} · ${page.merchantName}` : 'Payment link' },
  { name: 'robots', content: 'noindex, nofollow' },
];

export default function PayRoute() {
  const page = useLoaderData<typeof loader>();
  useFocusOnOutcome(page);
  if (page.attemptsExhausted) return <FinalPage page={page} />;
  if (page.status === 'sent' || page.status === 'opened' || page.status === 'payment_failed')
    return <Checkout page={page} />;
  return <FinalPage page={page} />;
}

/**
 * After Pay or Decline (or the link running out while the page is open) the form the focus was in
 * is replaced: the focus goes to what happened, the failed attempt's alert or the final page's
 * heading, so a keyboard starts there and a screen reader reads it, instead of the top of the page.
 */
function useFocusOnOutcome(page: PayPage) {
  const outcome = `${page.status} ${page.failedAttempts} ${page.attemptsExhausted}`;
  const shown = useRef(outcome);
  useEffect(() => {
    if (shown.current === outcome) return;
    shown.current = outcome;
    document.querySelector<HTMLElement>('[data-pay-outcome]')?.focus();
  }, [outcome]);
}

function Checkout({ page }: { page: PayPage }) {
  const result = useActionData<PayActionData>();
  const errors = result?.fieldErrors ?? {};
  const navigation = useNavigation();
  const busyIntent = navigation.state !== 'idle' ? navigation.formData?.get('intent') : null;
  const revalidator = useRevalidator();
  const now = useServerClock(page.now);
  const refresh = useCallback(() => revalidator.revalidate(), [revalidator]);

  return (
    <main className="pay" id="main" tabIndex={-1}>
      <div className="pay-card">
        <Merchant page={page} />
        <h1 className="pay-amount">{page.amountText}</h1>
        <p className="pay-reason" dir="auto">
          {page.reason}
        </p>
        <dl className="pay-details">
          <div>
            <dt>Order</dt>
            <dd>{page.orderNumber}</dd>
          </div>
          {page.expiresAt !== null ? (
            <div>
              <dt>Time left</dt>
              <dd>
                <TimeLeft expiresAt={page.expiresAt} now={now} onExpired={refresh} suffix="" />
              </dd>
            </div>
          ) : null}
        </dl>
        {page.status === 'payment_failed' && page.lastFailure ? (
          <p className="pay-alert" role="alert" tabIndex={-1} data-pay-outcome>
            <strong>Payment attempt failed.</strong> {page.lastFailure} Try again, or use another card.
          </p>
        ) : null}
        {result?.formError ? (
          <p className="pay-alert" role="alert">
            {result.formError}
          </p>
        ) : null}
        {/* A new form after each failed attempt: nothing of the declined card stays in the fields. */}
        <CardForm key={page.failedAttempts} errors={errors} busyIntent={busyIntent} amountText={page.amountText} />
        <aside className="sandbox-note" aria-labelledby="sandbox-heading">
          <h2 id="sandbox-heading">Sandbox: no real money moves</h2>
          <p>Use a test card with any future expiry date and any 3-digit security code:</p>
          <ul>
            {page.testCards.map((card) => (
              <li key={card.number}>
                <span className="mono">{card.number}</span> <span className="muted">{card.description}</span>
              </li>
            ))}
          </ul>
        </aside>
        <details className="pay-decline">
          <summary>Don’t want to pay?</summary>
          <Form method="post">
            <p>Declining tells {page.merchantName} you will not pay this request. Nothing is charged.</p>
            <button
              type="submit"
              name="intent"
              value="decline"
              className="secondary danger"
              disabled={busyIntent != null}
            >
              {busyIntent === 'decline' ? 'Declining…' : 'Decline payment'}
            </button>
          </Form>
        </details>
      </div>
    </main>
  );
}

function Merchant({ page }: { page: PayPage }) {
  return (
    <div className="pay-merchant">
      {page.merchantLogoUrl ? (
        <img className="pay-logo" src={page.merchantLogoUrl} alt="" referrerPolicy="no-referrer" />
      ) : null}
      <p>
        Payment to <strong>{page.merchantName}</strong>
      </p>
    </div>
  );
}

/** Where the caret belongs after reformatting: after as many digits as were before it. */
function caretAfterDigits(formatted: string, digitsBefore: number): number {
  let seen = 0;
  for (let index = 0; index < formatted.length; index++) {
    if (seen === digitsBefore) return index;
    if (/\d/.test(formatted[index]!)) seen++;
  }
  return formatted.length;
}

/** Formats an input's value as typed, keeping the caret beside the digit it was after. */
function reformat(event: ChangeEvent<HTMLInputElement>, format: (text: string) => string): string {
  const input = event.target;
  const caret = input.selectionStart ?? input.value.length;
  const digitsBefore = input.value.slice(0, caret).replace(/\D/g, '').length;
  const next = format(input.value);
  const atEnd = caret === input.value.length;
  requestAnimationFrame(() => {
    if (document.activeElement !== input) return;
    const position = atEnd ? next.length : caretAfterDigits(next, digitsBefore);
    input.setSelectionRange(position, position);
  });
  return next;
}

/**
 * Card fields as hosted payment pages have them: numeric keypads, autofill names, the number grouped
 * with its brand, the expiry's ' / ' inserted as it is typed. Without JavaScript they are plain
 * inputs, and the server reads '1229', '12/29' and '12 / 29' alike.
 */
function CardForm({
  errors,
  busyIntent,
  amountText,
}: {
  errors: Record<string, string>;
  busyIntent: FormDataEntryValue | null | undefined;
  amountText: string;
}) {
  const [number, setNumber] = useState('');
  const [expiry, setExpiry] = useState('');
  const digits = number.replace(/\D/g, '');
  const brand = cardBrand(digits);
  const firstInvalid = useRef<HTMLInputElement | null>(null);
  const errorKey = Object.keys(errors).join(',');
  useEffect(() => {
    if (errorKey) firstInvalid.current?.focus();
  }, [errorKey]);
  const firstError = ['number', 'expiry', 'cvc'].find((name) => errors[name]);
  const refFor = (name: string) => (name === firstError ? firstInvalid : undefined);

  return (
    <Form method="post" className="pay-form" noValidate>
      <CardField
        name="number"
        label="Card number"
        error={errors.number}
        adornment={
          brand !== 'unknown' ? (
            <span className="card-brand" data-brand={brand}>
              {CARD_BRAND_LABELS[brand]}
            </span>
          ) : null
        }
      >
        <input
          ref={refFor('number')}
          id="number"
          name="number"
          type="text"
          inputMode="numeric"
          autoComplete="cc-number"
          autoCorrect="off"
          spellCheck={false}
          placeholder="1234 1234 1234 1234"
          maxLength={23}
          value={number}
          onChange={(event) =>
            setNumber(
              reformat(event, (text) => {
                const typed = text.replace(/\D/g, '');
                return formatCardNumber(typed.slice(0, maxCardDigits(typed)));
              }),
            )
          }
          aria-invalid={Boolean(errors.number)}
          aria-describedby={errors.number ? 'number-error' : undefined}
        />
      </CardField>
      <div className="pay-form-row">
        <CardField name="expiry" label="Expiry (MM/YY)" error={errors.expiry}>
          <input
            ref={refFor('expiry')}
            id="expiry"
            name="expiry"
            type="text"
            inputMode="numeric"
            autoComplete="cc-exp"
            autoCorrect="off"
            spellCheck={false}
            placeholder="MM / YY"
            maxLength={9}
            value={expiry}
            onChange={(event) => {
              const forward = (event.nativeEvent as InputEvent).inputType?.startsWith('insert') ?? true;
              setExpiry(reformat(event, (text) => formatExpiryInput(text, forward)));
            }}
            aria-invalid={Boolean(errors.expiry)}
            aria-describedby={errors.expiry ? 'expiry-error' : undefined}
          />
        </CardField>
        <CardField name="cvc" label="Security code (CVC)" error={errors.cvc}>
          <input
            ref={refFor('cvc')}
            id="cvc"
            name="cvc"
            type="text"
            inputMode="numeric"
            autoComplete="cc-csc"
            autoCorrect="off"
            spellCheck={false}
            placeholder={brand === 'amex' ? '1234' : '123'}
            maxLength={4}
            aria-invalid={Boolean(errors.cvc)}
            aria-describedby={errors.cvc ? 'cvc-error' : undefined}
          />
        </CardField>
      </div>
      <button type="submit" name="intent" value="pay" className="pay-button" disabled={busyIntent != null}>
        {busyIntent === 'pay' ? 'Paying…' : `Pay ${amountText}`}
      </button>
    </Form>
  );
}

function CardField({
  name,
  label,
  error,
  adornment,
  children,
}: {
  name: string;
  label: string;
  error?: string;
  adornment?: ReactNode;
  children: ReactNode;
}) {
  return (
    <div className="field">
      <div className="pay-field-label">
        <label htmlFor={name}>{label}</label>
        {adornment}
      </div>
      {children}
      {error ? (
        <span id={`${name}-error`} className="field-error">
          {error}
        </span>
      ) : null}
    </div>
  );
}

function finalWords(page: PayPage): { tone: string; title: string; body: string } {
  const what = `${page.amountText} for order ${page.orderNumber}`;
  if (page.attemptsExhausted) {
    return {
      tone: 'neutral',
      title: 'Too many failed card attempts',
      body: `This link takes no more cards after ${MAX_FAILED_CARD_ATTEMPTS} failed attempts. Nothing was charged. Ask ${page.merchantName} to send you a new link to pay ${what}.`,
    };
  }
  switch (page.status) {
    case 'paid':
      return { tone: 'ok', title: 'Payment received', body: `Thank you. You paid ${what} to ${page.merchantName}.` };
    case 'declined':
      return {
        tone: 'neutral',
        title: 'You declined this payment',
        body: `You declined to pay ${what}. Nothing was charged. If this was a mistake, ask ${page.merchantName} to send you a new link.`,
      };
    case 'expired':
      return {
        tone: 'neutral',
        title: 'This payment link has expired',
        body: `The link to pay ${what} is no longer valid and nothing was charged. Ask ${page.merchantName} to send you a new link.`,
      };
    case 'canceled':
      return {
        tone: 'neutral',
        title: 'This payment request was canceled',
        body: `${page.merchantName} canceled the request to pay ${what}. Nothing was charged.`,
      };
    default:
      return {
        tone: 'neutral',
        title: 'This payment link is not active yet',
        body: `Ask ${page.merchantName} to send the link again.`,
      };
  }
}

function FinalPage({ page }: { page: PayPage }) {
  const words = finalWords(page);
  return (
    <main className="pay" id="main" tabIndex={-1}>
      <div className={`pay-card pay-final pay-final-${words.tone}`} data-status={page.status}>
        <Merchant page={page} />
        <div className="pay-final-icon" aria-hidden="true">
          {page.status === 'paid' ? '✓' : '–'}
        </div>
        <h1 tabIndex={-1} data-pay-outcome>
          {words.title}
        </h1>
        <p>{words.body}</p>
        {page.status === 'paid' && page.paidCard ? (
          <p className="muted">
            {`Paid with ${CARD_BRAND_LABELS[page.paidCard.brand] ?? 'card'} ending in ${page.paidCard.last4}`}
          </p>
        ) : null}
        <p className="muted">You can close this page.</p>
      </div>
    </main>
  );
}

export function ErrorBoundary() {
  const error = useRouteError();
  const missing = isRouteErrorResponse(error) && error.status === 404;
  return (
    <main className="pay" id="main" tabIndex={-1}>
      <div className="pay-card pay-final pay-final-neutral">
        <h1>{missing ? 'Payment link not found' : 'Something went wrong'}</h1>
        <p>
          {missing
            ? 'This payment link does not exist. Check that you opened the whole link you were sent, or ask the sender for a new one.'
            : 'Nothing was charged. Please reload the page in a moment.'}
        </p>
      </div>
    </main>
  );
}
