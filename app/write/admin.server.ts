import { randomInt, randomUUID } from 'node:crypto';
import { and, eq, inArray, isNull, ne } from 'drizzle-orm';
import { z } from 'zod';
import { type Db, first, writeTransaction } from '../../db/client';
import { agents, apiTokens, teams, users, userTeams } from '../../db/tables';
import type { Viewer } from '../domain/access';
import { ROLES, type Role } from '../domain/access';
import { containsCardNumber, maskCardNumbers } from '../domain/card-masking';
import { type FieldErrors, failure, fieldErrorsOf, type Outcome } from '../lib/form.server';
import { hashPassword, TEMPORARY_PASSWORD_TTL_MS } from '../lib/password.server';
import { createServiceToken } from './api-tokens.server';
import { recordAudit } from './audit.server';
import { destroyUserSessions } from './sessions.server';
import { clearAccountFailures } from './sign-in-throttle.server';

/** Who does an admin change, and from where: every change is audited with both. */
export interface AdminContext {
  db: Db;
  actor: Pick<Viewer, 'userId' | 'name'>;
  ip: string | null;
}

const ID = /^[A-Za-z0-9_.:-]{1,64}$/;
// What an admin types is stored: a new id (a team's, an agent's) or an email holding a card number
// is refused (as event ids are at ingest), names are masked (SPEC §1). Ids that only name a row
// (users', tokens': `usr_` + a UUID, whose digit groups can read as a card number) are not checked.
const noCardNumber = (text: string) => !containsCardNumber(text);
const idField = (what: string) => z.string().trim().regex(ID, `Enter a valid ${what} id`);
const newIdField = (what: string) => idField(what).refine(noCardNumber, `A ${what} id must not hold a card number`);
const nameField = z
  .string()
  .trim()
  .min(1, 'Enter a name')
  .max(100, 'At most 100 characters')
  .transform(maskCardNumbers);
const optionalText = z
  .string()
  .trim()
  .optional()
  .transform((value) => value || null);

/** The role and its scope: teams for supervisors, the agent identity for agents. */
const accessFields = {
  role: z.enum(ROLES, { message: 'Choose a role' }),
  teamIds: z.array(idField('team')).default([]),
  agentId: optionalText.pipe(newIdField('agent').nullable()),
};

// Temporary passwords avoid look-alike characters (0/O, 1/l/I): people copy them by hand too.
const PASSWORD_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

/** 16 random characters in four groups (~93 bits), e.g. 'h7Kq-2mVz-Tn4e-Wc9R'. */
export function generateTemporaryPassword(): string {
  const groups = Array.from({ length: 4 }, () =>
    Array.from({ length: 4 }, () => PASSWORD_ALPHABET[randomInt(PASSWORD_ALPHABET.length)]).join(''),
  );
  return groups.join('-');
}

interface Access {
  role: Role;
  teamIds: string[];
  agentId: string | null;
}

/**
 * Checks a role's scope against the database and normalises it: supervisors need existing teams;
 * agents need an agent id. For a login (`forLogin`), the agent must not be linked to another login,
 * and an agent id not seen in events yet is created in the one team chosen. Other roles carry neither.
 */
async function checkAccess(
  db: Db,
  input: Access,
  forLogin: { userId: string | null } | null,
): Promise<{ ok: true; access: Access; newAgentTeam: string | null } | { ok: false; errors: FieldErrors }> {
  const teamIds = [...new Set(input.teamIds)];
  const known = teamIds.length ? await db.select({ id: teams.id }).from(teams).where(inArray(teams.id, teamIds)) : [];
  const unknown = teamIds.find((id) => !known.some((team) => team.id === id));
  if (unknown) return { ok: false, errors: { teamIds: `Unknown team ${unknown}` } };
  if (input.role === 'supervisor') {
    if (teamIds.length === 0) return { ok: false, errors: { teamIds: 'A supervisor needs at least one team' } };
    return { ok: true, access: { role: input.role, teamIds, agentId: null }, newAgentTeam: null };
  }
  if (input.role !== 'agent')
    return { ok: true, access: { role: input.role, teamIds: [], agentId: null }, newAgentTeam: null };
  const agentId = input.agentId;
  if (!agentId) return { ok: false, errors: { agentId: 'An agent needs the agent id their requests carry' } };
  const exists = first(await db.select({ id: agents.id }).from(agents).where(eq(agents.id, agentId)).limit(1));
  const access: Access = { role: 'agent', teamIds: [], agentId };
  if (!forLogin) {
    if (!exists) return { ok: false, errors: { agentId: `No agent ${agentId} has been seen yet` } };
    return { ok: true, access, newAgentTeam: null };
  }
  const linked = first(
    await db
      .select({ name: users.name })
      .from(users)
      .where(
        and(
          eq(users.agentId, agentId),
          eq(users.isService, false),
          forLogin.userId ? ne(users.id, forLogin.userId) : undefined,
        ),
      )
      .limit(1),
  );
  if (linked) return { ok: false, errors: { agentId: `Agent ${agentId} is already linked to ${linked.name}` } };
  if (!exists && teamIds.length !== 1) {
    return {
      ok: false,
      errors: { agentId: `No agent ${agentId} has been seen yet: choose the one team to create it in` },
    };
  }
  return { ok: true, access, newAgentTeam: exists ? null : teamIds[0]! };
}

