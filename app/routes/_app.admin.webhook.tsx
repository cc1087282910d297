import type { ActionFunctionArgs, LinksFunction, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { useFetcher, useLoaderData } from '@remix-run/react';
import { getDb } from '../../db/client';
import { type ClientOutcome, OutcomeMessage, ShownOnce } from '../components/admin/admin-form';
import { clientIp, requireViewer } from '../http/auth.server';
import { formToObject, outcomeResponse, unknownIntent } from '../lib/form.server';
import { readForm } from '../lib/http.server';
import adminStylesHref from '../styles/admin.css';
import { finishWebhookRotation, getWebhookSecretStatus, rotateWebhookSecret } from '../write/admin-settings.server';

export const links: LinksFunction = () => [{ rel: 'stylesheet', href: adminStylesHref }];

export async function loader({ request }: LoaderFunctionArgs) {
  await requireViewer(request, ['admin']);
  return await getWebhookSecretStatus(getDb());
}

export async function action({ request }: ActionFunctionArgs) {
  const viewer = await requireViewer(request, ['admin']);
  const form = formToObject(await readForm(request));
  if (!form.ok) return outcomeResponse(form.refused);
  const { input } = form;
  const ctx = { db: getDb(), actor: viewer, ip: clientIp(request) };
  switch (input.intent) {
    case 'rotate':
      return outcomeResponse(await rotateWebhookSecret(ctx));
    case 'finish_rotation':
      return outcomeResponse(await finishWebhookRotation(ctx));
    default:
      throw unknownIntent(input.intent);
  }
}

export const meta: MetaFunction = () => [{ title: 'Webhook secret · Admin · Paylink Desk' }];

export default function AdminWebhook() {
  const { source, rotating } = useLoaderData<typeof loader>();
  const rotate = useFetcher<ClientOutcome>();
  const finish = useFetcher<ClientOutcome>();
  const created = rotate.data?.ok ? rotate.data.secret : undefined;
  return (
    <>
      <header className="page-header">
        <h1>Webhook secret</h1>
      </header>
      <section className="card webhook-card" aria-labelledby="webhook-status">
        <h2 id="webhook-status">Signing secret for POST /api/v1/events</h2>
        <p>
          {rotating ? (
            <span className="badge badge-warn">Rotation under way</span>
          ) : (
            <span className="badge badge-ok">One secret valid</span>
          )}{' '}
          The current secret comes from{' '}
          {source === 'settings' ? 'the last rotation here' : 'the WEBHOOK_SECRET environment variable'}.
        </p>
        <ol className="steps">
          <li>
            <strong>Rotate</strong> creates a new secret. Both the new and the previous one are accepted, so senders can
            switch without losing events (they may also sign with both).
          </li>
          <li>Configure the new secret in every system that sends events.</li>
          <li>
            <strong>Finish rotation</strong> once they all use it: from then on only the new secret is accepted.
          </li>
        </ol>
        {source === 'environment' ? (
          <p className="hint">
            After a rotation the secret lives in the database; WEBHOOK_SECRET is then no longer used.
          </p>
        ) : null}
        <OutcomeMessage outcome={rotate.data} />
        {created ? (
          <ShownOnce label="New webhook secret" value={created}>
            Store it in your senders' configuration now; this page will not show it again.
          </ShownOnce>
        ) : null}
        <OutcomeMessage outcome={finish.data} />
        <div className="button-row">
          <rotate.Form method="post">
            <input type="hidden" name="intent" value="rotate" />
            <button type="submit" disabled={rotating || rotate.state !== 'idle'}>
              Rotate
            </button>
          </rotate.Form>
          <finish.Form
            method="post"
            onSubmit={(event) => {
              if (
                !window.confirm('Finish the rotation? Events signed only with the previous secret will be refused.')
              ) {
                event.preventDefault();
              }
            }}
          >
            <input type="hidden" name="intent" value="finish_rotation" />
            <button type="submit" className="secondary" disabled={!rotating || finish.state !== 'idle'}>
              Finish rotation
            </button>
          </finish.Form>
        </div>
      </section>
    </>
  );
}
