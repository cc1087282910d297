/**
 * Where a team's name came from. A placeholder (the id, when a team is named by a scope before any
 * event carries it, e.g. `cli token create --team`) gives way to the first name an event carries; a
 * name from an event or set by an admin stays.
 */
export const NAME_SOURCES = ['placeholder', 'event', 'admin'] as const;
export type NameSource = (typeof NAME_SOURCES)[number];
