import { Form } from '@remix-run/react';
import { useRef } from 'react';
import { CADENCE_LABELS, CADENCES } from '../domain/report-schedule';
import type { Filters } from '../read/filters';
import { errorAria, FieldError } from './field-error';
import { TimeZoneField } from './time-zone-field';
import { useFocusFirstInvalid } from './use-focus-first-invalid';
import { useLocale } from './use-locale';

export interface ScheduleView {
  id: string;
  name: string;
  report: string;
  format: string;
  cadence: string;
  when: string;
  nextRun: string;
  lastRun: string | null;
  active: boolean;
}

export interface ReportFileView {
  id: string;
  fileName: string;
  rows: number;
  size: string;
  created: string;
  scheduleName: string | null;
}

interface FormProps {
  filters: Filters;
  timeZones: readonly string[];
  fieldErrors: Record<string, string>;
  busy: boolean;
}

const REPORT_LABELS: Record<string, string> = { 'payment-requests': 'Payment requests', agents: 'Agents' };

const LIST_KEYS = ['team', 'agent', 'channel', 'currency', 'status'] as const;

/** Schedules a report with the filters currently applied; each run covers the period before it. */
export function ScheduleForm({ filters, timeZones, fieldErrors, busy }: FormProps) {
  const form = useRef<HTMLFormElement>(null);
  useFocusFirstInvalid(form, Object.keys(fieldErrors).length > 0 ? fieldErrors : null);
  return (
    <Form method="post" className="schedule-form" aria-label="Schedule a report" ref={form}>
      <input type="hidden" name="intent" value="schedule" />
      {LIST_KEYS.flatMap((key) =>
        filters[key].map((value) => <input key={`${key}-${value}`} type="hidden" name={key} value={value} />),
      )}
      <label className="field">
        <span>Name</span>
        <input
          name="name"
          required
          maxLength={80}
          placeholder="e.g. Daily requests for finance"
          {...errorAria('schedule-name-error', fieldErrors.name)}
        />
        <FieldError id="schedule-name-error" error={fieldErrors.name} />
      </label>
      <div className="field">
        <label htmlFor="schedule-report">Report</label>
        <select id="schedule-report" name="report" defaultValue="payment-requests">
          <option value="payment-requests">Payment requests</option>
          <option value="agents">Agents</option>
        </select>
      </div>
      <div className="field">
        <label htmlFor="schedule-cadence">Cadence</label>
        <select id="schedule-cadence" name="cadence" defaultValue="daily">
          {CADENCES.map((cadence) => (
            <option key={cadence} value={cadence}>
              {CADENCE_LABELS[cadence]}
            </option>
          ))}
        </select>
      </div>
      <div className="field-row">
        <label className="field">
          <span>At</span>
          <input
            type="time"
            name="runAt"
            defaultValue="06:00"
            required
            {...errorAria('schedule-run-at-error', fieldErrors.runAt)}
          />
          <FieldError id="schedule-run-at-error" error={fieldErrors.runAt} />
        </label>
        <div className="field">
          <label htmlFor="schedule-format">Format</label>
          <select id="schedule-format" name="format" defaultValue="csv">
            <option value="csv">CSV</option>
            <option value="xlsx">XLSX</option>
          </select>
        </div>
      </div>
      <TimeZoneField name="timezone" zones={timeZones} defaultValue={filters.tz} error={fieldErrors.timezone} />
      <p className="muted small-print">
        Uses the filters applied under Range and filters; the range is set by each run.
      </p>
      <button type="submit" disabled={busy}>
        Schedule report
      </button>
    </Form>
  );
}

/**
 * One schedule an item: its name on a line of its own, under it what, when and the next run (in
 * the schedule's zone, named) with the actions beside them, or below them on a phone.
 */
export function ScheduleList({ schedules }: { schedules: ScheduleView[] }) {
  if (schedules.length === 0) return <p className="empty">No scheduled reports yet.</p>;
  return (
    <ul className="schedule-list" aria-label="Your scheduled reports">
      {schedules.map((schedule) => (
        <li key={schedule.id} className="schedule-item">
          <div className="schedule-name">
            {schedule.name}
            {schedule.active ? null : <span className="badge badge-canceled">paused</span>}
          </div>
          <div className="schedule-about">
            <div className="muted small-print">
              {REPORT_LABELS[schedule.report] ?? schedule.report} · {schedule.format.toUpperCase()} · {schedule.when}
            </div>
            <div className="small-print" data-testid="schedule-next-run">
              {schedule.active
                ? `Next run ${schedule.nextRun}`
                : 'Paused: a run fell due while you could not export. Resume to start it again.'}
            </div>
            {schedule.lastRun ? <div className="muted small-print">Last run {schedule.lastRun}</div> : null}
          </div>
          <Form method="post" className="row-actions">
            <input type="hidden" name="id" value={schedule.id} />
            {schedule.active ? null : (
              <button type="submit" name="intent" value="resume-schedule" className="small">
                Resume<span className="visually-hidden">: {schedule.name}</span>
              </button>
            )}
            <button type="submit" name="intent" value="run-now" className="secondary small">
              Run now<span className="visually-hidden">: {schedule.name}</span>
            </button>
            <button type="submit" name="intent" value="delete-schedule" className="secondary small danger">
              Delete<span className="visually-hidden">: {schedule.name}</span>
            </button>
          </Form>
        </li>
      ))}
    </ul>
  );
}

/** The viewer's kept files, newest first, each with a Delete button under its name (a form: it works without JavaScript). */
export function ReportFileList({ files }: { files: ReportFileView[] }) {
  const locale = useLocale();
  if (files.length === 0) return <p className="empty">Files from scheduled runs appear here.</p>;
  return (
    <table className="report-table">
      <thead>
        <tr>
          <th scope="col">File</th>
          <th scope="col" className="num">
            Rows
          </th>
          <th scope="col" className="num">
            Size
          </th>
          <th scope="col">Made</th>
        </tr>
      </thead>
      <tbody>
        {files.map((file) => (
          <tr key={file.id}>
            <td className="file-name">
              <a href={`/reports/files/${file.id}`} download={file.fileName}>
                {file.fileName}
              </a>
              {file.scheduleName ? <div className="muted small-print">{file.scheduleName}</div> : null}
              {/* Under the name rather than in a column of its own: a fifth column does not fit a phone. */}
              <Form method="post" className="file-actions">
                <input type="hidden" name="id" value={file.id} />
                <button type="submit" name="intent" value="delete-file" className="secondary small danger">
                  Delete<span className="visually-hidden">: {file.fileName}</span>
                </button>
              </Form>
            </td>
            <td className="num">{file.rows.toLocaleString(locale)}</td>
            <td className="num">{file.size}</td>
            <td>{file.created}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
