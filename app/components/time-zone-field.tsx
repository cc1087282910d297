import { useId } from 'react';

interface Props {
  /** The form field: `tz` in the filter forms, `timezone` in the schedule form. */
  name: string;
  zones: readonly string[];
  defaultValue: string;
  /** The server's word on the submitted zone, if it refused it. */
  error?: string;
}

const NOT_A_ZONE = 'Choose a time zone from the list, e.g. Africa/Johannesburg';

/**
 * A time zone typed with suggestions: a text input over a <datalist> of every zone (the list comes
 * from the loader: timeZoneList in app/lib/time-zone.ts), so 'johan' finds Africa/Johannesburg among
 * ~400. The browser refuses to submit a name not in the list; the server validates it again.
 */
export function TimeZoneField({ name, zones, defaultValue, error }: Props) {
  const id = useId();
  const listId = `${id}-zones`;
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const check = (input: HTMLInputElement) => {
    const typed = input.value.trim();
    const known = zones.some((zone) => zone.toLowerCase() === typed.toLowerCase());
    input.setCustomValidity(known ? '' : NOT_A_ZONE);
  };
  return (
    <div className="field">
      <div className="field-label-row">
        <label htmlFor={id}>Time zone</label>
        <small id={hintId} className="field-hint">
          type to search
        </small>
      </div>
      <input
        id={id}
        name={name}
        list={listId}
        defaultValue={defaultValue}
        required
        autoComplete="off"
        spellCheck={false}
        aria-describedby={error ? `${hintId} ${errorId}` : hintId}
        aria-invalid={Boolean(error)}
        onChange={(event) => check(event.currentTarget)}
        onInvalid={(event) => check(event.currentTarget)}
      />
      <datalist id={listId}>
        {zones.map((zone) => (
          <option key={zone} value={zone} />
        ))}
      </datalist>
      {error ? (
        <span id={errorId} className="field-error">
          {error}
        </span>
      ) : null}
    </div>
  );
}
