import type { ActionFunctionArgs, LinksFunction, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { useFetcher, useLoaderData } from '@remix-run/react';
import { useRef } from 'react';
import { getDb } from '../../db/client';
import {
  type ClientOutcome,
  errorsOf,
  FieldError,
  invalidProps,
  OutcomeMessage,
  useSuccessCount,
} from '../components/admin/admin-form';
import { useFocusFirstInvalid } from '../components/use-focus-first-invalid';
import { useLocale } from '../components/use-locale';
import { formatCount } from '../domain/format';
import { clientIp, requireViewer } from '../http/auth.server';
import { formToObject, outcomeResponse, unknownIntent } from '../lib/form.server';
import { readForm } from '../lib/http.server';
import { listTeams } from '../read/admin.server';
import adminStylesHref from '../styles/admin.css';
import { createTeam, renameTeam } from '../write/admin.server';

export const links: LinksFunction = () => [{ rel: 'stylesheet', href: adminStylesHref }];

export async function loader({ request }: LoaderFunctionArgs) {
  await requireViewer(request, ['admin']);
  return { teams: await listTeams(getDb()) };
}

export async function action({ request }: ActionFunctionArgs) {
  const viewer = await requireViewer(request, ['admin']);
  const form = formToObject(await readForm(request));
  if (!form.ok) return outcomeResponse(form.refused);
  const { input } = form;
  const ctx = { db: getDb(), actor: viewer, ip: clientIp(request) };
  switch (input.intent) {
    case 'create_team':
      return outcomeResponse(await createTeam(ctx, input));
    case 'rename_team':
      return outcomeResponse(await renameTeam(ctx, input));
    default:
      throw unknownIntent(input.intent);
  }
}

export const meta: MetaFunction = () => [{ title: 'Teams · Admin · Paylink Desk' }];

export default function AdminTeams() {
  const locale = useLocale();
  const { teams } = useLoaderData<typeof loader>();
  return (
    <>
      <header className="page-header">
        <h1>Teams</h1>
      </header>
      <div className="admin-split">
        <section aria-labelledby="teams-heading">
          <h2 id="teams-heading" className="visually-hidden">
            All teams
          </h2>
          {teams.length === 0 ? (
            <p className="card empty">No teams yet. They appear with the first events, or create one.</p>
          ) : (
            <div className="table-card">
              <table className="stack-rows">
                <thead>
                  <tr>
                    <th>Name</th>
                    <th>Team id</th>
                    <th className="num">Agents</th>
                    <th>Supervisors</th>
                  </tr>
                </thead>
                <tbody>
                  {teams.map((team) => (
                    <tr key={team.id}>
                      <td>
                        <RenameForm team={team} />
                      </td>
                      <td className="mono" data-label="Team id">
                        {team.id}
                      </td>
                      <td className="num" data-label="Agents">
                        {formatCount(team.agentCount, locale)}
                      </td>
                      <td data-label="Supervisors">
                        {team.supervisors.length ? team.supervisors.join(', ') : <span className="muted">None</span>}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </section>
        <CreateTeamForm />
      </div>
    </>
  );
}

function RenameForm({ team }: { team: { id: string; name: string } }) {
  const fetcher = useFetcher<ClientOutcome>();
  const errors = errorsOf(fetcher.data);
  const idPrefix = `rename-${team.id}`;
  const form = useRef<HTMLFormElement>(null);
  useFocusFirstInvalid(form, fetcher.data);
  return (
    <fetcher.Form method="post" className="inline-form" noValidate ref={form}>
      <input type="hidden" name="intent" value="rename_team" />
      <input type="hidden" name="teamId" value={team.id} />
      <input
        name="name"
        defaultValue={team.name}
        aria-label={`Name of team ${team.id}`}
        required
        {...invalidProps(errors, 'name', idPrefix)}
      />
      <button type="submit" className="secondary small" disabled={fetcher.state !== 'idle'}>
        Rename
      </button>
      <FieldError errors={errors} name="name" idPrefix={idPrefix} />
      {fetcher.data && !fetcher.data.ok && fetcher.data.formError ? (
        <span className="field-error">{fetcher.data.formError}</span>
      ) : null}
    </fetcher.Form>
  );
}

function CreateTeamForm() {
  const fetcher = useFetcher<ClientOutcome>();
  const successes = useSuccessCount(fetcher);
  const errors = errorsOf(fetcher.data);
  const form = useRef<HTMLFormElement>(null);
  useFocusFirstInvalid(form, fetcher.data);
  return (
    <section className="card" aria-labelledby="create-team-heading">
      <h2 id="create-team-heading">Create a team</h2>
      <fetcher.Form method="post" className="stack" noValidate key={successes} ref={form}>
        <input type="hidden" name="intent" value="create_team" />
        <OutcomeMessage outcome={fetcher.data} />
        <label className="field">
          <span>Name</span>
          <input name="name" required {...invalidProps(errors, 'name', 'team')} />
          <FieldError errors={errors} name="name" idPrefix="team" />
        </label>
        <label className="field">
          <span>Team id</span>
          <input name="teamId" required placeholder="tm_retail" {...invalidProps(errors, 'teamId', 'team')} />
          <span className="hint">The id your contact-centre system sends in events; it cannot change later.</span>
          <FieldError errors={errors} name="teamId" idPrefix="team" />
        </label>
        <div>
          <button type="submit" disabled={fetcher.state !== 'idle'}>
            Create team
          </button>
        </div>
      </fetcher.Form>
    </section>
  );
}
