import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { alias: { '~': fileURLToPath(new URL('./app', import.meta.url)) } },
  test: {
    include: [
      'tests/unit/**/*.test.ts',
      'tests/integration/**/*.test.ts',
      'tests/reliability/**/*.test.ts',
      'tests/postgres/**/*.test.ts',
    ],
    globalSetup: ['tests/setup/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    env: {
      NODE_ENV: 'test',
      DATABASE_URL: 'tmp/tests/unused.db',
      WEBHOOK_SECRET: 'whsec_dGVzdC1zZWNyZXQtZm9yLXZpdGVzdC1vbmx5',
      SESSION_SECRET: 'test-session-secret-for-vitest-only-0123456789',
      // The lowest cost: fixtures hash fast. Tests of hashing itself set the production cost (17) explicitly.
      PASSWORD_HASH_COST: '10',
    },
  },
});
