import { useId } from 'react';

interface Props {
  /** The form field: `tz` in the filter forms, `timezone` in the schedule form. */
  name: string;
  zones: readonly string[];
  defaultValue: string;
}

/** A labelled select of every time zone (the list comes from the loader: timeZoneList in app/lib/time-zone.ts). */
export function TimeZoneField({ name, zones, defaultValue }: Props) {
  // Labelled by id, not by wrapping: a wrapping label's text takes in every option's (getByLabel matches on it).
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>Time zone</label>
      <select id={id} name={name} defaultValue={defaultValue}>
        {zones.map((zone) => (
          <option key={zone}>{zone}</option>
        ))}
      </select>
    </div>
  );
}
