/**
 * The attention grid (DSA griddata model: origin, dx, dy in level-0 pixels; gridWidth × gridHeight values,
 * row-major, in [0, 1] or null) as pixels: one RGBA pixel per cell, which the viewer stretches over the cells'
 * image rectangle, so the overlay stays aligned at every zoom.
 */
export interface AttentionGrid {
  origin: { x: number; y: number };
  dx: number;
  dy: number;
  gridWidth: number;
  gridHeight: number;
  values: readonly (number | null)[];
}

/** RGBA bytes, gridWidth × gridHeight; cells with no tissue or below `threshold` are transparent. */
export function gridPixels(
  grid: AttentionGrid,
  lut: Uint8ClampedArray,
  threshold = 0,
): Uint8ClampedArray<ArrayBuffer> {
  const out = new Uint8ClampedArray(grid.gridWidth * grid.gridHeight * 4);
  grid.values.forEach((value, i) => {
    if (value === null || value < threshold) return;
    const entry = Math.round(Math.min(Math.max(value, 0), 1) * 255) * 3;
    out.set([lut[entry]!, lut[entry + 1]!, lut[entry + 2]!, 255], i * 4);
  });
  return out;
}

/** The level-0 rectangle the grid covers. */
export function gridBounds(grid: AttentionGrid): { x: number; y: number; width: number; height: number } {
  return {
    x: grid.origin.x,
    y: grid.origin.y,
    width: grid.gridWidth * grid.dx,
    height: grid.gridHeight * grid.dy,
  };
}

/** The cell under a level-0 image point, with its value; null outside the grid. */
export function cellAt(
  grid: AttentionGrid,
  x: number,
  y: number,
): { col: number; row: number; value: number | null } | null {
  const col = Math.floor((x - grid.origin.x) / grid.dx);
  const row = Math.floor((y - grid.origin.y) / grid.dy);
  if (col < 0 || row < 0 || col >= grid.gridWidth || row >= grid.gridHeight) return null;
  return { col, row, value: grid.values[row * grid.gridWidth + col] ?? null };
}
