/**
 * The browser-mode server's guards: the launch token on every request and WebSocket, the Host header against DNS
 * rebinding, loopback only, and path traversal through tile, thumbnail and static URLs.
 */
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../core/app/server/server.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';
import { testEngine, writePandaFolder } from '../app/helpers.ts';
import { api, call, connectEvents, raw } from './helpers.ts';

const SECRET = 'top-secret-outside-every-folder';

let dir: string;
let server: RunningServer;
let port: number;
let token: string;
let slideId: number;

beforeAll(async () => {
  dir = await makeTempDir('patchgd-server-');
  await writePandaFolder(join(dir, 'opened'), [{ id: 'a1', grade: 0 }]);
  // A second dataset that is never opened, and a file outside every folder: neither may ever be served.
  await writePandaFolder(join(dir, 'never-opened'), [{ id: 'z9', grade: 1 }]);
  await writeFile(join(dir, 'secret.txt'), SECRET);
  const renderer = join(dir, 'renderer');
  await mkdir(join(renderer, 'assets'), { recursive: true });
  await writeFile(join(renderer, 'index.html'), '<!doctype html><title>PatchGD Studio</title>');
  await writeFile(join(renderer, 'assets', 'app.js'), 'console.log(1)');
  server = await startServer({
    host: '127.0.0.1',
    port: 0,
    userDataDir: join(dir, 'user'),
    rendererDir: renderer,
    spawnEngine: testEngine(),
  });
  ({ port, token } = server);
  const opened = await call(server, 'folders.open', { path: join(dir, 'opened') });
  const list = await call(server, 'slides.list', { folderId: opened.folder.id });
  slideId = list.rows[0]!.id;
});

afterAll(async () => {
  await server.close();
  await removeDir(dir);
});

const withToken = () => ({ 'X-PatchGD-Token': token });
const json = { 'Content-Type': 'application/json' };

