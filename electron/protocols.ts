/**
 * The two custom protocols: `app://patchgd/…` serves the renderer's built files (so the page has an origin of
 * its own instead of file://), `slide://<id>/…` serves tiles and thumbnails through core/app/tiles.ts.
 */
import { readFile } from 'node:fs/promises';
import { protocol } from 'electron';
import type { AppContext } from '../core/app/context.ts';
import { slideRoute } from '../core/app/tiles.ts';
import { SLIDE_PROTOCOL } from '../core/ipc/api.ts';
import { resolveAppFile } from './app-files.ts';
import { APP_ORIGIN, APP_SCHEME, CONTENT_SECURITY_POLICY, withCspMeta } from './security.ts';
import { slideSegments } from './slide-url.ts';

/** Must run before `app.ready`: privileges cannot be granted later. */
export function registerSchemes(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
    {
      scheme: SLIDE_PROTOCOL,
      privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true },
    },
  ]);
}

const plain = (status: number, message: string): Response =>
  new Response(message, { status, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });

async function appResponse(rendererDir: string, request: Request): Promise<Response> {
  if (request.method !== 'GET') return plain(405, 'method not allowed');
  const target = resolveAppFile(rendererDir, request.url);
  if (!target) return plain(404, 'not found');
  let body: Buffer;
  try {
    body = await readFile(target.file);
  } catch {
    return plain(404, 'not found');
  }
  return new Response(target.isHtml ? withCspMeta(body.toString('utf8')) : new Uint8Array(body), {
    status: 200,
    headers: {
      'Content-Type': target.contentType,
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-cache',
    },
  });
}

async function slideResponse(ctx: AppContext, request: Request): Promise<Response> {
  if (request.method !== 'GET') return plain(405, 'method not allowed');
  const segments = slideSegments(request.url);
  if (!segments) return plain(400, 'not a slide URL');
  const answer = await slideRoute(ctx, segments, request.headers.get('if-none-match'));
  const headers = { ...answer.headers, 'Access-Control-Allow-Origin': APP_ORIGIN };
  // A 304 carries no body.
  const body = answer.status === 304 ? null : answer.body;
  return new Response(body, { status: answer.status, headers });
}

export function handleProtocols(ctx: AppContext, rendererDir: string): void {
  protocol.handle(APP_SCHEME, (request) => appResponse(rendererDir, request));
  protocol.handle(SLIDE_PROTOCOL, (request) => slideResponse(ctx, request));
}
