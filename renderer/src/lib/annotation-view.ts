/**
 * Annotations on screen. Geometry stays in level-0 pixels; the overlay draws it through one transform per frame
 * (screen = (image − view's top-left) × imageZoom), and pointer positions come back through its inverse, so a
 * shape drawn at any zoom or pan lands on the same tissue and keeps the same area.
 */
import { vertices, type Geometry, type Measurement, type Position, type Resolution } from '#shared';
import type { ViewState } from './viewport.ts';

export function imageToScreen(view: ViewState, p: Position): Position {
  return [(p[0] - view.left) * view.imageZoom, (p[1] - view.top) * view.imageZoom];
}

export function screenToImage(view: ViewState, p: Position): Position {
  return [view.left + p[0] / view.imageZoom, view.top + p[1] / view.imageZoom];
}

/** The SVG transform that draws level-0 coordinates at the view. */
export function svgTransform(view: ViewState): string {
  const z = view.imageZoom;
  return `matrix(${z} 0 0 ${z} ${-view.left * z} ${-view.top * z})`;
}

const ring = (r: readonly Position[]) => `M${r.map((p) => `${p[0]} ${p[1]}`).join('L')}Z`;

/** An SVG path in level-0 coordinates (holes drawn with the even-odd rule); points and lines as open paths. */
export function svgPath(geometry: Geometry): string {
  switch (geometry.type) {
    case 'Point':
      return '';
    case 'MultiPoint':
      return '';
    case 'LineString':
      return `M${geometry.coordinates.map((p) => `${p[0]} ${p[1]}`).join('L')}`;
    case 'Polygon':
      return geometry.coordinates.map(ring).join('');
    case 'MultiPolygon':
      return geometry.coordinates.flatMap((p) => p.map(ring)).join('');
  }
}

function segmentDistance(p: Position, a: Position, b: Position): number {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const len = dx * dx + dy * dy;
  const t = len === 0 ? 0 : Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len));
  return Math.hypot(p[0] - a[0] - t * dx, p[1] - a[1] - t * dy);
}

/** Even-odd point-in-rings test (inside the outer ring and outside its holes). */
function insideRings(p: Position, rings: readonly (readonly Position[])[]): boolean {
  let inside = false;
  for (const r of rings)
    for (let i = 0, j = r.length - 1; i < r.length; j = i++) {
      const [xi, yi] = r[i]!;
      const [xj, yj] = r[j]!;
      if (yi > p[1] !== yj > p[1] && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) inside = !inside;
    }
  return inside;
}

/** Whether `p` (level-0) touches the geometry: inside a polygon, or within `tolerance` of a line or point. */
export function hits(geometry: Geometry, p: Position, tolerance: number): boolean {
  switch (geometry.type) {
    case 'Point':
    case 'MultiPoint':
      return vertices(geometry).some((v) => Math.hypot(v[0] - p[0], v[1] - p[1]) <= tolerance);
    case 'LineString':
      return geometry.coordinates.some(
        (a, i) => i > 0 && segmentDistance(p, geometry.coordinates[i - 1]!, a) <= tolerance,
      );
    case 'Polygon':
      return insideRings(p, geometry.coordinates);
    case 'MultiPolygon':
      return geometry.coordinates.some((rings) => insideRings(p, rings));
  }
}

/** The topmost (last drawn) annotation under `p`, or null. */
export function annotationAt<T extends { id: number; geometry: Geometry }>(
  annotations: readonly T[],
  p: Position,
  tolerance: number,
): T | null {
  for (let i = annotations.length - 1; i >= 0; i--)
    if (hits(annotations[i]!.geometry, p, tolerance)) return annotations[i]!;
  return null;
}

/** Index (as `vertices` numbers them) of the vertex within `tolerance` of `p`, or -1. */
export function vertexAt(geometry: Geometry, p: Position, tolerance: number): number {
  let best = -1;
  let bestDistance = tolerance;
  vertices(geometry).forEach((v, i) => {
    const d = Math.hypot(v[0] - p[0], v[1] - p[1]);
    if (d <= bestDistance) {
      best = i;
      bestDistance = d;
    }
  });
  return best;
}

const number = (v: number, digits: number) =>
  v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** An area in mm² (from µm²), or px² when the slide's resolution is not trusted. */
export function formatArea(area: number, unit: Measurement['unit']): string {
  if (unit === 'px') return `${number(area, 0)} px²`;
  const mm2 = area / 1e6;
  return `${number(mm2, mm2 < 0.01 ? 4 : 3)} mm²`;
}

/** A length in mm (from µm; µm below 1 mm), or px when the resolution is not trusted. */
export function formatLength(length: number, unit: Measurement['unit']): string {
  if (unit === 'px') return `${number(length, 0)} px`;
  return length < 1000 ? `${number(length, 1)} µm` : `${number(length / 1000, 2)} mm`;
}

/** Why measurements are in pixels, for the panel; null when they are in microns. */
export function resolutionNote(resolution: Resolution): string | null {
  if (resolution.unit === 'um') return null;
  return resolution.reason === 'no resolution in the file'
    ? 'The slide file gives no resolution: measurements are in pixels.'
    : 'The slide’s resolution (> 10 µm/px) is an image writer’s default, not a scanner’s: measurements are in pixels.';
}
