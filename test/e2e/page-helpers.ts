/** What the end-to-end tests share: contract calls straight to the server, and waiting for the viewer to settle. */
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import type { RunningServer } from '../../core/app/server/server.ts';
import type { ViewState } from '../../renderer/src/lib/viewport.ts';

/** A request to the browser-mode server with its launch token; the error's message when it fails. */
export async function serverApi<T>(server: RunningServer, channel: string, params: object): Promise<T> {
  const response = await fetch(new URL(`/api/${channel}`, server.url), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-PatchGD-Token': server.token },
    body: JSON.stringify(params),
  });
  const outcome = (await response.json()) as { ok: boolean; value?: T; error?: { message: string } };
  if (!outcome.ok) throw new Error(outcome.error!.message);
  return outcome.value!;
}

/** Waits for the viewer to settle after a zoom or pan (its animation is 0.3 s) and returns its view. */
export async function settledView(page: Page): Promise<ViewState> {
  let last = '';
  for (let i = 0; i < 50; i++) {
    await page.waitForTimeout(150);
    const now = (await page.getByTestId('osd').getAttribute('data-view')) ?? '';
    if (now && now === last) return JSON.parse(now) as ViewState;
    last = now;
  }
  throw new Error(`the viewer did not settle: ${last}`);
}

const ROOT = resolve(import.meta.dirname, '../..');

/** Builds the renderer with Vite into `outDir` (a temp folder: the tests never touch renderer/dist). */
export async function buildRenderer(outDir: string): Promise<void> {
  await promisify(execFile)(
    join(ROOT, 'node_modules/.bin/vite'),
    ['build', '-c', 'renderer/vite.config.ts', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'],
    { cwd: ROOT },
  );
}
