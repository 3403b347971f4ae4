import { MNIST_SIDE, type MnistDigits } from './mnist-digits.ts';
import type { DigitPlacement } from './plan.ts';
import { resizeBilinear } from './resize.ts';

/** Draws the placed digits, resized bilinearly to their boxes, on a black 8-bit canvas (row-major). */
export function renderCanvas(
  size: number,
  digits: readonly DigitPlacement[],
  mnist: MnistDigits,
): Uint8Array {
  const canvas = new Uint8Array(size * size);
  for (const d of digits) {
    const sample = mnist.samples[d.digit]?.[d.sampleIndex];
    if (!sample) throw new RangeError(`no MNIST sample ${d.sampleIndex} of digit ${d.digit}`);
    if (d.x < 0 || d.y < 0 || d.x + d.side > size || d.y + d.side > size)
      throw new RangeError(`digit box at (${d.x}, ${d.y}) size ${d.side} leaves the ${size}-px canvas`);
    const glyph = resizeBilinear(sample, MNIST_SIDE, MNIST_SIDE, d.side, d.side);
    for (let row = 0; row < d.side; row++)
      canvas.set(glyph.subarray(row * d.side, (row + 1) * d.side), (d.y + row) * size + d.x);
  }
  return canvas;
}
