/**
 * Annotations of a slide: their geometry (GeoJSON geometry objects in level-0 pixel coordinates, x right, y down,
 * as QuPath writes them), the tool that drew them, their class, and the measurements a pathologist reads off
 * them (area, perimeter, length) in pixels and, where the slide's resolution can be trusted, in microns.
 *
 * Areas and lengths are planar (shoelace formula and Euclidean segment lengths): the coordinates are pixels of a
 * flat image, so a geodesic library (e.g. @turf/area, which assumes longitude/latitude) would give wrong figures.
 */
import { z } from 'zod';

export const ANNOTATION_TOOLS = ['polygon', 'freehand', 'rectangle', 'ellipse', 'point', 'ruler'] as const;
export type AnnotationTool = (typeof ANNOTATION_TOOLS)[number];
export const annotationToolSchema = z.enum(ANNOTATION_TOOLS);

const coordinate = z.number().finite();
export const positionSchema = z.tuple([coordinate, coordinate]);
/** A closed ring: first and last positions equal, at least 3 distinct corners. */
export const ringSchema = z
  .array(positionSchema)
  .min(4)
  .refine((r) => r[0]![0] === r.at(-1)![0] && r[0]![1] === r.at(-1)![1], {
    message: 'a ring must end where it starts',
  });
/** Outer ring first, then its holes. */
const polygonRings = z.array(ringSchema).min(1);

export const geometrySchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('Point'), coordinates: positionSchema }),
  z.object({ type: z.literal('MultiPoint'), coordinates: z.array(positionSchema).min(1) }),
  z.object({ type: z.literal('LineString'), coordinates: z.array(positionSchema).min(2) }),
  z.object({ type: z.literal('Polygon'), coordinates: polygonRings }),
  z.object({ type: z.literal('MultiPolygon'), coordinates: z.array(polygonRings).min(1) }),
]);
export type Geometry = z.infer<typeof geometrySchema>;
export type Position = z.infer<typeof positionSchema>;

