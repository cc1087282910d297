/**
 * The production server (`npm start`; `npm run dev` runs it under remix dev). Node's own `http`
 * with Remix's request handler rather than Express and @remix-run/express: that adapter is exactly
 * what let a slow reader pile a whole export up in memory (it writes without waiting for the
 * socket), read bodies without a limit and took the host from X-Forwarded-Host. Owning the ~150
 * lines that turn a socket into a Request and a Response back into bytes is how each of those is
 * fixed at its root; the rest (static files, headers) is small enough not to need a framework.
 */
import { createServer, type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import { resolve } from 'node:path';
import type { Duplex } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { broadcastDevReady, createRequestHandler, type ServerBuild } from '@remix-run/node';
import { type AgnosticRouteObject, matchRoutes } from '@remix-run/router';
import { getEnv } from './app/lib/env.server';
import { CLIENT_ADDRESS_HEADER, REDIRECTS, REFUSES, type RequestContext } from './app/lib/http.server';
import { fetchHeaders, sendFetchResponse, toFetchRequest } from './server/remix-adapter';
import { newNonce, securityHeaders } from './server/security-headers';
import { serveStaticFile } from './server/static-files';

/** SPEC §2: event batches up to 10 MB. Every other body is a form or a small JSON object. */
const EVENTS_PATH = '/api/v1/events';
const EVENTS_BODY_LIMIT = 10 * 1024 * 1024;
const FORM_BODY_LIMIT = 64 * 1024;
/** Methods the app's routes answer (OPTIONS and the mutations a route does not take: its own 405). */
const ROUTED_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/** Bytes of an over-limit body read (and dropped) after answering, before the connection is cut. */
const DISCARD_LIMIT = 32 * 1024 * 1024;
/** SIGTERM to exit: in-flight requests get this long, then connections are cut. */
const SHUTDOWN_GRACE_MS = 8_000;

interface AppEntry {
  assertMigrated?: () => Promise<void>;
  startBackgroundWork?: () => void;
  stopBackgroundWork?: () => Promise<void>;
  closeDatabase?: () => void;
}

const env = getEnv();
const production = env.NODE_ENV === 'production';
const BUILD_FILE = resolve('build/index.js');
const build = (await import(pathToFileURL(BUILD_FILE).href)) as ServerBuild;
const entry = build.entry.module as AppEntry;
const handleRemix = createRequestHandler(build, env.NODE_ENV);
const routeTree = routesUnder(undefined);

let inFlight = 0;
let shuttingDown = false;

const server = createServer(
  {
    // Header and body timeouts: a request must have arrived whole in time (Node answers 408).
    headersTimeout: Math.min(10_000, env.REQUEST_TIMEOUT_MS),
    requestTimeout: env.REQUEST_TIMEOUT_MS,
    keepAliveTimeout: 5_000,
    connectionsCheckingInterval: 1_000,
  },
  (req, res) => {
    inFlight += 1;
    res.once('close', () => {
      inFlight -= 1;
    });
    handle(req, res).catch((error: unknown) => {
      console.error('Request failed', error);
      if (!res.headersSent) plainError(res, 500, 'Internal Server Error');
      else res.destroy();
    });
  },
);
// Idle sockets (no byte either way for a minute) are closed; live streams send a heartbeat every 15 s.
server.timeout = 60_000;
server.maxHeadersCount = 100;
server.on('clientError', answerClientError);
// CONNECT (a proxy's tunnel) never reaches 'request': with no listener Node closed the connection
// unanswered. RFC 9110's answer to a method a server does not implement, as the other methods get.
server.on('connect', (req: IncomingMessage, socket: Duplex) => {
  const body = JSON.stringify({
    error: { code: 'not_implemented', message: 'CONNECT is not a method this server answers' },
  });
  socket.on('error', () => {});
  socket.end(
    `HTTP/1.1 501 Not Implemented\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
  req.resume();
});

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (shuttingDown) res.setHeader('Connection', 'close');
  const url = requestUrl(req);
  if (!url) {
    plainError(res, 400, 'Bad Request');
    return;
  }
  const nulAt = nulInUrl(url);
  if (nulAt) return refuse(res, url.pathname, 400, 'invalid_parameter', `${nulAt}: must not contain a NUL character`);
  const nonce = newNonce();
  for (const [name, value] of securityHeaders({ pathname: url.pathname, nonce, production })) {
    res.setHeader(name, value);
  }
  if (await serveStaticFile(req, res, 'public')) return;
  // Fetch's Request refuses TRACE (a 500) and Remix routes none of the others (WebDAV's and the
  // like: a 405 "Unexpected Server Error"); RFC 9110 answers an unrecognised method with 501.
  if (!ROUTED_METHODS.has(req.method ?? 'GET')) {
    return refuse(res, url.pathname, 501, 'not_implemented', `${req.method} is not a method this server answers`);
  }
  if (req.method === 'OPTIONS') {
    answerOptions(req, res, url.pathname);
    return;
  }
  // Single fetch's data URL of a route that is no page (an API route, an export, a live stream):
  // Remix read that route's whole body into its own answer (an export held in memory whole, a
  // stream read forever and never released). No page asks for one: the path is read as it is, an
  // id that ends in ".data" (`/api/v1/payment-requests/pr_1.data`; SPEC §2's ids may hold dots),
  // with that dot escaped for Remix; a 404 where no route takes it so.
  const served = url.pathname.endsWith('.data') ? servedRoute(url.pathname) : null;
  if (served && served.path !== url.pathname) {
    if (!takesGet(served.module)) return refuse(res, singleFetchPath(url.pathname)!, 404, 'not_found', 'No such route');
    url.pathname = served.path;
  }

  const isMutation = !['GET', 'HEAD', 'OPTIONS'].includes(req.method ?? 'GET');
  if (isMutation && !isSameOriginPost(req)) {
    return refuse(res, url.pathname, 403, 'bad_origin', 'Cross-site request refused');
  }
  const limit = url.pathname === EVENTS_PATH ? EVENTS_BODY_LIMIT : FORM_BODY_LIMIT;
  if (Number(req.headers['content-length'] ?? 0) > limit) {
    tooLarge(req, res, url.pathname, limit);
    return;
  }

  let overLimit = false;
  const request = toFetchRequest(req, res, {
    url,
    headers: appHeaders(req),
    bodyLimit: limit,
    onLimitExceeded: () => {
      overLimit = true;
    },
  });
  const context: RequestContext = { cspNonce: nonce };
  let response = await handleRemix(request, context);
  if (context.databaseBusy && response.status === 500) response = await databaseBusy(response, url.pathname);
  if (overLimit) {
    await response.body?.cancel();
    tooLarge(req, res, url.pathname, limit);
    return;
  }
  // Answered without reading all of the body (a 401 before an upload, a route that takes none): the
  // rest is read and dropped, else the paused request held the kept-alive connection, and the
  // client's next request on it waited until the connection was cut.
  if (request.body && !req.readableEnded) discardBody(req);
  if (!response.headers.has('Referrer-Policy')) res.setHeader('Referrer-Policy', 'same-origin');
  await sendFetchResponse(res, response, req.method ?? 'GET');
}

/**
 * A request that failed for want of a database connection in time (the PostgreSQL pool's clients all
 * held: db/pg-client.ts POOL_ACQUIRE_TIMEOUT_MS) is a passing overload, not the server's fault: 503
 * with Retry-After instead of Remix's 500. The API's in SPEC §4's error JSON; a page keeps the error
 * page Remix rendered (which loads itself again after a few seconds).
 */
async function databaseBusy(response: Response, pathname: string): Promise<Response> {
  const retry = { 'Retry-After': '5', 'Cache-Control': 'no-store' };
  if (isApiPath(pathname)) {
    await response.body?.cancel();
    const error = { code: 'database_busy', message: 'The database is busy; retry shortly' };
    return Response.json({ error }, { status: 503, headers: retry });
  }
  const headers = new Headers(response.headers);
  for (const [name, value] of Object.entries(retry)) headers.set(name, value);
  return new Response(response.body, { status: 503, statusText: 'Service Unavailable', headers });
}

/**
 * OPTIONS: 204 with `Allow`, the methods the route takes, and no body; no loader runs (Remix ran the
 * route's loader as for a GET, data and all), no database is touched. There is no CORS here: the
 * pages are same-origin, the API is for servers with tokens. A path no route takes: 404.
 */
function answerOptions(req: IncomingMessage, res: ServerResponse, pathname: string): void {
  const allow = allowedMethods(pathname);
  if (allow) {
    res.statusCode = 204;
    res.setHeader('Allow', allow);
    res.end();
  } else {
    refuse(res, singleFetchPath(pathname) ?? pathname, 404, 'not_found', 'No such route');
  }
  if (!req.readableEnded) discardBody(req);
}

/**
 * The methods of the route `pathname` leads to, as Remix matches it: GET and HEAD for a page or a
 * loader, POST for an action, none for a loader or action that only refuses (`refusing`: the 405s
 * of read-only and POST-only routes, /api/'s 404); null when none is left. A page's single-fetch
 * data URL (`/dashboard.data`) takes what its page takes; for a route without a page (but
 * `redirecting`'s) the path is no data URL but an id ending in ".data" (`servedRoute`).
 */
function allowedMethods(pathname: string): string | null {
  const { module } = servedRoute(pathname);
  if (!module) return null;
  const methods = [...(takesGet(module) ? ['GET', 'HEAD'] : []), ...(takes(module.action) ? ['POST'] : [])];
  return methods.length > 0 ? methods.join(', ') : null;
}

type RouteModule = ServerBuild['routes'][string]['module'];

/** The module of the route `pathname` leads to, as Remix matches it. */
function routeModule(pathname: string): RouteModule | undefined {
  const id = matchRoutes(routeTree, pathname)?.at(-1)?.route.id;
  return id ? build.routes[id]?.module : undefined;
}

/**
 * The route `pathname` is served by, and the path Remix is handed for it. A single-fetch data URL of
 * a page (`/dashboard.data`), or of a page-less route that only redirects (`redirecting`), is that
 * page's, as Remix reads it. Any other path ending in ".data" is no data URL but an id ending so
 * (`/api/v1/payment-requests/pr_1.data`): read literally, that dot escaped for Remix (`pr_1%2Edata`).
 */
function servedRoute(pathname: string): { module: RouteModule | undefined; path: string } {
  const dataOf = singleFetchPath(pathname);
  if (dataOf === null) return { module: routeModule(pathname), path: pathname };
  const page = routeModule(dataOf);
  if (hasDataUrl(page)) return { module: page, path: pathname };
  const literal = pathname.replace(/\.data$/, '%2Edata');
  return { module: routeModule(literal), path: literal };
}

/** A loader or action that is not one that only refuses (`refusing`). */
function takes(handler: unknown): boolean {
  return typeof handler === 'function' && !(REFUSES in handler);
}

/** A route that answers a GET: a page, or a loader that takes it. */
function takesGet(module: RouteModule | undefined): boolean {
  return Boolean(module && (module.default || takes(module.loader)));
}

/** A page's route, or one without a page that only redirects (`redirecting`): what single fetch's data URLs are for. */
function hasDataUrl(module: RouteModule | undefined): boolean {
  const redirects = (handler: unknown) => typeof handler === 'function' && REDIRECTS in handler;
  return Boolean(module && (module.default || redirects(module.loader) || redirects(module.action)));
}

/** The page a single-fetch data URL is for, as Remix reads it (`/x.data` is /x's, `/_root.data` is /'s); else null. */
function singleFetchPath(pathname: string): string | null {
  return pathname.endsWith('.data') ? pathname.replace(/\.data$/, '').replace(/^\/_root$/, '/') : null;
}

/** The build's routes as the tree matchRoutes takes (the manifest is flat, each naming its parent). */
function routesUnder(parentId: string | undefined): AgnosticRouteObject[] {
  return Object.values(build.routes)
    .filter((route) => route.parentId === parentId)
    .map((route) =>
      route.index
        ? { id: route.id, index: true, path: route.path, caseSensitive: route.caseSensitive }
        : { id: route.id, path: route.path, caseSensitive: route.caseSensitive, children: routesUnder(route.id) },
    );
}

/** What Node answers a request it could not parse or wait for, by its error's code: status, our code, words. */
const CLIENT_ERRORS: Record<string, [number, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'headers_too_large', 'The request headers are larger than 16 KB'],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, 'body_too_large', 'The chunk extensions are too large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'request_timeout', 'The request did not arrive in time'],
};

/**
 * Node's own answers to a request it could not parse (400), whose headers were too large (431) or
 * that did not arrive in time (408) had no body: the same answers, with SPEC §4's error JSON. As
 * Node's default does: only on a socket still writable with no response of ours begun on it, then
 * the connection is cut.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  const response = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (socket.writable && !response?.headersSent) {
    const [status, code, message] = CLIENT_ERRORS[error.code ?? ''] ?? [400, 'bad_request', 'The request is malformed'];
    const body = JSON.stringify({ error: { code, message } });
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

/** The URL the app sees. Its host is only ever compared with Origin: links use PUBLIC_URL (finding 8). */
function requestUrl(req: IncomingMessage): URL | null {
  const host = req.headers.host ?? 'localhost';
  if (!/^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(host)) return null;
  const forwardedProto = env.TRUSTED_PROXY_HOPS > 0 ? String(req.headers['x-forwarded-proto'] ?? '') : '';
  const protocol = forwardedProto.split(',')[0]?.trim() === 'https' ? 'https' : 'http';
  try {
    return new URL(req.url ?? '/', `${protocol}://${host}`);
  } catch {
    return null;
  }
}

/**
 * The part of a URL holding a NUL character (`%00`): a query parameter's name, or `path`. No route or
 * filter means one, and PostgreSQL's text cannot hold one: a search, an id or an audit filter with it was a 500.
 */
function nulInUrl(url: URL): string | null {
  for (const [key, value] of url.searchParams) {
    if (key.includes('\u0000') || value.includes('\u0000')) return key.replaceAll('\u0000', '\\0');
  }
  return /%00/.test(url.pathname) ? 'path' : null;
}

/**
 * The client's socket address goes to the app in a header only this server sets (a client's own
 * copy is dropped); X-Forwarded-Host only counts behind a trusted proxy.
 */
function appHeaders(req: IncomingMessage): Headers {
  const headers = fetchHeaders(req);
  headers.delete(CLIENT_ADDRESS_HEADER);
  const address = req.socket.remoteAddress;
  if (address) headers.set(CLIENT_ADDRESS_HEADER, address.replace(/^::ffff:/, ''));
  if (env.TRUSTED_PROXY_HOPS === 0) headers.delete('x-forwarded-host');
  return headers;
}

/**
 * Remix refuses a cross-origin form post by throwing (a 500, finding 13); the same rule answered
 * here as a 403: an Origin header, when sent, must name this host (`Origin: null` never does).
 */
function isSameOriginPost(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  const forwardedHost = env.TRUSTED_PROXY_HOPS > 0 ? req.headers['x-forwarded-host'] : undefined;
  const host =
    (typeof forwardedHost === 'string' ? forwardedHost.split(',')[0]?.trim() : undefined) || req.headers.host;
  try {
    return origin !== 'null' && host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}

function isApiPath(pathname: string): boolean {
  return pathname.startsWith('/api/') || pathname.startsWith('/exports/') || pathname === '/healthz';
}

/**
 * SPEC §2 answers a too-large event batch with 400; everything else gets 413. Nothing more of the
 * body is kept: the rest is read and discarded, so a client still sending gets to read the answer
 * (cut off past DISCARD_LIMIT, and by the request timeout).
 */
function tooLarge(req: IncomingMessage, res: ServerResponse, pathname: string, limit: number): void {
  const message = `The body is larger than ${limit >= 1024 * 1024 ? `${limit / 1024 / 1024} MB` : `${limit / 1024} KB`}`;
  refuse(res, pathname, pathname === EVENTS_PATH ? 400 : 413, 'body_too_large', message);
  discardBody(req);
}

/** Reads what is left of a request's body and drops it; past DISCARD_LIMIT the connection is cut. */
function discardBody(req: IncomingMessage): void {
  let discarded = 0;
  req.removeAllListeners('data');
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.byteLength;
    if (discarded > DISCARD_LIMIT) req.socket.destroy();
  });
  req.resume();
}

function refuse(res: ServerResponse, pathname: string, status: number, code: string, message: string): void {
  if (!isApiPath(pathname)) {
    plainError(res, status, message);
    return;
  }
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify({ error: { code, message } }));
}

