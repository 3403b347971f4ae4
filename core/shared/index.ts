/**
 * The tfjs-free definitions that both sides of the IPC boundary use: the renderer imports this module only,
 * as `#shared` (package.json `imports`), never a deeper path into core/.
 */
export * from './api.ts';
export * from './backend-names.ts';
export * from './contract.ts';
export * from './colormap.ts';
export * from './metrics.ts';
export * from './names.ts';
export * from './train-config.ts';
export * from './annotations.ts';
export * from './geojson.ts';
export * from './gleason.ts';
export * from './panda-mask.ts';
