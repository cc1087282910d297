import { useEffect, useRef } from 'react';

/**
 * The range chip a person chose, kept across the navigation it starts: the filters are remounted for
 * the new URL, and focus goes back to the same chip instead of the top of the page.
 */
let chosenPreset: string | null = null;

/** `ref` goes on the active chip, `choose(key)` on every chip's click. */
export function usePresetFocus(activePreset: string | null | undefined) {
  const activeChip = useRef<HTMLAnchorElement>(null);
  useEffect(() => {
    if (chosenPreset !== null && chosenPreset === activePreset) activeChip.current?.focus();
    chosenPreset = null;
  }, [activePreset]);
  return {
    activeChip,
    choose: (preset: string) => {
      chosenPreset = preset;
    },
  };
}
