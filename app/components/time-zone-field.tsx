interface Props {
  /** The form field: `tz` in the filter forms, `timezone` in the schedule form. */
  name: string;
  zones: readonly string[];
  defaultValue: string;
}

/** A labelled select of every time zone (the list comes from the loader: timeZoneList in app/lib/time-zone.ts). */
export function TimeZoneField({ name, zones, defaultValue }: Props) {
  return (
    <label className="field">
      <span>Time zone</span>
      <select name={name} defaultValue={defaultValue}>
        {zones.map((zone) => (
          <option key={zone} value={zone}>
            {zone}
          </option>
        ))}
      </select>
    </label>
  );
}
