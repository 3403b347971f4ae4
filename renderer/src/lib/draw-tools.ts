/**
 * The drawing tools as a small state machine over level-0 positions, kept free of the DOM so it can be tested:
 * polygon (a click per corner; a click on the first corner, a double-click or Enter closes it), freehand (drag;
 * a corner whenever the pointer has moved `minStep`), rectangle and ellipse (drag corner to corner), point (a
 * click) and ruler (drag from one end to the other).
 */
import {
  closeRing,
  ellipsePolygon,
  rectanglePolygon,
  type AnnotationTool,
  type Geometry,
  type Position,
} from '#shared';

export interface Draft {
  tool: AnnotationTool;
  /** Corners so far (polygon, freehand) or the drag's start and current end (rectangle, ellipse, ruler). */
  points: Position[];
  /** Polygon: where the pointer is, for the rubber-band edge. */
  cursor: Position | null;
}

const distance = (a: Position, b: Position) => Math.hypot(a[0] - b[0], a[1] - b[1]);

/** Tools drawn by dragging; the others by clicks. */
export function isDragTool(tool: AnnotationTool): boolean {
  return tool === 'freehand' || tool === 'rectangle' || tool === 'ellipse' || tool === 'ruler';
}

/** Pointer down with a drag tool: the start of its draft. */
export function startDrag(tool: AnnotationTool, p: Position): Draft {
  return { tool, points: tool === 'freehand' ? [p] : [p, p], cursor: null };
}

/** Pointer moved during a drag; `minStep` (level-0 px) spaces freehand corners. */
export function dragTo(draft: Draft, p: Position, minStep: number): Draft {
  if (draft.tool === 'freehand') {
    if (distance(draft.points.at(-1)!, p) < minStep) return draft;
    return { ...draft, points: [...draft.points, p] };
  }
  return { ...draft, points: [draft.points[0]!, p] };
}

/** The shape a drag made, or null when it is too small to be meant (under `minSize` level-0 px). */
export function endDrag(draft: Draft, minSize: number): Geometry | null {
  const [a, b] = [draft.points[0]!, draft.points.at(-1)!];
  switch (draft.tool) {
    case 'freehand':
      return draft.points.length >= 3 ? { type: 'Polygon', coordinates: [closeRing(draft.points)] } : null;
    case 'rectangle':
    case 'ellipse':
      if (Math.abs(a[0] - b[0]) < minSize || Math.abs(a[1] - b[1]) < minSize) return null;
      return draft.tool === 'rectangle' ? rectanglePolygon(a, b) : ellipsePolygon(a, b);
    case 'ruler':
      return distance(a, b) < minSize ? null : { type: 'LineString', coordinates: [a, b] };
    default:
      return null;
  }
}

export type ClickResult = { draft: Draft | null; done: Geometry | null };

/**
 * A click with a click tool. Point: done at once. Polygon: adds a corner, or closes the polygon when the click
 * is within `closeTolerance` (level-0 px) of its first corner and it has three corners.
 */
export function click(
  tool: AnnotationTool,
  draft: Draft | null,
  p: Position,
  closeTolerance: number,
): ClickResult {
  if (tool === 'point') return { draft: null, done: { type: 'Point', coordinates: p } };
  if (tool !== 'polygon') return { draft, done: null };
  if (!draft) return { draft: { tool, points: [p], cursor: p }, done: null };
  if (draft.points.length >= 3 && distance(draft.points[0]!, p) <= closeTolerance)
    return { draft: null, done: finishPolygon(draft) };
  return { draft: { ...draft, points: [...draft.points, p] }, done: null };
}

/** Closes a polygon draft (Enter, double-click); null with fewer than three distinct corners. */
export function finishPolygon(draft: Draft): Geometry | null {
  const corners = draft.points.filter((p, i) => i === 0 || distance(p, draft.points[i - 1]!) > 0);
  return corners.length >= 3 ? { type: 'Polygon', coordinates: [closeRing(corners)] } : null;
}

/** What to draw for a draft in progress. */
export function draftGeometry(draft: Draft): Geometry | null {
  if (draft.tool === 'polygon') {
    const points = draft.cursor ? [...draft.points, draft.cursor] : draft.points;
    return points.length >= 2 ? { type: 'LineString', coordinates: points } : null;
  }
  if (draft.tool === 'freehand')
    return draft.points.length >= 2 ? { type: 'LineString', coordinates: draft.points } : null;
  return endDrag(draft, 0);
}
