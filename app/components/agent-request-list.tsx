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

/** Open requests first, then finished ones under the day they closed. */
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
  if (groups.open.length === 0 && groups.finished.length === 0) return <p className="card empty">{emptyText}</p>;
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
