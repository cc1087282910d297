import type { ActionFunctionArgs, LinksFunction, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { useLoaderData } from '@remix-run/react';
import { getDb } from '../../db/client';
import { AgentRequestList } from '../components/agent-request-list';
import { LiveIndicator } from '../components/live-revalidation';
import { SendForm } from '../components/send-form';
import { useServerClock } from '../components/time-left';
import { useLiveChanges, useRevalidateWhenIdle } from '../components/use-live-changes';
import { consoleAction } from '../http/agent-console.server';
import { requireViewer } from '../http/auth.server';
import { getEnv } from '../lib/env.server';
import { singleParam } from '../lib/http.server';
import { requestLocale } from '../lib/locale.server';
import { getAgentRequestCards, groupAgentCards } from '../read/agent-console.server';
import { getCurrencyChoices, getOrgTimeZone } from '../read/settings.server';
import agentStylesHref from '../styles/agent.css';
import { newIdempotencyKey } from '../write/idempotency-keys.server';

export const links: LinksFunction = () => [{ rel: 'stylesheet', href: agentStylesHref }];

export async function loader({ request }: LoaderFunctionArgs) {
  const viewer = await requireViewer(request, ['agent']);
  const db = getDb();
  const url = new URL(request.url);
  const agentId = viewer.scope.kind === 'agent' ? viewer.scope.agentId : null;
  const now = Date.now();
  const timeZone = await getOrgTimeZone(db);
  const locale = requestLocale(request);
  const cards = agentId ? await getAgentRequestCards(db, agentId, getEnv().PUBLIC_URL, now, { locale }) : [];
  return {
    agentLinked: agentId !== null,
    userId: viewer.userId,
    groups: groupAgentCards(cards, timeZone, now, locale),
    timeZone,
    now,
    sentId: singleParam(url.searchParams, 'sent', 'invalid_parameter'),
    sendKey: newIdempotencyKey(),
    currencies: await getCurrencyChoices(db),
  };
}

export async function action({ request }: ActionFunctionArgs) {
  const viewer = await requireViewer(request, ['agent']);
  return await consoleAction(request, viewer, getDb(), {
    afterSend: (requestId) => `/agent?sent=${encodeURIComponent(requestId)}`,
  });
}

export const meta: MetaFunction = () => [{ title: 'Console · Paylink Desk' }];

export default function AgentConsole() {
  const {
    groups,
    now: serverNow,
    sentId,
    agentLinked,
    currencies,
    sendKey,
    timeZone,
    userId,
  } = useLoaderData<typeof loader>();
  const refresh = useRevalidateWhenIdle();
  const live = useLiveChanges(refresh);
  const now = useServerClock(serverNow);

  return (
    <div className="agent-console">
      <div className="page-header">
        <h1>Console</h1>
        <LiveIndicator live={live} refreshHref="/agent" />
      </div>
      <p className="muted small">Times in {timeZone}.</p>
      <div className="console-grid">
        <section className="card send-panel" aria-labelledby="send-heading">
          <h2 id="send-heading">Send a payment link</h2>
          {agentLinked ? (
            <SendForm
              key={sentId ?? 'new'}
              currencies={currencies}
              sendKey={sendKey}
              focusOnMount={sentId !== null}
              draftKey={userId}
            />
          ) : (
            <p className="form-error" role="alert">
              Your account is not linked to an agent, so it cannot send payment requests. Ask an administrator to link
              it.
            </p>
          )}
        </section>
        <section aria-labelledby="requests-heading">
          <h2 id="requests-heading">Your requests</h2>
          <AgentRequestList
            groups={groups}
            now={now}
            timeZone={timeZone}
            highlightedId={sentId}
            onExpired={refresh}
            emptyText="No requests yet. Send one with the form."
          />
        </section>
      </div>
    </div>
  );
}
