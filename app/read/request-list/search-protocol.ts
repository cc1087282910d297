/** Messages between search-pool.server.ts and search.worker.ts. */
export interface SearchRequest {
  id: number;
  sql: string;
  params: unknown[];
}

/** `ms`: how long the statement ran on the thread (search-pool.server.ts reuses the rows of costly ones). */
export type SearchReply = { id: number; rows: unknown[][]; ms: number } | { id: number; error: string };
