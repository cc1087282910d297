import { randomUUID } from 'node:crypto';
import type { Role } from '../../app/domain/access';
import { closeDatabase, type Db, openDatabase, openDatabaseUrl } from '../../db/client';
import { agents, teams, users, userTeams } from '../../db/schema';
import * as tables from '../../db/tables';

export const TEST_PASSWORD = 'correct horse battery staple';
/**
 * TEST_PASSWORD hashed once with scrypt at N=2^10 (the lowest PASSWORD_HASH_COST): a fixture kept as
 * a literal so insertUser() stays synchronous, and fast to verify; the hash carries its own N.
 */
export const TEST_PASSWORD_HASH =
  'scrypt$1024$8$1$5jB2dqpJBUiaUeh175viXg==$U4W/1bOkdtuI0QUDjxrdk/f25/pOdvdkf9TwEkigLas=';

export interface TestUserInput {
  role: Role;
  email?: string;
  name?: string;
  teamIds?: string[];
  agentId?: string;
  active?: boolean;
}

/** Inserts a user who can sign in with TEST_PASSWORD (teams and agent rows created when missing). */
export function insertUser(db: Db, input: TestUserInput): { id: string; email: string } {
  const id = `usr_${randomUUID()}`;
  const email = input.email ?? `${input.role}-${id.slice(4, 12)}@example.test`;
  const now = Date.now();
  for (const teamId of input.teamIds ?? []) {
    db.insert(teams).values({ id: teamId, name: teamId, createdAt: now }).onConflictDoNothing().run();
  }
  if (input.agentId) {
    const teamId = input.teamIds?.[0] ?? 'tm_retail';
    db.insert(teams).values({ id: teamId, name: teamId, createdAt: now }).onConflictDoNothing().run();
    db.insert(agents)
      .values({ id: input.agentId, name: input.name ?? input.agentId, teamId, createdAt: now })
      .onConflictDoNothing()
      .run();
  }
  db.insert(users)
    .values({
      id,
      email,
      name: input.name ?? `Test ${input.role}`,
      role: input.role,
      passwordHash: TEST_PASSWORD_HASH,
      agentId: input.agentId ?? null,
      active: input.active ?? true,
      createdAt: now,
    })
    .run();
  if (input.role === 'supervisor')
    for (const teamId of input.teamIds ?? []) db.insert(userTeams).values({ userId: id, teamId }).run();
  return { id, email };
}

/**
 * insertUser on either engine (the tables of db/tables.ts, awaited): for test files that run on
 * PostgreSQL too. insertUser stays synchronous for the SQLite-only files and the browser specs.
 */
export async function addUser(db: Db, input: TestUserInput): Promise<{ id: string; email: string }> {
  const id = `usr_${randomUUID()}`;
  const email = input.email ?? `${input.role}-${id.slice(4, 12)}@example.test`;
  const now = Date.now();
  const teamIds = [...(input.teamIds ?? []), ...(input.agentId ? [input.teamIds?.[0] ?? 'tm_retail'] : [])];
  for (const teamId of new Set(teamIds)) {
    await db.insert(tables.teams).values({ id: teamId, name: teamId, createdAt: now }).onConflictDoNothing();
  }
  if (input.agentId) {
    const teamId = input.teamIds?.[0] ?? 'tm_retail';
    await db
      .insert(tables.agents)
      .values({ id: input.agentId, name: input.name ?? input.agentId, teamId, createdAt: now })
      .onConflictDoNothing();
  }
  await db.insert(tables.users).values({
    id,
    email,
    name: input.name ?? `Test ${input.role}`,
    role: input.role,
    passwordHash: TEST_PASSWORD_HASH,
    agentId: input.agentId ?? null,
    active: input.active ?? true,
    createdAt: now,
  });
  if (input.role === 'supervisor')
    for (const teamId of input.teamIds ?? []) await db.insert(tables.userTeams).values({ userId: id, teamId });
  return { id, email };
}

/** addUser into the database at a file path or URL (a running server's). */
export async function addUserAt(file: string, input: TestUserInput): Promise<{ id: string; email: string }> {
  const db = openDatabaseUrl(file);
  try {
    return await addUser(db, input);
  } finally {
    await closeDatabase(db);
  }
}

export function insertUserInFile(file: string, input: TestUserInput) {
  const db = openDatabase(file);
  try {
    return insertUser(db, input);
  } finally {
    db.$client.close();
  }
}

/** Signs in over HTTP as a browser would; returns the session cookie ('pld_session=…'). */
export async function signInOverHttp(
  baseUrl: string,
  email: string,
  password = TEST_PASSWORD,
  extraHeaders: Record<string, string> = {},
) {
  const response = await fetch(`${baseUrl}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: baseUrl, ...extraHeaders },
    body: new URLSearchParams({ email, password }).toString(),
  });
  const setCookie = response.headers.get('set-cookie') ?? '';
  return { response, setCookie, cookie: setCookie.split(';')[0] ?? '' };
}
