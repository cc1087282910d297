import { describe, expect, it } from 'vitest';
import { type Scope, scopeCovers } from '../../app/domain/access';

const all: Scope = { kind: 'all' };
const teams = (...teamIds: string[]): Scope => ({ kind: 'teams', teamIds });
const agent = (agentId: string | null): Scope => ({ kind: 'agent', agentId });

describe('scopeCovers: whether a scope still sees all a kept report was made under', () => {
  it('everything covers everything; nothing narrower covers everything', () => {
    expect(scopeCovers(all, all)).toBe(true);
    expect(scopeCovers(all, teams('tm_a'))).toBe(true);
    expect(scopeCovers(all, agent('ag_1'))).toBe(true);
    expect(scopeCovers(teams('tm_a', 'tm_b'), all)).toBe(false);
    expect(scopeCovers(agent('ag_1'), all)).toBe(false);
  });

  it('teams cover their subsets only', () => {
    expect(scopeCovers(teams('tm_a', 'tm_b'), teams('tm_b'))).toBe(true);
    expect(scopeCovers(teams('tm_a', 'tm_b'), teams('tm_a', 'tm_b'))).toBe(true);
    expect(scopeCovers(teams('tm_a'), teams('tm_a', 'tm_b'))).toBe(false);
    expect(scopeCovers(teams('tm_b'), teams('tm_a'))).toBe(false);
    expect(scopeCovers(teams('tm_a'), agent('ag_1'))).toBe(false);
  });

  it('an agent covers their own only; an unlinked agent nothing', () => {
    expect(scopeCovers(agent('ag_1'), agent('ag_1'))).toBe(true);
    expect(scopeCovers(agent('ag_1'), agent('ag_2'))).toBe(false);
    expect(scopeCovers(agent(null), agent(null))).toBe(false);
    expect(scopeCovers(agent('ag_1'), teams('tm_a'))).toBe(false);
  });
});
