import { describe, expect, it } from 'vitest';
import {
  measure,
  resolutionOf,
  type Annotation,
  type Geometry,
  type Position,
} from '../../core/shared/index.ts';
import { EditHistory } from '../../renderer/src/lib/annotation-history.ts';
import {
  annotationAt,
  formatArea,
  formatLength,
  imageToScreen,
  resolutionNote,
  screenToImage,
  svgPath,
  svgTransform,
  vertexAt,
} from '../../renderer/src/lib/annotation-view.ts';
import {
  click,
  dragTo,
  endDrag,
  finishPolygon,
  startDrag,
  type Draft,
} from '../../renderer/src/lib/draw-tools.ts';
import { actionFor, SHORTCUTS, type KeyInput } from '../../renderer/src/lib/keymap.ts';
import type { ViewState } from '../../renderer/src/lib/viewport.ts';

const px = resolutionOf(null);

/** Screen clicks → level-0 polygon under a view, as the layer does it. */
function drawPolygon(view: ViewState, screen: Position[]): Geometry {
  let draft: Draft | null = null;
  for (const s of screen) draft = click('polygon', draft, screenToImage(view, s), 6 / view.imageZoom).draft;
  return finishPolygon(draft!)!;
}

describe('geometry under zoom and pan', () => {
  // A non-power-of-two pyramid gives zooms like a third of a screen pixel per level-0 pixel.
  const views: ViewState[] = [
    { imageZoom: 1, left: 0, top: 0 },
    { imageZoom: 0.3333, left: -120.5, top: 77.25 },
    { imageZoom: 4, left: 5000, top: 2000 },
    { imageZoom: 0.0127, left: 0, top: -300 },
  ];

  it('maps screen → level 0 → screen exactly, and the SVG transform agrees', () => {
    for (const view of views) {
      const s: Position = [123.5, 456];
      const back = imageToScreen(view, screenToImage(view, s));
      expect(back[0]).toBeCloseTo(s[0], 9);
      expect(back[1]).toBeCloseTo(s[1], 9);
      const [a, , , d, e, f] = /matrix\(([^)]*)\)/.exec(svgTransform(view))![1]!.split(' ').map(Number);
      const p: Position = [1000, 700];
      const screen = imageToScreen(view, p);
      expect(a! * p[0] + e!).toBeCloseTo(screen[0], 6);
      expect(d! * p[1] + f!).toBeCloseTo(screen[1], 6);
    }
  });

  it('gives the same level-0 shape and area whatever the zoom it was drawn at', () => {
    // The same tissue square, 400 × 300 level-0 px at (1000, 500), drawn on screen at each view.
    const corners: Position[] = [
      [1000, 500],
      [1400, 500],
      [1400, 800],
      [1000, 800],
    ];
    // (At the last view the square is 5 screen px wide: too small to click its corners apart.)
    for (const view of views.slice(0, 3)) {
      const g = drawPolygon(
        view,
        corners.map((c) => imageToScreen(view, c)),
      );
      expect(measure(g, px).area).toBeCloseTo(120_000, 3);
      expect((g as { coordinates: Position[][] }).coordinates[0]![2]![0]).toBeCloseTo(1400, 6);
    }
  });

  it('closes a polygon on its first corner and ignores a double-click repeat', () => {
    let r = click('polygon', null, [0, 0], 6);
    r = click('polygon', r.draft, [100, 0], 6);
    r = click('polygon', r.draft, [100, 100], 6);
    r = click('polygon', r.draft, [100, 100], 6);
    expect(finishPolygon(r.draft!)).toEqual({
      type: 'Polygon',
      coordinates: [
        [
          [0, 0],
          [100, 0],
          [100, 100],
          [0, 0],
        ],
      ],
    });
    r = click('polygon', r.draft, [3, 2], 6);
    expect(r.draft).toBeNull();
    expect(measure(r.done!, px).area).toBe(5000);
  });

  it('drags rulers, rectangles, ellipses and freehand outlines; tiny drags make nothing', () => {
    const ruler = endDrag(dragTo(startDrag('ruler', [0, 0]), [300, 400], 0), 3)!;
    expect(measure(ruler, { unit: 'um', x: 0.5, y: 0.5 }).length).toBe(250);
    expect(endDrag(dragTo(startDrag('ruler', [0, 0]), [1, 1], 0), 3)).toBeNull();
    expect(measure(endDrag(dragTo(startDrag('rectangle', [10, 10]), [0, 30], 0), 3)!, px).area).toBe(200);
    const ellipse = endDrag(dragTo(startDrag('ellipse', [0, 0]), [200, 100], 0), 3)!;
    expect(measure(ellipse, px).area / (Math.PI * 100 * 50)).toBeCloseTo(1, 2);
    let free = startDrag('freehand', [0, 0]);
    for (const p of [
      [1, 0],
      [50, 0],
      [50, 50],
      [0, 50],
    ] as Position[])
      free = dragTo(free, p, 5);
    expect(free.points).toHaveLength(4);
    expect(measure(endDrag(free, 3)!, px).area).toBe(2500);
  });

  it('finds the shape and corner under the pointer', () => {
    const square: Position[] = [
      [0, 0],
      [100, 0],
      [100, 100],
      [0, 100],
    ];
    const a = { id: 1, geometry: drawPolygon(views[0]!, square) };
    const line = {
      id: 2,
      geometry: {
        type: 'LineString',
        coordinates: [
          [0, 200],
          [100, 200],
        ],
      } as Geometry,
    };
    expect(annotationAt([a, line], [50, 50], 2)?.id).toBe(1);
    expect(annotationAt([a, line], [50, 201], 2)?.id).toBe(2);
    expect(annotationAt([a, line], [150, 150], 2)).toBeNull();
    expect(vertexAt(a.geometry, [99, 101], 3)).toBe(2);
    expect(svgPath(a.geometry)).toBe('M0 0L100 0L100 100L0 100L0 0Z');
  });
});