/** `#rrggbb`. */
export const colorSchema = z.string().regex(/^#[0-9a-f]{6}$/i, 'must be a colour like #c83232');

export const annotationClassSchema = z.object({
  name: z.string().trim().min(1).max(100),
  color: colorSchema,
});
export type AnnotationClass = z.infer<typeof annotationClassSchema>;

/** The tumour classes: what counts towards the tumour area and length. */
export const TUMOUR_CLASSES = ['Tumour', 'Gleason 3', 'Gleason 4', 'Gleason 5'] as const;
export const GLEASON_CLASSES = ['Gleason 3', 'Gleason 4', 'Gleason 5'] as const;

/** The classes a project starts with (QuPath's Tumor red, Stroma green and Ignore grey for the shared ones). */
export const DEFAULT_CLASSES: readonly AnnotationClass[] = [
  { name: 'Tumour', color: '#c83232' },
  { name: 'Gleason 3', color: '#e6c800' },
  { name: 'Gleason 4', color: '#f08c00' },
  { name: 'Gleason 5', color: '#b4005a' },
  { name: 'Benign', color: '#3c9650' },
  { name: 'Stroma', color: '#96c896' },
  { name: 'Ignore', color: '#b4b4b4' },
];

/** What a caller sends to create an annotation (the store adds id, author and times). */
export const annotationInputSchema = z.object({
  tool: annotationToolSchema,
  geometry: geometrySchema,
  /** Null: unclassified. */
  className: z.string().trim().min(1).max(100).nullable(),
  name: z.string().max(200).default(''),
  note: z.string().max(10_000).default(''),
});
export type AnnotationInput = z.input<typeof annotationInputSchema>;

export const annotationSchema = z.object({
  id: z.number().int().positive(),
  slideId: z.number().int().positive(),
  tool: annotationToolSchema,
  geometry: geometrySchema,
  className: z.string().nullable(),
  name: z.string(),
  note: z.string(),
  author: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Annotation = z.infer<typeof annotationSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Resolution

/**
 * Coarser than this is no scanner's resolution: image writers put 72 or 96 dpi (≈ 353 or 265 µm/px) into files
 * that never saw a microscope, and the slowest slide scanners' 1.25× scans are about 8 µm/px.
 */
export const MAX_SCANNER_MPP = 10;

export type Resolution =
  | { unit: 'um'; x: number; y: number }
  | { unit: 'px'; reason: 'no resolution in the file' | 'not a scanner resolution' };

/** The slide's microns per pixel if it can be trusted; else why measurements stay in pixels. */
export function resolutionOf(mpp: { x: number; y: number } | null): Resolution {
  if (!mpp || !(mpp.x > 0) || !(mpp.y > 0)) return { unit: 'px', reason: 'no resolution in the file' };
  if (mpp.x > MAX_SCANNER_MPP || mpp.y > MAX_SCANNER_MPP)
    return { unit: 'px', reason: 'not a scanner resolution' };
  return { unit: 'um', x: mpp.x, y: mpp.y };
}

// ---------------------------------------------------------------------------------------------------------------
// Measurements

/** Signed shoelace area of a ring (positive when clockwise in image coordinates, y down). */
export function signedRingArea(ring: readonly Position[], sx = 1, sy = 1): number {
  let twice = 0;
  for (let i = 0; i + 1 < ring.length; i++) {
    const [x0, y0] = ring[i]!;
    const [x1, y1] = ring[i + 1]!;
    twice += x0 * sx * (y1 * sy) - x1 * sx * (y0 * sy);
  }
  return twice / 2;
}

function pathLength(points: readonly Position[], sx = 1, sy = 1): number {
  let total = 0;
  for (let i = 0; i + 1 < points.length; i++)
    total += Math.hypot((points[i + 1]![0] - points[i]![0]) * sx, (points[i + 1]![1] - points[i]![1]) * sy);
  return total;
}

function polygonsOf(geometry: Geometry): Position[][][] {
  if (geometry.type === 'Polygon') return [geometry.coordinates];
  if (geometry.type === 'MultiPolygon') return geometry.coordinates;
  return [];
}

/** Area of a polygon's outer ring less its holes, whatever the rings' winding. */
function polygonArea(rings: readonly Position[][], sx: number, sy: number): number {
  const [outer, ...holes] = rings;
  return holes.reduce(
    (area, hole) => area - Math.abs(signedRingArea(hole, sx, sy)),
    Math.abs(signedRingArea(outer!, sx, sy)),
  );
}

export interface Measurement {
  /** Area of polygons (0 for lines and points), px² or µm². */
  area: number;
  /** Length of all rings of polygons, px or µm. */
  perimeter: number;
  /** Length of a line (0 for the rest), px or µm. */
  length: number;
  unit: 'px' | 'um';
}

/** Area, perimeter and length in microns when `resolution` allows, else in pixels. */
export function measure(geometry: Geometry, resolution: Resolution): Measurement {
  const [sx, sy] = resolution.unit === 'um' ? [resolution.x, resolution.y] : [1, 1];
  const polygons = polygonsOf(geometry);
  return {
    area: polygons.reduce((sum, rings) => sum + polygonArea(rings, sx, sy), 0),
    perimeter: polygons.flat().reduce((sum, ring) => sum + pathLength(ring, sx, sy), 0),
    length: geometry.type === 'LineString' ? pathLength(geometry.coordinates, sx, sy) : 0,
    unit: resolution.unit,
  };
}

export interface ClassTotal {
  className: string | null;
  count: number;
  area: number;
  length: number;
}

/** Per-class counts, areas and lengths (in `resolution`'s unit), in first-seen order. */
export function classTotals(
  annotations: readonly Pick<Annotation, 'className' | 'geometry'>[],
  resolution: Resolution,
): ClassTotal[] {
  const totals = new Map<string | null, ClassTotal>();
  for (const a of annotations) {
    const m = measure(a.geometry, resolution);
    const total = totals.get(a.className) ?? { className: a.className, count: 0, area: 0, length: 0 };
    total.count += 1;
    total.area += m.area;
    total.length += m.length;
    totals.set(a.className, total);
  }
  return [...totals.values()];
}

export interface DerivedFigures {
  /** Area of tumour and Gleason pattern annotations. */
  tumourArea: number;
  /** Length of rulers classed as tumour or a Gleason pattern (a core's tumour length). */
  tumourLength: number;
  /** Area of Gleason 4 over the area of Gleason 3 + 4 + 5, in percent; null without any Gleason area. */
  percentGleason4: number | null;
  unit: 'px' | 'um';
}

/** The figures ISUP reporting asks for, from the slide's annotations. */
export function derivedFigures(
  annotations: readonly Pick<Annotation, 'className' | 'geometry'>[],
  resolution: Resolution,
): DerivedFigures {
  const byClass = new Map(classTotals(annotations, resolution).map((t) => [t.className, t]));
  const sum = (names: readonly string[], key: 'area' | 'length') =>
    names.reduce((s, name) => s + (byClass.get(name)?.[key] ?? 0), 0);
  const gleason = sum(GLEASON_CLASSES, 'area');
  return {
    tumourArea: sum(TUMOUR_CLASSES, 'area'),
    tumourLength: sum(TUMOUR_CLASSES, 'length'),
    percentGleason4: gleason > 0 ? (100 * sum(['Gleason 4'], 'area')) / gleason : null,
    unit: resolution.unit,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Shapes the tools draw

/** Closes an open path of corners into a ring. */
export function closeRing(points: readonly Position[]): Position[] {
  const first = points[0]!;
  const last = points.at(-1)!;
  return first[0] === last[0] && first[1] === last[1] ? [...points] : [...points, first];
}

/** The axis-aligned rectangle with corners `a` and `b`, as a polygon. */
export function rectanglePolygon(a: Position, b: Position): Geometry {
  const [x0, x1] = [Math.min(a[0], b[0]), Math.max(a[0], b[0])];
  const [y0, y1] = [Math.min(a[1], b[1]), Math.max(a[1], b[1])];
  return {
    type: 'Polygon',
    coordinates: [
      [
        [x0, y0],
        [x1, y0],
        [x1, y1],
        [x0, y1],
        [x0, y0],
      ],
    ],
  };
}

/** Corners of the ellipse polygon: its area is within 0.2 % of the true ellipse's. */
export const ELLIPSE_CORNERS = 72;

/** The ellipse inscribed in the rectangle with corners `a` and `b`, as a polygon (QuPath exports ellipses so). */
export function ellipsePolygon(a: Position, b: Position, corners = ELLIPSE_CORNERS): Geometry {
  const cx = (a[0] + b[0]) / 2;
  const cy = (a[1] + b[1]) / 2;
  const rx = Math.abs(b[0] - a[0]) / 2;
  const ry = Math.abs(b[1] - a[1]) / 2;
  const ring: Position[] = Array.from({ length: corners }, (_, i) => {
    const t = (2 * Math.PI * i) / corners;
    return [cx + rx * Math.cos(t), cy + ry * Math.sin(t)];
  });
  return { type: 'Polygon', coordinates: [closeRing(ring)] };
}

/** Moves every position of a geometry by (dx, dy). */
export function translateGeometry(geometry: Geometry, dx: number, dy: number): Geometry {
  const move = (p: Position): Position => [p[0] + dx, p[1] + dy];
  switch (geometry.type) {
    case 'Point':
      return { type: 'Point', coordinates: move(geometry.coordinates) };
    case 'MultiPoint':
      return { type: 'MultiPoint', coordinates: geometry.coordinates.map(move) };
    case 'LineString':
      return { type: 'LineString', coordinates: geometry.coordinates.map(move) };
    case 'Polygon':
      return { type: 'Polygon', coordinates: geometry.coordinates.map((r) => r.map(move)) };
    case 'MultiPolygon':
      return {
        type: 'MultiPolygon',
        coordinates: geometry.coordinates.map((p) => p.map((r) => r.map(move))),
      };
  }
}

/**
 * The geometry with one vertex moved. Vertices are numbered as `vertices` lists them; moving the first corner
 * of a ring moves its closing copy too, so the ring stays closed.
 */
export function moveVertex(geometry: Geometry, index: number, to: Position): Geometry {
  let n = 0;
  const ring = (r: Position[]): Position[] => {
    const start = n;
    n += r.length - 1;
    if (index < start || index >= n) return r;
    const k = index - start;
    return r.map((p, i) => (i === k || (k === 0 && i === r.length - 1) ? to : p));
  };
  const open = (ps: Position[]): Position[] => {
    const start = n;
    n += ps.length;
    return ps.map((p, i) => (i + start === index ? to : p));
  };
  switch (geometry.type) {
    case 'Point':
      return index === 0 ? { type: 'Point', coordinates: to } : geometry;
    case 'MultiPoint':
      return { type: 'MultiPoint', coordinates: open(geometry.coordinates) };
    case 'LineString':
      return { type: 'LineString', coordinates: open(geometry.coordinates) };
    case 'Polygon':
      return { type: 'Polygon', coordinates: geometry.coordinates.map(ring) };
    case 'MultiPolygon':
      return { type: 'MultiPolygon', coordinates: geometry.coordinates.map((p) => p.map(ring)) };
  }
}

/** The geometry's editable vertices (a ring's closing copy of its first corner left out). */
export function vertices(geometry: Geometry): Position[] {
  switch (geometry.type) {
    case 'Point':
      return [geometry.coordinates];
    case 'MultiPoint':
    case 'LineString':
      return geometry.coordinates;
    case 'Polygon':
      return geometry.coordinates.flatMap((r) => r.slice(0, -1));
    case 'MultiPolygon':
      return geometry.coordinates.flatMap((p) => p.flatMap((r) => r.slice(0, -1)));
  }
}
