/**
 * IPC channel names between preload and main: one `ipcMain.handle` channel per contract request and one
 * `webContents.send` channel per contract event, under a prefix so they cannot collide with Electron's own.
 */
import type { EventName, RequestName } from '../core/ipc/contract.ts';

const PREFIX = 'patchgd:';

export const requestChannel = (name: RequestName): string => `${PREFIX}request:${name}`;
export const eventChannel = (name: EventName): string => `${PREFIX}event:${name}`;
