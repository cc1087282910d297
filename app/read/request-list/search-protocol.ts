/** Messages between search-pool.server.ts and search.worker.ts. */
export interface SearchRequest {
  id: number;
  sql: string;
  params: unknown[];
}

export type SearchReply = { id: number; rows: unknown[][] } | { id: number; error: string };
