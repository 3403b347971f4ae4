/** A coarse scalar field over the slide, sampled with bilinear interpolation (cheap smooth shapes). */
export interface CoarseField {
  /** Level-0 pixels between grid points. */
  step: number;
  cols: number;
  rows: number;
  values: Float32Array;
}

/** Fills a field over a `width` × `height` slide by evaluating `fn` at every grid point. */
export function buildField(
  width: number,
  height: number,
  step: number,
  fn: (x: number, y: number) => number,
): CoarseField {
  const cols = Math.ceil(width / step) + 1;
  const rows = Math.ceil(height / step) + 1;
  const values = new Float32Array(cols * rows);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) values[r * cols + c] = fn(c * step, r * step);
  return { step, cols, rows, values };
}

/** Bilinear sample at level-0 pixel (x, y); clamped at the borders. */
export function sampleField(f: CoarseField, x: number, y: number): number {
  const fx = Math.min(Math.max(x / f.step, 0), f.cols - 1.000001);
  const fy = Math.min(Math.max(y / f.step, 0), f.rows - 1.000001);
  const c = Math.floor(fx);
  const r = Math.floor(fy);
  const tx = fx - c;
  const ty = fy - r;
  const i = r * f.cols + c;
  const v = f.values;
  const top = (v[i] as number) + ((v[i + 1] as number) - (v[i] as number)) * tx;
  const bottom = (v[i + f.cols] as number) + ((v[i + f.cols + 1] as number) - (v[i + f.cols] as number)) * tx;
  return top + (bottom - top) * ty;
}
