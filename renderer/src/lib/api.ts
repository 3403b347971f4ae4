/**
 * The API the renderer talks to: the agreed `PatchgdApi` shape over the contract's types. Both transports
 * (Electron preload, browser-mode HTTP/WebSocket) implement it; nothing in the renderer reaches further.
 */
import type {
  EventName,
  EventPayload,
  IpcOutcome,
  RequestInput,
  RequestName,
  RequestResult,
} from '../../../core/ipc/contract.ts';

export interface PatchgdApi {
  invoke<C extends RequestName>(channel: C, params: RequestInput<C>): Promise<IpcOutcome<RequestResult<C>>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
  tileUrl(slideId: number, level: number, col: number, row: number): string;
  platform: 'electron' | 'browser';
}
