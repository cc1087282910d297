import type { ActionFunctionArgs, LinksFunction, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { useFetcher, useLoaderData } from '@remix-run/react';
import { useRef } from 'react';
import { getDb } from '../../db/client';
import { AccessFields, AgentDatalist } from '../components/admin/access-fields';
import {
  type ClientOutcome,
  errorsOf,
  FieldError,
  invalidProps,
  OutcomeMessage,
  ShownOnce,
  useSuccessCount,
} from '../components/admin/admin-form';
import { LocalTime } from '../components/admin/local-time';
import { useFocusFirstInvalid } from '../components/use-focus-first-invalid';
import { ROLE_LABELS } from '../domain/navigation';
import { clientIp, requireViewer } from '../http/auth.server';
import { formToObject, outcomeResponse, unknownIntent } from '../lib/form.server';
import { readForm } from '../lib/http.server';
import { listAgentOptions, listApiTokens, listTeamOptions } from '../read/admin.server';
import adminStylesHref from '../styles/admin.css';
import { createApiToken, revokeApiToken } from '../write/admin.server';

export const links: LinksFunction = () => [{ rel: 'stylesheet', href: adminStylesHref }];

export async function loader({ request }: LoaderFunctionArgs) {
  await requireViewer(request, ['admin']);
  const db = getDb();
  return { tokens: await listApiTokens(db), teams: await listTeamOptions(db), agents: await listAgentOptions(db) };
}

export async function action({ request }: ActionFunctionArgs) {
  const viewer = await requireViewer(request, ['admin']);
  const form = formToObject(await readForm(request), ['teamIds']);
  if (!form.ok) return outcomeResponse(form.refused);
  const { input } = form;
  const ctx = { db: getDb(), actor: viewer, ip: clientIp(request) };
  switch (input.intent) {
    case 'create_token':
      return outcomeResponse(await createApiToken(ctx, input));
    case 'revoke_token':
      return outcomeResponse(await revokeApiToken(ctx, input));
    default:
      throw unknownIntent(input.intent);
  }
}

export const meta: MetaFunction = () => [{ title: 'API tokens · Admin · Paylink Desk' }];

type Token = ReturnType<typeof useLoaderData<typeof loader>>['tokens'][number];

export default function AdminTokens() {
  const { tokens, teams, agents } = useLoaderData<typeof loader>();
  return (
    <>
      <header className="page-header">
        <h1>API tokens</h1>
      </header>
      <p className="muted lead">
        Each token belongs to a service user with a role and scope, like a person's. Send it as{' '}
        <code>Authorization: Bearer &lt;token&gt;</code>. Only its hash is stored.
      </p>
      <AgentDatalist id="token-agents" agents={agents} />
      <CreateTokenForm teams={teams} />
      <section className="admin-section" aria-labelledby="tokens-heading">
        <h2 id="tokens-heading">Tokens</h2>
        {tokens.length === 0 ? (
          <p className="card empty">No tokens yet.</p>
        ) : (
          <div className="table-card">
            <table className="stack-rows">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Role</th>
                  <th>Scope</th>
                  <th>Created</th>
                  <th>Last used</th>
                  <th>Status</th>
                  <th>
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {tokens.map((token) => (
                  <TokenRow key={token.id} token={token} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}

function scopeText(token: Token): string {
  if (token.role === 'supervisor') return token.teams.map((team) => team.name).join(', ') || 'No team';
  if (token.role === 'agent') return `Agent ${token.agentId ?? '—'}`;
  return 'All teams';
}

function TokenRow({ token }: { token: Token }) {
  const fetcher = useFetcher<ClientOutcome>();
  const revoked = token.revokedAt !== null;
  return (
    <tr className={revoked ? 'inactive' : undefined}>
      <td>
        <strong>{token.name}</strong>
        <div className="muted small-text" title={`Service user ${token.ownerId}`}>
          {token.createdBy ? `Created by ${token.createdBy}` : 'Created outside the admin area (CLI)'}
        </div>
      </td>
      <td data-label="Role">
        <span className={`badge role-${token.role}`}>{ROLE_LABELS[token.role]}</span>
      </td>
      <td data-label="Scope">{scopeText(token)}</td>
      <td data-label="Created">
        <LocalTime ms={token.createdAt} />
      </td>
      <td data-label="Last used">
        <LocalTime ms={token.lastUsedAt} fallback="Never" />
      </td>
      <td data-label="Status">
        {revoked ? (
          <span className="badge badge-off">
            Revoked <LocalTime ms={token.revokedAt} />
          </span>
        ) : (
          <span className="badge badge-ok">Active</span>
        )}
      </td>
      <td className="actions">
        {revoked ? null : (
          <fetcher.Form
            method="post"
            onSubmit={(event) => {
              if (!window.confirm(`Revoke ${token.name}? Anything using it stops working at once.`))
                event.preventDefault();
            }}
          >
            <input type="hidden" name="intent" value="revoke_token" />
            <input type="hidden" name="tokenId" value={token.id} />
            <button
              type="submit"
              className="danger small"
              disabled={fetcher.state !== 'idle'}
              aria-label={`Revoke ${token.name}`}
            >
              Revoke
            </button>
          </fetcher.Form>
        )}
        {fetcher.data && !fetcher.data.ok ? <span className="field-error">{fetcher.data.formError}</span> : null}
      </td>
    </tr>
  );
}

function CreateTokenForm({ teams }: { teams: { id: string; name: string }[] }) {
  const fetcher = useFetcher<ClientOutcome>();
  const successes = useSuccessCount(fetcher);
  const outcome = fetcher.data;
  const errors = errorsOf(outcome);
  const form = useRef<HTMLFormElement>(null);
  useFocusFirstInvalid(form, outcome);
  return (
    <section className="card" aria-labelledby="create-token-heading">
      <h2 id="create-token-heading">Create a token</h2>
      <OutcomeMessage outcome={outcome} />
      {outcome?.ok && outcome.token ? (
        <ShownOnce label="New API token" value={outcome.token}>
          Only a hash is kept: if it is lost, revoke it and create another.
        </ShownOnce>
      ) : null}
      <fetcher.Form method="post" className="form-grid" noValidate key={successes} ref={form}>
        <input type="hidden" name="intent" value="create_token" />
        <label className="field">
          <span>Name</span>
          <input
            name="name"
            required
            autoComplete="off"
            placeholder="BI nightly export"
            {...invalidProps(errors, 'name', 'token')}
          />
          <FieldError errors={errors} name="name" idPrefix="token" />
        </label>
        <AccessFields
          idPrefix="token"
          teams={teams}
          agentListId="token-agents"
          defaults={{ role: 'manager', teamIds: [], agentId: null }}
          errors={errors}
          allowNewAgent={false}
        />
        <div className="form-actions">
          <button type="submit" disabled={fetcher.state !== 'idle'}>
            Create token
          </button>
        </div>
      </fetcher.Form>
    </section>
  );
}
