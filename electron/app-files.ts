/**
 * Maps `app://patchgd/<path>` requests onto the renderer's built files. Pure: decides which file (if any) a
 * URL may read, so no path from a URL can reach outside the renderer folder.
 */
import path from 'node:path';
import { CONTENT_TYPES } from '../core/app/server/static.ts';
import { APP_ENTRY_URL, isAppUrl } from './security.ts';

export interface AppFile {
  /** Absolute path inside the renderer folder. */
  file: string;
  contentType: string;
  /** HTML gets the CSP meta tag added before it is served. */
  isHtml: boolean;
}

/**
 * The file an app URL names, or null for anything else: another origin, an encoded separator or NUL, a path
 * that leaves `rootDir` after normalisation, or a file type the renderer does not ship.
 */
export function resolveAppFile(rootDir: string, url: string): AppFile | null {
  if (!isAppUrl(url)) return null;
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(url).pathname);
  } catch {
    return null;
  }
  if (pathname.includes('\0') || pathname.includes('\\')) return null;
  if (pathname === '/' || pathname === '') pathname = new URL(APP_ENTRY_URL).pathname;
  const root = path.resolve(rootDir);
  const file = path.resolve(root, `.${path.posix.normalize(pathname)}`);
  if (!file.startsWith(root + path.sep)) return null;
  const ext = path.extname(file).toLowerCase();
  const contentType = CONTENT_TYPES[ext];
  if (!contentType) return null;
  return { file, contentType, isHtml: ext === '.html' };
}
