import type { IncomingMessage, ServerResponse } from 'node:http';

/** Why a request body was cut off before the app could read all of it. */
export class BodyLimitExceeded extends Error {
  constructor(readonly limit: number) {
    super(`The body is larger than ${limit} bytes`);
  }
}

export interface RequestOptions {
  url: URL;
  headers: Headers;
  bodyLimit: number;
  /** Set when the body went past its limit, so the server answers for it (not the app). */
  onLimitExceeded: () => void;
}

/**
 * The request as a Fetch Request. The body is pulled from the socket only as the app reads it,
 * counted as it comes, and cut off past `bodyLimit` (finding 7: a 100 MB form post used to be read
 * whole); `signal` aborts when the client goes away before the response was sent.
 */
export function toFetchRequest(req: IncomingMessage, res: ServerResponse, options: RequestOptions): Request {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  const init: RequestInit & { duplex?: 'half' } = {
    method: req.method,
    headers: options.headers,
    signal: controller.signal,
  };
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    init.body = limitedBody(req, options);
    init.duplex = 'half';
  }
  return new Request(options.url, init);
}

function limitedBody(req: IncomingMessage, options: RequestOptions): ReadableStream<Uint8Array> {
  let received = 0;
  let done = false;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        req.pause();
        req.on('data', (chunk: Buffer) => {
          if (done) return;
          received += chunk.byteLength;
          if (received > options.bodyLimit) {
            done = true;
            options.onLimitExceeded();
            controller.error(new BodyLimitExceeded(options.bodyLimit));
            req.pause();
            return;
          }
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          if ((controller.desiredSize ?? 0) <= 0) req.pause();
        });
        req.once('end', () => {
          if (done) return;
          done = true;
          controller.close();
        });
        req.once('error', (error) => {
          if (done) return;
          done = true;
          controller.error(error);
        });
        req.once('close', () => {
          if (done) return;
          done = true;
          controller.error(new Error('The client went away before its body arrived'));
        });
      },
      pull() {
        if (!done) req.resume();
      },
      cancel() {
        done = true;
        req.pause();
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: 64 * 1024 }),
  );
}

/** Headers for the app: a Fetch Headers copy, repeated ones joined as HTTP allows. */
export function fetchHeaders(req: IncomingMessage): Headers {
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    const value = req.rawHeaders[i + 1]!;
    try {
      headers.append(name, value);
    } catch {
      // a header Fetch refuses (invalid characters) is not one the app could use
    }
  }
  return headers;
}

/**
 * Writes a Fetch Response to the socket, taking each chunk from the body only once the socket has
 * drained the last (finding 6: Remix's node adapter reads as fast as it can, so a slow reader made
 * the server buffer the whole export). When the client goes away the body is cancelled, which ends
 * its producer (an export's query, a live stream's subscription).
 */
export async function sendFetchResponse(res: ServerResponse, response: Response, method: string): Promise<void> {
  res.statusCode = response.status;
  if (response.statusText) res.statusMessage = response.statusText;
  for (const [name, value] of response.headers) {
    if (name === 'set-cookie') continue;
    // A route's own CSP is sent beside the server's (browsers enforce both); any other header
    // the app sets replaces the server's default.
    if (name === 'content-security-policy') res.appendHeader(name, value);
    else res.setHeader(name, value);
  }
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader('set-cookie', cookies);

  if (!response.body || method === 'HEAD') {
    await response.body?.cancel();
    res.end();
    return;
  }
  if (/text\/event-stream/i.test(response.headers.get('content-type') ?? '')) res.flushHeaders();

  const reader = response.body.getReader();
  const stop = () => {
    reader.cancel().catch(() => {});
  };
  res.once('close', stop);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || res.destroyed) break;
      if (!res.write(value)) await drained(res);
    }
    if (!res.destroyed) res.end();
  } catch (error) {
    // The producer failed (or dropped a client that does not read): end the connection, not the server.
    if (!isClientGone(error)) console.error('Response body failed', error);
    res.destroy();
  } finally {
    res.off('close', stop);
  }
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
  });
}

function isClientGone(error: unknown): boolean {
  return error instanceof Error && /not reading|aborted|closed/i.test(error.message);
}
