import { join } from 'node:path';

export const TEST_TMP = join(process.cwd(), 'tmp', 'tests');
export const BASE_DB = join(TEST_TMP, 'base.db');
