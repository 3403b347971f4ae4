/**
 * The Electron shell's glue over the real app layer (store, handlers, tiles) on generated slides: the IPC
 * bridge with its sender check, event forwarding, and the two protocols' answers. Electron's own ipcMain and
 * WebContents cannot run here; small stand-ins record what the shell registers and sends.
 */
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { IpcMain, WebContents } from 'electron';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../core/app/context.ts';
import { createAppHandlers } from '../../core/app/handlers.ts';
import { fillTileUrl } from '../../core/shared/api.ts';
import type { IpcOutcome } from '../../core/shared/contract.ts';
import { openSlide } from '../../core/io/slide/index.ts';
import { eventChannel, REQUEST_NAMES, requestChannel } from '../../electron/channels.ts';
import { forwardEvents, registerIpc } from '../../electron/ipc.ts';
import { appFileResponse, slideUrlResponse } from '../../electron/responses.ts';
import { APP_ENTRY_URL, APP_ORIGIN, CONTENT_SECURITY_POLICY } from '../../electron/security.ts';
import { makeTempDir, removeDir, testContext, writePandaFolder } from '../app/helpers.ts';

type Handle = (
  event: { senderFrame: { url: string } | null },
  payload: unknown,
) => Promise<IpcOutcome<unknown>>;

/** Records `ipcMain.handle` registrations so requests can be sent as a given frame. */
function ipcStandIn() {
  const handlers = new Map<string, Handle>();
  const ipcMain = {
    handle: (channel: string, handler: Handle) => {
      if (handlers.has(channel)) throw new Error(`second handler for ${channel}`);
      handlers.set(channel, handler);
    },
    removeHandler: (channel: string) => handlers.delete(channel),
  } as unknown as IpcMain;
  const send = (frameUrl: string | null, name: (typeof REQUEST_NAMES)[number], payload: unknown) =>
    handlers.get(requestChannel(name))!(
      { senderFrame: frameUrl === null ? null : { url: frameUrl } },
      payload,
    );
  return { ipcMain, handlers, send };
}

let dir: string;
let ctx: AppContext;
let slideFolder: string;

beforeAll(async () => {
  dir = await makeTempDir('patchgd-electron-');
  slideFolder = join(dir, 'panda');
  await writePandaFolder(slideFolder, [{ id: 'a1', grade: 1, width: 600, height: 400 }]);
  ctx = testContext(join(dir, 'user'));
});

afterAll(async () => {
  await ctx.close();
  await removeDir(dir);
});

