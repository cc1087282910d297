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
 * A card redrawn by a cancel, a retry or a live update can take away the button that had the focus
 * (a canceled or paid card moves to the finished ones and is drawn anew; Cancel goes once the link is
 * opened): the keyboard's focus then goes to that request's card, not to the top of the page.
 */
function useFocusKeptOnCard(groups: AgentCardGroups) {
  const focusedCard = useRef<string | null>(null);
  useEffect(() => {
    const onFocusIn = (event: FocusEvent) => {
      const card = event.target instanceof Element ? event.target.closest<HTMLElement>('.request-card') : null;
      focusedCard.current = card?.dataset.requestId ?? null;
    };
    // A disabled button (Canceling…) drops the focus too: only a click elsewhere forgets the card.
    const onPointerDown = (event: PointerEvent) => {
      if (!(event.target instanceof Element && event.target.closest('.request-card'))) focusedCard.current = null;
    };
    document.addEventListener('focusin', onFocusIn);
    document.addEventListener('pointerdown', onPointerDown);
    return () => {
      document.removeEventListener('focusin', onFocusIn);
      document.removeEventListener('pointerdown', onPointerDown);
    };
  }, []);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the cards as a reload redrew them are the point
  useEffect(() => {
    const requestId = focusedCard.current;
    const focused = document.activeElement;
    if (requestId === null || (focused && focused !== document.body)) return;
    document.querySelector<HTMLElement>(`.request-card[data-request-id="${CSS.escape(requestId)}"]`)?.focus();
  }, [groups]);
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
  useFocusKeptOnCard(groups);
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
