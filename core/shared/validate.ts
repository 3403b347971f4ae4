/**
 * The boundary checks both transports (Electron `ipcMain.handle`, the browser-mode HTTP/WebSocket server) run:
 * every incoming request, outgoing result and event is parsed against the contract, and every failure comes
 * back as a typed IpcError value — nothing here throws.
 */
import type { z } from 'zod';
import { PatchgdError } from '../base/errors.ts';
import {
  events,
  requests,
  type EventName,
  type EventPayload,
  type HandlerReturn,
  type IpcError,
  type IpcErrorCode,
  type IpcOutcome,
  type RequestInput,
  type RequestName,
  type RequestParams,
  type RequestResult,
} from './contract.ts';

export type { IpcError, IpcOutcome } from './contract.ts';

/** Own keys only, so `__proto__` or `toString` never pass for a channel. */
export function isRequestName(name: string): name is RequestName {
  return Object.hasOwn(requests, name);
}

export function isEventName(name: string): name is EventName {
  return Object.hasOwn(events, name);
}

function ipcError(code: IpcErrorCode, problem: string, extra: Partial<IpcError> = {}): IpcError {
  return { code, message: problem, file: null, problem, issues: [], ...extra };
}

function fail<T>(error: IpcError): IpcOutcome<T> {
  return { ok: false, error };
}

/** Parses `payload` with `schema`; a mismatch becomes an error of `code` listing each problem and its path. */
function check(schema: z.ZodType, payload: unknown, code: IpcErrorCode, what: string): IpcOutcome<unknown> {
  const parsed = schema.safeParse(payload);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issues = parsed.error.issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
  const summary = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
  return fail(ipcError(code, `${what}: ${summary}`, { issues }));
}

const unknownChannel = (kind: string, name: string): IpcError =>
  ipcError('unknown-channel', `no ${kind} named ${JSON.stringify(name)}`);

export function parseRequest<N extends RequestName>(name: N, payload: unknown): IpcOutcome<RequestParams<N>>;
export function parseRequest(name: string, payload: unknown): IpcOutcome<unknown>;
export function parseRequest(name: string, payload: unknown): IpcOutcome<unknown> {
  if (!isRequestName(name)) return fail(unknownChannel('request', name));
  return check(requests[name].params, payload, 'invalid-request', `invalid params for ${name}`);
}

export function parseResult<N extends RequestName>(name: N, payload: unknown): IpcOutcome<RequestResult<N>>;
export function parseResult(name: string, payload: unknown): IpcOutcome<unknown>;
export function parseResult(name: string, payload: unknown): IpcOutcome<unknown> {
  if (!isRequestName(name)) return fail(unknownChannel('request', name));
  return check(requests[name].result, payload, 'invalid-result', `invalid result from ${name}`);
}

export function parseEvent<N extends EventName>(name: N, payload: unknown): IpcOutcome<EventPayload<N>>;
export function parseEvent(name: string, payload: unknown): IpcOutcome<unknown>;
export function parseEvent(name: string, payload: unknown): IpcOutcome<unknown> {
  if (!isEventName(name)) return fail(unknownChannel('event', name));
  return check(events[name], payload, 'invalid-event', `invalid ${name} event`);
}

/** A request handler: parsed params (defaults filled in) and the transport's context, e.g. who to send events to. */
export type Handler<N extends RequestName, C> = (
  params: RequestParams<N>,
  context: C,
) => HandlerReturn<N> | Promise<HandlerReturn<N>>;

/** One handler for every request of the contract: a missing or mistyped handler is a compile error. */
export type HandlerTable<C = void> = { readonly [N in RequestName]: Handler<N, C> };

/** Types (and freezes) a handler table; each handler's params and result types come from the contract. */
export function createHandlerTable<C = void>(handlers: HandlerTable<C>): HandlerTable<C> {
  return Object.freeze({ ...handlers });
}

/** Maps a handler's failure: typed errors keep their file and problem; anything else is an internal error. */
export function errorToIpc(err: unknown): IpcError {
  if (err instanceof PatchgdError)
    return ipcError('handler-failed', err.problem, { file: err.file, message: err.message });
  const message = err instanceof Error ? err.message : String(err);
  return ipcError('internal-error', `unexpected failure: ${message}`);
}

/**
 * Runs one request: validates the params (the handler is not called when they are wrong), awaits the handler,
 * validates what it returned, and answers an IpcOutcome. Never rejects.
 */
export async function dispatch<C, N extends RequestName>(
  table: HandlerTable<C>,
  name: N,
  payload: RequestInput<N>,
  context: C,
): Promise<IpcOutcome<RequestResult<N>>>;
export async function dispatch<C>(
  table: HandlerTable<C>,
  name: string,
  payload: unknown,
  context: C,
): Promise<IpcOutcome<unknown>>;
export async function dispatch<C>(
  table: HandlerTable<C>,
  name: string,
  payload: unknown,
  context: C,
): Promise<IpcOutcome<unknown>> {
  const params = parseRequest(name, payload);
  if (!params.ok || !isRequestName(name)) return params;
  const handler = table[name] as (params: unknown, context: C) => unknown;
  let returned: unknown;
  try {
    returned = await handler(params.value, context);
  } catch (err) {
    return fail(errorToIpc(err));
  }
  return parseResult(name, returned);
}
