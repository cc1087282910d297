import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSession, getSessionUserId } from '../../app/http/session.server';
import { signIn } from '../../app/http/sign-in.server';
import { getWebhookSecrets, verifyWebhook } from '../../app/http/webhook-intake.server';
import { verifyPassword } from '../../app/lib/password.server';
import {
  countAgentsWithoutLogin,
  listAgentOptions,
  listAgentsWithoutLogin,
  listApiTokens,
  listTeams,
  listUsers,
  searchAgentsWithoutLogin,
} from '../../app/read/admin.server';
import { listAuditEntries } from '../../app/read/audit-log.server';
import {
  getEventsPerMinute,
  getIngestionTotals,
  getOrphans,
  getRejectedEvents,
  getRejectionCodes,
} from '../../app/read/ingestion-health.server';
import {
  getCurrencies,
  getEmbedOrigins,
  getExpirySettings,
  getOrgBranding,
  getOrgTimeZone,
  getWeekStartsOn,
} from '../../app/read/settings.server';
import {
  type AdminContext,
  createApiToken,
  createTeam,
  inviteUser,
  renameTeam,
  resetUserPassword,
  revokeApiToken,
  setUserActive,
  updateUserAccess,
} from '../../app/write/admin.server';
import {
  finishWebhookRotation,
  getSettingsValues,
  rotateWebhookSecret,
  updateSettings,
} from '../../app/write/admin-settings.server';
import { loadViewer, viewerForToken } from '../../app/write/api-tokens.server';
import { ingestEvents } from '../../app/write/ingest.server';
import {
  isSignInThrottled,
  MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS,
  recordSignInFailure,
} from '../../app/write/sign-in-throttle.server';
import { closeDatabase, type Db, openDatabaseUrl, sqlRun } from '../../db/client';
import { closeTestDb, createTestDb, queryRow, queryRows } from '../support/db';
import { created, MINUTE, step, T0 } from '../support/events';
import { startServer, type TestServer } from '../support/server';
import { addUser, addUserAt, signInOverHttp, TEST_PASSWORD } from '../support/users';

const ENV_SECRET = process.env.WEBHOOK_SECRET!;

async function auditRows(db: Db, action?: string) {
  const rows = await queryRows<{ action: string; actorUserId: string | null; target: string | null; details: string }>(
    db,
    'SELECT action, actor_user_id AS "actorUserId", target, details FROM audit_log ORDER BY seq',
  );
  return rows
    .filter((row) => !action || row.action === action)
    .map((row) => ({ ...row, details: JSON.parse(row.details) as Record<string, unknown> }));
}

async function sessionCookie(db: Db, userId: string): Promise<string> {
  return (await createSession(db, userId, new Request('http://app.test/'), { ip: null, userAgent: null })).split(
    ';',
  )[0]!;
}

const withCookie = (cookie: string) => new Request('http://app.test/', { headers: { cookie } });

/*
 * 205 agents named "Agent 000" to "Agent 204" (the first 200 by name fill the list), then some whose
 * names hold "ana" in some case or accent, beyond them by name; one of these has a login.
 */
const PADDING = Array.from({ length: 205 }, (_, k) => String(k).padStart(3, '0'));
const NAMED = [
  ['ag_x1', 'Ánh Ana'],
  ['ag_x2', 'Anaïs Dupont'],
  ['ag_x3', 'Dana Scully'],
  ['ag_x4', 'Zanele Mbeki'],
  ['ag_x5', 'Ana Linked'],
  ['ag_x6', 'Zoe BANANA'],
] as const;
async function addSearchAgents(db: Db) {
  await ingestEvents(
    db,
    [
      ...PADDING.map((k) => created(`pr_s${k}`, 0, { agentId: `ag_a${k}`, agentName: `Agent ${k}` })),
      ...NAMED.map(([agentId, agentName]) => created(`pr_${agentId}`, 0, { agentId, agentName })),
    ],
    'api',
    { now: T0 },
  );
}

