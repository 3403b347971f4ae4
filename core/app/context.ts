/**
 * Everything the request handlers need, created once per app launch: the project store, the pool of open
 * slides, the engine host, and the event fan-out to whichever transport (Electron window, WebSocket clients)
 * listens.
 */
import type { Dataset } from '../io/dataset/index.ts';
import type { SlideUrls } from '../shared/api.ts';
import type { EventInput, EventName, EventPayload } from '../shared/contract.ts';
import { parseEvent } from '../shared/validate.ts';
import { SlidePool } from '../io/slide/index.ts';
import { closeStore, failInterruptedRuns, lockUserData, openStore, type Store } from '../io/store/index.ts';
import { EngineHost, type SpawnEngine } from './engine-host.ts';

/** An event as transports carry it (the browser mode's WebSocket frames are this, as JSON). */
export type AppEvent = { [E in EventName]: { event: E; payload: EventPayload<E> } }[EventName];

export interface AppContext {
  readonly store: Store;
  readonly slides: SlidePool;
  readonly engine: EngineHost;
  readonly userDataDir: string;
  /** Where this transport serves tiles and thumbnails. */
  readonly urls: SlideUrls;
  /** Datasets of the folders opened this session, by folder id (their findings are listed from here). */
  readonly datasets: Map<number, Dataset>;
  /** Validates an event against the contract and hands it to every subscriber. */
  emit<E extends EventName>(event: E, payload: EventInput<E>): void;
  subscribe(listener: (event: AppEvent) => void): () => void;
  /** Stops the engine (letting a running job leave a valid checkpoint), closes slides and the store. */
  close(): Promise<void>;
}

export interface AppContextOptions {
  /** The app's own folder: the store, run folders, thumbnail cache. */
  userDataDir: string;
  spawnEngine: SpawnEngine;
  urls: SlideUrls;
  /** Slides kept open at once. */
  maxOpenSlides?: number;
}

export function createAppContext(options: AppContextOptions): AppContext {
  // Locked before anything in the folder is touched: a second instance must never mark the first one's live
  // runs failed (failInterruptedRuns) and resume them.
  const lock = lockUserData(options.userDataDir);
  let store: Store;
  try {
    store = openStore(options.userDataDir);
  } catch (err) {
    lock.release();
    throw err;
  }
  failInterruptedRuns(store);
  const slides = new SlidePool(options.maxOpenSlides ?? 16);
  const engine = new EngineHost(options.spawnEngine);
  const listeners = new Set<(event: AppEvent) => void>();
  let closed = false;
  return {
    store,
    slides,
    engine,
    userDataDir: options.userDataDir,
    urls: options.urls,
    datasets: new Map(),
    emit(event, payload) {
      const parsed = parseEvent(event, payload);
      if (!parsed.ok) {
        // A back-end bug: report it where developers look, never send the UI something off-contract.
        console.error(parsed.error.message);
        return;
      }
      const message = { event, payload: parsed.value } as AppEvent;
      for (const listener of listeners) {
        try {
          listener(message);
        } catch (err) {
          console.error(`event listener failed on ${event}: ${(err as Error).message}`);
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      if (closed) return;
      closed = true;
      await engine.close();
      await slides.closeAll();
      listeners.clear();
      closeStore(store);
      lock.release();
    },
  };
}
