import type { FetcherWithComponents } from '@remix-run/react';
import { type ReactNode, useEffect, useState } from 'react';
import { FieldError as ErrorText, errorAria } from '../field-error';

/** An admin action's answer as the browser gets it (see Outcome in lib/form.server). */
export type ClientOutcome =
  | { ok: true; message: string; temporaryPassword?: string; expiresAt?: number; token?: string; secret?: string }
  | { ok: false; fieldErrors: Record<string, string>; formError: string | null };

export function errorsOf(outcome: ClientOutcome | undefined): Record<string, string> {
  return outcome && !outcome.ok ? outcome.fieldErrors : {};
}

/** Props that tie an input to its error message for assistive technology (errorAria, by the field's name). */
export function invalidProps(errors: Record<string, string>, name: string, idPrefix: string) {
  return errorAria(`${idPrefix}-${name}-error`, errors[name]);
}

/** A field's error from an admin action's field errors, under the id invalidProps names. */
export function FieldError({
  errors,
  name,
  idPrefix,
}: {
  errors: Record<string, string>;
  name: string;
  idPrefix: string;
}) {
  return <ErrorText id={`${idPrefix}-${name}-error`} error={errors[name]} />;
}

/** The success message, or the error that belongs to no single field. */
export function OutcomeMessage({ outcome }: { outcome: ClientOutcome | undefined }) {
  if (!outcome) return null;
  if (outcome.ok) {
    return (
      <p role="status" className="admin-notice">
        {outcome.message}
      </p>
    );
  }
  if (outcome.formError) {
    return (
      <p role="alert" className="form-error">
        {outcome.formError}
      </p>
    );
  }
  return (
    <p role="alert" className="form-error">
      Please correct the fields marked below.
    </p>
  );
}

/** A secret the server will never show again (it keeps only a hash, or the admin must hand it over now). */
export function ShownOnce({ label, value, children }: { label: string; value: string; children?: ReactNode }) {
  const [copied, setCopied] = useState(false);
  return (
    <section className="shown-once" aria-label={label}>
      <div className="shown-once-head">
        <strong>{label}</strong>
        <span className="shown-once-warning">Shown once: copy it now.</span>
      </div>
      <div className="shown-once-value">
        <code data-testid="shown-once-value">{value}</code>
        <button
          type="button"
          className="secondary small"
          onClick={() => {
            void navigator.clipboard?.writeText(value).then(() => setCopied(true));
          }}
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
      {children ? <p className="muted small-text">{children}</p> : null}
    </section>
  );
}

/**
 * A number that grows with each successful submission of the fetcher: as a form's `key` it remounts
 * the form empty, controlled fields (the role select) included, which form.reset() would not sync.
 */
export function useSuccessCount(fetcher: FetcherWithComponents<unknown>): number {
  const [count, setCount] = useState(0);
  const outcome = fetcher.data as ClientOutcome | undefined;
  useEffect(() => {
    if (fetcher.state === 'idle' && outcome?.ok) setCount((n) => n + 1);
  }, [fetcher.state, outcome]);
  return count;
}
