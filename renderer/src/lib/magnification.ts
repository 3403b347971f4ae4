/**
 * Objective magnification from microns per pixel: a 10× objective sees about 1 µm per pixel, so 20× ≈ 0.5 µm/px
 * and 40× ≈ 0.25 µm/px (the convention QuPath and ASAP use for presets).
 */
export const MICRONS_PER_PIXEL_AT_1X = 10;
export const PRESETS = [1.25, 5, 10, 20, 40] as const;

/** Screen pixels per level-0 image pixel that show the slide at `magnification`. */
export function imageZoomFor(magnification: number, mpp: number): number {
  return (magnification * mpp) / MICRONS_PER_PIXEL_AT_1X;
}

/** The magnification a given image zoom (screen px per image px) shows. */
export function magnificationAt(imageZoom: number, mpp: number): number {
  return (imageZoom * MICRONS_PER_PIXEL_AT_1X) / mpp;
}

/** "250 µm", "1.5 mm". */
export function formatLength(microns: number): string {
  if (microns >= 1000) return `${+(microns / 1000).toPrecision(3)} mm`;
  return `${+microns.toPrecision(3)} µm`;
}

/** "20×", "1.25×", "2.7×". */
export function formatMagnification(magnification: number): string {
  return `${+magnification.toPrecision(magnification < 10 ? 2 : 3)}×`;
}

/**
 * A scale bar of a round length (1, 2 or 5 × 10ⁿ µm) whose width is at most `maxPx` screen pixels, as wide as
 * possible. Null when the scale is unknown or degenerate.
 */
export function scaleBar(micronsPerScreenPx: number, maxPx = 150): { px: number; label: string } | null {
  if (!(micronsPerScreenPx > 0) || !Number.isFinite(micronsPerScreenPx)) return null;
  const maxMicrons = micronsPerScreenPx * maxPx;
  const power = 10 ** Math.floor(Math.log10(maxMicrons));
  const step = [5, 2, 1].find((m) => m * power <= maxMicrons) ?? 1;
  const microns = step * power;
  return { px: microns / micronsPerScreenPx, label: formatLength(microns) };
}
