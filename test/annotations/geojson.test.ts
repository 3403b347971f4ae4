import { describe, expect, it } from 'vitest';
import type { Annotation } from '../../core/shared/annotations.ts';
import { fromGeoJson, GeoJsonFormatError, toGeoJson } from '../../core/shared/geojson.ts';

const T = '2026-12-08T03:00:00.000Z';
const base = { slideId: 1, author: 'dr a', createdAt: T, updatedAt: T, name: '', note: '' };

const annotations: Annotation[] = [
  {
    ...base,
    id: 1,
    tool: 'ellipse',
    className: 'Gleason 4',
    name: 'core 2',
    note: 'cribriform',
    geometry: {
      type: 'Polygon',
      coordinates: [
        [
          [0.5, 0],
          [100, 0],
          [100, 60.25],
          [0.5, 0],
        ],
      ],
    },
  },
  {
    ...base,
    id: 2,
    tool: 'ruler',
    className: null,
    geometry: {
      type: 'LineString',
      coordinates: [
        [1, 2],
        [3, 4],
      ],
    },
  },
  { ...base, id: 3, tool: 'point', className: 'Tumour', geometry: { type: 'Point', coordinates: [7, 8] } },
];

describe('GeoJSON in QuPath’s layout', () => {
  it('exports features with objectType, classification name and [r, g, b] colour', () => {
    const out = toGeoJson(annotations, [{ name: 'Gleason 4', color: '#f08c00' }]);
    expect(out.type).toBe('FeatureCollection');
    expect(out.features[0]!.properties).toEqual({
      objectType: 'annotation',
      name: 'core 2',
      classification: { name: 'Gleason 4', color: [240, 140, 0] },
      metadata: { patchgdTool: 'ellipse', note: 'cribriform' },
    });
    // A class without a colour in the list is exported grey; an unclassified one has no classification.
    expect(out.features[2]!.properties.classification).toEqual({ name: 'Tumour', color: [180, 180, 180] });
    expect(out.features[1]!.properties.classification).toBeUndefined();
    expect(new Set(out.features.map((f) => f.id)).size).toBe(3);
  });

  it('round-trips: export → text → import gives the same annotations', () => {
    const text = JSON.stringify(toGeoJson(annotations, []));
    const back = fromGeoJson(text);
    expect(back.skipped).toBe(0);
    expect(back.annotations).toEqual(
      annotations.map((a) => ({
        tool: a.tool,
        geometry: a.geometry,
        className: a.className,
        name: a.name,
        note: a.note,
      })),
    );
  });

  it('reads a file written the way QuPath writes it: holes, MultiPolygon, detections, old colours', () => {
    // As QuPath 0.4 "Export as GeoJSON" writes it (pretty-printed, ids as UUIDs, isLocked, measurements),
    // plus a pre-0.3 colorRGB and a detection object that must be skipped.
    const qupath = `{
  "type": "FeatureCollection",
  "features": [
    {
      "type": "Feature",
      "id": "5e0f8c2a-1d2b-4c3f-9a8b-7c6d5e4f3a21",
      "geometry": {
        "type": "Polygon",
        "coordinates": [
          [[1000, 1000], [3000, 1000], [3000, 2000], [1000, 2000], [1000, 1000]],
          [[1500, 1200], [1500, 1800], [2000, 1800], [2000, 1200], [1500, 1200]]
        ]
      },
      "properties": {
        "objectType": "annotation",
        "name": "Region with lumen",
        "classification": { "name": "Tumor", "color": [200, 0, 0] },
        "isLocked": false
      }
    },
    {
      "type": "Feature",
      "id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
      "geometry": {
        "type": "MultiPolygon",
        "coordinates": [
          [[[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]],
          [[[20, 20], [40, 20], [40, 40], [20, 40], [20, 20]], [[25, 25], [30, 25], [30, 30], [25, 30], [25, 25]]]
        ]
      },
      "properties": { "objectType": "annotation", "classification": { "name": "Stroma", "colorRGB": -6895466 } }
    },
    {
      "type": "Feature",
      "id": "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e",
      "geometry": { "type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]] },
      "properties": { "objectType": "detection", "classification": { "name": "Tumor", "color": [200, 0, 0] } }
    },
    {
      "type": "Feature",
      "id": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
      "geometry": { "type": "MultiPoint", "coordinates": [[5, 6], [7, 8]] },
      "properties": { "objectType": "annotation" }
    }
  ]
}`;
    const read = fromGeoJson(qupath);
    expect(read.skipped).toBe(1);
    expect(read.classes).toEqual([
      { name: 'Tumor', color: '#c80000' },
      { name: 'Stroma', color: '#96c896' },
    ]);
    expect(read.annotations.map((a) => [a.tool, a.geometry.type, a.className, a.name])).toEqual([
      ['polygon', 'Polygon', 'Tumor', 'Region with lumen'],
      ['polygon', 'MultiPolygon', 'Stroma', ''],
      ['point', 'MultiPoint', null, ''],
    ]);
    const hole = read.annotations[0]!.geometry as { coordinates: number[][][] };
    expect(hole.coordinates).toHaveLength(2);
    const multi = read.annotations[1]!.geometry as { coordinates: number[][][][] };
    expect(multi.coordinates[1]).toHaveLength(2);
  });

  it('accepts one Feature or an array of Features', () => {
    const feature = toGeoJson(annotations.slice(2), []).features[0];
    expect(fromGeoJson(JSON.stringify(feature)).annotations).toHaveLength(1);
    expect(fromGeoJson(JSON.stringify([feature, feature])).annotations).toHaveLength(2);
  });

  it('says what is wrong with a bad file', () => {
    expect(() => fromGeoJson('{')).toThrow(GeoJsonFormatError);
    expect(() => fromGeoJson('{"type":"Topology"}')).toThrow(/expected a FeatureCollection/);
    const open = {
      type: 'Feature',
      geometry: {
        type: 'Polygon',
        coordinates: [
          [
            [0, 0],
            [1, 0],
            [1, 1],
            [0, 1],
          ],
        ],
      },
      properties: {},
    };
    expect(() => fromGeoJson(JSON.stringify([open]))).toThrow(/feature 1: Polygon geometry .*ring must end/);
    const collection = { ...open, geometry: { type: 'GeometryCollection', geometries: [] } };
    expect(() => fromGeoJson(JSON.stringify([collection]))).toThrow(
      /GeometryCollection geometry is not usable/,
    );
  });
});
