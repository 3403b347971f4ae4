/** Raw HTTP and WebSocket clients for the browser-mode server tests (raw, so Host and paths go out as written). */
import { request } from 'node:http';
import WebSocket from 'ws';
import type { IpcOutcome, RequestInput, RequestName, RequestResult } from '../../core/shared/contract.ts';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export function raw(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        headers: { Host: `127.0.0.1:${port}`, ...options.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** POST /api/<channel> with the token header; the parsed IpcOutcome. */
export async function api(
  port: number,
  token: string,
  channel: string,
  params: unknown,
): Promise<IpcOutcome<unknown>> {
  const res = await raw(port, `/api/${channel}`, {
    method: 'POST',
    headers: { 'X-PatchGD-Token': token, 'Content-Type': 'application/json' },
    body: JSON.stringify(params),
  });
  if (res.status !== 200) throw new Error(`${channel}: HTTP ${res.status} ${res.body.toString()}`);
  return JSON.parse(res.body.toString()) as IpcOutcome<unknown>;
}

/** A request that must succeed: its result, typed by the contract. */
export async function call<C extends RequestName>(
  server: { port: number; token: string },
  channel: C,
  params: RequestInput<C>,
): Promise<RequestResult<C>> {
  const outcome = await api(server.port, server.token, channel, params);
  if (!outcome.ok) throw new Error(`${channel}: ${outcome.error.message}`);
  return outcome.value as RequestResult<C>;
}

/** Connects to /events; resolves with the open socket or rejects with the HTTP status of the refusal. */
export function connectEvents(
  port: number,
  query: string,
  headers: Record<string, string> = {},
): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/events${query}`, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}
