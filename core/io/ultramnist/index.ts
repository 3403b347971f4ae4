/** UltraMNIST: canvases of 3–5 MNIST digits at many scales, labelled by the digits' sum. */
export { generateUltraMnist, META_FORMAT } from './generate.ts';
export type { UltraMnistOptions, UltraMnistSummary } from './generate.ts';
export { planUltraMnist, validateParams, imageId, MAX_CANVAS, MAX_CLASSES, MAX_COUNT } from './plan.ts';
export type { DigitPlacement, UltraMnistImage, UltraMnistParams } from './plan.ts';
export {
  BENCHMARK_CANVAS,
  FACTOR_WEIGHTS,
  MIN_CANVAS,
  MIN_DIGIT_SIDE,
  digitSide,
  overlaps,
} from './layout.ts';
export { loadMnistDigits, splitRange, TRAIN_FRACTION } from './mnist-digits.ts';
export type { MnistDigits, Split } from './mnist-digits.ts';
export { renderCanvas } from './render.ts';
