/**
 * Browser mode: the app's back end over HTTP and a WebSocket on 127.0.0.1, for running the UI in a browser
 * (development, or machines without Electron). `POST /api/<channel>` answers IpcOutcome JSON, `/tiles/…` and
 * `/thumbs/…` serve slide images, `/events` streams events, everything else is the built renderer.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { createAppContext, type AppContext } from '../context.ts';
import type { SpawnEngine } from '../engine-host.ts';
import { forkEngine } from '../engine-node.ts';
import { handleRequest } from '../handlers.ts';
import { slideRoute, type SlideResponse } from '../tiles.ts';
import { httpSlideUrls } from '../../shared/api.ts';
import { authorize, authStatus, newToken, tokenCookie, TOKEN_QUERY } from './auth.ts';
import { readStatic } from './static.ts';

export interface ServerOptions {
  /** Only loopback makes sense: the server holds patient data. */
  host?: '127.0.0.1';
  /** 0 picks a free port. */
  port?: number;
  userDataDir: string;
  /** The renderer's `vite build` output. */
  rendererDir: string;
  /** Default: fork `core/app/engine-process.ts` with tsx. */
  spawnEngine?: SpawnEngine;
}

export interface RunningServer {
  /** The page to open, with the token. */
  url: string;
  token: string;
  port: number;
  context: AppContext;
  close(): Promise<void>;
}

/** API request bodies are small JSON params; anything bigger is refused before it is buffered. */
const MAX_BODY_BYTES = 1 << 20;
/** A client this far behind on events gets no more until it catches up (progress is resent anyway). */
const MAX_WS_BUFFER = 8 << 20;

const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  // URLs carry the token: never send them to anyone else.
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

function send(
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: Uint8Array | string,
) {
  res.writeHead(status, { ...SECURITY_HEADERS, ...headers });
  res.end(body);
}

function sendText(res: ServerResponse, status: number, message: string): void {
  send(res, status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' }, message);
}

function sendSlide(res: ServerResponse, response: SlideResponse): void {
  send(res, response.status, response.headers, response.body);
}

async function readBody(req: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function contentSecurityPolicy(port: number): string {
  return [
    "default-src 'self'",
    "img-src 'self' data: blob:",
    // OpenSeadragon and Svelte transitions set inline styles.
    "style-src 'self' 'unsafe-inline'",
    `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}`,
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const token = newToken();
  const context = createAppContext({
    userDataDir: options.userDataDir,
    spawnEngine: options.spawnEngine ?? forkEngine(),
    urls: httpSlideUrls(token),
  });
  let port = 0;

  async function api(req: IncomingMessage, res: ServerResponse, channel: string): Promise<void> {
    if (req.method !== 'POST') return sendText(res, 405, 'use POST');
    // A JSON content type cannot be sent cross-site without a preflight, which this server never allows.
    if (!(req.headers['content-type'] ?? '').startsWith('application/json'))
      return sendText(res, 415, 'the body must be application/json');
    const body = await readBody(req);
    if (body === null) return sendText(res, 413, 'request body too large');
    let params: unknown;
    try {
      params = body.trim() === '' ? {} : JSON.parse(body);
    } catch {
      return sendText(res, 400, 'the body is not valid JSON');
    }
    const outcome = await handleRequest(context, channel, params);
    send(
      res,
      200,
      { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' },
      JSON.stringify(outcome),
    );
  }

  async function page(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'use GET');
    const file = await readStatic(options.rendererDir, url.pathname);
    if (!file && url.pathname === '/')
      return sendText(
        res,
        404,
        `the renderer is not built: no index.html in ${options.rendererDir} (run vite build)`,
      );
    if (!file) return sendText(res, 404, 'not found');
    const headers: Record<string, string> = { 'Content-Type': file.type, 'Cache-Control': 'no-cache' };
    if (file.type.startsWith('text/html')) {
      headers['Content-Security-Policy'] = contentSecurityPolicy(port);
      if (url.searchParams.has(TOKEN_QUERY)) headers['Set-Cookie'] = tokenCookie(token, port);
    }
    send(res, 200, headers, file.body);
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const auth = authorize(req.headers, url, token, port);
    if (auth !== 'ok') return sendText(res, authStatus(auth), `forbidden: ${auth}`);
    // Segments of the raw path: an encoded `..` or `/` stays a literal that fails the id checks.
    const segments = (req.url ?? '/').split('?')[0]!.split('/').slice(1);
    const [first, ...rest] = segments;
    const inm = req.headers['if-none-match'] ?? null;
    if (first === 'api' && rest.length === 1) return api(req, res, rest[0]!);
    if ((first === 'tiles' || first === 'thumbs') && req.method !== 'GET' && req.method !== 'HEAD')
      return sendText(res, 405, 'use GET');
    if (first === 'tiles' && rest.length === 4)
      return sendSlide(res, await slideRoute(context, [rest[0]!, 'tiles', ...rest.slice(1)], inm));
    if (first === 'thumbs' && rest.length === 1)
      return sendSlide(res, await slideRoute(context, [rest[0]!, 'thumb'], inm));
    if (first === 'api' || first === 'tiles' || first === 'thumbs') return sendText(res, 404, 'not found');
    return page(req, res, url);
  }

  const server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      console.error(`browser-mode server: ${(err as Error).stack ?? String(err)}`);
      if (!res.headersSent) sendText(res, 500, 'internal error');
      else res.destroy();
    });
  });

  const sockets = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  sockets.on('error', (err) => console.error(`browser-mode server: WebSocket: ${err.message}`));
  const clients = new Set<WebSocket>();
  server.on('upgrade', (req, socket, head) => {
    // Node hands the upgraded socket over without its error listener: a reset here must not reach the process.
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const auth = authorize(req.headers, url, token, port);
    if (url.pathname !== '/events' || auth !== 'ok') {
      const status = url.pathname !== '/events' ? 404 : authStatus(auth as Exclude<typeof auth, 'ok'>);
      socket.end(
        `HTTP/1.1 ${status} ${status === 404 ? 'Not Found' : 'Forbidden'}\r\nConnection: close\r\n\r\n`,
      );
      return;
    }
    sockets.handleUpgrade(req, socket, head, (ws) => {
      clients.add(ws);
      ws.on('close', () => clients.delete(ws));
      // A malformed frame (bad opcode, RSV bit, unmasked, oversized, invalid UTF-8 or close code) is an 'error'
      // on that socket alone: ws has already failed the connection with the right close code.
      ws.on('error', () => ws.terminate());
      // The event stream is one-way; the socket is not a second request channel.
      ws.on('message', () => ws.close(1003, 'events only'));
    });
  });
  const unsubscribe = context.subscribe((event) => {
    const frame = JSON.stringify(event);
    for (const ws of clients)
      if (ws.readyState === ws.OPEN && ws.bufferedAmount < MAX_WS_BUFFER) ws.send(frame);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Once listening, an error (e.g. out of file descriptors on accept) is reported, never thrown at the process.
  server.on('error', (err) => console.error(`browser-mode server: ${err.message}`));
  port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | null = null;
  return {
    url: `http://127.0.0.1:${port}/?${TOKEN_QUERY}=${token}`,
    token,
    port,
    context,
    close() {
      closing ??= (async () => {
        unsubscribe();
        for (const ws of clients) ws.terminate();
        sockets.close();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await context.close();
      })();
      return closing;
    },
  };
}
