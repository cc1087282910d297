import { randomBytes } from 'node:crypto';

export function newNonce(): string {
  return randomBytes(16).toString('base64');
}

export interface SecurityHeaderOptions {
  pathname: string;
  nonce: string;
  production: boolean;
}

/**
 * Pages under /embed/ are meant to be framed by the origins an admin allows: their route sends
 * its own `frame-ancestors`, so neither this CSP nor X-Frame-Options forbids framing there.
 */
export function isEmbedPath(pathname: string): boolean {
  return pathname.startsWith('/embed/');
}

/**
 * The headers every response carries (finding 10). Scripts only from our origin or inline with
 * this response's nonce (Remix's hydration scripts get it through entry.server and root); styles
 * may be inline because charts set style attributes. No `upgrade-insecure-requests`: the app is
 * also served over plain http (tests, a TLS-terminating proxy), where it would break every asset.
 */
export function securityHeaders({ pathname, nonce, production }: SecurityHeaderOptions): [string, string][] {
  const embed = isEmbedPath(pathname);
  const csp = [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}'`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    production ? "connect-src 'self'" : "connect-src 'self' ws: wss:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    ...(embed ? [] : ["frame-ancestors 'none'"]),
  ].join('; ');
  const headers: [string, string][] = [
    ['Content-Security-Policy', csp],
    ['X-Content-Type-Options', 'nosniff'],
    ['X-DNS-Prefetch-Control', 'off'],
    ['X-Permitted-Cross-Domain-Policies', 'none'],
    ['Origin-Agent-Cluster', '?1'],
    ['Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=()'],
  ];
  if (!embed) {
    headers.push(['X-Frame-Options', 'DENY'], ['Cross-Origin-Opener-Policy', 'same-origin']);
  }
  if (production) headers.push(['Strict-Transport-Security', 'max-age=31536000; includeSubDomains']);
  return headers;
}
