import type { ActionFunctionArgs, LinksFunction, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { data, redirect } from '@remix-run/node';
import { Form, useActionData, useLoaderData, useLocation, useNavigation } from '@remix-run/react';
import { useRef } from 'react';
import { getDb } from '../../db/client';
import { useFocusFirstInvalid } from '../components/use-focus-first-invalid';
import { ACCOUNT_PATH, ROLE_LABELS } from '../domain/navigation';
import { clientIp, HOME_BY_ROLE, requireSignedIn } from '../http/auth.server';
import { changePassword } from '../http/password-change.server';
import { formToObject, outcomeResponse } from '../lib/form.server';
import { readForm } from '../lib/http.server';
import {
  isTemporaryPasswordExpired,
  MIN_PASSWORD_LENGTH,
  TEMPORARY_PASSWORD_EXPIRED_MESSAGE,
} from '../lib/password.server';
import { getAccount } from '../read/account.server';
import stylesHref from '../styles/account.css';

export const links: LinksFunction = () => [{ rel: 'stylesheet', href: stylesHref }];

/** Only a person in a browser session has a password to change here; a bearer token does not. */
async function requirePerson(request: Request) {
  const signedIn = await requireSignedIn(request);
  if (signedIn.method !== 'session') {
    throw new Response('Sign in with your password to change it.', { status: 403, statusText: 'Forbidden' });
  }
  return signedIn.viewer;
}

export async function loader({ request }: LoaderFunctionArgs) {
  const viewer = await requirePerson(request);
  const account = await getAccount(getDb(), viewer.userId);
  if (!account) throw new Response('Not found', { status: 404 });
  return {
    account,
    temporaryPasswordExpired: isTemporaryPasswordExpired(account, Date.now()),
    changed: new URL(request.url).searchParams.has('changed'),
    minLength: MIN_PASSWORD_LENGTH,
  };
}

export async function action({ request }: ActionFunctionArgs) {
  const viewer = await requirePerson(request);
  const form = formToObject(await readForm(request));
  if (!form.ok) return outcomeResponse(form.refused);
  const { input } = form;
  const result = await changePassword({ db: getDb(), actor: viewer, request, ip: clientIp(request) }, input);
  if (!result.ok) {
    const { fieldErrors, formError } = result;
    return data({ ok: false as const, fieldErrors, formError }, { status: result.status });
  }
  // Always a redirect: this request's loaders would still carry the session cookie just rotated away.
  // A temporary password replaced, the person may now use the app, from their home page.
  const to = result.wasTemporary ? HOME_BY_ROLE[viewer.role] : `${ACCOUNT_PATH}?changed=1`;
  throw redirect(to, { headers: { 'Set-Cookie': result.setCookie } });
}

export const meta: MetaFunction = () => [{ title: 'Account · Paylink Desk' }];

type ActionData = { ok: false; fieldErrors: Record<string, string>; formError: string | null };

const FIELDS = [
  { name: 'currentPassword', label: 'Current password', autoComplete: 'current-password' },
  { name: 'newPassword', label: 'New password', autoComplete: 'new-password' },
  { name: 'confirmPassword', label: 'New password again', autoComplete: 'new-password' },
] as const;

function describedBy(name: string, errors: Record<string, string>): string | undefined {
  const ids = [name === 'newPassword' ? 'newPassword-hint' : null, errors[name] ? `${name}-error` : null];
  return ids.filter(Boolean).join(' ') || undefined;
}

export default function Account() {
  const { account, temporaryPasswordExpired, changed, minLength } = useLoaderData<typeof loader>();
  const result = useActionData<ActionData>();
  const navigation = useNavigation();
  const location = useLocation();
  const busy = navigation.state === 'submitting';
  const errors = result?.fieldErrors ?? {};
  const form = useRef<HTMLFormElement>(null);
  useFocusFirstInvalid(form, result);
  return (
    <div className="account">
      <header className="page-header">
        <h1>Account</h1>
      </header>
      <section className="card account-card" aria-labelledby="password-heading">
        <h2 id="password-heading">Change password</h2>
        <p className="muted account-who">
          {account.name} · {account.email} · {ROLE_LABELS[account.role]}
        </p>
        {temporaryPasswordExpired ? (
          <p className="form-error" role="alert">
            {TEMPORARY_PASSWORD_EXPIRED_MESSAGE}
          </p>
        ) : account.mustChangePassword ? (
          <p className="account-notice warn" role="status">
            You signed in with a temporary password from an administrator. Choose your own password to continue.
          </p>
        ) : null}
        {changed && !result ? (
          <p className="account-notice ok" role="status">
            Your password is changed. Any other sessions you had are signed out.
          </p>
        ) : null}
        {result && !temporaryPasswordExpired ? (
          <p className="form-error" role="alert">
            {result.formError ?? 'Please correct the fields marked below.'}
          </p>
        ) : null}
        {/* An expired temporary password cannot prove who is changing it: nothing to fill in. */}
        {temporaryPasswordExpired ? null : (
          /* Keyed by the navigation: after a change the fields are empty again. */
          <Form method="post" action={ACCOUNT_PATH} className="stack" noValidate key={location.key} ref={form}>
            {/* Lets password managers file the new password under the right account. */}
            <input type="email" name="username" autoComplete="username" value={account.email ?? ''} readOnly hidden />
            {FIELDS.map((field) => (
              <div className="field" key={field.name}>
                <label htmlFor={`account-${field.name}`}>{field.label}</label>
                <input
                  id={`account-${field.name}`}
                  name={field.name}
                  type="password"
                  autoComplete={field.autoComplete}
                  required
                  aria-invalid={Boolean(errors[field.name])}
                  aria-describedby={describedBy(field.name, errors)}
                />
                {field.name === 'newPassword' ? (
                  <span id="newPassword-hint" className="hint">
                    At least {minLength} characters; not your email address. A passphrase works well.
                  </span>
                ) : null}
                {errors[field.name] ? (
                  <span id={`${field.name}-error`} className="field-error">
                    {errors[field.name]}
                  </span>
                ) : null}
              </div>
            ))}
            <p className="hint">Changing it signs you out everywhere else; you stay signed in here.</p>
            <div>
              <button type="submit" disabled={busy}>
                {busy ? 'Changing…' : 'Change password'}
              </button>
            </div>
          </Form>
        )}
      </section>
    </div>
  );
}
