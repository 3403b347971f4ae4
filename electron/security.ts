/**
 * The security policy of the Electron shell as pure values and predicates, so the rules can be tested without
 * launching Electron: the app's own origin, the Content-Security-Policy, and who may talk to the main process.
 */

/** The privileged scheme the renderer is served from (never file://, so no other local file shares its origin). */
export const APP_SCHEME = 'app';
export const APP_HOST = 'patchgd';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/**
 * Only the app's own bundled files run script; slide images come from the `slide:` protocol; nothing remote is
 * ever loaded. Inline styles stay allowed because Svelte transitions insert <style> elements; inline script
 * does not.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' slide: data: blob:",
  "connect-src 'self' slide:",
  "font-src 'self'",
  "worker-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-src 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Parses a URL, or null when it is not one. */
function parseUrl(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/**
 * Whether `url` belongs to the app's own origin. Compares scheme and host exactly (not a prefix), so
 * `app://patchgd.evil` or `app://patchgd@evil` do not pass.
 */
export function isAppUrl(url: string): boolean {
  const parsed = parseUrl(url);
  return (
    parsed !== null &&
    parsed.protocol === `${APP_SCHEME}:` &&
    parsed.hostname === APP_HOST &&
    parsed.port === '' &&
    parsed.username === '' &&
    parsed.password === ''
  );
}

/**
 * The IPC sender check: a request is served only when it comes from a frame showing the app's own page. A
 * missing frame (destroyed, or navigated away while the message was in flight) is refused too.
 */
export function isTrustedSender(frameUrl: string | null | undefined): boolean {
  return typeof frameUrl === 'string' && isAppUrl(frameUrl);
}

/** Adds the CSP as a meta tag right after <head>, so the policy holds even where no header can be set. */
export function withCspMeta(html: string, csp: string = CONTENT_SECURITY_POLICY): string {
  const meta = `<meta http-equiv="Content-Security-Policy" content="${csp.replaceAll('"', '&quot;')}">`;
  const head = /<head(\s[^>]*)?>/i.exec(html);
  if (!head) return `${meta}\n${html}`;
  const at = head.index + head[0].length;
  return `${html.slice(0, at)}\n    ${meta}${html.slice(at)}`;
}

/** Response headers with our CSP set, replacing any CSP the response carried (header names are case-blind). */
export function withCspHeader(
  headers: Record<string, string[]> | undefined,
  csp: string = CONTENT_SECURITY_POLICY,
): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (name.toLowerCase() !== 'content-security-policy') out[name] = value;
  }
  out['Content-Security-Policy'] = [csp];
  return out;
}