function plainError(res: ServerResponse, status: number, message: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.end(message);
}

/**
 * SIGTERM: stop taking connections, end live streams and background work, let in-flight requests
 * finish (at most SHUTDOWN_GRACE_MS), then close the database and exit: all within 10 s.
 */
async function shutDown(signal: string): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  console.log(`${signal}: finishing ${inFlight} request(s), then exiting`);
  const deadline = Date.now() + SHUTDOWN_GRACE_MS;
  server.close();
  server.closeIdleConnections();
  await Promise.race([entry.stopBackgroundWork?.(), sleep(SHUTDOWN_GRACE_MS / 2)]);
  while (inFlight > 0 && Date.now() < deadline) {
    server.closeIdleConnections();
    await sleep(50);
  }
  const clean = inFlight === 0;
  server.closeAllConnections();
  entry.closeDatabase?.();
  if (!clean) console.error(`Cut off ${inFlight} request(s) still running after ${SHUTDOWN_GRACE_MS} ms`);
  process.exit(clean ? 0 : 1);
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

process.once('SIGTERM', () => void shutDown('SIGTERM'));
process.once('SIGINT', () => void shutDown('SIGINT'));

try {
  await entry.assertMigrated?.();
} catch (error) {
  console.error(`Paylink Desk did not start: ${error instanceof Error ? error.message : String(error)}`);
  entry.closeDatabase?.();
  process.exit(1);
}
entry.startBackgroundWork?.();

server.listen(env.PORT, () => {
  console.log(`Paylink Desk listening on http://localhost:${env.PORT} (${env.NODE_ENV})`);
  if (env.NODE_ENV === 'development') void broadcastDevReady(build);
});
