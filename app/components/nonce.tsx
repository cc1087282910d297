import { createContext, useContext } from 'react';

/**
 * The Content-Security-Policy nonce of this response (server.ts makes one per request), for the
 * inline scripts Remix renders. In the browser it is '' (browsers hide nonces from the DOM).
 */
const NonceContext = createContext('');

export const NonceProvider = NonceContext.Provider;

export function useNonce(): string {
  return useContext(NonceContext);
}
