/**
 * A slide "plan": everything random about one synthetic biopsy slide, drawn once from a seeded generator.
 * Rendering (render.ts) is a pure function of the plan and a pixel rectangle, so tiles can be made in any
 * order and re-made by tests.
 *
 * Geometry follows PANDA biopsies: a few elongated tissue cores across the slide; tumour sits in localized
 * regions along the cores (the primary pattern in two regions, the secondary in one smaller region).
 */
import { buildField, sampleField, type CoarseField } from './field.ts';
import type { GleasonScore, Pattern, Provider } from './gleason.ts';
import type { Prng } from '../../base/random.ts';
import { valueNoise } from './rng.ts';

/** Gland kinds double as Radboud labels: 2 benign epithelium, 3/4 Gleason pattern. */
export type GlandKind = 2 | 3 | 4;

export interface Gland {
  kind: GlandKind;
  cx: number;
  cy: number;
  rx: number;
  ry: number;
  cos: number;
  sin: number;
  /** Radial boundary perturbation r(θ) = 1 + a·cos(k·θ + φ) + a2·cos(2θ + φ2): infoldings of benign glands, irregular tumour glands. */
  k: number;
  amp: number;
  phase: number;
  /** A second, low-order harmonic that makes the outline irregular rather than star-like. */
  amp2: number;
  phase2: number;
  /** Epithelial layer thickness in pixels; 0 for cribriform glands (epithelium everywhere but the lumens). */
  rim: number;
  /** Cribriform lumens as absolute (x, y, r) triples. */
  lumens: number[];
  /** Bounding radius around (cx, cy). */
  reach: number;
}

export interface TumourRegion {
  pattern: Pattern;
  cx: number;
  cy: number;
  cos: number;
  sin: number;
  /** Semi-axes along and across the core. */
  a: number;
  b: number;
  noiseSeed: number;
  /** Bounding box [x0, y0, x1, y1] that contains every pixel with a positive field. */
  box: [number, number, number, number];
}

export interface GlandIndex {
  bin: number;
  cols: number;
  rows: number;
  /** Compressed rows: the glands of bin i are `items[starts[i]]` … `items[starts[i + 1] - 1]`. */
  starts: Int32Array;
  items: Int32Array;
}

export interface SlidePlan {
  width: number;
  height: number;
  provider: Provider;
  score: GleasonScore;
  /** Per-slide stain strength multipliers (hematoxylin, eosin): staining varies between labs and slides. */
  stainH: number;
  stainE: number;
  textureSeed: number;
  /** Signed distance-like field, > 0 inside tissue. */
  tissue: CoarseField;
  regions: TumourRegion[];
  glands: Gland[];
  index: GlandIndex;
}

interface Core {
  /** Centre-line points (x, y) and half-thickness at each. */
  xs: number[];
  ys: number[];
  hw: number[];
}

const CORE_SEGMENTS = 24;
const GLAND_BIN = 64;

/** Signed field of a core: half-thickness at the nearest centre-line point minus the distance to it. */
function coreField(core: Core, x: number, y: number): number {
  let best = -Infinity;
  for (let i = 0; i < CORE_SEGMENTS; i++) {
    const x0 = core.xs[i] as number;
    const y0 = core.ys[i] as number;
    const dx = (core.xs[i + 1] as number) - x0;
    const dy = (core.ys[i + 1] as number) - y0;
    const t = Math.min(Math.max(((x - x0) * dx + (y - y0) * dy) / (dx * dx + dy * dy), 0), 1);
    const hw = (core.hw[i] as number) + ((core.hw[i + 1] as number) - (core.hw[i] as number)) * t;
    const d = Math.hypot(x - x0 - dx * t, y - y0 - dy * t);
    best = Math.max(best, hw - d);
  }
  return best;
}

function drawCores(rng: Prng, width: number, height: number): Core[] {
  const n = height / width < 0.62 ? 2 : 3;
  const band = height / n;
  const cores: Core[] = [];
  for (let i = 0; i < n; i++) {
    const yc = band * (i + 0.5) + rng.range(-0.06, 0.06) * band;
    const xa = width * rng.range(0.03, 0.09);
    const xb = width * rng.range(0.91, 0.97);
    const ya = yc + rng.range(-0.08, 0.08) * band;
    const yb = yc + rng.range(-0.08, 0.08) * band;
    const bend = rng.range(-0.1, 0.1) * band;
    const thick = band * rng.range(0.2, 0.26);
    const wobble = rng.range(0, Math.PI * 2);
    const core: Core = { xs: [], ys: [], hw: [] };
    for (let s = 0; s <= CORE_SEGMENTS; s++) {
      const t = s / CORE_SEGMENTS;
      core.xs.push(xa + (xb - xa) * t);
      core.ys.push(ya + (yb - ya) * t + bend * Math.sin(Math.PI * t));
      const taper = 0.55 + 0.45 * Math.min(1, t / 0.08, (1 - t) / 0.08);
      core.hw.push(thick * taper * (1 + 0.15 * Math.sin(2 * Math.PI * 1.5 * t + wobble)));
    }
    cores.push(core);
  }
  return cores;
}

