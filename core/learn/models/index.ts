export { BACKBONES, createBackbone, createHead, createPassThroughHead } from './registry.ts';
export type { BackboneName, BackboneOptions, HeadOptions } from './registry.ts';
export { headSpatialSizes } from './head.ts';
export { makeDivisible } from './mobilenetv2.ts';
export { countTrainableParams } from './seeds.ts';
export { SpatialDropout2D, setDropoutSeed } from './spatial-dropout.ts';
export { layersModelFiles, loadLayersModelDir, loadWeightsByName } from './weights.ts';
