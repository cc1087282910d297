// Names as people read them: case and accents do not split "aisha" from "Aisha", and "Agent 9"
// comes before "Agent 10". Fixed to 'en' so every server orders (and resumes cursors) alike.
const collator = new Intl.Collator('en', { numeric: true });

/** Compares two display names in the order every list and picker shows them. */
export function compareNames(a: string, b: string): number {
  return collator.compare(a, b);
}

/** Things with a name and an id, by name, then by id so equal names keep one stable order. */
export function byNameThenId(a: { id: string; name: string }, b: { id: string; name: string }): number {
  return collator.compare(a.name, b.name) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** A name as the pickers' find box matches it: lower case without accents, `Émile` reads as `emile`. */
export function foldedName(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}
