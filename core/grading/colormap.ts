/** Perceptual colormaps as piecewise-linear ramps through evenly spaced anchor colours. */

export const COLORMAPS = {
  // Anchor colours of matplotlib's viridis and Google's turbo at 0, 1/9, …, 1.
  viridis: [
    '#440154',
    '#482878',
    '#3e4989',
    '#31688e',
    '#26828e',
    '#1f9e89',
    '#35b779',
    '#6ece58',
    '#b5de2b',
    '#fde725',
  ],
  turbo: [
    '#30123b',
    '#4662d7',
    '#36aaf9',
    '#1ae4b6',
    '#72fe5e',
    '#c8ef34',
    '#faba39',
    '#f66b19',
    '#ca2a04',
    '#7a0403',
  ],
  gray: ['#000000', '#ffffff'],
} as const;

export type ColormapName = keyof typeof COLORMAPS;

function hexToRgb(hex: string): [number, number, number] {
  const v = Number.parseInt(hex.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

/** RGB of `value` ∈ [0, 1] (clamped) on the named colormap. */
export function colorAt(name: ColormapName, value: number): [number, number, number] {
  const anchors = COLORMAPS[name];
  const t = Math.min(1, Math.max(0, Number.isFinite(value) ? value : 0)) * (anchors.length - 1);
  const i = Math.min(anchors.length - 2, Math.floor(t));
  const a = hexToRgb(anchors[i]!);
  const b = hexToRgb(anchors[i + 1]!);
  const f = t - i;
  return [0, 1, 2].map((c) => Math.round(a[c]! + (b[c]! - a[c]!) * f)) as [number, number, number];
}
