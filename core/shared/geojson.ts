/**
 * Annotations as GeoJSON in QuPath's layout (QuPath's "Export objects as GeoJSON", docs:
 * https://qupath.readthedocs.io/en/stable/docs/advanced/exporting_annotations.html): a FeatureCollection of
 * Features whose `geometry` is in level-0 pixels and whose `properties` hold `objectType: "annotation"`,
 * `classification: { name, color: [r, g, b] }` and an optional `name`. What QuPath has no field for (the tool
 * that drew the shape, the note) goes into `properties.metadata`, string to string, which QuPath keeps.
 *
 * Reading accepts what QuPath versions write: a FeatureCollection, one Feature or an array of Features;
 * `classification.color` as [r, g, b] or `colorRGB` as a packed (A)RGB integer; Point, MultiPoint, LineString,
 * Polygon (with holes) and MultiPolygon geometries. Objects that are not annotations (detections, cells, tiles)
 * are skipped and counted.
 */
import {
  annotationToolSchema,
  geometrySchema,
  type Annotation,
  type AnnotationClass,
  type AnnotationTool,
  type Geometry,
} from './annotations.ts';

export interface GeoJsonFeature {
  type: 'Feature';
  id: string;
  geometry: Geometry;
  properties: {
    objectType: 'annotation';
    name?: string;
    classification?: { name: string; color: [number, number, number] };
    metadata: Record<string, string>;
  };
}

export interface GeoJsonFeatureCollection {
  type: 'FeatureCollection';
  features: GeoJsonFeature[];
}

/** An annotation read from a file: what the store needs to create it. */
export interface ImportedAnnotation {
  tool: AnnotationTool;
  geometry: Geometry;
  className: string | null;
  name: string;
  note: string;
}

export interface GeoJsonImport {
  annotations: ImportedAnnotation[];
  /** Classes named in the file, with the colour the file gives (first seen wins). */
  classes: AnnotationClass[];
  /** Objects that are not annotations (QuPath detections, cells, tiles). */
  skipped: number;
}

/** A problem with the file's content; the caller adds the file name. */
export class GeoJsonFormatError extends Error {}

function hexToRgb(color: string): [number, number, number] {
  const n = Number.parseInt(color.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function rgbToHex(rgb: readonly number[]): string {
  return `#${rgb
    .map((c) =>
      Math.max(0, Math.min(255, Math.round(c)))
        .toString(16)
        .padStart(2, '0'),
    )
    .join('')}`;
}

/** A slide's annotations as a FeatureCollection; `classes` give the colours (grey for a class not listed). */
export function toGeoJson(
  annotations: readonly Annotation[],
  classes: readonly AnnotationClass[],
): GeoJsonFeatureCollection {
  const colors = new Map(classes.map((c) => [c.name, c.color]));
  return {
    type: 'FeatureCollection',
    features: annotations.map((a) => {
      const metadata: Record<string, string> = { patchgdTool: a.tool };
      if (a.note !== '') metadata['note'] = a.note;
      return {
        type: 'Feature',
        // QuPath identifies objects by UUID; a stable one per store row keeps re-exports comparable.
        id: `00000000-0000-4000-8000-${a.id.toString(16).padStart(12, '0')}`,
        geometry: a.geometry,
        properties: {
          objectType: 'annotation',
          ...(a.name !== '' ? { name: a.name } : {}),
          ...(a.className !== null
            ? { classification: { name: a.className, color: hexToRgb(colors.get(a.className) ?? '#b4b4b4') } }
            : {}),
          metadata,
        },
      };
    }),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function featuresOf(json: unknown): unknown[] {
  if (Array.isArray(json)) return json;
  if (isRecord(json) && json['type'] === 'FeatureCollection' && Array.isArray(json['features']))
    return json['features'];
  if (isRecord(json) && json['type'] === 'Feature') return [json];
  throw new GeoJsonFormatError(
    'is not GeoJSON: expected a FeatureCollection, a Feature or an array of Features',
  );
}

/** QuPath writes [r, g, b]; versions before 0.3 wrote `colorRGB`, a packed ARGB integer. */
function classColor(classification: Record<string, unknown>): string | null {
  const color = classification['color'];
  if (Array.isArray(color) && color.length >= 3 && color.slice(0, 3).every((c) => typeof c === 'number'))
    return rgbToHex(color.slice(0, 3) as number[]);
  const packed = classification['colorRGB'];
  if (typeof packed === 'number' && Number.isInteger(packed))
    return rgbToHex([(packed >> 16) & 255, (packed >> 8) & 255, packed & 255]);
  return null;
}

function toolFor(geometry: Geometry, metadata: unknown): AnnotationTool {
  const named = isRecord(metadata) ? annotationToolSchema.safeParse(metadata['patchgdTool']) : null;
  const fits: Record<Geometry['type'], readonly AnnotationTool[]> = {
    Point: ['point'],
    MultiPoint: ['point'],
    LineString: ['ruler'],
    Polygon: ['polygon', 'freehand', 'rectangle', 'ellipse'],
    MultiPolygon: ['polygon', 'freehand'],
  };
  if (named?.success && fits[geometry.type].includes(named.data)) return named.data;
  return fits[geometry.type][0]!;
}

/** Reads GeoJSON text in QuPath's layout. Throws GeoJsonFormatError saying which feature is wrong and how. */
export function fromGeoJson(text: string): GeoJsonImport {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new GeoJsonFormatError(`is not JSON (${(err as Error).message})`);
  }
  const result: GeoJsonImport = { annotations: [], classes: [], skipped: 0 };
  const seen = new Set<string>();
  featuresOf(json).forEach((feature, i) => {
    if (!isRecord(feature) || feature['type'] !== 'Feature')
      throw new GeoJsonFormatError(`feature ${i + 1} is not a GeoJSON Feature`);
    const properties = isRecord(feature['properties']) ? feature['properties'] : {};
    const objectType = properties['objectType'] ?? properties['object_type'] ?? 'annotation';
    if (objectType !== 'annotation') {
      result.skipped += 1;
      return;
    }
    if (!isRecord(feature['geometry'])) throw new GeoJsonFormatError(`feature ${i + 1} has no geometry`);
    const parsed = geometrySchema.safeParse(feature['geometry']);
    if (!parsed.success) {
      const type = String(feature['geometry']['type']);
      const issue = parsed.error.issues[0];
      throw new GeoJsonFormatError(
        `feature ${i + 1}: ${type} geometry is not usable (${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'}); ` +
          'supported: Point, MultiPoint, LineString, Polygon, MultiPolygon',
      );
    }
    const classification = isRecord(properties['classification']) ? properties['classification'] : null;
    const className =
      classification && typeof classification['name'] === 'string' && classification['name'].trim() !== ''
        ? classification['name'].trim()
        : null;
    if (className !== null && !seen.has(className)) {
      seen.add(className);
      const color = classColor(classification!);
      if (color) result.classes.push({ name: className, color });
    }
    const metadata = properties['metadata'];
    const note = isRecord(metadata) && typeof metadata['note'] === 'string' ? metadata['note'] : '';
    result.annotations.push({
      tool: toolFor(parsed.data, metadata),
      geometry: parsed.data,
      className,
      name: typeof properties['name'] === 'string' ? properties['name'] : '',
      note,
    });
  });
  return result;
}
