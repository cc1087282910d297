import type {
  ActionFunctionArgs,
  HeadersFunction,
  LinksFunction,
  LoaderFunctionArgs,
  MetaFunction,
} from '@remix-run/node';
import { data, json, redirect } from '@remix-run/node';
import { Form, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { useMemo, useRef } from 'react';
import { z } from 'zod';
import { getDb } from '../../db/client';
import { AgentRequestList } from '../components/agent-request-list';
import { LiveIndicator } from '../components/live-revalidation';
import { SendForm, useDraftKeptWhenSignedOut } from '../components/send-form';
import { SignInFields } from '../components/sign-in-fields';
import { useServerClock } from '../components/time-left';
import { useFocusFirstInvalid } from '../components/use-focus-first-invalid';
import { useHostMessages } from '../components/use-host-messages';
import { useLiveChanges, useRevalidateWhenIdle } from '../components/use-live-changes';
import { containsCardNumber } from '../domain/card-masking';
import { consoleAction } from '../http/agent-console.server';
import { assertSameOrigin, clientIp, getEmbedAccess } from '../http/auth.server';
import { destroySession } from '../http/session.server';
import { type SignInFailure, signIn, signInFields } from '../http/sign-in.server';
import { getEnv } from '../lib/env.server';
import { repeatedField, repeatedFieldFailure, repeatedIntentRefused } from '../lib/form.server';
import { readForm, singleParam } from '../lib/http.server';
import { requestLocale } from '../lib/locale.server';
import { TEMPORARY_PASSWORD_EXPIRED_MESSAGE } from '../lib/password.server';
import { fieldErrorsOf } from '../lib/zod-issues';
import { getAgentRequestCards, groupAgentCards } from '../read/agent-console.server';
import { getCurrencyChoices, getEmbedOrigins, getOrgTimeZone } from '../read/settings.server';
import agentStylesHref from '../styles/agent.css';
import embedStylesHref from '../styles/embed.css';
import { newIdempotencyKey } from '../write/idempotency-keys.server';

/**
 * Only the chat desks an admin listed may frame the panel; with none listed, nobody may. Set here,
 * not inherited: the root's headers refuse framing everywhere else (X-Frame-Options would win).
 */
export const headers: HeadersFunction = ({ loaderHeaders }) => ({
  // The loader read the allowed origins; a response without them (an error) may be framed by nobody.
  'Content-Security-Policy': loaderHeaders.get('Content-Security-Policy') ?? "frame-ancestors 'none'",
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'strict-origin',
});

function frameAncestors(origins: readonly string[]): HeadersInit {
  return { 'Content-Security-Policy': `frame-ancestors ${origins.length ? origins.join(' ') : "'none'"}` };
}

export const links: LinksFunction = () => [
  { rel: 'stylesheet', href: agentStylesHref },
  { rel: 'stylesheet', href: embedStylesHref },
];

const contextText = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .regex(/^[^\p{Cc}]*$/u)
    // A card number is never taken in (the conversation id is stored with the requests sent from it).
    .refine((text) => !containsCardNumber(text))
    .optional()
    .catch(undefined)
    .transform((value) => value || null);

/**
 * The conversation's context, as the host puts it in the URL (each optional; bad values are ignored).
 * A field given twice is bad too: taking either could prefill another customer's phone.
 */
const contextSchema = z.object({
  phone: contextText(32),
  name: contextText(200),
  conversationId: contextText(200),
  orderNumber: contextText(100),
  hostOrigin: contextText(200),
});

function embedContext(url: URL) {
  const given = Object.keys(contextSchema.shape).map((key) => {
    const values = url.searchParams.getAll(key).filter((value) => value !== '');
    return [key, values.length === 1 ? values[0] : undefined];
  });
  return contextSchema.parse(Object.fromEntries(given));
}

/** The panel's own URL with its context, optionally naming the request just sent. */
function panelHref(url: URL, sentId: string | null): string {
  const params = new URLSearchParams(url.searchParams);
  params.delete('sent');
  if (sentId) params.set('sent', sentId);
  const query = params.toString();
  return `${url.pathname}${query ? `?${query}` : ''}`;
}

export async function loader({ request }: LoaderFunctionArgs) {
  const db = getDb();
  const url = new URL(request.url);
  const context = embedContext(url);
  const access = await getEmbedAccess(request);
  const allowedOrigins = await getEmbedOrigins(db);
  const headers = frameAncestors(allowedOrigins);
  const base = { context, allowedOrigins, access: access.kind };
  if (access.kind !== 'signed_in') return json({ ...base, panel: null }, { headers });
  const { viewer } = access;
  const agentId = viewer.scope.kind === 'agent' ? viewer.scope.agentId : null;
  const now = Date.now();
  const timeZone = await getOrgTimeZone(db);
  const cards = agentId
    ? await getAgentRequestCards(db, agentId, getEnv().PUBLIC_URL, now, {
        conversationId: context.conversationId,
        locale: requestLocale(request),
      })
    : [];
  return json(
    {
      ...base,
      panel: {
        userId: viewer.userId,
        agentName: viewer.name,
        agentLinked: agentId !== null,
        cards,
        groups: groupAgentCards(cards, timeZone, now, requestLocale(request)),
        timeZone,
        now,
        sentId: singleParam(url.searchParams, 'sent', 'invalid_parameter'),
        sendKey: newIdempotencyKey(),
        currencies: await getCurrencyChoices(db),
      },
    },
    { headers },
  );
}

const SIGN_IN_FAILURES: Record<SignInFailure, string> = {
  invalid: 'Email or password is incorrect.',
  throttled: 'Too many failed attempts. Wait 15 minutes and try again.',
  busy: 'Too many sign-ins at once. Try again in a moment.',
  temporary_password_expired: TEMPORARY_PASSWORD_EXPIRED_MESSAGE,
};

export async function action({ request }: ActionFunctionArgs) {
  const db = getDb();
  const url = new URL(request.url);
  const intents = (await readForm(request.clone())).getAll('intent');
  if (intents.some((intent) => intent === 'sign_in' || intent === 'sign_out')) {
    assertSameOrigin(request);
    const form = await readForm(request);
    const repeated = repeatedField(form);
    if (repeated === 'intent') throw repeatedIntentRefused();
    if (repeated !== null) {
      const { fieldErrors, formError } = repeatedFieldFailure(repeated);
      return data({ signInError: formError, fieldErrors }, { status: 400 });
    }
    if (form.get('intent') === 'sign_out') {
      return redirect(panelHref(url, null), {
        headers: { 'Set-Cookie': await destroySession(db, request, Date.now(), 'embed') },
      });
    }
    const parsed = z.object({ ...signInFields }).safeParse(Object.fromEntries(form));
    if (!parsed.success) return data({ fieldErrors: fieldErrorsOf(parsed.error) }, { status: 400 });
    const result = await signIn(
      db,
      request,
      parsed.data.email,
      parsed.data.password,
      clientIp(request),
      Date.now(),
      'embed',
    );
    if (!result.ok) {
      return data(
        { signInError: SIGN_IN_FAILURES[result.reason] },
        { status: result.reason === 'throttled' ? 429 : result.reason === 'busy' ? 503 : 401 },
      );
    }
    return redirect(panelHref(url, null), { headers: { 'Set-Cookie': result.setCookie } });
  }
  const access = await getEmbedAccess(request);
  if (access.kind !== 'signed_in') throw redirect(panelHref(url, null));
  return await consoleAction(request, access.viewer, db, {
    afterSend: (requestId) => panelHref(url, requestId),
    conversationId: embedContext(url).conversationId,
  });
}

export const meta: MetaFunction = () => [{ title: 'Payment links · Paylink Desk' }];

export default function EmbeddedAgentPanel() {
  const { context, allowedOrigins, access, panel } = useLoaderData<typeof loader>();
  useHostMessages({
    cards: panel?.cards ?? NO_CARDS,
    conversationId: context.conversationId,
    signedIn: panel !== null,
    allowedOrigins,
    requestedOrigin: context.hostOrigin,
  });
  const formRef = useDraftKeptWhenSignedOut(panel?.userId ?? null);
  return (
    <main className="embed-panel" id="main" tabIndex={-1}>
      {panel ? <SignedInPanel panel={panel} context={context} formRef={formRef} /> : <SignedOut access={access} />}
    </main>
  );
}

const NO_CARDS: never[] = [];

type Panel = NonNullable<ReturnType<typeof useLoaderData<typeof loader>>['panel']>;
type Context = ReturnType<typeof useLoaderData<typeof loader>>['context'];

function SignedInPanel({
  panel,
  context,
  formRef,
}: {
  panel: Panel;
  context: Context;
  formRef: (form: HTMLFormElement | null) => void;
}) {
  const refresh = useRevalidateWhenIdle();
  const live = useLiveChanges(refresh, 300, '/embed/stream');
  const now = useServerClock(panel.now);
  const initialValues = useMemo(
    () => ({
      customerPhone: context.phone ?? undefined,
      customerName: context.name ?? undefined,
      orderNumber: context.orderNumber ?? undefined,
    }),
    [context.phone, context.name, context.orderNumber],
  );
  return (
    <>
      <header className="embed-header">
        <strong>Payment link</strong>
        <LiveIndicator live={live} refreshHref="" />
        <Form method="post" className="embed-sign-out">
          <button type="submit" name="intent" value="sign_out" className="secondary small" title={panel.agentName}>
            Sign out
          </button>
        </Form>
      </header>
      {panel.agentLinked ? (
        <SendForm
          key={panel.sentId ?? 'new'}
          currencies={panel.currencies}
          sendKey={panel.sendKey}
          initialValues={initialValues}
          focusOnMount={panel.sentId !== null}
          draftKey={panel.userId}
          formRef={formRef}
        />
      ) : (
        <p className="form-error" role="alert">
          Your account is not linked to an agent, so it cannot send payment requests. Ask an administrator to link it.
        </p>
      )}
      <section aria-labelledby="embed-requests-heading" className="embed-requests">
        <h2 id="embed-requests-heading">{context.conversationId ? 'In this conversation' : 'Your recent requests'}</h2>
        <AgentRequestList
          groups={panel.groups}
          now={now}
          timeZone={panel.timeZone}
          highlightedId={panel.sentId}
          onExpired={refresh}
          emptyText="No payment links sent from this conversation yet."
        />
      </section>
    </>
  );
}

function SignedOut({ access }: { access: string }) {
  const result = useActionData<{ signInError?: string; fieldErrors?: Record<string, string> }>();
  const navigation = useNavigation();
  const form = useRef<HTMLFormElement>(null);
  useFocusFirstInvalid(form, result);
  if (access === 'must_change_password' || access === 'not_an_agent') {
    return (
      <div className="card embed-notice" role="alert">
        <p>
          {access === 'must_change_password'
            ? 'Choose your own password first: open Paylink Desk, sign in and change it, then come back.'
            : 'This panel is for agents. Sign in with an agent account.'}
        </p>
        <Form method="post">
          <button type="submit" name="intent" value="sign_out" className="secondary small">
            Sign out
          </button>
        </Form>
      </div>
    );
  }
  return (
    <div className="card embed-sign-in">
      <h1>Sign in to send payment links</h1>
      {result?.signInError ? (
        <p role="alert" className="form-error">
          {result.signInError}
        </p>
      ) : null}
      <Form method="post" className="stack" noValidate ref={form}>
        <SignInFields fieldErrors={result?.fieldErrors} idPrefix="embed-" />
        <button type="submit" name="intent" value="sign_in" disabled={navigation.state === 'submitting'}>
          {navigation.state === 'submitting' ? 'Signing in…' : 'Sign in'}
        </button>
      </Form>
    </div>
  );
}
