/**
 * Turns a `slide://<id>/…` URL (see `electronSlideUrls` in core/shared/api.ts) into the path segments that
 * `slideRoute` (core/app/tiles.ts) routes: `[<id>, 'tiles', level, x, y]` or `[<id>, 'thumb']`. Pure.
 */
import { SLIDE_PROTOCOL } from '../core/shared/api.ts';

/**
 * The slide id as written in the URL. Chromium canonicalises the host of a standard scheme like an http host,
 * so `slide://3/…` reaches the handler as `slide://0.0.0.3/…`; that spelling is turned back into `3`.
 */
function hostToId(host: string): string | null {
  const dotted = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!dotted) return /^\d+$/.test(host) ? host : null;
  const bytes = dotted.slice(1).map(Number);
  if (bytes.some((b) => b > 255)) return null;
  return String(bytes.reduce((acc, b) => acc * 256 + b, 0));
}

/** The route segments of a slide URL, or null when it is not one (another scheme, a query, credentials). */
export function slideSegments(url: string): string[] | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== `${SLIDE_PROTOCOL}:` || parsed.search !== '' || parsed.username !== '') return null;
  const id = hostToId(parsed.hostname);
  if (id === null) return null;
  return [id, ...parsed.pathname.split('/').slice(1)];
}
