/**
 * Picks the transport: Electron's preload exposes `window.patchgd`; otherwise the page was served by the
 * browser-mode server, which put a per-launch token in the page URL.
 */
import type { EventName, EventPayload, IpcError, IpcOutcome, RequestName, PatchgdApi } from '#shared';

declare global {
  interface Window {
    patchgd?: PatchgdApi;
  }
}

const TOKEN_HEADER = 'X-PatchGD-Token';

function transportError(problem: string): IpcError {
  return { code: 'internal-error', message: problem, file: null, problem, issues: [] };
}

type Listener = (payload: unknown) => void;

/** The HTTP/WebSocket implementation of the API against `origin` with `token`. */
export function httpApi(origin: string, token: string): PatchgdApi {
  const listeners = new Map<string, Set<Listener>>();
  let socket: WebSocket | null = null;

  function connect(): void {
    const wsUrl = new URL(`/events?token=${encodeURIComponent(token)}`, origin);
    wsUrl.protocol = wsUrl.protocol === 'https:' ? 'wss:' : 'ws:';
    socket = new WebSocket(wsUrl);
    socket.onmessage = (message) => {
      let parsed: { event?: string; payload?: unknown };
      try {
        parsed = JSON.parse(String(message.data)) as typeof parsed;
      } catch {
        return;
      }
      for (const listener of listeners.get(parsed.event ?? '') ?? []) listener(parsed.payload);
    };
    // The server restarts with the app; reconnect so events keep flowing while the page lives.
    socket.onclose = () => {
      socket = null;
      if (listeners.size > 0) setTimeout(connect, 1000);
    };
  }

  return {
    platform: 'browser',
    async invoke(channel: RequestName, params: unknown) {
      try {
        const response = await fetch(new URL(`/api/${channel}`, origin), {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', [TOKEN_HEADER]: token },
          body: JSON.stringify(params ?? {}),
        });
        const text = await response.text();
        try {
          return JSON.parse(text) as IpcOutcome<never>;
        } catch {
          return {
            ok: false,
            error: transportError(`server answered ${response.status}: ${text.slice(0, 200)}`),
          };
        }
      } catch (err) {
        return { ok: false, error: transportError(`cannot reach the server: ${(err as Error).message}`) };
      }
    },
    on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void) {
      const set = listeners.get(event) ?? new Set<Listener>();
      listeners.set(event, set);
      set.add(listener as Listener);
      if (!socket) connect();
      return () => {
        set.delete(listener as Listener);
      };
    },
    tileUrl(slideId, level, col, row) {
      return new URL(`/tiles/${slideId}/${level}/${col}/${row}?token=${encodeURIComponent(token)}`, origin)
        .href;
    },
  } as PatchgdApi;
}

/** The API of this window, or an error line saying why there is none. */
export function resolveApi(win: Window): PatchgdApi | string {
  if (win.patchgd) return win.patchgd;
  const token = new URL(win.location.href).searchParams.get('token');
  if (!token) return 'This page needs the token from the URL the server printed (…/?token=…). Open that URL.';
  return httpApi(win.location.origin, token);
}

/** Unwraps an outcome: the value, or a thrown Error whose message is the line to show. */
export async function call<T>(outcome: Promise<IpcOutcome<T>>): Promise<T> {
  const result = await outcome;
  if (result.ok) return result.value;
  const issues = result.error.issues.map((i) => `${i.path}: ${i.message}`).join('; ');
  throw new Error(issues ? `${result.error.message} (${issues})` : result.error.message);
}
