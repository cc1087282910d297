import { errorAria, FieldError } from './field-error';

/**
 * The email and password of a sign-in form (/login, the agent panel), each with its error under it
 * tied by aria-describedby. `idPrefix` keeps the error ids apart when two forms share a page.
 */
export function SignInFields({
  fieldErrors = {},
  idPrefix = '',
}: {
  fieldErrors?: Record<string, string>;
  idPrefix?: string;
}) {
  const field = (name: 'email' | 'password', label: string, type: string, autoComplete: string) => {
    const errorId = `${idPrefix}${name}-error`;
    return (
      <label className="field">
        <span>{label}</span>
        <input
          name={name}
          type={type}
          autoComplete={autoComplete}
          required
          {...errorAria(errorId, fieldErrors[name])}
        />
        <FieldError id={errorId} error={fieldErrors[name]} />
      </label>
    );
  };
  return (
    <>
      {field('email', 'Email', 'email', 'username')}
      {field('password', 'Password', 'password', 'current-password')}
    </>
  );
}
