/**
 * Colormaps for attention heatmaps (the viewer overlay, the PNG overlays and the report) as evenly spaced colour
 * stops with linear interpolation between them: viridis and cividis (perceptually uniform, colour-blind safe),
 * turbo (high contrast), coolwarm (diverging), gray.
 */
export const COLORMAPS = {
  viridis: [
    '#440154',
    '#482475',
    '#414487',
    '#355f8d',
    '#2a788e',
    '#21918c',
    '#22a884',
    '#44bf70',
    '#7ad151',
    '#bddf26',
    '#fde725',
  ],
  cividis: [
    '#00224e',
    '#123570',
    '#3b496c',
    '#575d6d',
    '#707173',
    '#8a8779',
    '#a69d75',
    '#c4b56c',
    '#e4cf5b',
    '#fee838',
  ],
  turbo: [
    '#30123b',
    '#4145ab',
    '#4675ed',
    '#39a2fc',
    '#1bcfd4',
    '#24eca6',
    '#61fc6c',
    '#a4fc3b',
    '#d1e834',
    '#f3c63a',
    '#fe9b2d',
    '#f36315',
    '#d93806',
    '#b11901',
    '#7a0402',
  ],
  coolwarm: ['#3b4cc0', '#6788ee', '#9abbff', '#c9d7f0', '#edd1c2', '#f7a889', '#e26952', '#b40426'],
  gray: ['#000000', '#ffffff'],
} as const;

export type ColormapName = keyof typeof COLORMAPS;
export const COLORMAP_NAMES = Object.keys(COLORMAPS) as ColormapName[];
export type Rgb = [number, number, number];

function hexToRgb(hex: string): Rgb {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** The colour at t ∈ [0, 1] (clamped; NaN counts as 0). */
export function colorAt(name: ColormapName, t: number): Rgb {
  const stops = COLORMAPS[name];
  const x = (Number.isNaN(t) ? 0 : Math.min(Math.max(t, 0), 1)) * (stops.length - 1);
  const i = Math.min(Math.floor(x), stops.length - 2);
  const f = x - i;
  const a = hexToRgb(stops[i]!);
  const b = hexToRgb(stops[i + 1]!);
  return [0, 1, 2].map((c) => Math.round(a[c]! + (b[c]! - a[c]!) * f)) as Rgb;
}

/** 256 entries of RGB, so drawing a heatmap indexes instead of interpolating per cell. */
export function lookupTable(name: ColormapName): Uint8ClampedArray {
  const lut = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) lut.set(colorAt(name, i / 255), i * 3);
  return lut;
}

/** A CSS gradient of the map, for legends. */
export function cssGradient(name: ColormapName, direction = 'to right'): string {
  return `linear-gradient(${direction}, ${COLORMAPS[name].join(', ')})`;
}
