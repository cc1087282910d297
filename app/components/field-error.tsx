/**
 * A field's error under it, with the id its input names in aria-describedby (with aria-invalid), so
 * a screen reader reads the error with the field, not only as part of the page.
 */
export function FieldError({ id, error }: { id: string; error: string | undefined }) {
  return error ? (
    <span id={id} className="field-error">
      {error}
    </span>
  ) : null;
}

/** The input's ARIA for a field that may have an error: aria-invalid and, when it has one, its id. */
export function errorAria(id: string, error: string | undefined, describedBy?: string) {
  const ids = [describedBy, error ? id : undefined].filter(Boolean).join(' ');
  return { 'aria-invalid': Boolean(error), 'aria-describedby': ids || undefined };
}
