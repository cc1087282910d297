import { defineConfig } from 'drizzle-kit';
import { databaseUrlFromEnv } from './app/lib/env.server';

export default defineConfig({
  dialect: 'sqlite',
  schema: './db/schema.ts',
  out: './db/migrations',
  dbCredentials: { url: databaseUrlFromEnv() },
});
