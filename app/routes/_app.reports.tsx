import type { ActionFunctionArgs, LinksFunction, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { redirect } from '@remix-run/node';
import { useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { z } from 'zod';
import { type Db, getDb } from '../../db/client';
import { ReportFilterForm } from '../components/report-filter-form';
import { ReportFileList, ScheduleForm, ScheduleList } from '../components/report-schedules';
import { formatCalendarDate, useLocale } from '../components/use-locale';
import { EXPORT_ROLES, type Viewer } from '../domain/access';
import { formatBytes, formatClockTime, formatCount, formatDateTime, formatZonedDateTime } from '../domain/format';
import { CADENCE_LABELS, type Cadence } from '../domain/report-schedule';
import { clientIp, requireViewer } from '../http/auth.server';
import { filterOptionsFromRequest } from '../http/filter-options.server';
import { filtersFromRequest } from '../http/filter-params.server';
import {
  failure,
  fieldErrorsOf,
  type Outcome,
  outcomeResponse,
  repeatedField,
  repeatedFieldFailure,
} from '../lib/form.server';
import { readForm } from '../lib/http.server';
import { requestLocale } from '../lib/locale.server';
import { timeZoneList } from '../lib/time-zone';
import { type DatePreset, datePresets } from '../read/date-ranges';
import { countExportAgents, countExportRequests } from '../read/exports/rows.server';
import { type Filters, filtersToSearchParams } from '../read/filters';
import { getSchedule, listReportFiles, listSchedules } from '../read/reports.server';
import { getWeekStartsOn } from '../read/settings.server';
import stylesHref from '../styles/reports.css';
import { recordAudit } from '../write/audit.server';
import { runSchedule } from '../write/report-scheduler.server';
import {
  createSchedule,
  deleteReportFile,
  deleteSchedule,
  resumeSchedule,
  SCHEDULE_LIST_KEYS,
} from '../write/report-schedules.server';

export const links: LinksFunction = () => [{ rel: 'stylesheet', href: stylesHref }];

/** Currency codes typed as 'usd, eur' become the canonical repeatable parameter. */
function canonicalCurrencies(url: URL): URL | null {
  const typed = url.searchParams.getAll('currency');
  const codes = typed
    .flatMap((value) => value.split(/[\s,]+/))
    .filter(Boolean)
    .map((code) => code.toUpperCase());
  if (codes.join(',') === typed.join(',')) return null;
  const next = new URL(url);
  next.searchParams.delete('currency');
  for (const code of codes) next.searchParams.append('currency', code);
  return next;
}

export async function loader({ request }: LoaderFunctionArgs) {
  const viewer = await requireViewer(request, EXPORT_ROLES);
  const url = new URL(request.url);
  const canonical = canonicalCurrencies(url);
  if (canonical) throw redirect(canonical.pathname + canonical.search);
  const db = getDb();
  const now = Date.now();
  const locale = requestLocale(request);
  const parsed = await filtersFromRequest(request);
  const presets = datePresets(parsed.tz, now, await getWeekStartsOn(db));
  // No range asked for: the last 30 days, so the counts are never of the whole history by surprise.
  const last30 = presets.find((preset) => preset.key === '30d')!;
  const filters: Filters = parsed.from || parsed.to ? parsed : { ...parsed, from: last30.from, to: last30.to };
  return {
    filters,
    query: filtersToSearchParams(filters).toString(),
    presets,
    counts: {
      paymentRequests: await countExportRequests(db, filters, viewer),
      agents: await countExportAgents(db, filters, viewer),
    },
    options: await filterOptionsFromRequest(db, request, viewer, filters),
    timeZones: timeZoneList(filters.tz),
    schedules: (await listSchedules(db, viewer)).map((schedule) => ({
      id: schedule.id,
      name: schedule.name,
      report: schedule.report,
      format: schedule.format,
      cadence: schedule.cadence,
      // The run time as the next run's time reads beside it: '06:00 AM' in en-US, not '06:00' above '06:00 AM'.
      when: `${CADENCE_LABELS[schedule.cadence as Cadence].split(':')[0]} at ${formatClockTime(schedule.runAt, locale)} (${schedule.timezone})`,
      // In the schedule's own zone, named: it may not be the zone the page's filters use.
      nextRun: formatZonedDateTime(schedule.nextRunAt, schedule.timezone, locale),
      lastRun: schedule.lastRunAt ? formatZonedDateTime(schedule.lastRunAt, schedule.timezone, locale) : null,
      active: schedule.active,
    })),
    files: (await listReportFiles(db, viewer)).map((file) => ({
      id: file.id,
      fileName: file.fileName,
      rows: file.rows,
      size: formatBytes(file.bytes, locale),
      created: formatDateTime(file.createdAt, filters.tz, locale),
      scheduleName: file.scheduleName,
    })),
  };
}

/** Which card shows an answer: the kept files' for a file deleted, the schedules' for the rest. */
type Answer = Outcome & { about: 'schedules' | 'files' };

const answer = (outcome: Outcome, about: Answer['about'], failureStatus?: 400 | 404) =>
  outcomeResponse<Answer>({ ...outcome, about }, failureStatus);

/** The schedule or file an intent acts on: 400 naming `id` when the form has none. */
const idSchema = (message: string) => z.object({ id: z.string(message).trim().min(1, message) });

/** Deletes one of the viewer's kept files: 400 naming `id` when there is none, 404 when it is not theirs. */
async function deleteFile(db: Db, viewer: Viewer, form: URLSearchParams, ip: string | null) {
  const parsed = idSchema('Choose a file to delete').safeParse({ id: form.get('id') ?? undefined });
  if (!parsed.success) {
    return answer(failure(fieldErrorsOf(parsed.error), 'Choose a file to delete.'), 'files');
  }
  const fileName = await deleteReportFile(db, viewer, parsed.data.id);
  if (fileName === null) return answer(failure({}, 'No such file.'), 'files', 404);
  await recordAudit(db, {
    action: 'report_file_delete',
    actor: viewer,
    target: `report_file:${parsed.data.id}`,
    details: { fileName },
    ip,
  });
  return answer({ ok: true, message: `Deleted ${fileName}.` }, 'files');
}

/**
 * Deletes, resumes or runs one of the viewer's schedules: 400 naming `id` when the form has none, 404
 * "No such schedule." when it is not theirs (the same answer whether it exists or not).
 */
async function onSchedule(
  db: Db,
  viewer: Viewer,
  form: URLSearchParams,
  intent: 'delete-schedule' | 'resume-schedule' | 'run-now',
  request: Request,
) {
  const parsed = idSchema('Choose a schedule').safeParse({ id: form.get('id') ?? undefined });
  if (!parsed.success) return answer(failure(fieldErrorsOf(parsed.error), 'Choose a schedule.'), 'schedules');
  const id = parsed.data.id;
  const missing = () => answer(failure({}, 'No such schedule.'), 'schedules', 404);
  if (intent === 'run-now') {
    const schedule = await getSchedule(db, id);
    if (!schedule || schedule.ownerUserId !== viewer.userId) return missing();
    const now = Date.now();
    // Its file is audited as an export, as a scheduled run's is.
    const file = await runSchedule(db, schedule, now, now);
    return answer(
      file
        ? { ok: true, message: `Made ${file.fileName} (${formatCount(file.rows, requestLocale(request))} rows).` }
        : failure({}, 'This schedule is paused: its owner may no longer export.'),
      'schedules',
    );
  }
  const deleting = intent === 'delete-schedule';
  const name = deleting ? await deleteSchedule(db, viewer, id) : await resumeSchedule(db, viewer, id);
  if (name === null) return missing();
  await recordAudit(db, {
    action: deleting ? 'report_schedule_delete' : 'report_schedule_resume',
    actor: viewer,
    target: `schedule:${id}`,
    details: { name },
    ip: clientIp(request),
  });
  return answer(
    { ok: true, message: deleting ? `Deleted the schedule “${name}”.` : `Resumed “${name}”.` },
    'schedules',
  );
}

/** Creates a schedule from the form (400 naming each field it refuses), audited with what it will run. */
async function create(db: Db, viewer: Viewer, form: URLSearchParams, ip: string | null) {
  const outcome = await createSchedule(db, viewer, form);
  if (outcome.ok) {
    await recordAudit(db, {
      action: 'report_schedule_create',
      actor: viewer,
      target: `schedule:${outcome.id}`,
      details: outcome.schedule,
      ip,
    });
  }
  return answer(outcome.ok ? { ok: true, message: outcome.message } : outcome, 'schedules');
}

/** A form's text fields (a file part has no place in these forms and is left out). */
function formParams(form: FormData): URLSearchParams {
  const params = new URLSearchParams();
  for (const [key, value] of form) if (typeof value === 'string') params.append(key, value);
  return params;
}

export async function action({ request }: ActionFunctionArgs) {
  const viewer = await requireViewer(request, EXPORT_ROLES);
  const db = getDb();
  const form = formParams(await readForm(request));
  const ip = clientIp(request);
  const intent = form.get('intent');
  const repeated = repeatedField(form, SCHEDULE_LIST_KEYS);
  if (repeated !== null) {
    return answer(
      repeatedFieldFailure(repeated),
      intent === 'delete-file' && repeated !== 'intent' ? 'files' : 'schedules',
    );
  }
  if (intent === 'delete-file') return await deleteFile(db, viewer, form, ip);
  if (intent === 'schedule') return await create(db, viewer, form, ip);
  if (intent === 'delete-schedule' || intent === 'resume-schedule' || intent === 'run-now') {
    return await onSchedule(db, viewer, form, intent, request);
  }
  return answer(failure({ intent: 'Choose an action' }, 'Unknown action.'), 'schedules');
}

export const meta: MetaFunction = () => [{ title: 'Reports · Paylink Desk' }];

function describeRange(filters: Filters, locale: string): string {
  const from = filters.from ? formatCalendarDate(filters.from, locale) : 'the start';
  const to = filters.to ? formatCalendarDate(filters.to, locale) : 'now';
  return `${from} to ${to} (${filters.tz})`;
}

function ActionStatus({ result }: { result: Outcome }) {
  return (
    <p role="status" className={result.ok ? 'notice' : 'form-error'}>
      {result.ok ? result.message : (result.formError ?? 'Check the fields below.')}
    </p>
  );
}

export default function Reports() {
  const data = useLoaderData<typeof loader>();
  const result = useActionData<Answer>();
  const scheduled = result?.about === 'schedules' ? result : undefined;
  const navigation = useNavigation();
  const locale = useLocale();
  const counting = navigation.state === 'loading' && navigation.formMethod !== 'POST';
  const saving = navigation.state === 'submitting';
  const filters = data.filters as Filters;
  const presetQuery = (preset: DatePreset) =>
    filtersToSearchParams({ ...filters, from: preset.from, to: preset.to }).toString();
  const exports = [
    { report: 'payment-requests', title: 'Payment requests', unit: 'request', count: data.counts.paymentRequests },
    { report: 'agents', title: 'Agents', unit: 'agent', count: data.counts.agents },
  ];
  return (
    <div className="reports">
      <div className="page-header">
        <div>
          <h1>Reports</h1>
          <p className="muted">
            Export payment requests and agent metrics for finance and planning, in your time zone.
          </p>
        </div>
      </div>
      <div className="reports-layout">
        <ReportFilterForm
          // Uncontrolled inputs keep their first defaultValue: a new URL (a preset) remounts them.
          key={data.query}
          filters={filters}
          presets={data.presets}
          presetQuery={presetQuery}
          timeZones={data.timeZones}
          options={data.options}
          busy={counting}
        />
        <div className="reports-main">
          <section className="card" aria-labelledby="download-heading">
            <h2 id="download-heading">Download</h2>
            <p className="muted">Requests sent from {describeRange(filters, locale)}.</p>
            <ul className={counting ? 'exports stale' : 'exports'}>
              {exports.map((item) => (
                <li key={item.report} className="export-row">
                  <div>
                    <div className="export-title">{item.title}</div>
                    <div className="export-count" data-testid={`count-${item.report}`}>
                      {formatCount(item.count, locale)} {item.count === 1 ? item.unit : `${item.unit}s`}
                    </div>
                  </div>
                  <div className="export-links">
                    <a
                      className="button"
                      href={`/exports/${item.report}.csv?${data.query}`}
                      download
                      aria-label={`Download ${item.title} CSV`}
                    >
                      Download CSV
                    </a>
                    <a
                      className="button secondary"
                      href={`/exports/${item.report}.xlsx?${data.query}`}
                      download
                      aria-label={`Download ${item.title} XLSX`}
                    >
                      XLSX
                    </a>
                    <a
                      className="button secondary"
                      href={`/exports/${item.report}.csv?${data.query}&excel=1`}
                      download
                      aria-label={`Download ${item.title} CSV for Excel`}
                    >
                      CSV for Excel
                    </a>
                  </div>
                </li>
              ))}
            </ul>
            <p className="muted small-print">
              XLSX files add a summary sheet with the KPIs of the range. CSV for Excel is the same CSV with a byte-order
              mark, so Excel on Windows shows accented names (Fernández) correctly.
            </p>
          </section>
          <section className="card" aria-labelledby="schedules-heading">
            <h2 id="schedules-heading">Scheduled reports</h2>
            {scheduled ? <ActionStatus result={scheduled} /> : null}
            <div className="schedules-layout">
              <ScheduleForm
                key={`${filters.tz} ${data.query} ${scheduled?.ok ? scheduled.message : ''}`}
                filters={filters}
                timeZones={data.timeZones}
                fieldErrors={scheduled && !scheduled.ok ? scheduled.fieldErrors : {}}
                busy={saving}
              />
              <ScheduleList schedules={data.schedules} />
            </div>
          </section>
          <section className="card" aria-labelledby="files-heading">
            <h2 id="files-heading">Kept files</h2>
            {result?.about === 'files' ? <ActionStatus result={result} /> : null}
            <ReportFileList files={data.files} />
          </section>
        </div>
      </div>
    </div>
  );
}