const inviteSchema = z.object({
  name: nameField,
  email: z
    .string()
    .trim()
    .toLowerCase()
    .max(254, 'At most 254 characters')
    .refine(noCardNumber, 'An email must not hold a card number')
    .pipe(z.email('Enter a valid email address')),
  ...accessFields,
});

/**
 * Invites a person: a login with a random temporary password, returned once for the admin to hand
 * over (the simpler safe option: no mail is sent, nothing but its scrypt hash is stored). It works
 * for 72 hours; they must replace it with their own at their first sign-in.
 */
export async function inviteUser(
  ctx: AdminContext,
  input: unknown,
  now = Date.now(),
): Promise<Outcome<{ userId: string; temporaryPassword: string; expiresAt: number }>> {
  const { db } = ctx;
  const parsed = inviteSchema.safeParse(input);
  if (!parsed.success) return failure(fieldErrorsOf(parsed.error));
  const { name, email } = parsed.data;
  if (first(await db.select({ id: users.id }).from(users).where(eq(users.email, email)).limit(1))) {
    return failure({ email: 'A user with this email already exists' });
  }
  const checked = await checkAccess(db, parsed.data, { userId: null });
  if (!checked.ok) return failure(checked.errors);
  const { access, newAgentTeam } = checked;
  const temporaryPassword = generateTemporaryPassword();
  const passwordHash = await hashPassword(temporaryPassword);
  const userId = `usr_${randomUUID()}`;
  const expiresAt = now + TEMPORARY_PASSWORD_TTL_MS;
  await writeTransaction(db, async () => {
    if (newAgentTeam && access.agentId) {
      await db.insert(agents).values({ id: access.agentId, name, teamId: newAgentTeam, createdAt: now });
    }
    await db.insert(users).values({
      id: userId,
      name,
      email,
      role: access.role,
      passwordHash,
      mustChangePassword: true,
      temporaryPasswordExpiresAt: expiresAt,
      agentId: access.agentId,
      createdAt: now,
    });
    for (const teamId of access.teamIds) await db.insert(userTeams).values({ userId, teamId });
    await recordAudit(
      db,
      {
        action: 'user_invite',
        actor: ctx.actor,
        target: userId,
        details: { name, email, ...access, createdAgent: Boolean(newAgentTeam) },
        ip: ctx.ip,
      },
      now,
    );
  });
  return { ok: true, message: `${name} is invited.`, userId, temporaryPassword, expiresAt };
}

async function findPerson(db: Db, userId: string) {
  return first(
    await db
      .select()
      .from(users)
      .where(and(eq(users.id, userId), eq(users.isService, false)))
      .limit(1),
  );
}

async function teamIdsOf(db: Db, userId: string): Promise<string[]> {
  return (await db.select({ teamId: userTeams.teamId }).from(userTeams).where(eq(userTeams.userId, userId)))
    .map((row) => row.teamId)
    .sort();
}

const updateAccessSchema = z.object({ userId: idField('user'), ...accessFields });

