import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { data, redirect } from '@remix-run/node';
import { Form, useActionData, useNavigation, useSearchParams } from '@remix-run/react';
import { useRef } from 'react';
import { z } from 'zod';
import { getDb } from '../../db/client';
import { SignInFields } from '../components/sign-in-fields';
import { useFocusFirstInvalid } from '../components/use-focus-first-invalid';
import { ACCOUNT_PATH, safeRedirectPath } from '../domain/navigation';
import { assertSameOrigin, clientIp, getViewer, HOME_BY_ROLE } from '../http/auth.server';
import { type SignInFailure, signIn, signInFields } from '../http/sign-in.server';
import { repeatedField, repeatedFieldFailure } from '../lib/form.server';
import { readForm } from '../lib/http.server';
import { TEMPORARY_PASSWORD_EXPIRED_MESSAGE } from '../lib/password.server';
import { fieldErrorsOf } from '../lib/zod-issues';

const loginSchema = z.object({ ...signInFields, redirectTo: z.string().optional() });

const SIGN_IN_FAILURES: Record<SignInFailure, string> = {
  invalid: 'Email or password is incorrect.',
  throttled: 'Too many failed attempts. Wait 15 minutes and try again.',
  busy: 'Too many sign-ins at once. Try again in a moment.',
  temporary_password_expired: TEMPORARY_PASSWORD_EXPIRED_MESSAGE,
};

export async function loader({ request }: LoaderFunctionArgs) {
  const found = await getViewer(request);
  if (found) throw redirect(found.mustChangePassword ? ACCOUNT_PATH : HOME_BY_ROLE[found.viewer.role]);
  return null;
}

const FAILURE_STATUS: Record<SignInFailure, number> = {
  invalid: 401,
  temporary_password_expired: 401,
  throttled: 429,
  busy: 503,
};

export async function action({ request }: ActionFunctionArgs) {
  assertSameOrigin(request);
  return readForm(request).then(async (form) => {
    const repeated = repeatedField(form);
    if (repeated !== null) return data(repeatedFieldFailure(repeated), { status: 400 });
    const parsed = loginSchema.safeParse(Object.fromEntries(form));
    if (!parsed.success) {
      return data({ formError: null, fieldErrors: fieldErrorsOf(parsed.error) }, { status: 400 });
    }
    const { email, password, redirectTo } = parsed.data;
    const result = await signIn(getDb(), request, email, password, clientIp(request));
    if (!result.ok) {
      const formError = SIGN_IN_FAILURES[result.reason];
      const headers: HeadersInit = result.reason === 'busy' ? { 'Retry-After': '1' } : {};
      return data({ formError, fieldErrors: {} }, { status: FAILURE_STATUS[result.reason], headers });
    }
    const to = result.mustChangePassword ? ACCOUNT_PATH : safeRedirectPath(redirectTo, HOME_BY_ROLE[result.role]);
    return redirect(to, {
      headers: { 'Set-Cookie': result.setCookie },
    });
  });
}

export const meta: MetaFunction = () => [{ title: 'Sign in · Paylink Desk' }];

interface ActionData {
  formError: string | null;
  fieldErrors: Record<string, string>;
}

export default function Login() {
  const result = useActionData<ActionData>();
  const [params] = useSearchParams();
  const navigation = useNavigation();
  const busy = navigation.state === 'submitting';
  const form = useRef<HTMLFormElement>(null);
  useFocusFirstInvalid(form, result);
  return (
    <main className="auth-page" id="main" tabIndex={-1}>
      <div className="card auth-card">
        <div className="brand brand-large">
          <img src="/favicon.svg" alt="" width={28} height={28} /> Paylink Desk
        </div>
        <h1>Sign in</h1>
        {result?.formError ? (
          <p role="alert" className="form-error">
            {result.formError}
          </p>
        ) : null}
        <Form method="post" className="stack" noValidate ref={form}>
          <input type="hidden" name="redirectTo" value={params.get('redirectTo') ?? ''} />
          <SignInFields fieldErrors={result?.fieldErrors} />
          <button type="submit" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </Form>
      </div>
    </main>
  );
}