/** Region field in pixels: > 0 inside, with a noisy (infiltrative) boundary. */
export function regionField(r: TumourRegion, x: number, y: number): number {
  const dx = x - r.cx;
  const dy = y - r.cy;
  const u = (dx * r.cos + dy * r.sin) / r.a;
  const v = (-dx * r.sin + dy * r.cos) / r.b;
  const noise = valueNoise(x, y, 110, 110, r.noiseSeed) - 0.5;
  return (1 - Math.sqrt(u * u + v * v)) * r.b + noise * 0.6 * r.b;
}

/** Rough fraction of a region's area that its tumour glands (or sheet) cover. */
const FILL: Record<Pattern, number> = { 3: 0.5, 4: 0.85, 5: 0.8 };

/** Places the tumour regions in distinct slots (halves of cores) so they never overlap. */
function drawRegions(rng: Prng, cores: Core[], score: GleasonScore, width: number): TumourRegion[] {
  if (score === null) return [];
  const patterns: Pattern[] =
    score.primary === score.secondary
      ? [score.primary, score.primary, score.primary]
      : [score.primary, score.primary, score.secondary];
  const slots = rng.shuffle(cores.flatMap((core) => [0, 1].map((half) => ({ core, half }))));
  return patterns.map((pattern, i) => {
    const { core, half } = slots[i % slots.length] as { core: Core; half: number };
    const secondary = i === 2 && score.primary !== score.secondary;
    const t = half === 0 ? rng.range(0.24, 0.3) : rng.range(0.7, 0.76);
    const s = Math.min(Math.round(t * CORE_SEGMENTS), CORE_SEGMENTS - 1);
    const x0 = core.xs[s] as number;
    const y0 = core.ys[s] as number;
    const ang = Math.atan2((core.ys[s + 1] as number) - y0, (core.xs[s + 1] as number) - x0);
    // The secondary region is smaller, and smaller still when its pattern packs more tumour per area, so the
    // primary pattern also covers more labelled pixels than the secondary.
    const primaryA = width * rng.range(0.1, 0.12);
    const a = secondary
      ? primaryA * Math.min(1, FILL[score.primary] / FILL[pattern]) * rng.range(0.6, 0.72)
      : primaryA;
    const b = (core.hw[s] as number) * 1.3;
    const cos = Math.cos(ang);
    const sin = Math.sin(ang);
    const ex = Math.hypot(a * 1.3 * cos, b * 1.3 * sin) + 2;
    const ey = Math.hypot(a * 1.3 * sin, b * 1.3 * cos) + 2;
    return {
      pattern,
      cx: x0,
      cy: y0,
      cos,
      sin,
      a,
      b,
      noiseSeed: rng.nextUint32(),
      box: [x0 - ex, y0 - ey, x0 + ex, y0 + ey] as [number, number, number, number],
    };
  });
}

interface GlandStyle {
  spacing: number;
  keep: number;
  radius: [number, number];
  aspect: [number, number];
  k: [number, number];
  amp: [number, number];
  rim: [number, number];
  cribriform: boolean;
}

/** Morphology per gland kind: benign large open glands; 3 small discrete glands; 4 fused cribriform masses. */
const STYLES: Record<GlandKind, GlandStyle> = {
  2: {
    spacing: 230,
    keep: 0.7,
    radius: [55, 100],
    aspect: [0.55, 1],
    k: [4, 7],
    amp: [0.05, 0.1],
    rim: [8, 11],
    cribriform: false,
  },
  3: {
    spacing: 46,
    keep: 0.92,
    radius: [13, 20],
    aspect: [0.7, 1],
    k: [3, 5],
    amp: [0.02, 0.06],
    rim: [7, 10],
    cribriform: false,
  },
  4: {
    spacing: 115,
    keep: 1,
    radius: [55, 82],
    aspect: [0.7, 1],
    k: [3, 6],
    amp: [0.06, 0.14],
    rim: [0, 0],
    cribriform: true,
  },
};

function makeGland(rng: Prng, kind: GlandKind, cx: number, cy: number): Gland {
  const st = STYLES[kind];
  const r = rng.range(...st.radius);
  const ry = r * rng.range(...st.aspect);
  const ang = rng.range(0, Math.PI);
  const amp = rng.range(...st.amp);
  const amp2 = rng.range(0.03, 0.12);
  const lumens: number[] = [];
  if (st.cribriform) {
    // Punched-out lumens inside a solid epithelial mass: the cribriform sieve.
    const count = Math.round((r * ry) / 260);
    for (let i = 0; i < count; i++) {
      const th = rng.range(0, Math.PI * 2);
      const d = Math.sqrt(rng.next()) * 0.7;
      const lx = Math.cos(th) * d * r;
      const ly = Math.sin(th) * d * ry;
      lumens.push(cx + lx * Math.cos(ang) - ly * Math.sin(ang), cy + lx * Math.sin(ang) + ly * Math.cos(ang));
      lumens.push(rng.range(5, 10));
    }
  }
  return {
    kind,
    cx,
    cy,
    rx: r,
    ry,
    cos: Math.cos(ang),
    sin: Math.sin(ang),
    k: rng.intBetween(...st.k),
    amp,
    phase: rng.range(0, Math.PI * 2),
    amp2,
    phase2: rng.range(0, Math.PI * 2),
    rim: rng.range(...st.rim),
    lumens,
    reach: r * (1 + amp + amp2) + 1,
  };
}

