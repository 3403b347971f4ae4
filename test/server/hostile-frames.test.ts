/**
 * Issue 18 item 1: a malformed WebSocket frame, a reset mid-handshake or an engine that cannot start must cost
 * one connection or one job, never the browser-mode server. The server runs as `npm run serve` does, in its own
 * process, so that an unhandled 'error' shows as that process dying.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forkEngine } from '../../core/app/engine-node.ts';
import { handleRequest } from '../../core/app/handlers.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';
import { testContext } from '../app/helpers.ts';
import { api } from './helpers.ts';

const MAIN = fileURLToPath(new URL('../../core/app/server/main.ts', import.meta.url));
let dir: string;
let child: ChildProcessByStdio<null, Readable, Readable>;
let stderr = '';
let port: number;
let token: string;

beforeAll(async () => {
  dir = await makeTempDir('patchgd-hostile-');
  await mkdir(join(dir, 'renderer'));
  await writeFile(join(dir, 'renderer', 'index.html'), '<!doctype html><title>t</title>');
  child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      MAIN,
      '--port',
      '0',
      '--user-data',
      join(dir, 'user'),
      '--renderer',
      join(dir, 'renderer'),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = await new Promise<URL>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /running at (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(out);
      if (match) resolve(new URL(match[1]!));
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code}: ${stderr}`)));
  });
  port = Number(url.port);
  token = url.searchParams.get('token')!;
}, 30_000);

afterAll(async () => {
  if (child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  await removeDir(dir);
});

/** A WebSocket handshake on a raw TCP socket: the open socket, past the 101 response. */
function handshake(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.write(
        [
          `GET /events?token=${token} HTTP/1.1`,
          `Host: 127.0.0.1:${port}`,
          'Upgrade: websocket',
          'Connection: Upgrade',
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
          'Sec-WebSocket-Version: 13',
          '',
          '',
        ].join('\r\n'),
      );
    });
    let head = '';
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      if (head.startsWith('HTTP/1.1 101')) resolve(socket);
      else reject(new Error(head));
    };
    socket.on('data', onData);
    socket.on('error', reject);
  });
}

/** A client frame: first byte (FIN, RSV, opcode) as given, masked unless told otherwise. */
function frame(
  first: number,
  payload: Buffer,
  options: { masked?: boolean; declared?: number } = {},
): Buffer {
  const masked = options.masked ?? true;
  const length = options.declared ?? payload.length;
  const maskBit = masked ? 0x80 : 0;
  let header: Buffer;
  if (length < 126) header = Buffer.from([first, maskBit | length]);
  else {
    header = Buffer.alloc(10);
    header[0] = first;
    header[1] = maskBit | 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  if (!masked) return Buffer.concat([header, payload]);
  const mask = randomBytes(4);
  const body = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
  return Buffer.concat([header, mask, body]);
}

const closeCode = (code: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(code);
  return b;
};

/** The malformed frames of the issue: each must be refused by closing that socket only. */
const HOSTILE: Record<string, Buffer> = {
  'oversized (declares 1 MB, limit 4 KiB)': frame(0x82, Buffer.alloc(64), { declared: 1 << 20 }),
  'invalid UTF-8 text': frame(0x81, Buffer.from([0xff, 0xfe, 0xc3, 0x28])),
  'reserved opcode 0x3': frame(0x83, Buffer.from('x')),
  'RSV1 bit without an extension': frame(0xc1, Buffer.from('x')),
  'unmasked client frame': frame(0x81, Buffer.from('hi'), { masked: false }),
  'invalid close code 999': frame(0x88, closeCode(999)),
  'reserved close code 1005': frame(0x88, closeCode(1005)),
  'fragmented ping': frame(0x09, Buffer.from('p')),
  'close with 1-byte payload': frame(0x88, Buffer.from([3])),
  'text frame (events are one-way)': frame(0x81, Buffer.from('{"hello":1}')),
};

async function serverAnswers(): Promise<void> {
  expect(child.exitCode, stderr).toBeNull();
  const outcome = await api(port, token, 'folders.recent', {});
  expect(outcome.ok).toBe(true);
}

describe('hostile clients of the browser-mode server', () => {
  for (const [kind, bytes] of Object.entries(HOSTILE))
    it(`disconnects a client sending a ${kind}, and keeps serving`, async () => {
      const socket = await handshake();
      // Refused = the server closes the socket or starts the closing handshake (a close frame, 0x88).
      const closed = new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        socket.on('data', (chunk: Buffer) => chunk[0] === 0x88 && resolve());
      });
      socket.on('error', () => {});
      socket.write(bytes);
      await closed;
      await serverAnswers();
    });

  it('survives clients that reset mid-handshake, mid-frame and mid-body', async () => {
    for (let i = 0; i < 20; i++) {
      // A refused upgrade (wrong path) reset before the refusal is written.
      const refused = connect({ host: '127.0.0.1', port }, () => {
        refused.write(`GET /nope HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\n\r\n`);
        refused.resetAndDestroy();
      });
      refused.on('error', () => {});
      // An accepted socket reset half way through a frame.
      const socket = await handshake();
      socket.write(frame(0x82, Buffer.alloc(3000)).subarray(0, 1000));
      socket.resetAndDestroy();
      // An API request body cut short.
      const body = connect({ host: '127.0.0.1', port }, () => {
        body.write(
          `POST /api/folders.recent HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-PatchGD-Token: ${token}\r\n` +
            'Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"a":',
        );
        setTimeout(() => body.resetAndDestroy(), 5);
      });
      body.on('error', () => {});
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    await serverAnswers();
  });
});

describe('an engine process that cannot start', () => {
  it('fails the request with the reason instead of throwing at the app', async () => {
    const ctx = testContext(join(dir, 'no-engine'), forkEngine({ execPath: join(dir, 'no-such-node') }));
    try {
      const status = await handleRequest(ctx, 'app.status', {});
      expect(status.ok).toBe(false);
      if (!status.ok) expect(status.error.problem).toMatch(/could not start: .*ENOENT/);
    } finally {
      await ctx.close();
    }
  });
});