describe('IPC bridge', () => {
  it('registers one handler per contract request and removes them again', () => {
    const { ipcMain, handlers } = ipcStandIn();
    const unregister = registerIpc(ipcMain, createAppHandlers(), ctx);
    expect([...handlers.keys()].sort()).toEqual(REQUEST_NAMES.map(requestChannel).sort());
    unregister();
    expect(handlers.size).toBe(0);
  });

  it('refuses requests from frames that are not the app page, before any handler runs', async () => {
    const { ipcMain, send } = ipcStandIn();
    const unregister = registerIpc(ipcMain, createAppHandlers(), ctx);
    try {
      for (const frame of ['https://evil.example/', 'file:///tmp/x.html', 'app://patchgd.evil/', null]) {
        const outcome = await send(frame, 'folders.open', { path: slideFolder });
        expect(outcome.ok, String(frame)).toBe(false);
        if (!outcome.ok) expect(outcome.error.problem).toMatch(/did not come from the app's own page/);
      }
      const recent = await send(APP_ENTRY_URL, 'folders.recent', {});
      expect(recent).toEqual({ ok: true, value: [] });
    } finally {
      unregister();
    }
  });

  it('serves the app page through the real handlers, with contract validation', async () => {
    const { ipcMain, send } = ipcStandIn();
    const succeeded: string[] = [];
    const unregister = registerIpc(ipcMain, createAppHandlers(), ctx, (name) => succeeded.push(name));
    try {
      const opened = await send(APP_ENTRY_URL, 'folders.open', { path: slideFolder });
      expect(opened.ok).toBe(true);
      const recent = await send(`${APP_ORIGIN}/index.html#/library`, 'folders.recent', { limit: 5 });
      expect(recent.ok && (recent.value as { path: string }[]).map((f) => f.path)).toEqual([slideFolder]);
      const invalid = await send(APP_ENTRY_URL, 'slides.list', { folderId: 'one' });
      expect(!invalid.ok && invalid.error.code).toBe('invalid-request');
      expect(succeeded).toEqual(['folders.open', 'folders.recent']);
    } finally {
      unregister();
    }
  });
});

describe('event forwarding', () => {
  function contentsStandIn(url: string) {
    const sent: [string, unknown][] = [];
    let onDestroyed: (() => void) | null = null;
    const contents = {
      isDestroyed: () => false,
      getURL: () => url,
      send: (channel: string, payload: unknown) => sent.push([channel, payload]),
      once: (event: string, listener: () => void) => {
        if (event === 'destroyed') onDestroyed = listener;
      },
    } as unknown as WebContents;
    return { contents, sent, destroy: () => onDestroyed?.() };
  }
  const job = {
    jobId: 'j1',
    kind: 'training',
    runId: 1,
    state: 'running',
    error: null,
    at: '2026-01-01T00:00:00Z',
  } as const;

  it('sends contract events to the app page until it is destroyed', () => {
    const { contents, sent, destroy } = contentsStandIn(APP_ENTRY_URL);
    forwardEvents(ctx, contents);
    ctx.emit('job.state', job);
    expect(sent).toHaveLength(1);
    expect(sent[0]![0]).toBe(eventChannel('job.state'));
    expect(sent[0]![1]).toMatchObject(job);
    destroy();
    ctx.emit('job.state', job);
    expect(sent).toHaveLength(1);
  });

  it('sends nothing to contents showing another page', () => {
    const { contents, sent, destroy } = contentsStandIn('https://evil.example/');
    forwardEvents(ctx, contents);
    ctx.emit('job.state', job);
    expect(sent).toEqual([]);
    destroy();
  });
});

describe('slide protocol', () => {
  async function firstSlide() {
    const handlers = createAppHandlers();
    const opened = await handlers['folders.open']({ path: slideFolder }, ctx);
    const list = await handlers['slides.list'](
      {
        folderId: opened.folder.id,
        sort: 'imageId',
        direction: 'asc',
        filter: {},
        offset: 0,
        limit: 10,
      },
      ctx,
    );
    const row = list.rows[0]!;
    const info = await handlers['slides.info']({ slideId: row.id }, ctx);
    return { row, info };
  }

  it('serves the stored JPEG tile for the URL the slide info names, in either host spelling', async () => {
    const { row, info } = await firstSlide();
    const url = fillTileUrl(info.tileUrlTemplate, 1, 0, 0);
    const chromiumUrl = url.replace(`slide://${row.id}/`, `slide://0.0.0.${row.id}/`);
    const slide = await openSlide(row.path);
    try {
      const expected = await slide.readTile(1, 0, 0);
      for (const u of [url, chromiumUrl]) {
        const answer = await slideUrlResponse(ctx, u, null);
        expect(answer.status, u).toBe(200);
        expect(answer.headers['Content-Type']).toBe('image/jpeg');
        expect(answer.headers['Access-Control-Allow-Origin']).toBe(APP_ORIGIN);
        expect(Buffer.from(answer.body).equals(Buffer.from(expected.bytes))).toBe(true);
      }
    } finally {
      await slide.close();
    }
  });

  it('serves the thumbnail the slide list names, and 304 on a matching ETag', async () => {
    const { row } = await firstSlide();
    const answer = await slideUrlResponse(ctx, row.thumbnailUrl, null);
    expect(answer.status).toBe(200);
    const meta = await sharp(answer.body).metadata();
    expect(meta.format).toBe('jpeg');
    const again = await slideUrlResponse(ctx, row.thumbnailUrl, answer.headers['ETag'] ?? null);
    expect(again.status).toBe(304);
  });

  it('answers 400 to malformed URLs and 404 to slides not in the store', async () => {
    expect((await slideUrlResponse(ctx, 'slide://1/tiles/0/0/0?file=/etc/passwd', null)).status).toBe(400);
    expect((await slideUrlResponse(ctx, 'slide://1/tiles/x/0/0', null)).status).toBe(400);
    expect((await slideUrlResponse(ctx, 'slide://999/tiles/0/0/0', null)).status).toBe(404);
  });
});

describe('app protocol', () => {
  it('serves renderer files, adding the CSP to HTML, and nothing outside the folder', async () => {
    const renderer = join(dir, 'renderer-dist');
    await mkdir(join(renderer, 'assets'), { recursive: true });
    await writeFile(
      join(renderer, 'index.html'),
      '<!doctype html><html><head><title>t</title></head></html>',
    );
    await writeFile(join(renderer, 'assets', 'app.js'), 'console.log(1);');
    await writeFile(join(dir, 'secret.js'), 'secret');

    const page = await appFileResponse(renderer, APP_ENTRY_URL);
    expect(page.status).toBe(200);
    expect(page.headers['Content-Security-Policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(new TextDecoder().decode(page.body)).toContain(
      `<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">`,
    );
    const script = await appFileResponse(renderer, `${APP_ORIGIN}/assets/app.js`);
    expect([script.status, script.headers['Content-Type'], new TextDecoder().decode(script.body)]).toEqual([
      200,
      'text/javascript; charset=utf-8',
      'console.log(1);',
    ]);
    expect((await appFileResponse(renderer, `${APP_ORIGIN}/missing.js`)).status).toBe(404);
    expect((await appFileResponse(renderer, `${APP_ORIGIN}/%2e%2e/secret.js`)).status).toBe(404);
    expect((await appFileResponse(renderer, 'https://evil.example/index.html')).status).toBe(404);
    // Symbolic links inside the renderer folder do not lead out of it (issue 18 item 13).
    await symlink(join(dir, 'secret.js'), join(renderer, 'assets', 'link.js'));
    await symlink(dir, join(renderer, 'outside'));
    expect((await appFileResponse(renderer, `${APP_ORIGIN}/assets/link.js`)).status).toBe(404);
    expect((await appFileResponse(renderer, `${APP_ORIGIN}/outside/secret.js`)).status).toBe(404);
  });
});
