import { describe, expect, it } from 'vitest';
import type { Viewer } from '../../app/domain/access';
import { parseFilters } from '../../app/read/filters';
import {
  asText,
  compileQuery,
  constrainedDimensions,
  requestCondition,
  rollupCondition,
  searchPattern,
} from '../../app/read/query-compiler.server';

const manager: Viewer = { userId: 'u', name: 'M', role: 'manager', scope: { kind: 'all' } };
const supervisor: Viewer = { ...manager, role: 'supervisor', scope: { kind: 'teams', teamIds: ['tm_a', 'tm_b'] } };
const agent: Viewer = { ...manager, role: 'agent', scope: { kind: 'agent', agentId: 'ag_1' } };
const agentWithoutAgent: Viewer = { ...agent, scope: { kind: 'agent', agentId: null } };

const compiled = (query: string, viewer: Viewer) =>
  compileQuery(parseFilters(new URLSearchParams(query), 'UTC'), viewer);

describe('compileQuery: the filters meet the scope once', () => {
  it('keeps what both allow, null where neither constrains', () => {
    expect(compiled('team=tm_b&team=tm_c&team=tm_b&currency=USD', supervisor).allowed).toEqual({
      team: ['tm_b'],
      agent: null,
      channel: null,
      currency: ['USD'],
    });
    expect(compiled('', supervisor).allowed.team).toEqual(['tm_a', 'tm_b']);
    expect(compiled('team=tm_c', supervisor).allowed.team).toEqual([]);
    expect(compiled('agent=ag_2', agent).allowed.agent).toEqual([]);
    expect(compiled('agent=ag_1&agent=ag_2', agent).allowed.agent).toEqual(['ag_1']);
    expect(compiled('', agentWithoutAgent).allowed.agent).toEqual([]);
    expect(compiled('agent=ag_2&channel=sms', manager).allowed).toEqual({
      team: null,
      agent: ['ag_2'],
      channel: ['sms'],
      currency: null,
    });
    expect(constrainedDimensions(compiled('channel=sms', supervisor))).toEqual(['team', 'channel']);
  });

  it('puts from/to in the zone on sentAt for S, and nothing without range', () => {
    const query = compiled('from=2026-11-11&to=2026-11-11&tz=Africa/Johannesburg&status=paid&q=ab', agent);
    expect(asText(requestCondition(query, { range: 'sentAt', list: false }))).toEqual({
      sql: '("payment_requests"."agent_id" in (?) and "payment_requests"."sent_at" is not null and "payment_requests"."sent_at" >= ? and "payment_requests"."sent_at" < ?)',
      params: ['ag_1', Date.parse('2026-11-10T22:00:00Z'), Date.parse('2026-11-11T22:00:00Z')],
    });
    expect(asText(requestCondition(query, { range: 'none', list: true }))).toEqual({
      sql: `("payment_requests"."agent_id" in (?) and "payment_requests"."status" in (?) and ("payment_requests"."order_number" LIKE ? ESCAPE '\\' or "payment_requests"."id" LIKE ? ESCAPE '\\' or "payment_requests"."customer_name" LIKE ? ESCAPE '\\'))`,
      params: ['ag_1', 'paid', '%ab%', '%ab%', '%ab%'],
    });
    expect(asText(requestCondition(compiled('team=tm_c', supervisor), { range: 'none', list: false }))).toEqual({
      sql: 'FALSE',
      params: [],
    });
    expect(asText(requestCondition(compiled('', manager), { range: 'none', list: true }))).toEqual({
      sql: 'TRUE',
      params: [],
    });
  });

  it('writes the rollup condition from the same values', () => {
    expect(rollupCondition(compiled('team=tm_b&channel=sms&channel=email', supervisor), 10, 20)).toEqual({
      sql: 'bucket >= ? AND bucket < ? AND team_id IN (?) AND channel IN (?, ?)',
      params: [10, 20, 'tm_b', 'sms', 'email'],
    });
    expect(
      rollupCondition(compiled('team=tm_b&channel=sms&channel=email', supervisor), 10, 20, { arrays: true }),
    ).toEqual({
      sql: 'bucket >= ? AND bucket < ? AND team_id = ANY(?) AND channel = ANY(?)',
      params: [10, 20, ['tm_b'], ['sms', 'email']],
    });
    expect(rollupCondition(compiled('', agentWithoutAgent), 10, 20)).toEqual({
      sql: 'bucket >= ? AND bucket < ? AND FALSE',
      params: [10, 20],
    });
    expect(rollupCondition(compiled('', manager), 10, 20)).toEqual({
      sql: 'bucket >= ? AND bucket < ?',
      params: [10, 20],
    });
  });
});

describe('searchPattern: q as a case-insensitive substring', () => {
  it('is a LIKE pattern for ASCII, its wildcards and the escape character literal', () => {
    expect(searchPattern('Ab-77')).toEqual({ operator: 'LIKE', pattern: '%Ab-77%' });
    expect(searchPattern('50%_\\x')).toEqual({ operator: 'LIKE', pattern: '%50\\%\\_\\\\x%' });
    expect(searchPattern('a*[?]')).toEqual({ operator: 'LIKE', pattern: '%a*[?]%' });
  });

  it('is a GLOB pattern of case classes otherwise, its own wildcards literal', () => {
    expect(searchPattern('émile')).toEqual({ operator: 'GLOB', pattern: '*[éÉ][mM][iI][lL][eE]*' });
    expect(searchPattern('Ë [v*?%_')).toEqual({ operator: 'GLOB', pattern: '*[Ëë] [[][vV][*][?]%_*' });
    // ß upper-cases to two letters (SS): it matches itself only. A decomposed e + ◌́ is composed first.
    expect(searchPattern('ß')).toEqual({ operator: 'GLOB', pattern: '*ß*' });
    expect(searchPattern('e\u0301')).toEqual({ operator: 'GLOB', pattern: '*[éÉ]*' });
  });
});
