/**
 * The API both transports expose to the renderer: Electron's preload (`window.patchgd`, over ipcRenderer) and
 * the browser-mode client (HTTP + WebSocket). The renderer codes against this interface only, so it runs the
 * same in both. Also the slide URL schemes: where a transport serves tiles and thumbnails, and how the viewer
 * fills a tile URL template.
 */
import type {
  EventName,
  EventPayload,
  IpcOutcome,
  RequestInput,
  RequestName,
  RequestResult,
} from './contract.ts';

export interface PatchgdApi {
  /** Sends a request; never rejects: failures come back as `{ ok: false, error }`. */
  invoke<C extends RequestName>(channel: C, params: RequestInput<C>): Promise<IpcOutcome<RequestResult<C>>>;
  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
  /** URL of one tile (JPEG) of a slide of an opened folder. */
  tileUrl(slideId: number, level: number, col: number, row: number): string;
  platform: 'electron' | 'browser';
}

/** Where a transport serves slide images; the handlers put these URLs into slide rows and slide info. */
export interface SlideUrls {
  /** A template with `{level}`, `{x}` (column) and `{y}` (row), filled by `fillTileUrl`. */
  tileTemplate(slideId: number): string;
  thumbnail(slideId: number): string;
}

/** The custom protocol Electron registers; its host is the slide id. */
export const SLIDE_PROTOCOL = 'slide';

/** Electron: `slide://<id>/tiles/{level}/{x}/{y}` and `slide://<id>/thumb`. */
export const electronSlideUrls: SlideUrls = {
  tileTemplate: (slideId) => `${SLIDE_PROTOCOL}://${slideId}/tiles/{level}/{x}/{y}`,
  thumbnail: (slideId) => `${SLIDE_PROTOCOL}://${slideId}/thumb`,
};

/**
 * Browser mode: `/tiles/<id>/{level}/{x}/{y}` and `/thumbs/<id>` on the page's origin, with the launch token as
 * a query parameter, since an <img> or OpenSeadragon cannot send the token header.
 */
export function httpSlideUrls(token: string): SlideUrls {
  const query = `?token=${encodeURIComponent(token)}`;
  return {
    tileTemplate: (slideId) => `/tiles/${slideId}/{level}/{x}/{y}${query}`,
    thumbnail: (slideId) => `/thumbs/${slideId}${query}`,
  };
}

/** Fills a tile URL template (see `TILE_URL_PLACEHOLDERS` in the contract). */
export function fillTileUrl(template: string, level: number, col: number, row: number): string {
  return template
    .replaceAll('{level}', String(level))
    .replaceAll('{x}', String(col))
    .replaceAll('{y}', String(row));
}