/** Changes a person's role, teams and linked agent (audited as role_change). An admin cannot demote themselves. */
export async function updateUserAccess(ctx: AdminContext, input: unknown): Promise<Outcome> {
  const { db } = ctx;
  const parsed = updateAccessSchema.safeParse(input);
  if (!parsed.success) return failure(fieldErrorsOf(parsed.error));
  const user = await findPerson(db, parsed.data.userId);
  if (!user) return failure({}, 'No such user');
  if (user.id === ctx.actor.userId && parsed.data.role !== 'admin') {
    return failure({ role: 'You cannot change your own role: ask another admin' });
  }
  const checked = await checkAccess(db, parsed.data, { userId: user.id });
  if (!checked.ok) return failure(checked.errors);
  const { access, newAgentTeam } = checked;
  const before: Access = { role: user.role, teamIds: await teamIdsOf(db, user.id), agentId: user.agentId };
  const after: Access = { ...access, teamIds: [...access.teamIds].sort() };
  if (JSON.stringify(before) === JSON.stringify(after)) return { ok: true, message: 'Nothing to change.' };
  const now = Date.now();
  await writeTransaction(db, async () => {
    if (newAgentTeam && after.agentId) {
      await db.insert(agents).values({ id: after.agentId, name: user.name, teamId: newAgentTeam, createdAt: now });
    }
    await db.update(users).set({ role: after.role, agentId: after.agentId }).where(eq(users.id, user.id));
    await db.delete(userTeams).where(eq(userTeams.userId, user.id));
    for (const teamId of after.teamIds) await db.insert(userTeams).values({ userId: user.id, teamId });
    await recordAudit(db, {
      action: 'role_change',
      actor: ctx.actor,
      target: user.id,
      details: { before, after },
      ip: ctx.ip,
    });
  });
  return { ok: true, message: `${user.name}'s access is updated.` };
}

const userIdSchema = z.object({ userId: idField('user') });

/** Deactivating ends every session of the person at once; their sign-in is refused from then on. */
export async function setUserActive(ctx: AdminContext, input: unknown, active: boolean): Promise<Outcome> {
  const { db } = ctx;
  const parsed = userIdSchema.safeParse(input);
  if (!parsed.success) return failure(fieldErrorsOf(parsed.error));
  const user = await findPerson(db, parsed.data.userId);
  if (!user) return failure({}, 'No such user');
  if (user.id === ctx.actor.userId) return failure({}, 'You cannot deactivate yourself: ask another admin');
  if (user.active === active)
    return { ok: true, message: `${user.name} is already ${active ? 'active' : 'deactivated'}.` };
  await writeTransaction(db, async () => {
    await db.update(users).set({ active }).where(eq(users.id, user.id));
    if (!active) await destroyUserSessions(db, user.id);
    await recordAudit(db, {
      action: active ? 'user_reactivate' : 'user_deactivate',
      actor: ctx.actor,
      target: user.id,
      details: { name: user.name, email: user.email },
      ip: ctx.ip,
    });
  });
  return { ok: true, message: `${user.name} is ${active ? 'reactivated' : 'deactivated and signed out everywhere'}.` };
}

/**
 * A new temporary password, for 72 hours from now, for someone who lost theirs or whose temporary
 * one expired; their sessions end and they must replace it at sign-in.
 */
export async function resetUserPassword(
  ctx: AdminContext,
  input: unknown,
  now = Date.now(),
): Promise<Outcome<{ temporaryPassword: string; expiresAt: number }>> {
  const { db } = ctx;
  const parsed = userIdSchema.safeParse(input);
  if (!parsed.success) return failure(fieldErrorsOf(parsed.error));
  const user = await findPerson(db, parsed.data.userId);
  if (!user) return failure({}, 'No such user');
  if (user.id === ctx.actor.userId) return failure({}, 'You cannot reset your own password here: ask another admin');
  const temporaryPassword = generateTemporaryPassword();
  const passwordHash = await hashPassword(temporaryPassword);
  const expiresAt = now + TEMPORARY_PASSWORD_TTL_MS;
  await writeTransaction(db, async () => {
    await db
      .update(users)
      .set({ passwordHash, mustChangePassword: true, temporaryPasswordExpiresAt: expiresAt })
      .where(eq(users.id, user.id));
    await destroyUserSessions(db, user.id);
    // The person locked out by wrong guesses can use the new password at once.
    if (user.email) await clearAccountFailures(db, user.email);
    await recordAudit(
      db,
      { action: 'password_reset', actor: ctx.actor, target: user.id, details: { name: user.name }, ip: ctx.ip },
      now,
    );
  });
  return { ok: true, message: `${user.name} has a new temporary password.`, temporaryPassword, expiresAt };
}

const createTeamSchema = z.object({ teamId: newIdField('team'), name: nameField });

