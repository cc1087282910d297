import { useEffect, useRef, useState } from 'react';
import { STATUS_LABELS } from '../domain/lifecycle';
import { type AgentCard, AgentRequestCard } from './agent-request-card';

export interface AgentCardGroups<T extends AgentCard = AgentCard> {
  open: T[];
  finished: { day: string; label: string; cards: T[] }[];
}

/** 'Finished today', 'Finished yesterday', 'Finished on Monday 30 November'. */
function finishedHeading(dayLabel: string): string {
  return dayLabel === 'Today' || dayLabel === 'Yesterday'
    ? `Finished ${dayLabel.toLowerCase()}`
    : `Finished on ${dayLabel}`;
}

/**
 * What changed since the cards were last shown, in words for a screen reader ('Order SO-1: Paid.'):
 * a send, a cancel, a customer opening or paying the link. Nothing on the first showing.
 */
function useStatusAnnouncement(groups: AgentCardGroups): string {
  const seen = useRef<Map<string, string> | null>(null);
  const [text, setText] = useState('');
  useEffect(() => {
    const cards = [...groups.open, ...groups.finished.flatMap((group) => group.cards)];
    const previous = seen.current;
    seen.current = new Map(cards.map((card) => [card.id, card.status]));
    if (previous === null) return;
    const changed = cards.filter((card) => previous.get(card.id) !== card.status);
    if (changed.length > 0)
      setText(changed.map((card) => `Order ${card.orderNumber}: ${STATUS_LABELS[card.status]}.`).join(' '));
  }, [groups]);
  return text;
}

/**
 * A cancel or retry can take its button away (a canceled card moves to the finished ones and is
 * drawn anew): the keyboard's focus then goes to that request's card, not to the top of the page.
 * Live reloads may land before the action's answer, so it waits until the card's status moved.
 */
function useFocusAfterCardAction(groups: AgentCardGroups) {
  const acted = useRef<{ requestId: string; status: string } | null>(null);
  useEffect(() => {
    const action = acted.current;
    if (action === null) return;
    const card = [...groups.open, ...groups.finished.flatMap((group) => group.cards)].find(
      (candidate) => candidate.id === action.requestId,
    );
    const element = document.querySelector<HTMLElement>(
      `.request-card[data-request-id="${CSS.escape(action.requestId)}"]`,
    );
    const focused = document.activeElement;
    const lost = !focused || focused === document.body;
    if (!lost && !element?.contains(focused)) {
      acted.current = null; // the agent has moved on
      return;
    }
    if (lost) element?.focus();
    if (card?.status !== action.status) acted.current = null;
  }, [groups]);
  return (requestId: string, status: string) => {
    acted.current = { requestId, status };
  };
}

/** Open requests first, then finished ones under the day they closed; their changes said out loud. */
export function AgentRequestList({
  groups,
  now,
  timeZone,
  highlightedId,
  onExpired,
  emptyText,
}: {
  groups: AgentCardGroups;
  now: number;
  timeZone: string;
  highlightedId: string | null;
  onExpired: () => void;
  emptyText: string;
}) {
  const announcement = useStatusAnnouncement(groups);
  const onAction = useFocusAfterCardAction(groups);
  const announcer = (
    <p role="status" className="visually-hidden" data-testid="request-announcer">
      {announcement}
    </p>
  );
  if (groups.open.length === 0 && groups.finished.length === 0) {
    return (
      <>
        {announcer}
        <p className="card empty">{emptyText}</p>
      </>
    );
  }
  const cards = (list: AgentCard[]) => (
    <ul className="request-cards">
      {list.map((card) => (
        <AgentRequestCard
          key={card.id}
          card={card}
          now={now}
          timeZone={timeZone}
          highlighted={card.id === highlightedId}
          onExpired={onExpired}
          onAction={onAction}
        />
      ))}
    </ul>
  );
  return (
    <div className="request-groups">
      {announcer}
      {groups.open.length > 0 ? (
        <section aria-labelledby="open-requests" className="request-group">
          <h3 id="open-requests" className="request-group-heading">
            Open <span className="muted">({groups.open.length})</span>
          </h3>
          {cards(groups.open)}
        </section>
      ) : null}
      {groups.finished.map((group) => (
        <section key={group.day} aria-labelledby={`finished-${group.day}`} className="request-group">
          <h3 id={`finished-${group.day}`} className="request-group-heading">
            {finishedHeading(group.label)}
          </h3>
          {cards(group.cards)}
        </section>
      ))}
    </div>
  );
}
