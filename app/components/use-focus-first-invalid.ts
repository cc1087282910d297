import { type RefObject, useEffect } from 'react';

/**
 * After a refused submit (each answer is a new object), the first field marked aria-invalid in the
 * form takes the focus: its message, tied by aria-describedby, is read out with it, and the person
 * types where the fix goes instead of hunting for it from the submit button.
 */
export function useFocusFirstInvalid(form: RefObject<HTMLFormElement | null>, answer: unknown): void {
  useEffect(() => {
    if (answer) form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [answer, form]);
}
