import { describe, expect, it } from 'vitest';
import {
  classTotals,
  derivedFigures,
  ellipsePolygon,
  measure,
  moveVertex,
  rectanglePolygon,
  resolutionOf,
  translateGeometry,
  vertices,
  type Geometry,
} from '../../core/shared/annotations.ts';

/** A 100 × 60 px rectangle with a 20 × 10 px hole, clockwise outer ring and counter-clockwise hole. */
const withHole: Geometry = {
  type: 'Polygon',
  coordinates: [
    [
      [0, 0],
      [100, 0],
      [100, 60],
      [0, 60],
      [0, 0],
    ],
    [
      [10, 10],
      [10, 20],
      [30, 20],
      [30, 10],
      [10, 10],
    ],
  ],
};

describe('resolution', () => {
  it('trusts scanner resolutions and flags missing or image-writer ones', () => {
    expect(resolutionOf({ x: 0.25, y: 0.25 })).toEqual({ unit: 'um', x: 0.25, y: 0.25 });
    expect(resolutionOf(null)).toEqual({ unit: 'px', reason: 'no resolution in the file' });
    // 72 dpi = 352.8 µm/px: what image writers put in, not a scanner.
    expect(resolutionOf({ x: 25_400 / 72, y: 25_400 / 72 })).toEqual({
      unit: 'px',
      reason: 'not a scanner resolution',
    });
    expect(resolutionOf({ x: 10.5, y: 0.5 }).unit).toBe('px');
    expect(resolutionOf({ x: 10, y: 10 }).unit).toBe('um');
  });
});

describe('measurements', () => {
  it('takes holes out of the area whatever their winding, and counts their perimeter', () => {
    const px = measure(withHole, resolutionOf(null));
    expect(px).toEqual({ area: 6000 - 200, perimeter: 320 + 60, length: 0, unit: 'px' });
    const reversed: Geometry = {
      type: 'Polygon',
      coordinates: withHole.coordinates.map((r) => [...r].reverse()),
    };
    expect(measure(reversed, resolutionOf(null)).area).toBe(5800);
  });

  it('scales by the x and y resolution separately', () => {
    const um = measure(withHole, { unit: 'um', x: 0.5, y: 0.25 });
    expect(um.area).toBeCloseTo(5800 * 0.125, 9);
    expect(um.perimeter).toBeCloseTo(2 * (100 * 0.5 + 60 * 0.25) + 2 * (20 * 0.5 + 10 * 0.25), 9);
    const ruler: Geometry = {
      type: 'LineString',
      coordinates: [
        [0, 0],
        [30, 40],
        [30, 140],
      ],
    };
    expect(measure(ruler, resolutionOf(null)).length).toBe(150);
    expect(measure(ruler, { unit: 'um', x: 0.5, y: 0.5 }).length).toBe(75);
    expect(measure(ruler, { unit: 'um', x: 1, y: 0.5 }).length).toBeCloseTo(Math.hypot(30, 20) + 50, 9);
  });

  it('adds up the polygons of a MultiPolygon', () => {
    const b = rectanglePolygon([200, 200], [210, 220]);
    const multi: Geometry = {
      type: 'MultiPolygon',
      coordinates: [withHole.coordinates, (b as Extract<Geometry, { type: 'Polygon' }>).coordinates],
    };
    expect(measure(multi, resolutionOf(null)).area).toBe(5800 + 200);
  });

  it('draws ellipses within 0.2 % of their true area', () => {
    const e = ellipsePolygon([0, 0], [400, 100]);
    expect(Math.abs(measure(e, resolutionOf(null)).area / (Math.PI * 200 * 50) - 1)).toBeLessThan(0.002);
  });

  it('gives per-class totals and the ISUP figures', () => {
    const r = resolutionOf({ x: 0.5, y: 0.5 });
    const a = (className: string | null, geometry: Geometry) => ({ className, geometry });
    const list = [
      a('Gleason 3', rectanglePolygon([0, 0], [100, 100])),
      a('Gleason 4', rectanglePolygon([0, 0], [100, 50])),
      a('Gleason 4', rectanglePolygon([0, 0], [100, 50])),
      a('Tumour', {
        type: 'LineString',
        coordinates: [
          [0, 0],
          [0, 2000],
        ],
      }),
      a('Benign', rectanglePolygon([0, 0], [1000, 1000])),
      a(null, { type: 'Point', coordinates: [5, 5] }),
    ];
    const totals = classTotals(list, r);
    expect(totals.map((t) => [t.className, t.count])).toEqual([
      ['Gleason 3', 1],
      ['Gleason 4', 2],
      ['Tumour', 1],
      ['Benign', 1],
      [null, 1],
    ]);
    const d = derivedFigures(list, r);
    expect(d.tumourArea).toBeCloseTo(20_000 * 0.25, 9);
    expect(d.tumourLength).toBeCloseTo(1000, 9);
    expect(d.percentGleason4).toBeCloseTo(50, 9);
    expect(derivedFigures([list[4]!], r).percentGleason4).toBeNull();
  });
});

describe('editing', () => {
  it('moves a ring’s first corner together with its closing copy', () => {
    const moved = moveVertex(withHole, 0, [-5, -5]) as Extract<Geometry, { type: 'Polygon' }>;
    expect(moved.coordinates[0]![0]).toEqual([-5, -5]);
    expect(moved.coordinates[0]!.at(-1)).toEqual([-5, -5]);
    // Vertex 4 is the hole's first corner (the outer ring has 4).
    const hole = moveVertex(withHole, 4, [11, 11]) as Extract<Geometry, { type: 'Polygon' }>;
    expect(hole.coordinates[1]![0]).toEqual([11, 11]);
    expect(hole.coordinates[1]!.at(-1)).toEqual([11, 11]);
    expect(vertices(withHole)).toHaveLength(8);
  });

  it('translates every position', () => {
    const t = translateGeometry(withHole, 3, -2);
    expect(measure(t, resolutionOf(null))).toEqual(measure(withHole, resolutionOf(null)));
    expect(vertices(t)[0]).toEqual([3, -2]);
  });
});
