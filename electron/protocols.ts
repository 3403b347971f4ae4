/**
 * The two custom protocols: `app://patchgd/…` serves the renderer's built files (so the page has an origin of
 * its own instead of file://), `slide://<id>/…` serves tiles and thumbnails through core/app/tiles.ts.
 */
import { protocol } from 'electron';
import type { AppContext } from '../core/app/context.ts';
import type { SlideResponse } from '../core/app/tiles.ts';
import { SLIDE_PROTOCOL } from '../core/shared/api.ts';
import { appFileResponse, slideUrlResponse } from './responses.ts';
import { APP_SCHEME } from './security.ts';

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

function toResponse({ status, headers, body }: SlideResponse): Response {
  // 304 and other null-body statuses must not carry a body.
  return new Response(status === 304 || status === 204 ? null : body, { status, headers });
}

const methodNotAllowed = () => new Response('method not allowed', { status: 405 });

export function handleProtocols(ctx: AppContext, rendererDir: string): void {
  protocol.handle(APP_SCHEME, async (request) =>
    request.method === 'GET'
      ? toResponse(await appFileResponse(rendererDir, request.url))
      : methodNotAllowed(),
  );
  protocol.handle(SLIDE_PROTOCOL, async (request) =>
    request.method === 'GET'
      ? toResponse(await slideUrlResponse(ctx, request.url, request.headers.get('if-none-match')))
      : methodNotAllowed(),
  );
}
