/** The renderer's built files (`vite build` output), served read-only from one folder. */
import { readFile, realpath, stat } from 'node:fs/promises';
import { extname, isAbsolute, relative, resolve } from 'node:path';

/** Content types of the files a renderer build holds (Electron's `app://` protocol uses them too). */
export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
};

/**
 * The file a URL path names inside `root`, or null: a path that does not decode, holds a NUL, or resolves
 * outside `root` (`..`, encoded or not) names nothing.
 */
export function staticPath(root: string, pathname: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const file = resolve(root, `.${decoded === '/' ? '/index.html' : decoded}`);
  return inside(resolve(root), file) ? file : null;
}

export interface StaticFile {
  body: Buffer;
  type: string;
}

function inside(root: string, file: string): boolean {
  const rel = relative(root, file);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/**
 * The bytes of `file` if it is a regular file inside `root` once every symbolic link is resolved, else null: a
 * link in the renderer folder (a stray build link, a planted one) must not serve what lies outside it. Browser
 * mode and Electron's `app://` both read through this.
 */
export async function readFileInside(root: string, file: string): Promise<Buffer | null> {
  try {
    const real = await realpath(file);
    if (!inside(await realpath(root), real) || !(await stat(real)).isFile()) return null;
    return await readFile(real);
  } catch {
    return null;
  }
}

export async function readStatic(root: string, pathname: string): Promise<StaticFile | null> {
  const file = staticPath(root, pathname);
  const body = file ? await readFileInside(root, file) : null;
  return body && file ? { body, type: CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' } : null;
}
