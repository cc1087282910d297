import { useEffect, useRef, useState } from 'react';

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

/**
 * The active chip of filters whose URL holds dates rather than a preset: of the presets the range
 * is, the one the person chose, else the first. Two presets can be the same dates (on the week's
 * last day "This week" and "Last 7 days"), and the chip just clicked must stay the current one.
 */
export function useActivePreset(matching: readonly string[]) {
  // Read as the filters mount for the new URL, before usePresetFocus forgets the choice.
  const [chosen, setChosen] = useState(() => chosenPreset ?? undefined);
  const activePreset = chosen !== undefined && matching.includes(chosen) ? chosen : matching[0];
  const { activeChip, choose } = usePresetFocus(activePreset);
  return {
    activePreset,
    activeChip,
    // A chip whose dates are already the URL's navigates nowhere new: the state moves the highlight.
    choose: (preset: string) => {
      setChosen(preset);
      choose(preset);
    },
  };
}
