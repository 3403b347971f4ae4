/**
 * The `PatchgdApi` the preload hands to the page, built over the few ipcRenderer calls it needs. Only contract
 * channels can be invoked or listened to, and listeners never see Electron's event object (which would give
 * the page the sender and, through it, IPC access beyond this API).
 */
import { electronSlideUrls, fillTileUrl, type PatchgdApi } from '../core/shared/api.ts';
import type {
  IpcError,
  IpcOutcome,
  RequestInput,
  RequestName,
  RequestResult,
} from '../core/shared/contract.ts';
import { eventChannel, isEventChannelName, isRequestChannelName, requestChannel } from './channels.ts';

/** The part of `ipcRenderer` the API uses. */
export interface RendererIpc {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

function failure(code: IpcError['code'], problem: string): IpcOutcome<never> {
  return { ok: false, error: { code, message: problem, file: null, problem, issues: [] } };
}

export function createPreloadApi(ipc: RendererIpc): PatchgdApi {
  return {
    async invoke<C extends RequestName>(
      channel: C,
      params: RequestInput<C>,
    ): Promise<IpcOutcome<RequestResult<C>>> {
      if (!isRequestChannelName(channel))
        return failure('unknown-channel', `no request named ${JSON.stringify(channel)}`);
      try {
        // The main process validates the params and the result against the contract and answers an outcome.
        return (await ipc.invoke(requestChannel(channel), params)) as IpcOutcome<RequestResult<C>>;
      } catch (err) {
        return failure('internal-error', `IPC failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    },
    on(event, listener) {
      if (!isEventChannelName(event)) throw new TypeError(`no event named ${JSON.stringify(event)}`);
      if (typeof listener !== 'function') throw new TypeError('listener must be a function');
      const channel = eventChannel(event);
      const forward = (_event: unknown, payload: unknown) =>
        listener(payload as Parameters<typeof listener>[0]);
      ipc.on(channel, forward);
      return () => {
        ipc.removeListener(channel, forward);
      };
    },
    tileUrl(slideId, level, col, row) {
      return fillTileUrl(electronSlideUrls.tileTemplate(slideId), level, col, row);
    },
    platform: 'electron',
  };
}