/** Jittered-grid placement of one gland kind over a box, keeping centres where `accept` agrees. */
function scatterGlands(
  rng: Prng,
  kind: GlandKind,
  box: readonly [number, number, number, number],
  accept: (x: number, y: number, r: number) => boolean,
  out: Gland[],
): void {
  const st = STYLES[kind];
  for (let y = box[1]; y < box[3]; y += st.spacing) {
    for (let x = box[0]; x < box[2]; x += st.spacing) {
      const cx = x + rng.range(0.15, 0.85) * st.spacing;
      const cy = y + rng.range(0.15, 0.85) * st.spacing;
      if (rng.next() >= st.keep) continue;
      const g = makeGland(rng, kind, cx, cy);
      if (accept(cx, cy, g.reach)) out.push(g);
    }
  }
}

/** Bins each gland under every bin its bounding square touches; flat arrays, so huge slides stay cheap. */
function buildIndex(glands: Gland[], width: number, height: number): GlandIndex {
  const cols = Math.ceil(width / GLAND_BIN);
  const rows = Math.ceil(height / GLAND_BIN);
  const starts = new Int32Array(cols * rows + 1);
  const span = (g: Gland): [number, number, number, number] => [
    Math.max(0, Math.floor((g.cx - g.reach) / GLAND_BIN)),
    Math.min(cols - 1, Math.floor((g.cx + g.reach) / GLAND_BIN)),
    Math.max(0, Math.floor((g.cy - g.reach) / GLAND_BIN)),
    Math.min(rows - 1, Math.floor((g.cy + g.reach) / GLAND_BIN)),
  ];
  for (const g of glands) {
    const [c0, c1, r0, r1] = span(g);
    for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) starts[r * cols + c + 1]! += 1;
  }
  for (let i = 0; i < cols * rows; i++) starts[i + 1]! += starts[i]!;
  const items = new Int32Array(starts[cols * rows]!);
  const fill = starts.slice(0, cols * rows);
  glands.forEach((g, i) => {
    const [c0, c1, r0, r1] = span(g);
    for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) items[fill[r * cols + c]!++] = i;
  });
  return { bin: GLAND_BIN, cols, rows, starts, items };
}

export interface PlanOptions {
  /** Longer side in pixels; the slide is landscape with a drawn aspect ratio. */
  size: number;
  provider: Provider;
  score: GleasonScore;
}

/** Draws the complete plan of one slide. */
export function drawSlidePlan(rng: Prng, opts: PlanOptions): SlidePlan {
  const width = opts.size;
  const height = Math.max(256, Math.round(opts.size * rng.range(0.5, 0.78)));
  const cores = drawCores(rng, width, height);
  const noiseA = rng.nextUint32();
  const noiseB = rng.nextUint32();
  const thick = Math.max(...cores.flatMap((c) => c.hw));
  // Coarse enough that a huge slide's field stays small; fine noise at render time restores a ragged edge.
  const step = Math.max(16, Math.ceil(Math.max(width, height) / 768));
  const tissue = buildField(width, height, step, (x, y) => {
    let f = -Infinity;
    for (const core of cores) f = Math.max(f, coreField(core, x, y));
    return (
      f +
      (valueNoise(x, y, 170, 170, noiseA) - 0.5) * 0.55 * thick +
      (valueNoise(x, y, 50, 50, noiseB) - 0.5) * 0.18 * thick
    );
  });
  const regions = drawRegions(rng, cores, opts.score, width);
  const glands: Gland[] = [];
  for (const region of regions) {
    if (region.pattern === 5) continue; // pattern 5 is a solid sheet, rendered from the region itself
    const before = glands.length;
    scatterGlands(
      rng,
      region.pattern,
      region.box,
      (x, y, r) => regionField(region, x, y) > 0 && sampleField(tissue, x, y) > 0.3 * r,
      glands,
    );
    // A small slide may leave no room by the rules above; its score must still show, so seat one at the centre.
    if (glands.length === before) glands.push(makeGland(rng, region.pattern, region.cx, region.cy));
  }
  scatterGlands(
    rng,
    2,
    [0, 0, width, height],
    (x, y, r) => sampleField(tissue, x, y) > 0.5 * r && regions.every((reg) => regionField(reg, x, y) < -r),
    glands,
  );
  return {
    width,
    height,
    provider: opts.provider,
    score: opts.score,
    stainH: rng.range(0.85, 1.15),
    stainE: rng.range(0.85, 1.15),
    textureSeed: rng.nextUint32(),
    tissue,
    regions,
    glands,
    index: buildIndex(glands, width, height),
  };
}
