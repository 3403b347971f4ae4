/**
 * Maps OpenSeadragon's level numbers onto a slide's real TIFF pyramid. OSD counts from the smallest level (0)
 * up to full resolution and by default assumes each level halves the one above; PANDA pyramids step by 4
 * (downsamples 1/4/16, sometimes 4.0005…), so every OSD level here is one TIFF level with its own exact scale
 * and tile grid.
 */
export interface PyramidLevel {
  width: number;
  height: number;
  downsample: number;
  tileWidth: number;
  tileHeight: number;
}

export interface OsdLevel {
  /** Index into the slide's TIFF levels (0 = full resolution). */
  tiffLevel: number;
  /** Level width over full-resolution width: the exact scale, not 1/downsample rounded. */
  scale: number;
  cols: number;
  rows: number;
  tileWidth: number;
  tileHeight: number;
}

/** OSD levels, index = OSD level number (0 = smallest). */
export function osdLevels(levels: readonly PyramidLevel[]): OsdLevel[] {
  const full = levels[0];
  if (!full) throw new Error('a slide needs at least one pyramid level');
  return levels
    .map((level, tiffLevel) => ({
      tiffLevel,
      scale: level.width / full.width,
      cols: Math.ceil(level.width / level.tileWidth),
      rows: Math.ceil(level.height / level.tileHeight),
      tileWidth: level.tileWidth,
      tileHeight: level.tileHeight,
    }))
    .sort((a, b) => a.scale - b.scale);
}

/** The OSD level for `level`, clamped: OSD may ask about levels outside min/max while it settles. */
export function levelAt(levels: readonly OsdLevel[], level: number): OsdLevel {
  const index = Math.min(Math.max(Math.round(level), 0), levels.length - 1);
  return levels[index]!;
}
