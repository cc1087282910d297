import { useId, useState } from 'react';
import { errorAria, FieldError } from './field-error';
import { formatCalendarDate, useLocale } from './use-locale';

interface Props {
  label: string;
  name: string;
  defaultValue: string;
  required?: boolean;
  /** A field error, shown under the date. */
  error?: string;
}

/**
 * A date input with the chosen date written out in the reader's locale beside its label: the
 * browser's own picker follows the browser's language, which may not be the page's. Labelled by id,
 * not by wrapping: a wrapping label's name would take in the hint's text. The hint sits on the
 * label's line so inputs in a row of filters stay aligned.
 */
export function DateField({ label, name, defaultValue, required, error }: Props) {
  const locale = useLocale();
  const [value, setValue] = useState(defaultValue);
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  return (
    <div className="field">
      <div className="field-label-row">
        <label htmlFor={id}>{label}</label>
        <small id={hintId} className="field-hint" data-testid={`date-hint-${name}`}>
          {formatCalendarDate(value, locale)}
        </small>
      </div>
      <input
        id={id}
        type="date"
        name={name}
        defaultValue={defaultValue}
        required={required}
        {...errorAria(errorId, error, hintId)}
        onChange={(event) => setValue(event.currentTarget.value)}
      />
      <FieldError id={errorId} error={error} />
    </div>
  );
}
