import type { HeadersFunction, LinksFunction, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Links, Meta, Outlet, Scripts, ScrollRestoration } from '@remix-run/react';
import { type ReactNode, useEffect } from 'react';
import { useNonce } from './components/nonce';
import { describeError, RouteError } from './components/route-error';
import { markDocumentHydrated } from './components/time-left';
import { requestLocale } from './lib/locale.server';
import stylesHref from './styles/app.css';

export const links: LinksFunction = () => [
  { rel: 'stylesheet', href: stylesHref },
  { rel: 'icon', href: '/favicon.svg', type: 'image/svg+xml' },
];

/**
 * No page may be framed (clickjacking), except the agent panel under /embed/, whose route sets
 * `frame-ancestors` to the origins an admin allows. Routes with their own `headers` keep these.
 */
export const headers: HeadersFunction = () => ({
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy': "frame-ancestors 'none'",
});

/** The reader's locale, for every page's dates and numbers (components/use-locale.ts). */
export function loader({ request }: LoaderFunctionArgs) {
  return { locale: requestLocale(request) };
}

// The locale comes from the browser's language, which does not change between navigations.
export const shouldRevalidate = () => false;

export function Layout({ children }: { children: ReactNode }) {
  const nonce = useNonce();
  // After the page's own effects: clocks started by hydration count from the document's request.
  useEffect(markDocumentHydrated, []);
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <Meta />
        <Links />
      </head>
      <body>
        {/* Every page's <main> is #main: the first Tab on any page offers to skip what comes before it. */}
        <a href="#main" className="skip-link">
          Skip to content
        </a>
        {children}
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  );
}

export default function App() {
  return <Outlet />;
}

export const meta: MetaFunction = ({ error }) =>
  error === undefined ? [] : [{ title: `${describeError(error).title} · Paylink Desk` }];

export function ErrorBoundary() {
  return (
    <main className="page page-narrow" id="main" tabIndex={-1}>
      <RouteError />
    </main>
  );
}
