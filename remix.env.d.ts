/// <reference types="@remix-run/dev" />
/// <reference types="@remix-run/node" />

import '@remix-run/server-runtime';

declare module '@remix-run/server-runtime' {
  /** What server.ts hands every loader and action (and entry.server). */
  interface AppLoadContext {
    /** This response's Content-Security-Policy nonce, for Remix's inline scripts. */
    cspNonce: string;
  }
}
