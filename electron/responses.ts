/**
 * What the two custom protocols answer, as plain status/headers/body values so they can be tested without
 * Electron; protocols.ts only wraps them into `Response`s.
 */
import type { AppContext } from '../core/app/context.ts';
import { slideRoute, type SlideResponse } from '../core/app/tiles.ts';
import { resolveAppFile } from './app-files.ts';
import { readFileInside } from '../core/app/server/static.ts';
import { APP_ORIGIN, CONTENT_SECURITY_POLICY, withCspMeta } from './security.ts';
import { slideSegments } from './slide-url.ts';

const plain = (status: number, message: string): SlideResponse => ({
  status,
  headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' },
  body: new TextEncoder().encode(message),
});

/** `app://patchgd/<path>`: a renderer file (HTML with the CSP meta tag added), or 404. */
export async function appFileResponse(rendererDir: string, url: string): Promise<SlideResponse> {
  const target = resolveAppFile(rendererDir, url);
  if (!target) return plain(404, 'not found');
  const bytes = await readFileInside(rendererDir, target.file);
  if (!bytes) return plain(404, 'not found');
  return {
    status: 200,
    headers: {
      'Content-Type': target.contentType,
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-cache',
    },
    body: target.isHtml
      ? new TextEncoder().encode(withCspMeta(bytes.toString('utf8')))
      : new Uint8Array(bytes),
  };
}

/** `slide://<id>/…`: a tile or thumbnail through core/app/tiles.ts, readable by the app's page only. */
export async function slideUrlResponse(
  ctx: AppContext,
  url: string,
  ifNoneMatch: string | null,
): Promise<SlideResponse> {
  const segments = slideSegments(url);
  const answer = segments ? await slideRoute(ctx, segments, ifNoneMatch) : plain(400, 'not a slide URL');
  return { ...answer, headers: { ...answer.headers, 'Access-Control-Allow-Origin': APP_ORIGIN } };
}
