/**
 * Renders synthetic H&E pixels and mask labels for any rectangle of a slide plan. Colours come from stain
 * densities through Beer–Lambert absorption with the usual hematoxylin / eosin optical-density vectors, so
 * mixtures look like real stains rather than flat colour codes.
 */
import { sampleField } from './field.ts';
import { regionField, type Gland, type SlidePlan } from './plan.ts';
import { hash2, mix32, valueNoise } from './rng.ts';

/** Brightness of the light through empty glass. */
const BACKGROUND = 242;
const H_OD = [0.65, 0.7, 0.29];
const E_OD = [0.1, 0.95, 0.3];
const LUT_LEVELS = 128;
const H_MAX = 2;
const E_MAX = 1.5;

/** RGB for quantised (hematoxylin, eosin) densities; a table because exp() per channel per pixel is slow. */
const STAIN_LUT = (() => {
  const lut = new Uint8Array(LUT_LEVELS * LUT_LEVELS * 3);
  for (let h = 0; h < LUT_LEVELS; h++)
    for (let e = 0; e < LUT_LEVELS; e++)
      for (let ch = 0; ch < 3; ch++) {
        const od =
          ((h + 0.5) / LUT_LEVELS) * H_MAX * (H_OD[ch] as number) +
          ((e + 0.5) / LUT_LEVELS) * E_MAX * (E_OD[ch] as number);
        lut[(h * LUT_LEVELS + e) * 3 + ch] = Math.round(BACKGROUND * Math.exp(-od));
      }
  return lut;
})();

/** Tissue classes, equal to the Radboud labels: 0 background, 1 stroma, 2 benign epithelium, 3–5 Gleason. */
const OUTSIDE = 0;
const EPITHELIUM = 1;
const LUMEN = 2;

/** Where (x, y) falls in a gland: OUTSIDE, EPITHELIUM or LUMEN. */
export function glandPart(g: Gland, x: number, y: number): number {
  const dx = x - g.cx;
  const dy = y - g.cy;
  if (dx * dx + dy * dy > g.reach * g.reach) return OUTSIDE;
  const u = (dx * g.cos + dy * g.sin) / g.rx;
  const v = (-dx * g.sin + dy * g.cos) / g.ry;
  const rn = Math.sqrt(u * u + v * v);
  const th = Math.atan2(v, u);
  const edge = 1 + g.amp * Math.cos(g.k * th + g.phase) + g.amp2 * Math.cos(2 * th + g.phase2);
  if (rn >= edge) return OUTSIDE;
  if (g.rim === 0) {
    const l = g.lumens;
    for (let i = 0; i < l.length; i += 3) {
      const lx = x - (l[i] as number);
      const ly = y - (l[i + 1] as number);
      const lr = l[i + 2] as number;
      if (lx * lx + ly * ly < lr * lr) return LUMEN;
    }
    return EPITHELIUM;
  }
  // Depth below the gland's outline in pixels, measured along the short axis: a single epithelial layer.
  return (edge - rn) * g.ry > g.rim ? LUMEN : EPITHELIUM;
}

interface NucleusStyle {
  /** Jittered-grid cell size; each cell holds at most one nucleus. */
  cell: number;
  r: number;
  /** Chance that a cell holds a nucleus. */
  p: number;
  /** Hematoxylin density. */
  h: number;
  /** Grid layers, each shifted by half a cell: two break up the lattice a single dense grid would show. */
  layers: number;
}

/** Nuclei per tissue class: higher grade, more crowded, larger and darker. */
const NUCLEI: Record<number, NucleusStyle> = {
  1: { cell: 18, r: 2.2, p: 0.3, h: 0.9, layers: 1 },
  2: { cell: 10, r: 2.8, p: 0.55, h: 1.05, layers: 1 },
  3: { cell: 10, r: 3, p: 0.7, h: 1.15, layers: 2 },
  4: { cell: 10, r: 3.2, p: 0.8, h: 1.25, layers: 2 },
  5: { cell: 10, r: 3.4, p: 0.9, h: 1.4, layers: 2 },
};

/** Hematoxylin density of the nucleus covering (x, y), or 0 where there is none. */
function nucleusAt(x: number, y: number, cls: number, seed: number): number {
  const n = NUCLEI[cls] as NucleusStyle;
  const span = n.cell - 2 * n.r;
  // Stromal (fibroblast) nuclei are spindle-shaped: squash them vertically.
  const sy = cls === 1 ? 2.2 : 1;
  for (let layer = 0; layer < n.layers; layer++) {
    const shift = layer * n.cell * 0.5;
    const cx = Math.floor((x + shift) / n.cell);
    const cy = Math.floor((y + shift) / n.cell);
    const h = mix32(Math.imul(cx, 0x9e3779b1) ^ Math.imul(cy, 0x85ebca77) ^ (seed + layer * 0x632be5ab));
    if ((h & 0xff) / 256 >= n.p) continue;
    const dx = x + shift - (cx * n.cell + n.r + (((h >>> 8) & 0xff) / 256) * span);
    const dy = y + shift - (cy * n.cell + n.r + (((h >>> 16) & 0xff) / 256) * span);
    if (dx * dx + dy * dy * sy * sy < n.r * n.r) return n.h;
  }
  return 0;
}

