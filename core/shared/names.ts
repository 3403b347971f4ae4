/** Backbone names, kept free of TensorFlow.js imports so the IPC contract and UI can use them cheaply. */
export const BACKBONES = ['resnet50', 'mobilenetv2', 'small'] as const;
export type BackboneName = (typeof BACKBONES)[number];
