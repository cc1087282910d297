import { getDb } from '../../db/client';
import { apiError } from '../lib/http.server';
import { viewerForToken } from './api-tokens.server';
import type { Viewer } from './scope.server';

/**
 * The caller of an API route: a bearer token (SPEC §4). Throws a 401 JSON response otherwise.
 * Every loader and action calls this (or the page variant) itself.
 */
export function requireApiViewer(request: Request): Viewer {
  const header = request.headers.get('authorization') ?? '';
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  const viewer = match?.[1] ? viewerForToken(getDb(), match[1]) : null;
  if (!viewer) throw apiError(401, 'unauthorized', 'A valid bearer token is required');
  return viewer;
}