describe('measurement text', () => {
  it('shows mm² and mm with a trusted resolution, pixels and why without', () => {
    expect(formatArea(2_500_000, 'um')).toBe('2.500 mm²');
    expect(formatArea(1234, 'um')).toBe('0.0012 mm²');
    expect(formatLength(12_345, 'um')).toBe('12.35 mm');
    expect(formatLength(250, 'um')).toBe('250.0 µm');
    expect(formatArea(1234.4, 'px')).toBe('1,234 px²');
    expect(resolutionNote(resolutionOf({ x: 352.8, y: 352.8 }))).toMatch(/not a scanner/);
    expect(resolutionNote(resolutionOf(null))).toMatch(/gives no resolution/);
    expect(resolutionNote(resolutionOf({ x: 0.25, y: 0.25 }))).toBeNull();
  });
});

describe('undo and redo', () => {
  const T = '2026-12-08T00:00:00.000Z';
  const shape = (id: number, className: string): Annotation => ({
    id,
    slideId: 1,
    tool: 'point',
    geometry: { type: 'Point', coordinates: [id, id] },
    className,
    name: '',
    note: '',
    author: 'a',
    createdAt: T,
    updatedAt: T,
  });

  it('turns edits into the store calls that reverse and replay them', () => {
    const h = new EditHistory();
    h.record({ type: 'create', after: shape(1, 'Tumour') });
    h.record({ type: 'update', before: shape(1, 'Tumour'), after: shape(1, 'Benign') });
    h.record({ type: 'delete', before: shape(1, 'Benign') });
    expect(h.undo()).toEqual({ type: 'restore', id: 1 });
    expect(h.undo()).toEqual({ type: 'update', id: 1, to: shape(1, 'Tumour') });
    expect(h.undo()).toEqual({ type: 'delete', id: 1 });
    expect(h.undo()).toBeNull();
    expect(h.redo()).toEqual({ type: 'restore', id: 1 });
    expect(h.redo()).toEqual({ type: 'update', id: 1, to: shape(1, 'Benign') });
    h.record({ type: 'create', after: shape(2, 'Tumour') });
    expect(h.canRedo).toBe(false);
    expect(h.canUndo).toBe(true);
  });
});

describe('annotation keys', () => {
  const key = (k: string, extra: Partial<KeyInput> = {}): KeyInput => ({
    key: k,
    code: '',
    shiftKey: false,
    ctrlKey: false,
    metaKey: false,
    altKey: false,
    ...extra,
  });

  it('maps tools, undo/redo, delete, the mask keys, and Enter while drawing', () => {
    expect(actionFor(key('g'))).toEqual({ type: 'tool', tool: 'polygon' });
    expect(actionFor(key('L'))).toEqual({ type: 'tool', tool: 'ruler' });
    expect(actionFor(key('.'))).toEqual({ type: 'tool', tool: 'point' });
    expect(actionFor(key('z', { ctrlKey: true }))).toEqual({ type: 'undo' });
    expect(actionFor(key('Z', { ctrlKey: true, shiftKey: true }))).toEqual({ type: 'redo' });
    expect(actionFor(key('z', { metaKey: true }))).toEqual({ type: 'undo' });
    expect(actionFor(key('y', { ctrlKey: true }))).toEqual({ type: 'redo' });
    expect(actionFor(key('z', { ctrlKey: true, targetTag: 'TEXTAREA' }))).toBeNull();
    expect(actionFor(key('Delete'))).toEqual({ type: 'delete-annotation' });
    expect(actionFor(key('m'))).toEqual({ type: 'toggle-mask' });
    expect(actionFor(key('x'))).toEqual({ type: 'swap-overlays' });
    expect(actionFor(key('}'))).toEqual({ type: 'mask-opacity', delta: 0.1 });
    expect(actionFor(key('Enter', { drawing: true }))).toEqual({ type: 'finish-shape' });
    expect(actionFor(key('Enter'))).toEqual({ type: 'confirm' });
    expect(SHORTCUTS.map(([k]) => k)).toEqual(
      expect.arrayContaining(['G', 'L', 'Ctrl+Z / Ctrl+Shift+Z', 'M', 'X']),
    );
  });
});