describe('admin services', () => {
  let db: Db;
  let ctx: AdminContext;
  let adminId: string;

  beforeEach(async () => {
    db = (await createTestDb()).db;
    adminId = (await addUser(db, { role: 'admin', name: 'Ada Admin' })).id;
    ctx = { db, actor: { userId: adminId, name: 'Ada Admin' }, ip: '10.1.1.1' };
    // Two agents and their teams, first seen in events (no login).
    await ingestEvents(
      db,
      [
        created('pr_1', 0, { agentId: 'ag_17', teamId: 'tm_retail' }),
        created('pr_2', 0, { agentId: 'ag_18', teamId: 'tm_claims' }),
      ],
      'api',
      { now: T0 },
    );
  });
  afterEach(() => closeTestDb(db));

  describe('users', () => {
    it('invites a person with a temporary password that signs in, stores only its hash, and audits it', async () => {
      const result = await inviteUser(ctx, {
        name: 'Sam Super',
        email: '  Sam@Example.TEST ',
        role: 'supervisor',
        teamIds: ['tm_retail', 'tm_claims'],
      });
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      expect(result.temporaryPassword).toMatch(/^[A-Za-z2-9]{4}(-[A-Za-z2-9]{4}){3}$/);
      const row = (await queryRow<{ email: string; role: string; password_hash: string }>(
        db,
        'SELECT email, role, password_hash FROM users WHERE id = ?',
        result.userId,
      ))!;
      expect(row.email).toBe('sam@example.test');
      expect(row.role).toBe('supervisor');
      expect(row.password_hash).not.toContain(result.temporaryPassword);
      expect(await verifyPassword(result.temporaryPassword, row.password_hash)).toBe(true);
      const signedIn = await signIn(
        db,
        new Request('http://app.test/login'),
        'sam@example.test',
        result.temporaryPassword,
        '10.0.0.9',
      );
      expect(signedIn).toMatchObject({ ok: true, role: 'supervisor' });
      expect((await listUsers(db)).find((user) => user.id === result.userId)?.teams).toEqual([
        { id: 'tm_retail', name: 'Retail' },
        { id: 'tm_claims', name: 'tm_claims' },
      ]);
      expect(await auditRows(db, 'user_invite')).toEqual([
        {
          action: 'user_invite',
          actorUserId: adminId,
          target: result.userId,
          details: {
            name: 'Sam Super',
            email: 'sam@example.test',
            role: 'supervisor',
            teamIds: ['tm_retail', 'tm_claims'],
            agentId: null,
            createdAgent: false,
          },
        },
      ]);
      expect(JSON.stringify(await auditRows(db))).not.toContain(result.temporaryPassword);
    });

    it('names the field of each invalid invitation and stores nothing', async () => {
      const existing = await addUser(db, { role: 'manager', email: 'taken@example.test' });
      expect(existing.id).toBeTruthy();
      const cases: [Record<string, unknown>, Record<string, string>][] = [
        [{ name: '', email: 'a@example.test', role: 'manager' }, { name: 'Enter a name' }],
        [{ name: 'A', email: 'not-an-email', role: 'manager' }, { email: 'Enter a valid email address' }],
        [
          { name: 'A', email: 'TAKEN@example.test', role: 'manager' },
          { email: 'A user with this email already exists' },
        ],
        [{ name: 'A', email: 'a@example.test', role: 'boss' }, { role: 'Choose a role' }],
        [
          { name: 'A', email: 'a@example.test', role: 'supervisor', teamIds: [] },
          { teamIds: 'A supervisor needs at least one team' },
        ],
        [
          { name: 'A', email: 'a@example.test', role: 'supervisor', teamIds: ['tm_nope'] },
          { teamIds: 'Unknown team tm_nope' },
        ],
        [
          { name: 'A', email: 'a@example.test', role: 'agent' },
          { agentId: 'An agent needs the agent id their requests carry' },
        ],
        [
          { name: 'A', email: 'a@example.test', role: 'agent', agentId: 'ag_new' },
          { agentId: 'No agent ag_new has been seen yet: choose the one team to create it in' },
        ],
      ];
      for (const [input, fieldErrors] of cases) {
        expect(await inviteUser(ctx, input)).toEqual({ ok: false, fieldErrors, formError: null });
      }
      expect(await queryRows(db, 'SELECT id FROM users')).toHaveLength(2);
      expect(await auditRows(db, 'user_invite')).toEqual([]);
    });

    it('links an agent first seen in events to a login, once', async () => {
      expect((await listAgentsWithoutLogin(db)).map((agent) => agent.id)).toEqual(['ag_17', 'ag_18']);
      const first = await inviteUser(ctx, {
        name: 'Thandi',
        email: 'thandi@example.test',
        role: 'agent',
        agentId: 'ag_17',
      });
      expect(first.ok).toBe(true);
      expect((await listAgentsWithoutLogin(db)).map((agent) => agent.id)).toEqual(['ag_18']);
      // The page lists a bounded number (an organisation may have 33,000) and counts them all; the
      // invite link's agent is read by id, listed or not; a linked one is not there.
      expect(await countAgentsWithoutLogin(db)).toBe(1);
      expect((await listAgentsWithoutLogin(db, { limit: 0 })).map((agent) => agent.id)).toEqual([]);
      expect((await listAgentsWithoutLogin(db, { id: 'ag_18', limit: 1 })).map((agent) => agent.id)).toEqual(['ag_18']);
      expect(await listAgentsWithoutLogin(db, { id: 'ag_17', limit: 1 })).toEqual([]);
      expect((await listAgentOptions(db, 1)).map((agent) => agent.id)).toEqual(['ag_17']);
      expect(
        await inviteUser(ctx, { name: 'Other', email: 'other@example.test', role: 'agent', agentId: 'ag_17' }),
      ).toEqual({
        ok: false,
        fieldErrors: { agentId: 'Agent ag_17 is already linked to Thandi' },
        formError: null,
      });
      // An agent id not seen yet is created in the one team chosen.
      const fresh = await inviteUser(ctx, {
        name: 'Nia',
        email: 'nia@example.test',
        role: 'agent',
        agentId: 'ag_99',
        teamIds: ['tm_claims'],
      });
      expect(fresh.ok).toBe(true);
      expect(await queryRow(db, "SELECT id, name, team_id FROM agents WHERE id = 'ag_99'")).toEqual({
        id: 'ag_99',
        name: 'Nia',
        team_id: 'tm_claims',
      });
    });

    it('searches the agents without a login by name or id, any case, any accents, beyond the first 200', async () => {
      await addSearchAgents(db);
      expect(
        (await inviteUser(ctx, { name: 'Ana', email: 'ana@example.test', role: 'agent', agentId: 'ag_x5' })).ok,
      ).toBe(true);
      // 205 + 5 named + the two of beforeEach; the first 200 by name are Agents 000 to 199.
      expect(await countAgentsWithoutLogin(db)).toBe(212);
      expect((await listAgentsWithoutLogin(db)).map((agent) => agent.id)).toEqual(
        PADDING.slice(0, 200).map((k) => `ag_a${k}`),
      );
      const ids = async (find: string, limit?: number) => {
        const { agents, matches } = await searchAgentsWithoutLogin(db, find, limit);
        return { ids: agents.map((agent) => agent.id), matches };
      };
      // By the collator's order (as the pickers): Anaïs before Ánh; the linked Ana Linked is not there, Zanele has no "ana".
      const anas = { ids: ['ag_x2', 'ag_x1', 'ag_x3', 'ag_x6'], matches: 4 };
      expect(await ids('ana')).toEqual(anas);
      expect(await ids('  ÀNA ')).toEqual(anas);
      expect(await ids('ANAIS')).toEqual({ ids: ['ag_x2'], matches: 1 });
      expect(await ids('agent 203')).toEqual({ ids: ['ag_a203'], matches: 1 });
      expect(await ids('AG_X4')).toEqual({ ids: ['ag_x4'], matches: 1 });
      expect(await ids('agent', 3)).toEqual({ ids: ['ag_a000', 'ag_a001', 'ag_a002'], matches: 205 });
      expect((await searchAgentsWithoutLogin(db, 'ag_x1')).agents).toEqual([
        { id: 'ag_x1', name: 'Ánh Ana', teamId: 'tm_retail', teamName: 'Retail', firstSeenAt: T0 },
      ]);
      expect(await ids('nobody')).toEqual({ ids: [], matches: 0 });
    });

    it('changes role and teams with a role_change audit of before and after; an admin cannot demote themselves', async () => {
      const agent = await addUser(db, { role: 'agent', agentId: 'ag_17', name: 'Thandi' });
      const result = await updateUserAccess(ctx, {
        userId: agent.id,
        role: 'supervisor',
        teamIds: ['tm_retail'],
        agentId: '',
      });
      expect(result).toEqual({ ok: true, message: "Thandi's access is updated." });
      const row = await queryRow(db, 'SELECT role, agent_id FROM users WHERE id = ?', agent.id);
      expect(row).toEqual({ role: 'supervisor', agent_id: null });
      expect(await auditRows(db, 'role_change')).toEqual([
        {
          action: 'role_change',
          actorUserId: adminId,
          target: agent.id,
          details: {
            before: { role: 'agent', teamIds: [], agentId: 'ag_17' },
            after: { role: 'supervisor', teamIds: ['tm_retail'], agentId: null },
          },
        },
      ]);
      // The change applies at once: the viewer is loaded per request with the new scope.
      expect((await loadViewer(db, agent.id))?.scope).toEqual({ kind: 'teams', teamIds: ['tm_retail'] });

      expect(await updateUserAccess(ctx, { userId: adminId, role: 'manager' })).toEqual({
        ok: false,
        fieldErrors: { role: 'You cannot change your own role: ask another admin' },
        formError: null,
      });
      expect(await queryRow(db, 'SELECT role FROM users WHERE id = ?', adminId)).toEqual({ role: 'admin' });
      expect(await updateUserAccess(ctx, { userId: agent.id, role: 'supervisor', teamIds: ['tm_retail'] })).toEqual({
        ok: true,
        message: 'Nothing to change.',
      });
      expect(await auditRows(db, 'role_change')).toHaveLength(1);
    });

    it("finds a person whose generated id reads as a card number (a UUID's digit groups can)", async () => {
      const manager = await addUser(db, { role: 'manager', name: 'Uma' });
      const cardLike = 'usr_4111-1111-1111-1111';
      await sqlRun(db, 'UPDATE users SET id = ? WHERE id = ?', [cardLike, manager.id]);
      expect((await resetUserPassword(ctx, { userId: cardLike })).ok).toBe(true);
      expect(await setUserActive(ctx, { userId: cardLike }, false)).toEqual({
        ok: true,
        message: 'Uma is deactivated and signed out everywhere.',
      });
    });

    it('deactivation ends every session of the person; they cannot be the admin themselves', async () => {
      const manager = await addUser(db, { role: 'manager', name: 'Mo' });
      const laptop = await sessionCookie(db, manager.id);
      const phone = await sessionCookie(db, manager.id);
      expect(await getSessionUserId(db, withCookie(laptop))).toBe(manager.id);

      expect(await setUserActive(ctx, { userId: manager.id }, false)).toEqual({
        ok: true,
        message: 'Mo is deactivated and signed out everywhere.',
      });
      expect(await getSessionUserId(db, withCookie(laptop))).toBeNull();
      expect(await getSessionUserId(db, withCookie(phone))).toBeNull();
      expect(await queryRow(db, 'SELECT count(*) AS n FROM sessions WHERE user_id = ?', manager.id)).toEqual({
        n: 0,
      });

      expect(await setUserActive(ctx, { userId: adminId }, false)).toEqual({
        ok: false,
        fieldErrors: {},
        formError: 'You cannot deactivate yourself: ask another admin',
      });
      expect((await setUserActive(ctx, { userId: manager.id }, true)).ok).toBe(true);
      expect((await auditRows(db)).map((row) => [row.action, row.target])).toEqual([
        ['user_deactivate', manager.id],
        ['user_reactivate', manager.id],
      ]);
    });

    it('resets a password: the old one stops working, the sessions end, and the sign-in limit starts over', async () => {
      const manager = await addUser(db, { role: 'manager' });
      const cookie = await sessionCookie(db, manager.id);
      for (let i = 0; i < MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS; i++)
        await recordSignInFailure(db, manager.email, '10.0.0.5');
      expect(await isSignInThrottled(db, manager.email, '10.0.0.5')).toBe(true);
      const result = await resetUserPassword(ctx, { userId: manager.id });
      expect(await isSignInThrottled(db, manager.email, '10.0.0.5')).toBe(false);
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      const { password_hash: hash } = (await queryRow<{ password_hash: string }>(
        db,
        'SELECT password_hash FROM users WHERE id = ?',
        manager.id,
      ))!;
      expect(await verifyPassword(TEST_PASSWORD, hash)).toBe(false);
      expect(await verifyPassword(result.temporaryPassword, hash)).toBe(true);
      expect(await getSessionUserId(db, withCookie(cookie))).toBeNull();
      expect((await auditRows(db, 'password_reset')).map((row) => row.target)).toEqual([manager.id]);
    });
  });

  describe('teams', () => {
    it('creates and renames teams, lists agent counts and supervisors, and audits team_change', async () => {
      await addUser(db, { role: 'supervisor', name: 'Sue', teamIds: ['tm_retail'] });
      expect((await createTeam(ctx, { teamId: 'tm_vip', name: 'VIP' })).ok).toBe(true);
      expect(await createTeam(ctx, { teamId: 'tm_vip', name: 'Again' })).toEqual({
        ok: false,
        fieldErrors: { teamId: 'A team tm_vip already exists' },
        formError: null,
      });
      expect(await createTeam(ctx, { teamId: 'bad id!', name: 'X' })).toMatchObject({
        ok: false,
        fieldErrors: { teamId: 'Enter a valid team id' },
      });
      expect((await renameTeam(ctx, { teamId: 'tm_retail', name: 'Retail South' })).ok).toBe(true);
      expect(await listTeams(db)).toEqual([
        { id: 'tm_retail', name: 'Retail South', agentCount: 1, supervisors: ['Sue'] },
        { id: 'tm_claims', name: 'tm_claims', agentCount: 1, supervisors: [] },
        { id: 'tm_vip', name: 'VIP', agentCount: 0, supervisors: [] },
      ]);
      // A later event naming the team does not undo the rename.
      await ingestEvents(db, [created('pr_3', MINUTE, { teamId: 'tm_retail' })], 'api', { now: T0 + MINUTE });
      expect((await listTeams(db)).find((team) => team.id === 'tm_retail')?.name).toBe('Retail South');
      expect((await auditRows(db, 'team_change')).map((row) => row.details)).toEqual([
        { op: 'create', name: 'VIP' },
        { op: 'rename', before: 'Retail', after: 'Retail South' },
      ]);
    });
  });

  describe('API tokens', () => {
    it('creates a token with its role and scope, shown once and stored hashed; revoking makes it useless', async () => {
      const created = await createApiToken(ctx, { name: 'BI export', role: 'supervisor', teamIds: ['tm_retail'] });
      expect(created.ok).toBe(true);
      if (!created.ok) return;
      expect(created.token).toMatch(/^pld_[A-Za-z0-9_-]{43}$/);
      const viewer = await viewerForToken(db, created.token);
      expect(viewer).toMatchObject({
        name: 'BI export',
        role: 'supervisor',
        scope: { kind: 'teams', teamIds: ['tm_retail'] },
      });
      const dump = JSON.stringify(await queryRows(db, 'SELECT * FROM api_tokens'));
      expect(dump).not.toContain(created.token);
      expect(await listApiTokens(db)).toEqual([
        expect.objectContaining({
          id: created.tokenId,
          name: 'BI export',
          role: 'supervisor',
          teams: [{ id: 'tm_retail', name: 'Retail' }],
          revokedAt: null,
          createdBy: 'Ada Admin',
        }),
      ]);
      expect((await listApiTokens(db))[0]!.lastUsedAt).toEqual(expect.any(Number));

      expect(await revokeApiToken(ctx, { tokenId: created.tokenId })).toEqual({
        ok: true,
        message: 'Token BI export is revoked.',
      });
      expect(await viewerForToken(db, created.token)).toBeNull();
      expect((await listApiTokens(db))[0]!.revokedAt).toEqual(expect.any(Number));
      expect((await auditRows(db)).map((row) => [row.action, row.target])).toEqual([
        ['token_create', created.tokenId],
        ['token_revoke', created.tokenId],
      ]);
      expect(JSON.stringify(await auditRows(db))).not.toContain(created.token);
    });

    it('refuses a supervisor token without teams and an agent token for an unknown agent', async () => {
      expect(await createApiToken(ctx, { name: 'T', role: 'supervisor' })).toMatchObject({
        ok: false,
        fieldErrors: { teamIds: 'A supervisor needs at least one team' },
      });
      expect(await createApiToken(ctx, { name: 'T', role: 'agent', agentId: 'ag_nope' })).toMatchObject({
        ok: false,
        fieldErrors: { agentId: 'No agent ag_nope has been seen yet' },
      });
      const agentToken = await createApiToken(ctx, { name: 'Bot', role: 'agent', agentId: 'ag_17' });
      expect(agentToken.ok && (await viewerForToken(db, agentToken.token))?.scope).toEqual({
        kind: 'agent',
        agentId: 'ag_17',
      });
    });
  });

  describe('webhook secret rotation', () => {
    const body = '{"id":"evt_1"}';
    const signedBy = async (secret: string) => {
      const now = new Date();
      const headers = new Headers({
        'webhook-id': 'msg_1',
        'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
        'webhook-signature': new Webhook(secret).sign('msg_1', now, body),
      });
      return verifyWebhook(body, headers, await getWebhookSecrets(db));
    };

    it('keeps both secrets valid during a rotation and only the new one after finishing', async () => {
      expect(await getWebhookSecrets(db)).toEqual([ENV_SECRET]);
      const rotated = await rotateWebhookSecret(ctx);
      expect(rotated.ok).toBe(true);
      if (!rotated.ok) return;
      expect(rotated.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect(Buffer.from(rotated.secret.slice(6), 'base64')).toHaveLength(32);
      expect(await getWebhookSecrets(db)).toEqual([rotated.secret, ENV_SECRET]);
      expect(await signedBy(ENV_SECRET)).toBe(true);
      expect(await signedBy(rotated.secret)).toBe(true);

      expect(await rotateWebhookSecret(ctx)).toEqual({
        ok: false,
        fieldErrors: {},
        formError: 'A rotation is already under way: finish it before starting another.',
      });
      expect(await getWebhookSecrets(db)).toEqual([rotated.secret, ENV_SECRET]);

      expect((await finishWebhookRotation(ctx)).ok).toBe(true);
      expect(await getWebhookSecrets(db)).toEqual([rotated.secret]);
      expect(await signedBy(ENV_SECRET)).toBe(false);
      expect(await signedBy(rotated.secret)).toBe(true);
      expect(await finishWebhookRotation(ctx)).toMatchObject({ ok: false, formError: 'No rotation is under way.' });

      // A second rotation moves the stored secret (not the environment's) to previous.
      const again = await rotateWebhookSecret(ctx);
      expect(again.ok && (await getWebhookSecrets(db))).toEqual([again.ok ? again.secret : '', rotated.secret]);

      const audit = await auditRows(db, 'webhook_secret_rotate');
      expect(audit.map((row) => row.details)).toEqual([
        { phase: 'started' },
        { phase: 'finished' },
        { phase: 'started' },
      ]);
      const everything = JSON.stringify(await queryRows(db, 'SELECT * FROM audit_log'));
      for (const secret of [ENV_SECRET, rotated.secret, again.ok ? again.secret : '']) {
        expect(everything).not.toContain(secret.slice(6, 20));
      }
    });
  });

  describe('settings', () => {
    const valid = {
      linkTtlUnopened: '5',
      linkTtlOpened: '15',
      orgTimezone: 'UTC',
      currencies: '',
      orgDisplayName: '',
      orgLogoUrl: '',
      embedOrigins: '',
    };

    it('keeps link TTLs within 1 to 30 minutes, stored in seconds', async () => {
      for (const bad of ['0.5', '0', '31', '-1', 'ten']) {
        const result = await updateSettings(ctx, { ...valid, linkTtlUnopened: bad });
        expect(result.ok).toBe(false);
        expect(Object.keys(result.ok ? {} : result.fieldErrors)).toEqual(['linkTtlUnopened']);
      }
      expect(await updateSettings(ctx, { ...valid, linkTtlOpened: '30.5' })).toEqual({
        ok: false,
        fieldErrors: { linkTtlOpened: 'At most 30 minutes' },
        formError: null,
      });
      expect(await getExpirySettings(db)).toEqual({ ttlUnopenedMs: 300_000, ttlOpenedMs: 900_000 });

      expect((await updateSettings(ctx, { ...valid, linkTtlUnopened: '1', linkTtlOpened: '30' })).ok).toBe(true);
      expect(await queryRows(db, "SELECT key, value FROM settings WHERE key LIKE 'link_ttl%' ORDER BY key")).toEqual([
        { key: 'link_ttl_opened', value: '1800' },
        { key: 'link_ttl_unopened', value: '60' },
      ]);
      expect(await getExpirySettings(db)).toEqual({ ttlUnopenedMs: 60_000, ttlOpenedMs: 1_800_000 });
    });

    it('takes the display name, an https logo and the origins allowed to frame the agent panel', async () => {
      expect(
        await updateSettings(ctx, {
          ...valid,
          orgLogoUrl: 'http://cdn.example.com/logo.png',
          embedOrigins: 'https://desk.example.com http://desk.example.com javascript:alert(1)',
        }),
      ).toEqual({
        ok: false,
        fieldErrors: {
          orgLogoUrl: 'Enter an https:// address of an image, or leave it empty',
          embedOrigins:
            'Not https origins: http://desk.example.com, javascript:alert(1) (http only for localhost, e.g. https://desk.example.com)',
        },
        formError: null,
      });
      expect(
        await updateSettings(ctx, {
          ...valid,
          orgDisplayName: '  Acme Stores ',
          orgLogoUrl: 'https://cdn.example.com/acme.png',
          embedOrigins: 'https://desk.example.com/app/, http://localhost:4107\nhttps://desk.example.com',
        }),
      ).toEqual({ ok: true, message: 'Settings saved.' });
      expect(await getOrgBranding(db)).toEqual({
        displayName: 'Acme Stores',
        logoUrl: 'https://cdn.example.com/acme.png',
      });
      expect(await getEmbedOrigins(db)).toEqual(['https://desk.example.com', 'http://localhost:4107']);
      expect((await auditRows(db, 'settings_change')).map((row) => row.details)).toEqual([
        {
          changes: {
            org_display_name: { before: 'Paylink Desk', after: 'Acme Stores' },
            org_logo_url: { before: null, after: 'https://cdn.example.com/acme.png' },
            embed_origins: { before: [], after: ['https://desk.example.com', 'http://localhost:4107'] },
          },
        },
      ]);
      // Emptied, they fall back to the defaults.
      expect((await updateSettings(ctx, valid)).ok).toBe(true);
      expect(await getOrgBranding(db)).toEqual({ displayName: 'Paylink Desk', logoUrl: null });
      expect(await getEmbedOrigins(db)).toEqual([]);
    });

    it('validates the time zone and currencies, stores them canonically and audits before and after', async () => {
      expect(await updateSettings(ctx, { ...valid, orgTimezone: 'Mars/Olympus' })).toMatchObject({
        ok: false,
        fieldErrors: { orgTimezone: 'Enter an IANA time zone name, e.g. Africa/Johannesburg' },
      });
      expect((await updateSettings(ctx, { ...valid, orgTimezone: '+02:00' })).ok).toBe(false);
      expect(await updateSettings(ctx, { ...valid, currencies: 'USD, EURO, XXY' })).toMatchObject({
        ok: false,
        fieldErrors: { currencies: 'Not ISO 4217 currency codes: EURO, XXY' },
      });
      expect(await auditRows(db, 'settings_change')).toEqual([]);

      expect(
        await updateSettings(ctx, { ...valid, orgTimezone: 'africa/johannesburg', currencies: 'zar, usd,ZAR  kwd' }),
      ).toEqual({
        ok: true,
        message: 'Settings saved.',
      });
      expect(await getOrgTimeZone(db)).toBe('Africa/Johannesburg');
      expect(await getCurrencies(db)).toEqual(['ZAR', 'USD', 'KWD']);
      expect(await getSettingsValues(db)).toEqual({
        linkTtlUnopened: 5,
        linkTtlOpened: 15,
        orgTimezone: 'Africa/Johannesburg',
        currencies: ['ZAR', 'USD', 'KWD'],
        weekStartsOn: 1,
        orgDisplayName: 'Paylink Desk',
        orgLogoUrl: '',
        embedOrigins: [],
      });
      expect(await auditRows(db, 'settings_change')).toEqual([
        {
          action: 'settings_change',
          actorUserId: adminId,
          target: null,
          details: {
            changes: {
              org_timezone: { before: 'UTC', after: 'Africa/Johannesburg' },
              currencies: { before: [], after: ['ZAR', 'USD', 'KWD'] },
            },
          },
        },
      ]);
      // Saving the same values changes and audits nothing.
      expect(
        await updateSettings(ctx, { ...valid, orgTimezone: 'Africa/Johannesburg', currencies: 'ZAR,USD,KWD' }),
      ).toEqual({
        ok: true,
        message: 'Nothing to change.',
      });
      expect(await auditRows(db, 'settings_change')).toHaveLength(1);
    });
  });

  describe('week start', () => {
    it('is Monday until an admin picks Sunday or Saturday; other days are refused', async () => {
      const valid = {
        linkTtlUnopened: '5',
        linkTtlOpened: '15',
        orgTimezone: 'UTC',
        currencies: '',
        orgDisplayName: 'Paylink Desk',
        orgLogoUrl: '',
        embedOrigins: '',
      };
      expect(await getWeekStartsOn(db)).toBe(1);
      expect(await updateSettings(ctx, { ...valid, weekStartsOn: '3' })).toMatchObject({
        ok: false,
        fieldErrors: { weekStartsOn: 'Choose Monday, Sunday or Saturday' },
      });
      expect(await updateSettings(ctx, { ...valid, weekStartsOn: '0' })).toEqual({
        ok: true,
        message: 'Settings saved.',
      });
      expect(await getWeekStartsOn(db)).toBe(0);
      expect((await auditRows(db, 'settings_change')).at(-1)?.details).toEqual({
        changes: { week_starts_on: { before: 1, after: 0 } },
      });
    });
  });

  describe('ingestion health', () => {
    it('lists rejected events by code, orphans waiting for created, and events per minute', async () => {
      const at = T0 + 10 * MINUTE + 30_000;
      const badCurrency = created('pr_bad', 0, { currency: 'XYZ' });
      await ingestEvents(db, [badCurrency, step('pr_orphan', 'sent', MINUTE), step('pr_1', 'sent', MINUTE)], 'api', {
        now: at,
      });
      await ingestEvents(db, [{ id: 'evt_x', type: 'nope' }, step('pr_orphan', 'opened', 2 * MINUTE)], 'api', {
        now: at + 3 * MINUTE,
      });

      expect(await getRejectionCodes(db)).toEqual([
        { code: 'invalid_currency', n: 1 },
        { code: 'invalid_type', n: 1 },
      ]);
      const onlyCurrency = await getRejectedEvents(db, { code: 'invalid_currency' });
      expect(onlyCurrency.rows.map((row) => [row.eventId, row.code, row.path])).toEqual([
        ['evt_pr_bad_created', 'invalid_currency', 'paymentRequest.currency'],
      ]);
      expect(JSON.parse(onlyCurrency.rows[0]!.raw)).toMatchObject({ id: 'evt_pr_bad_created' });
      expect((await getRejectedEvents(db, {})).rows.map((row) => row.code)).toEqual([
        'invalid_type',
        'invalid_currency',
      ]);

      expect(await getOrphans(db)).toEqual({
        requests: 1,
        events: 2,
        rows: [{ requestId: 'pr_orphan', events: 2, firstReceivedAt: at, lastReceivedAt: at + 3 * MINUTE }],
      });

      const buckets = await getEventsPerMinute(db, at + 3 * MINUTE + 5_000);
      expect(buckets).toHaveLength(60);
      const minute = (ms: number) => Math.floor(ms / MINUTE) * MINUTE;
      expect(buckets.at(-1)!.start).toBe(minute(at + 3 * MINUTE));
      expect(buckets.filter((bucket) => bucket.accepted + bucket.rejected > 0)).toEqual([
        { start: T0, accepted: 2, rejected: 0 },
        // pr_1's sent, the orphan's, and pr_1's expiry (due since T0 + 6 min) recorded with them.
        { start: minute(at), accepted: 3, rejected: 1 },
        { start: minute(at + 3 * MINUTE), accepted: 1, rejected: 1 },
      ]);
    });

    it('counts the last hour from the receipts of each minute, keeps a day of them, and lets orphans go', async () => {
      const at = T0 + 2 * 24 * 60 * MINUTE + 20_000;
      const before = await getIngestionTotals(db, at);
      await ingestEvents(db, [step('pr_late', 'sent', MINUTE), step('pr_late', 'opened', 2 * MINUTE)], 'api', {
        now: at,
      });
      await ingestEvents(db, [created('pr_late'), { id: 'evt_x', type: 'nope' }], 'api', { now: at + 30 * MINUTE });
      // The created event arrived: its request's events are applied and it is no orphan any more.
      expect(await getOrphans(db)).toEqual({ requests: 0, events: 0, rows: [] });

      // Its three events, and its expiry (due since 17 min after T0), recorded with the created event.
      const totals = await getIngestionTotals(db, at + 30 * MINUTE + 5_000);
      expect(totals.events - before.events).toBe(4);
      expect(totals.eventsLastHour).toBe(4);
      expect(totals.requests - before.requests).toBe(1);
      const buckets = await getEventsPerMinute(db, at + 30 * MINUTE + 5_000);
      expect(buckets.filter((bucket) => bucket.accepted + bucket.rejected > 0)).toEqual([
        { start: at - 20_000, accepted: 2, rejected: 0 },
        { start: at + 30 * MINUTE - 20_000, accepted: 2, rejected: 1 },
      ]);
      // An hour later the first minute is out of the page's hour; a day later the writers delete it.
      expect((await getIngestionTotals(db, at + 61 * MINUTE)).eventsLastHour).toBe(2);
      const dayLater = at + (24 * 60 + 1) * MINUTE;
      await ingestEvents(db, [step('pr_late', 'paid', 3 * MINUTE)], 'api', { now: dayLater });
      const receipts = await queryRows(db, 'SELECT minute, events FROM event_receipts ORDER BY minute');
      expect(receipts.map((row) => ({ minute: Number(row.minute), events: Number(row.events) }))).toEqual([
        { minute: at + 30 * MINUTE - 20_000, events: 2 },
        { minute: dayLater - 20_000, events: 1 },
      ]);
    });
  });

  describe('rejected events at scale', () => {
    it('counts the rejected events of each batch by code and by minute as it stores them', async () => {
      const at = T0 + 10 * MINUTE + 30_000;
      const bad = (id: string) => ({ id, type: 'nope' });
      await ingestEvents(
        db,
        [bad('evt_b1'), created('pr_bad', 0, { currency: 'XYZ' }), bad('evt_b2'), created('pr_ok')],
        'api',
        { now: at },
      );
      // A batch of rejected events only.
      await ingestEvents(db, [bad('evt_b3')], 'api', { now: at + 2 * MINUTE });

      expect(await getRejectionCodes(db)).toEqual([
        { code: 'invalid_type', n: 3 },
        { code: 'invalid_currency', n: 1 },
      ]);
      // The kept counts are those of the stored rejected events.
      const grouped = await queryRows(
        db,
        'SELECT code, count(*) AS n FROM rejected_events GROUP BY code ORDER BY code',
      );
      expect(grouped.map((row) => ({ code: row.code, n: Number(row.n) }))).toEqual([
        { code: 'invalid_currency', n: 1 },
        { code: 'invalid_type', n: 3 },
      ]);
      const minute = (ms: number) => Math.floor(ms / MINUTE) * MINUTE;
      const buckets = await getEventsPerMinute(db, at + 2 * MINUTE);
      expect(buckets.filter((bucket) => bucket.accepted + bucket.rejected > 0)).toEqual([
        { start: T0, accepted: 2, rejected: 0 },
        { start: minute(at), accepted: 1, rejected: 3 },
        { start: minute(at + 2 * MINUTE), accepted: 0, rejected: 1 },
      ]);
      expect(await getIngestionTotals(db, at + 2 * MINUTE)).toMatchObject({ rejected: 4, rejectedLastDay: 4 });
      // A day after the first batch only the second one's minute is within the last day.
      expect((await getIngestionTotals(db, at + 24 * 60 * MINUTE + MINUTE)).rejectedLastDay).toBe(1);
      expect((await getIngestionTotals(db, at + 2 * 24 * 60 * MINUTE)).rejectedLastDay).toBe(0);
    });
  });

  describe('audit log', () => {
    it('filters by action, actor and date range, newest first, a page at a time', async () => {
      const day = Date.parse('2026-11-20T12:00:00Z');
      const insert = (...values: unknown[]) =>
        sqlRun(
          db,
          "INSERT INTO audit_log (at, actor_user_id, actor_name, action, details) VALUES (?, ?, ?, ?, '{}')",
          values,
        );
      for (let i = 0; i < 60; i++) await insert(day + i * MINUTE, 'usr_a', 'Ada Admin', 'settings_change');
      await insert(day + 24 * 60 * MINUTE, 'usr_b', 'Bo 100%', 'token_create');

      const first = await listAuditEntries(db, {});
      expect(first.entries).toHaveLength(50);
      expect(first.entries[0]!.action).toBe('token_create');
      const second = await listAuditEntries(db, { before: first.nextBefore! });
      expect(second.entries).toHaveLength(11);
      expect(second.nextBefore).toBeNull();

      expect((await listAuditEntries(db, { action: 'token_create' })).entries.map((entry) => entry.actorName)).toEqual([
        'Bo 100%',
      ]);
      // LIKE wildcards in the filter are literal characters.
      expect((await listAuditEntries(db, { actor: '%' })).entries.map((entry) => entry.actorName)).toEqual(['Bo 100%']);
      expect((await listAuditEntries(db, { actor: 'Ada%' })).entries).toHaveLength(0);
      expect((await listAuditEntries(db, { actor: 'ada' })).entries).toHaveLength(50);
      expect((await listAuditEntries(db, { actor: 'usr_a' })).entries).toHaveLength(50);
      const nov20 = await listAuditEntries(db, {
        start: Date.parse('2026-11-20T00:00:00Z'),
        end: Date.parse('2026-11-21T00:00:00Z'),
      });
      expect(nov20.entries.every((entry) => entry.action === 'settings_change')).toBe(true);
      expect(nov20.nextBefore).not.toBeNull();
    });
  });
});

describe('admin pages over HTTP', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.stop());

  const PAGES = [
    '/admin',
    '/admin/users',
    '/admin/teams',
    '/admin/settings',
    '/admin/tokens',
    '/admin/webhook',
    '/admin/ingestion',
    '/admin/audit',
  ];

  it('redirects a signed-out visitor to /login', async () => {
    for (const path of PAGES) {
      const response = await fetch(`${server.url}${path}`, { redirect: 'manual' });
      expect(response.status, path).toBe(302);
      expect(response.headers.get('location'), path).toBe(`/login?redirectTo=${encodeURIComponent(path)}`);
    }
  });

  it.each(['agent', 'supervisor', 'manager'] as const)(
    'answers 403 to a %s on every admin page and action',
    async (role) => {
      const user = await addUserAt(server.dbFile, {
        role,
        teamIds: role === 'supervisor' ? ['tm_retail'] : undefined,
        agentId: role === 'agent' ? 'ag_http' : undefined,
      });
      const { cookie } = await signInOverHttp(server.url, user.email);
      expect(cookie).toMatch(/^pld_session=/);
      // The role is checked before the search is read: a bad one is refused as a good one.
      for (const path of [...PAGES, '/admin/users?agentSearch=ana', `/admin/users?agentSearch=${'a'.repeat(101)}`]) {
        const response = await fetch(`${server.url}${path}`, { headers: { cookie }, redirect: 'manual' });
        expect(response.status, path).toBe(403);
        expect(await response.text(), path).not.toContain('Agents without a login');
      }
      const post = await fetch(`${server.url}/admin/webhook`, {
        method: 'POST',
        headers: { cookie, origin: server.url, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'intent=rotate',
        redirect: 'manual',
      });
      expect(post.status).toBe(403);
      const db = openDatabaseUrl(server.dbFile);
      expect(await queryRow(db, "SELECT count(*) AS n FROM settings WHERE key LIKE 'webhook%'")).toEqual({ n: 0 });
      await closeDatabase(db);
    },
  );

  it("searches /admin/users' agents without a login without JavaScript, within bounds", async () => {
    const db = openDatabaseUrl(server.dbFile);
    try {
      await addSearchAgents(db);
    } finally {
      await closeDatabase(db);
    }
    const admin = await addUserAt(server.dbFile, { role: 'admin' });
    const { cookie } = await signInOverHttp(server.url, admin.email);
    const page = async (query: string) => {
      const response = await fetch(`${server.url}/admin/users?${query}`, { headers: { cookie } });
      // React parts text it interpolates with empty comments.
      const html = (await response.text()).replaceAll('<!-- -->', '');
      const section = html.slice(html.indexOf('id="agents-without-login"'));
      return {
        status: response.status,
        html,
        ids: [...section.matchAll(/<td class="mono" data-label="Agent id">([^<]*)<\/td>/g)].map((match) => match[1]),
        note: /data-testid="agents-without-login-count">(.*?)<\/p>/.exec(section)?.[1] ?? null,
      };
    };
    const all = await page('');
    expect(all.ids).toEqual(PADDING.slice(0, 200).map((k) => `ag_a${k}`));
    // (The agents of the tests before: agent users link agents of their own.)
    expect(all.note).toMatch(/^The first 200 of 2\d\d by name\. Find any other with the search above/);

    const anas = await page('agentSearch=ana');
    expect(anas.status).toBe(200);
    expect(anas.ids).toEqual(['ag_x5', 'ag_x2', 'ag_x1', 'ag_x3', 'ag_x6']);
    expect(anas.note).toBe('5 agents without a login match “ana”.');
    expect(anas.html).toContain('value="ana"');
    // Invite keeps the search; the invite form is pre-filled with the agent found.
    expect(anas.html).toContain('href="/admin/users?agentSearch=ana&amp;invite=ag_x1#invite"');
    const invite = await page('agentSearch=ana&invite=ag_x1');
    expect(invite.ids).toEqual(anas.ids);
    expect(invite.html).toMatch(/name="name"[^>]*value="Ánh Ana"|value="Ánh Ana"[^>]*name="name"/);

    expect((await page('agentSearch=%C3%80NA')).ids).toEqual(anas.ids);
    const beyond = await page('agentSearch=AGENT+203');
    expect([beyond.ids, beyond.note]).toEqual([['ag_a203'], '1 agent without a login matches “AGENT 203”.']);
    const many = await page('agentSearch=agent');
    expect(many.ids).toEqual(PADDING.slice(0, 200).map((k) => `ag_a${k}`));
    expect(many.note).toBe('205 agents without a login match “agent”: the first 200 by name.');
    const none = await page('agentSearch=nobody');
    expect([none.status, none.ids, none.note]).toEqual([200, [], null]);
    expect(none.html).toContain('No agent without a login has “nobody” in their name or id.');
    expect((await page(`agentSearch=${'é'.repeat(100)}`)).status).toBe(200);

    for (const query of [`agentSearch=${'a'.repeat(101)}`, 'agentSearch=ana&agentSearch=dana']) {
      const refused = await page(query);
      expect(refused.status, query).toBe(400);
      expect(refused.html, query).toContain('“agentSearch”');
      expect(refused.ids, query).toEqual([]);
    }
  });

  it('serves every admin page to an admin, and takes their POSTs only from our own origin', async () => {
    const admin = await addUserAt(server.dbFile, { role: 'admin' });
    const { cookie } = await signInOverHttp(server.url, admin.email);
    for (const path of PAGES) {
      const response = await fetch(`${server.url}${path}`, { headers: { cookie } });
      expect(response.status, path).toBe(200);
    }
    const invite = (origin: string | null) =>
      fetch(`${server.url}/admin/users`, {
        method: 'POST',
        headers: { cookie, ...(origin ? { origin } : {}), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          intent: 'invite',
          name: 'Http Person',
          email: 'http@example.test',
          role: 'manager',
        }),
        redirect: 'manual',
      });
    // Cross-site: Remix's own check answers first (500, "host header does not match origin"); without
    // an Origin header ours does (403). Either way nothing is stored.
    expect((await invite('https://evil.example')).status).toBeGreaterThanOrEqual(400);
    expect((await invite(null)).status).toBe(403);
    const db = openDatabaseUrl(server.dbFile);
    try {
      expect(await queryRow(db, "SELECT count(*) AS n FROM users WHERE email = 'http@example.test'")).toEqual({ n: 0 });
      expect((await invite(server.url)).status).toBe(200);
      expect(await queryRow(db, "SELECT role FROM users WHERE email = 'http@example.test'")).toEqual({
        role: 'manager',
      });
    } finally {
      await closeDatabase(db);
    }
  });
});
