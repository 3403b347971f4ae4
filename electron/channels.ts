/**
 * IPC channel names between preload and main: one `ipcMain.handle` channel per contract request and one
 * `webContents.send` channel per contract event, under a prefix so they cannot collide with Electron's own.
 *
 * The names are listed here rather than read from the contract's schemas so the sandboxed preload does not
 * bundle zod (~750 kB); the type checks below make a missing or extra name a compile error.
 */
import type { EventName, RequestName } from '../core/shared/contract.ts';

export const REQUEST_NAMES = [
  'folders.recent',
  'folders.open',
  'slides.list',
  'slides.info',
  'dataset.findings',
  'training.start',
  'training.cancel',
  'training.resume',
  'runs.list',
  'runs.metrics',
  'runs.split',
  'grading.start',
  'grading.cancel',
  'predictions.get',
  'attention.get',
  'reviews.save',
  'reviews.get',
  'reviews.history',
  'reviews.saveDraft',
  'reviews.draft',
  'reviews.exportCsv',
  'annotations.list',
  'annotations.create',
  'annotations.update',
  'annotations.delete',
  'annotations.restore',
  'annotations.history',
  'annotations.setClasses',
  'annotations.exportGeojson',
  'annotations.importGeojson',
  'annotations.exportFolder',
  'annotations.importFolder',
  'annotations.importMask',
  'masks.get',
  'app.status',
] as const satisfies readonly RequestName[];

export const EVENT_NAMES = [
  'training.progress',
  'grading.progress',
  'job.state',
] as const satisfies readonly EventName[];

type Unlisted<All, Listed> = [Exclude<All, Listed>] extends [never] ? true : Exclude<All, Listed>;
const _allRequestsListed: Unlisted<RequestName, (typeof REQUEST_NAMES)[number]> = true;
const _allEventsListed: Unlisted<EventName, (typeof EVENT_NAMES)[number]> = true;

const requestNames: ReadonlySet<string> = new Set(REQUEST_NAMES);
const eventNames: ReadonlySet<string> = new Set(EVENT_NAMES);

export const isRequestChannelName = (name: unknown): name is RequestName =>
  typeof name === 'string' && requestNames.has(name);
export const isEventChannelName = (name: unknown): name is EventName =>
  typeof name === 'string' && eventNames.has(name);

const PREFIX = 'patchgd:';

export const requestChannel = (name: RequestName): string => `${PREFIX}request:${name}`;
export const eventChannel = (name: EventName): string => `${PREFIX}event:${name}`;
