/**
 * Who may talk to the browser-mode server: only a page of this launch. Every request must carry the random
 * per-launch token (header, `token` query for URLs an <img> or OpenSeadragon loads, or the cookie set when the
 * page was loaded with the token), and name this server in its Host header, so a page of another site that
 * resolves its own name to 127.0.0.1 (DNS rebinding) is refused even if it learnt the token.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export const TOKEN_HEADER = 'x-patchgd-token';
/** Cookies do not tell ports apart: each launch's cookie is named after its port, so two never clash. */
export const tokenCookieName = (port: number) => `patchgd_token_${port}`;
export const TOKEN_QUERY = 'token';

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The Host values a request to this server may carry. */
export function allowedHosts(port: number): Set<string> {
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
}

/** The origins a WebSocket or fetch from our own page has. */
export function allowedOrigins(port: number): Set<string> {
  return new Set([...allowedHosts(port)].map((host) => `http://${host}`));
}

function cookie(headers: IncomingHttpHeaders, name: string): string | null {
  for (const part of (headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return null;
}

/** Constant-time comparison, so the token cannot be guessed byte by byte from response times. */
function sameToken(given: string, token: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

export type AuthResult = 'ok' | 'missing-token' | 'wrong-token' | 'wrong-host' | 'wrong-origin';

/** Checks Host, Origin (when the browser sends one) and the token from header, query or cookie. */
export function authorize(headers: IncomingHttpHeaders, url: URL, token: string, port: number): AuthResult {
  if (!headers.host || !allowedHosts(port).has(headers.host.toLowerCase())) return 'wrong-host';
  if (headers.origin !== undefined && !allowedOrigins(port).has(headers.origin.toLowerCase()))
    return 'wrong-origin';
  const header = headers[TOKEN_HEADER];
  const candidates = [
    typeof header === 'string' ? header : null,
    url.searchParams.get(TOKEN_QUERY),
    cookie(headers, tokenCookieName(port)),
  ].filter((t): t is string => t !== null && t !== '');
  if (candidates.length === 0) return 'missing-token';
  return candidates.some((t) => sameToken(t, token)) ? 'ok' : 'wrong-token';
}

/** 401 when no token came, 403 when it was wrong or the request is not for this server. */
export function authStatus(result: Exclude<AuthResult, 'ok'>): number {
  return result === 'missing-token' ? 401 : 403;
}

/** Set on the page load that carried the token: later requests of the page (scripts, tiles) carry it. */
export function tokenCookie(token: string, port: number): string {
  return `${tokenCookieName(port)}=${token}; HttpOnly; SameSite=Strict; Path=/`;
}
