import type { ActionFunctionArgs, LinksFunction, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { data, redirect } from '@remix-run/node';
import { Form, useActionData, useLoaderData, useNavigation, useRevalidator } from '@remix-run/react';
import { cloneElement, type ReactElement, useCallback, useEffect, useState } from 'react';
import { type Db, getDb } from '../../db/client';
import { AgentRequestCard, type CardActionResult } from '../components/agent-request-card';
import { useServerClock } from '../components/time-left';
import { useLiveChanges } from '../components/use-live-changes';
import type { Viewer } from '../domain/access';
import { CHANNEL_LABELS, CHANNELS } from '../domain/lifecycle';
import { currencyExponent } from '../domain/money';
import { clientIp, requireViewer } from '../http/auth.server';
import { getEnv } from '../lib/env.server';
import { getAgentRequestCards } from '../read/agent-console.server';
import { getCurrencies } from '../read/settings.server';
import agentStylesHref from '../styles/agent.css';
import { idempotencyBodyHash, idempotencyKeySchema, newIdempotencyKey } from '../write/idempotency-keys.server';
import {
  CommandError,
  cancelPaymentRequest,
  createPaymentRequest,
  createPaymentRequestOnce,
  retrySend,
} from '../write/payment-request-commands.server';
import { fieldErrors, sendFormSchema } from '../write/payment-request-input';

export const links: LinksFunction = () => [{ rel: 'stylesheet', href: agentStylesHref }];

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
const SEND_FIELDS = [
  'customerPhone',
  'customerName',
  'orderNumber',
  'amount',
  'currency',
  'reason',
  'channel',
] as const;

export async function loader({ request }: LoaderFunctionArgs) {
  const viewer = await requireViewer(request, ['agent']);
  const url = new URL(request.url);
  const agentId = viewer.scope.kind === 'agent' ? viewer.scope.agentId : null;
  const now = Date.now();
  const configured = getCurrencies(getDb());
  return {
    agentLinked: agentId !== null,
    cards: agentId ? getAgentRequestCards(getDb(), agentId, getEnv().PUBLIC_URL, now) : [],
    now,
    sentId: url.searchParams.get('sent'),
    sendKey: newIdempotencyKey(),
    currencies: (configured.length > 0 ? configured : DEFAULT_CURRENCIES).map((code) => ({
      code,
      decimals: currencyExponent(code),
    })),
  };
}

type SendResult = {
  intent: 'send';
  fieldErrors: Record<string, string>;
  formError: string | null;
  values: Record<string, string>;
  /** A fresh key for the form, when the one it had was used for other details. */
  idempotencyKey?: string;
};
type ActionResult = SendResult | CardActionResult;

export async function action({ request }: ActionFunctionArgs) {
  const viewer = await requireViewer(request, ['agent']);
  const db = getDb();
  const form = await request.formData();
  const intent = form.get('intent');
  const requestId = String(form.get('requestId') ?? '');
  // Links go to customers: from PUBLIC_URL, never from the request's Host (a header anyone can set).
  const baseUrl = getEnv().PUBLIC_URL;
  try {
    if (intent === 'send') return await send(db, viewer, form, baseUrl);
    if (intent === 'cancel') {
      return data<ActionResult>({ intent, ...cancelPaymentRequest(db, viewer, requestId, clientIp(request)) });
    }
    if (intent === 'retry') {
      const sent = await retrySend(db, viewer, requestId, { baseUrl });
      return data<ActionResult>({ intent, requestId, status: sent.status, sendFailureReason: sent.sendFailureReason });
    }
  } catch (error) {
    if (!(error instanceof CommandError) || (intent !== 'cancel' && intent !== 'retry')) throw error;
    return data<ActionResult>({ intent, requestId, error: error.message }, { status: error.status });
  }
  throw new Response('Unknown action', { status: 400 });
}

/**
 * The send form, once per form key: a double click or a resubmitted page (created, replayed or still
 * in flight) lands on the same request. A form without a key (rendered before it had one) sends as before.
 */
async function send(db: Db, viewer: Viewer, form: FormData, baseUrl: string) {
  const values = Object.fromEntries(SEND_FIELDS.map((field) => [field, String(form.get(field) ?? '')]));
  const failed = (status: number, result: Partial<SendResult>) =>
    data<ActionResult>({ intent: 'send', fieldErrors: {}, formError: null, values, ...result }, { status });
  const parsed = sendFormSchema.safeParse(values);
  if (!parsed.success) return failed(400, { fieldErrors: fieldErrors(parsed.error) });
  const rawKey = form.get('idempotencyKey');
  const key = rawKey === null ? null : idempotencyKeySchema.safeParse(rawKey);
  if (key && !key.success) {
    return failed(400, { formError: 'This form is out of date. Send it again.', idempotencyKey: newIdempotencyKey() });
  }
  const options = { baseUrl, source: 'agent_console' } as const;
  try {
    const created = key
      ? await createPaymentRequestOnce(
          db,
          viewer,
          parsed.data,
          { key: key.data, bodyHash: idempotencyBodyHash(values) },
          options,
        )
      : { outcome: 'created' as const, ...(await createPaymentRequest(db, viewer, parsed.data, options)) };
    if (created.outcome === 'key_reused') {
      return failed(422, {
        formError:
          'This form already sent a request with other details. Check your requests, then send again if you still need this one.',
        idempotencyKey: newIdempotencyKey(),
      });
    }
    // Post/redirect/get: a refresh must not send the request twice.
    return redirect(`/agent?sent=${encodeURIComponent(created.requestId)}`);
  } catch (error) {
    if (!(error instanceof CommandError)) throw error;
    return failed(error.status, { formError: error.message });
  }
}

export const meta: MetaFunction = () => [{ title: 'Console · Paylink Desk' }];

export default function AgentConsole() {
  const { cards, now: serverNow, sentId, agentLinked } = useLoaderData<typeof loader>();
  const revalidator = useRevalidator();
  const refresh = useCallback(() => {
    if (revalidator.state === 'idle') revalidator.revalidate();
  }, [revalidator]);
  const live = useLiveChanges(refresh);
  const now = useServerClock(serverNow);
  // Without JavaScript there are no live updates: offer a refresh instead of a dot that never connects.
  const [hydrated, setHydrated] = useState(false);
  useEffect(() => setHydrated(true), []);

  return (
    <div className="agent-console">
      <div className="page-header">
        <h1>Console</h1>
        {hydrated ? (
          <span className={live ? 'live-dot' : 'live-dot offline'}>{live ? 'Live' : 'Connecting…'}</span>
        ) : (
          <a href="/agent" className="button secondary small">
            Refresh
          </a>
        )}
      </div>
      <div className="console-grid">
        <section className="card send-panel" aria-labelledby="send-heading">
          <h2 id="send-heading">Send a payment link</h2>
          {agentLinked ? (
            <SendForm key={sentId ?? 'new'} />
          ) : (
            <p className="form-error" role="alert">
              Your account is not linked to an agent, so it cannot send payment requests. Ask an administrator to link
              it.
            </p>
          )}
        </section>
        <section aria-labelledby="requests-heading">
          <h2 id="requests-heading">Your requests</h2>
          {cards.length === 0 ? (
            <p className="card empty">No requests yet. Send one with the form.</p>
          ) : (
            <ul className="request-cards">
              {cards.map((card) => (
                <AgentRequestCard
                  key={card.id}
                  card={card}
                  now={now}
                  highlighted={card.id === sentId}
                  onExpired={refresh}
                />
              ))}
            </ul>
          )}
        </section>
      </div>
    </div>
  );
}

function SendForm() {
  const { currencies, sendKey } = useLoaderData<typeof loader>();
  const result = useActionData<ActionResult>();
  const sendResult = result?.intent === 'send' ? (result as SendResult) : undefined;
  // One key for the life of the form (it remounts after each send), not the latest loader's: live
  // updates reload the loader while the agent types, and a resubmission must carry the key it had.
  const [idempotencyKey, setIdempotencyKey] = useState(sendKey);
  const renewedKey = sendResult?.idempotencyKey;
  useEffect(() => {
    if (renewedKey) setIdempotencyKey(renewedKey);
  }, [renewedKey]);
  const errors = sendResult?.fieldErrors ?? {};
  const values = sendResult?.values ?? {};
  const [currency, setCurrency] = useState(values.currency || 'USD');
  const decimals = currencies.find((choice) => choice.code === currency)?.decimals ?? 2;
  const navigation = useNavigation();
  const sending = navigation.state !== 'idle' && navigation.formData?.get('intent') === 'send';

  return (
    <Form method="post" className="stack send-form" noValidate>
      <input type="hidden" name="idempotencyKey" value={idempotencyKey} />
      {sendResult?.formError ? (
        <p className="form-error" role="alert">
          {sendResult.formError}
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
    </Form>
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
