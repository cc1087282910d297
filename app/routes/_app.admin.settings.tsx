import type { ActionFunctionArgs, LinksFunction, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { useFetcher, useLoaderData } from '@remix-run/react';
import { useRef } from 'react';
import { getDb } from '../../db/client';
import { type ClientOutcome, errorsOf, FieldError, invalidProps, OutcomeMessage } from '../components/admin/admin-form';
import { useFocusFirstInvalid } from '../components/use-focus-first-invalid';
import { clientIp, requireViewer } from '../http/auth.server';
import { formToObject, outcomeResponse, unknownIntent } from '../lib/form.server';
import { readForm } from '../lib/http.server';
import { WEEK_STARTS } from '../read/date-ranges';
import adminStylesHref from '../styles/admin.css';
import { getSettingsValues, updateSettings } from '../write/admin-settings.server';

export const links: LinksFunction = () => [{ rel: 'stylesheet', href: adminStylesHref }];

export async function loader({ request }: LoaderFunctionArgs) {
  await requireViewer(request, ['admin']);
  return { values: await getSettingsValues(getDb()), timeZones: Intl.supportedValuesOf('timeZone') };
}

export async function action({ request }: ActionFunctionArgs) {
  const viewer = await requireViewer(request, ['admin']);
  const form = formToObject(await readForm(request));
  if (!form.ok) return outcomeResponse(form.refused);
  const { input } = form;
  if (input.intent !== 'save_settings') throw unknownIntent(input.intent);
  return outcomeResponse(await updateSettings({ db: getDb(), actor: viewer, ip: clientIp(request) }, input));
}

export const meta: MetaFunction = () => [{ title: 'Settings · Admin · Paylink Desk' }];

export default function AdminSettings() {
  const { values, timeZones } = useLoaderData<typeof loader>();
  const fetcher = useFetcher<ClientOutcome>();
  const errors = errorsOf(fetcher.data);
  const field = (name: string) => invalidProps(errors, name, 'settings');
  const form = useRef<HTMLFormElement>(null);
  useFocusFirstInvalid(form, fetcher.data);
  return (
    <>
      <header className="page-header">
        <h1>Settings</h1>
      </header>
      <section className="card settings-card" aria-labelledby="settings-heading">
        <h2 id="settings-heading" className="visually-hidden">
          Organisation settings
        </h2>
        {/* Keyed by the saved values: after a save the fields show what was stored (e.g. the zone's canonical spelling). */}
        <fetcher.Form method="post" className="stack" noValidate key={JSON.stringify(values)} ref={form}>
          <input type="hidden" name="intent" value="save_settings" />
          <OutcomeMessage outcome={fetcher.data} />
          <fieldset className="settings-group">
            <legend>Payment links</legend>
            <label className="field">
              <span>Unopened link valid for (minutes)</span>
              <input
                name="linkTtlUnopened"
                type="number"
                min={1}
                max={30}
                step="any"
                defaultValue={values.linkTtlUnopened}
                {...field('linkTtlUnopened')}
              />
              <span className="hint">After the latest send, while the customer has not opened the link. 1 to 30.</span>
              <FieldError errors={errors} name="linkTtlUnopened" idPrefix="settings" />
            </label>
            <label className="field">
              <span>Opened link valid for (minutes)</span>
              <input
                name="linkTtlOpened"
                type="number"
                min={1}
                max={30}
                step="any"
                defaultValue={values.linkTtlOpened}
                {...field('linkTtlOpened')}
              />
              <span className="hint">After the customer opened it, if unpaid. 1 to 30.</span>
              <FieldError errors={errors} name="linkTtlOpened" idPrefix="settings" />
            </label>
            <p className="hint">
              A change applies to links sent or opened after it; links already running keep the time they started with.
            </p>
          </fieldset>
          <fieldset className="settings-group">
            <legend>Organisation</legend>
            <label className="field">
              <span>Time zone</span>
              <input
                name="orgTimezone"
                list="time-zones"
                defaultValue={values.orgTimezone}
                autoComplete="off"
                {...field('orgTimezone')}
              />
              <datalist id="time-zones">
                {timeZones.map((zone) => (
                  <option key={zone} value={zone} />
                ))}
              </datalist>
              <span className="hint">IANA name. The default for dashboards, reports and exports.</span>
              <FieldError errors={errors} name="orgTimezone" idPrefix="settings" />
            </label>
            <label className="field">
              <span>Weeks start on</span>
              <select name="weekStartsOn" defaultValue={String(values.weekStartsOn)} {...field('weekStartsOn')}>
                {WEEK_STARTS.map((start) => (
                  <option key={start.day} value={start.day}>
                    {start.label}
                  </option>
                ))}
              </select>
              <span className="hint">For the This week and Last week ranges of dashboards and reports.</span>
              <FieldError errors={errors} name="weekStartsOn" idPrefix="settings" />
            </label>
            <label className="field">
              <span>Currencies in use</span>
              <input
                name="currencies"
                defaultValue={values.currencies.join(', ')}
                placeholder="USD, EUR, ZAR"
                autoComplete="off"
                {...field('currencies')}
              />
              <span className="hint">
                ISO 4217 codes, separated by commas. Offered to agents when they send a link.
              </span>
              <FieldError errors={errors} name="currencies" idPrefix="settings" />
            </label>
          </fieldset>
          <fieldset className="settings-group">
            <legend>What customers see</legend>
            <label className="field">
              <span>Organisation display name</span>
              <input
                name="orgDisplayName"
                defaultValue={values.orgDisplayName}
                maxLength={80}
                autoComplete="organization"
                {...field('orgDisplayName')}
              />
              <span className="hint">The pay page says “Payment to” this name. Empty: Paylink Desk.</span>
              <FieldError errors={errors} name="orgDisplayName" idPrefix="settings" />
            </label>
            <label className="field">
              <span>Logo URL (optional)</span>
              <input
                name="orgLogoUrl"
                type="url"
                inputMode="url"
                defaultValue={values.orgLogoUrl}
                placeholder="https://cdn.example.com/logo.png"
                autoComplete="off"
                {...field('orgLogoUrl')}
              />
              <span className="hint">An https:// address of an image, shown above the amount on the pay page.</span>
              <FieldError errors={errors} name="orgLogoUrl" idPrefix="settings" />
            </label>
          </fieldset>
          <fieldset className="settings-group">
            <legend>Agent panel in a chat desk</legend>
            <label className="field">
              <span>Chat desks allowed to show the panel</span>
              <textarea
                name="embedOrigins"
                rows={3}
                defaultValue={values.embedOrigins.join('\n')}
                placeholder="https://desk.example.com"
                autoComplete="off"
                spellCheck={false}
                {...field('embedOrigins')}
              />
              <span className="hint">
                One origin per line (https; http only for localhost). Only these may frame /embed/agent; no other page
                can be framed. Empty: the panel cannot be embedded anywhere.
              </span>
              <FieldError errors={errors} name="embedOrigins" idPrefix="settings" />
            </label>
          </fieldset>
          <div>
            <button type="submit" disabled={fetcher.state !== 'idle'}>
              {fetcher.state !== 'idle' ? 'Saving…' : 'Save settings'}
            </button>
          </div>
        </fetcher.Form>
      </section>
    </>
  );
}
