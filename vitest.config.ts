import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { alias: { '~': fileURLToPath(new URL('./app', import.meta.url)) } },
  test: {
    include: ['tests/unit/**/*.test.ts', 'tests/integration/**/*.test.ts', 'tests/reliability/**/*.test.ts'],
    globalSetup: ['tests/setup/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    env: {
      NODE_ENV: 'test',
      DATABASE_URL: 'tmp/tests/unused.db',
      WEBHOOK_SECRET: 'whsec_dGVzdC1zZWNyZXQtZm9yLXZpdGVzdC1vbmx5',
      SESSION_SECRET: 'test-session-secret-for-vitest-only-0123456789',
      // log2 of scrypt's N for password hashes: cheap in tests, the production default stays (branch hostile reads it).
      PASSWORD_HASH_COST: '12',
    },
  },
});