export interface RenderedTile {
  width: number;
  height: number;
  /** Interleaved RGB. */
  rgb: Uint8Array;
  /** Mask label per pixel in the plan's provider convention. */
  labels: Uint8Array;
}

/**
 * Renders the `w` × `h` rectangle at level-0 (x0, y0). Pixels beyond the slide are background with label 0
 * (they pad edge tiles).
 */
export function renderRegion(plan: SlidePlan, x0: number, y0: number, w: number, h: number): RenderedTile {
  const rgb = new Uint8Array(w * h * 3);
  const labels = new Uint8Array(w * h);
  const seed = plan.textureSeed;
  const { index, glands, regions } = plan;
  const karolinska = plan.provider === 'karolinska';
  for (let j = 0; j < h; j++) {
    const y = y0 + j;
    for (let i = 0; i < w; i++) {
      const x = x0 + i;
      const p = j * w + i;
      let cls = 0;
      let inTumour = false;
      let part = OUTSIDE;
      if (x < plan.width && y < plan.height) {
        let t = sampleField(plan.tissue, x, y);
        if (t > -12 && t < 12) t += (valueNoise(x, y, 9, 9, seed) - 0.5) * 24;
        if (t > 0) {
          cls = 1;
          let pattern = 0;
          for (const r of regions) {
            if (x >= r.box[0] && x < r.box[2] && y >= r.box[1] && y < r.box[3] && regionField(r, x, y) > 0) {
              pattern = r.pattern;
              break;
            }
          }
          inTumour = pattern > 0;
          const bin = Math.floor(y / index.bin) * index.cols + Math.floor(x / index.bin);
          const last = index.starts[bin + 1] as number;
          for (let b = index.starts[bin] as number; b < last; b++) {
            const g = glands[index.items[b] as number] as Gland;
            const gp = glandPart(g, x, y);
            if (gp !== OUTSIDE) {
              part = gp;
              cls = g.kind;
              break;
            }
          }
          // Pattern 5: solid sheets of tumour cells, broken only by thin stromal strands.
          if (part === OUTSIDE && pattern === 5 && valueNoise(x, y, 70, 70, seed ^ 0x5bd1e995) < 0.8) {
            part = EPITHELIUM;
            cls = 5;
          }
        }
      }
      let hd = 0;
      let ed = 0;
      if (cls === 0) {
        const g = BACKGROUND - Math.floor(hash2(x, y, seed) * 4);
        rgb[p * 3] = g;
        rgb[p * 3 + 1] = g;
        rgb[p * 3 + 2] = g;
      } else {
        if (part === LUMEN) {
          // Open lumen: nearly empty, with faint pink secretions.
          hd = 0.02;
          ed = 0.04 + 0.1 * valueNoise(x, y, 30, 30, seed ^ 0x1b873593);
        } else if (part === EPITHELIUM) {
          const nuc = nucleusAt(x, y, cls, seed);
          hd = nuc > 0 ? nuc : cls === 2 ? 0.16 : 0.3 + 0.04 * cls;
          ed = nuc > 0 ? 0.2 : 0.3;
        } else {
          const nuc = nucleusAt(x, y, 1, seed ^ 0x68e31da4);
          hd = nuc > 0 ? nuc : 0.05;
          ed = 0.32 + 0.3 * valueNoise(x, y, 44, 7, seed ^ 0x2c1b3c6d);
        }
        const jitter = 0.92 + 0.16 * hash2(x, y, seed ^ 0x7f4a7c15);
        const hq = Math.min(LUT_LEVELS - 1, Math.floor(((hd * plan.stainH * jitter) / H_MAX) * LUT_LEVELS));
        const eq = Math.min(LUT_LEVELS - 1, Math.floor(((ed * plan.stainE * jitter) / E_MAX) * LUT_LEVELS));
        const li = (hq * LUT_LEVELS + eq) * 3;
        rgb[p * 3] = STAIN_LUT[li] as number;
        rgb[p * 3 + 1] = STAIN_LUT[li + 1] as number;
        rgb[p * 3 + 2] = STAIN_LUT[li + 2] as number;
      }
      labels[p] = karolinska ? (cls === 0 ? 0 : inTumour || cls >= 3 ? 2 : 1) : cls;
    }
  }
  return { width: w, height: h, rgb, labels };
}
