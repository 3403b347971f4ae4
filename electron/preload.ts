/**
 * Preload of the sandboxed renderer: exposes the typed `PatchgdApi` as `window.patchgd` and nothing else (no
 * ipcRenderer, no Node).
 */
import { contextBridge, ipcRenderer } from 'electron';
import { createPreloadApi } from './preload-api.ts';

contextBridge.exposeInMainWorld('patchgd', createPreloadApi(ipcRenderer));