describe('token', () => {
  it('prints a URL on 127.0.0.1 with the token, and listens on loopback only', async () => {
    expect(server.url).toBe(`http://127.0.0.1:${port}/?token=${token}`);
    expect(token.length).toBeGreaterThanOrEqual(40);
    const outcome = await api(port, token, 'folders.recent', {});
    expect(outcome.ok).toBe(true);
    // Any other address of this machine refuses the connection.
    const external = Object.values(networkInterfaces())
      .flat()
      .filter((a) => a && !a.internal && a.family === 'IPv4')
      .map((a) => a!.address);
    for (const address of external) {
      const refused = await new Promise<boolean>((resolve) => {
        const socket = connect({ host: address, port }, () => {
          socket.destroy();
          resolve(false);
        });
        socket.on('error', () => resolve(true));
      });
      expect(refused, address).toBe(true);
    }
  });

  it('401s API calls without a token and 403s a wrong one', async () => {
    const body = '{}';
    expect((await raw(port, '/api/folders.recent', { method: 'POST', headers: json, body })).status).toBe(
      401,
    );
    const wrong = { ...json, 'X-PatchGD-Token': token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A') };
    expect((await raw(port, '/api/folders.recent', { method: 'POST', headers: wrong, body })).status).toBe(
      403,
    );
    expect(
      (await raw(port, '/api/folders.recent?token=nope', { method: 'POST', headers: json, body })).status,
    ).toBe(403);
  });

  it('guards tiles, thumbnails and pages the same way, and accepts the token query on them', async () => {
    for (const path of [`/tiles/${slideId}/0/0/0`, `/thumbs/${slideId}`, '/', '/assets/app.js']) {
      expect((await raw(port, path)).status).toBe(401);
      expect((await raw(port, `${path}${path.includes('?') ? '&' : '?'}token=wrong`)).status).toBe(403);
    }
    const tile = await raw(port, `/tiles/${slideId}/0/0/0?token=${token}`);
    expect(tile.status).toBe(200);
    expect(tile.headers['content-type']).toBe('image/jpeg');
    expect(tile.headers['cache-control']).toMatch(/^private, max-age=\d+, immutable$/);
    expect(tile.headers['etag']).toBeTruthy();
    const thumb = await raw(port, `/thumbs/${slideId}?token=${token}`);
    expect(thumb.status).toBe(200);
    expect(thumb.body.subarray(0, 2).toString('hex')).toBe('ffd8');
  });

  it('sets a strict HttpOnly cookie on the page load with the token, which then stands in for it', async () => {
    const page = await raw(port, `/?token=${token}`);
    expect(page.status).toBe(200);
    expect(page.body.toString()).toContain('PatchGD Studio');
    const cookie = String(page.headers['set-cookie']);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(page.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    const pair = cookie.split(';')[0]!;
    expect(pair).toBe(`patchgd_token_${port}=${token}`);
    const otherLaunch = `patchgd_token_${port + 1}=${token}`;
    expect((await raw(port, '/assets/app.js', { headers: { Cookie: otherLaunch } })).status).toBe(401);
    expect((await raw(port, '/assets/app.js', { headers: { Cookie: pair } })).status).toBe(200);
    expect((await raw(port, `/tiles/${slideId}/0/0/0`, { headers: { Cookie: pair } })).status).toBe(200);
  });

  it('refuses WebSockets without the right token', async () => {
    await expect(connectEvents(port, '')).rejects.toThrow('HTTP 401');
    await expect(connectEvents(port, '?token=wrong')).rejects.toThrow('HTTP 403');
    const ws = await connectEvents(port, `?token=${token}`);
    ws.close();
  });
});

describe('Host and Origin (DNS rebinding)', () => {
  it('403s a foreign Host header even with the right token', async () => {
    for (const host of [
      'evil.example:' + port,
      `127.0.0.1:${port + 1}`,
      'evil.example',
      `127.0.0.2:${port}`,
    ]) {
      const res = await raw(port, '/api/folders.recent', {
        method: 'POST',
        headers: { ...withToken(), ...json, Host: host },
        body: '{}',
      });
      expect(res.status).toBe(403);
      expect(
        (await raw(port, `/tiles/${slideId}/0/0/0?token=${token}`, { headers: { Host: host } })).status,
      ).toBe(403);
    }
    const localhost = await raw(port, '/api/folders.recent', {
      method: 'POST',
      headers: { ...withToken(), ...json, Host: `localhost:${port}` },
      body: '{}',
    });
    expect(localhost.status).toBe(200);
  });

  it('403s WebSockets from a foreign Host or Origin', async () => {
    await expect(connectEvents(port, `?token=${token}`, { Host: `evil.example:${port}` })).rejects.toThrow(
      'HTTP 403',
    );
    await expect(connectEvents(port, `?token=${token}`, { Origin: 'http://evil.example' })).rejects.toThrow(
      'HTTP 403',
    );
    const ws = await connectEvents(port, `?token=${token}`, { Origin: `http://localhost:${port}` });
    ws.close();
  });

  it('refuses cross-site form posts: the API takes JSON bodies only', async () => {
    const res = await raw(port, '/api/folders.recent', {
      method: 'POST',
      headers: { ...withToken(), 'Content-Type': 'text/plain' },
      body: '{}',
    });
    expect(res.status).toBe(415);
  });
});

describe('traversal', () => {
  const t = () => `token=${token}`;

  it('never serves anything outside the opened folders, however the path is spelled', async () => {
    const paths = [
      `/tiles/../../etc/passwd?${t()}`,
      `/tiles/..%2f..%2fsecret.txt/0/0/0?${t()}`,
      `/tiles/%2e%2e/0/0/0?${t()}`,
      `/tiles/${slideId}/%2e%2e/0/0?${t()}`,
      `/thumbs/%2e%2e%2fsecret.txt?${t()}`,
      `/thumbs/${encodeURIComponent(join(dir, 'secret.txt'))}?${t()}`,
      `/thumbs/${join(dir, 'secret.txt')}?${t()}`,
      `/..%2fsecret.txt?${t()}`,
      `/%2e%2e/%2e%2e/secret.txt?${t()}`,
      `/assets/..%5c..%5csecret.txt?${t()}`,
      `/../secret.txt?${t()}`,
      `//etc/passwd?${t()}`,
      `/${encodeURIComponent(join(dir, 'secret.txt'))}?${t()}`,
      `/index.html%00.js?${t()}`,
    ];
    for (const path of paths) {
      const res = await raw(port, path);
      expect([400, 404], path).toContain(res.status);
      expect(res.body.toString()).not.toContain(SECRET);
      expect(res.body.toString()).not.toContain('root:');
    }
  });

  it('never follows a symbolic link out of the renderer folder (issue 18 item 13)', async () => {
    const renderer = join(dir, 'renderer');
    await symlink(join(dir, 'secret.txt'), join(renderer, 'assets', 'secret.js'));
    await symlink(dir, join(renderer, 'up'));
    await mkdir(join(dir, 'outside-assets'));
    await writeFile(join(dir, 'outside-assets', 'x.js'), SECRET);
    await symlink(join(dir, 'outside-assets'), join(renderer, 'assets', 'linked'));
    // A link that stays inside is fine.
    await symlink(join(renderer, 'assets', 'app.js'), join(renderer, 'assets', 'alias.js'));
    for (const path of ['/assets/secret.js', '/up/secret.txt', '/assets/linked/x.js']) {
      const res = await raw(port, `${path}?token=${token}`);
      expect(res.status, path).toBe(404);
      expect(res.body.toString()).not.toContain(SECRET);
    }
    expect((await raw(port, `/assets/alias.js?token=${token}`)).status).toBe(200);
  });

  it('404s slide ids of folders never opened, and ids that were never slides', async () => {
    const neverOpened = await raw(port, `/tiles/${slideId + 1}/0/0/0?${t()}`);
    expect(neverOpened.status).toBe(404);
    expect((await raw(port, `/thumbs/${slideId + 1}?${t()}`)).status).toBe(404);
    expect((await raw(port, `/tiles/99999999/0/0/0?${t()}`)).status).toBe(400);
    expect((await raw(port, `/tiles/0/0/0/0?${t()}`)).status).toBe(400);
    const info = await api(port, token, 'slides.info', { slideId: slideId + 1 });
    expect(info.ok).toBe(false);
  });

  it('keeps unknown API channels and bodies typed', async () => {
    const unknown = await api(port, token, '__proto__', {});
    expect(unknown).toMatchObject({ ok: false, error: { code: 'unknown-channel' } });
    const bad = await raw(port, '/api/folders.recent', {
      method: 'POST',
      headers: { ...withToken(), ...json },
      body: '{',
    });
    expect(bad.status).toBe(400);
    expect((await raw(port, '/api/folders.recent', { headers: withToken() })).status).toBe(405);
  });
});