/** Creates a team ahead of its first events: the id must be the one the contact-centre system sends. */
export async function createTeam(ctx: AdminContext, input: unknown): Promise<Outcome> {
  const { db } = ctx;
  const parsed = createTeamSchema.safeParse(input);
  if (!parsed.success) return failure(fieldErrorsOf(parsed.error));
  const { teamId, name } = parsed.data;
  if (first(await db.select({ id: teams.id }).from(teams).where(eq(teams.id, teamId)).limit(1))) {
    return failure({ teamId: `A team ${teamId} already exists` });
  }
  await writeTransaction(db, async () => {
    await db.insert(teams).values({ id: teamId, name, nameSource: 'admin', createdAt: Date.now() });
    await recordAudit(db, {
      action: 'team_change',
      actor: ctx.actor,
      target: teamId,
      details: { op: 'create', name },
      ip: ctx.ip,
    });
  });
  return { ok: true, message: `Team ${name} is created.` };
}

/** Renames a team. Ingestion replaces placeholder names only, so the admin's name stays. */
export async function renameTeam(ctx: AdminContext, input: unknown): Promise<Outcome> {
  const { db } = ctx;
  const parsed = createTeamSchema.safeParse(input);
  if (!parsed.success) return failure(fieldErrorsOf(parsed.error));
  const { teamId, name } = parsed.data;
  const team = first(await db.select().from(teams).where(eq(teams.id, teamId)).limit(1));
  if (!team) return failure({}, 'No such team');
  // Saving a placeholder name unchanged does not adopt it: the first event's name still replaces it.
  if (team.name === name) return { ok: true, message: 'Nothing to change.' };
  await writeTransaction(db, async () => {
    await db.update(teams).set({ name, nameSource: 'admin' }).where(eq(teams.id, teamId));
    await recordAudit(db, {
      action: 'team_change',
      actor: ctx.actor,
      target: teamId,
      details: { op: 'rename', before: team.name, after: name },
      ip: ctx.ip,
    });
  });
  return { ok: true, message: `Team ${team.name} is now ${name}.` };
}

const createTokenSchema = z.object({ name: nameField, ...accessFields });

/** An API token for a new service user with the role and scope; the token is returned once, only its hash kept. */
export async function createApiToken(
  ctx: AdminContext,
  input: unknown,
): Promise<Outcome<{ token: string; tokenId: string }>> {
  const { db } = ctx;
  const parsed = createTokenSchema.safeParse(input);
  if (!parsed.success) return failure(fieldErrorsOf(parsed.error));
  const checked = await checkAccess(db, parsed.data, null);
  if (!checked.ok) return failure(checked.errors);
  const { access } = checked;
  const { name } = parsed.data;
  const { token, userId } = await createServiceToken(db, { name, ...access });
  const tokenId = first(
    await db.select({ id: apiTokens.id }).from(apiTokens).where(eq(apiTokens.userId, userId)).limit(1),
  )!.id;
  await recordAudit(db, {
    action: 'token_create',
    actor: ctx.actor,
    target: tokenId,
    details: { name, ...access, serviceUserId: userId },
    ip: ctx.ip,
  });
  return { ok: true, message: `Token ${name} is created.`, token, tokenId };
}

const revokeTokenSchema = z.object({ tokenId: idField('token') });

/** Revoking is final: the token stops working on its next request. */
export async function revokeApiToken(ctx: AdminContext, input: unknown): Promise<Outcome> {
  const { db } = ctx;
  const parsed = revokeTokenSchema.safeParse(input);
  if (!parsed.success) return failure(fieldErrorsOf(parsed.error));
  const token = first(await db.select().from(apiTokens).where(eq(apiTokens.id, parsed.data.tokenId)).limit(1));
  if (!token) return failure({}, 'No such token');
  if (token.revokedAt !== null) return { ok: true, message: `Token ${token.name} was already revoked.` };
  await writeTransaction(db, async () => {
    await db
      .update(apiTokens)
      .set({ revokedAt: Date.now() })
      .where(and(eq(apiTokens.id, token.id), isNull(apiTokens.revokedAt)));
    await recordAudit(db, {
      action: 'token_revoke',
      actor: ctx.actor,
      target: token.id,
      details: { name: token.name },
      ip: ctx.ip,
    });
  });
  return { ok: true, message: `Token ${token.name} is revoked.` };
}
