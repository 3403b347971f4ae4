/** Reads what the evaluation report shows: a `patchgd grade` output folder and its run's training curves. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { GradeReport, SlideResult } from '../grade-folder.ts';
import { UsageError } from '../../base/errors.ts';
import { summarizeItems } from '../item-outcome.ts';

/** One epoch of the run's `metrics.jsonl` as the report plots it. */
export interface CurvePoint {
  epoch: number;
  loss: number | null;
  valLoss: number | null;
  valQwk: number | null;
  valAccuracy: number | null;
}

export interface WorstCase {
  slide: SlideResult;
  /** data: URIs of the slide thumbnail and attention overlay (null when the file is missing). */
  thumbnail: string | null;
  overlay: string | null;
}

export interface ReportInput {
  grades: GradeReport;
  curves: CurvePoint[];
  /** Why there are no curves (no metrics.jsonl at the run), else null. */
  curvesMissing: string | null;
  worst: WorstCase[];
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Parses `predictions.json`, checking the parts the report relies on. */
export function parseGradeReport(text: string, file: string): GradeReport {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UsageError(file, `not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!isObject(json) || !Array.isArray(json.slides) || !isObject(json.run) || !isObject(json.run.config))
    throw new UsageError(file, 'not a `patchgd grade` result (no slides, run or run.config)');
  json.slides.forEach((s, i) => {
    if (!isObject(s) || typeof s.id !== 'string') throw new UsageError(file, `slide ${i} has no id`);
  });
  // Results written before maps could explain cancer explained the predicted grade; before summaries, the
  // summary is counted from the slides.
  const summary = summarizeItems(json.slides as { error: unknown }[]);
  return { attentionTarget: 'grade', summary, ...json } as unknown as GradeReport;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Epoch rows of a `metrics.jsonl`; lines that are not JSON objects with an epoch are skipped. */
export function parseCurves(text: string): CurvePoint[] {
  const points: CurvePoint[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      continue;
    }
    if (!isObject(row) || num(row.epoch) === null) continue;
    points.push({
      epoch: num(row.epoch)!,
      loss: num(row.loss),
      valLoss: num(row.valLoss),
      valQwk: num(row.valQwk),
      valAccuracy: num(row.valAccuracy),
    });
  }
  return points;
}

/**
 * Labelled slides where the model disagrees with the truth, worst first: by grade distance, then by how little
 * probability the true grade got.
 */
export function worstDisagreements(slides: readonly SlideResult[], count: number): SlideResult[] {
  const trueProb = (s: SlideResult) => s.probabilities?.[s.truth!] ?? 0;
  return slides
    .filter((s) => s.truth !== null && s.predicted !== null && s.predicted !== s.truth)
    .sort(
      (a, b) =>
        Math.abs(b.predicted! - b.truth!) - Math.abs(a.predicted! - a.truth!) || trueProb(a) - trueProb(b),
    )
    .slice(0, count);
}

/** A PNG under the grades folder as a data: URI; null when absent or when the path leaves the folder. */
async function pngDataUri(gradesDir: string, relative: string | null): Promise<string | null> {
  if (!relative) return null;
  const file = path.resolve(gradesDir, relative);
  if (path.relative(gradesDir, file).startsWith('..')) return null;
  try {
    return `data:image/png;base64,${(await fs.readFile(file)).toString('base64')}`;
  } catch {
    return null;
  }
}

/** Loads `predictions.json`, the run's `metrics.jsonl` and the worst cases' images. */
export async function loadReportInput(gradesDir: string, worstCount = 8): Promise<ReportInput> {
  const dir = path.resolve(gradesDir);
  const file = path.join(dir, 'predictions.json');
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    throw new UsageError(file, 'no grading results here (run `patchgd grade` first)');
  }
  const grades = parseGradeReport(text, file);
  const metricsFile = path.join(grades.run.dir, 'metrics.jsonl');
  let curves: CurvePoint[] = [];
  let curvesMissing: string | null = null;
  try {
    curves = parseCurves(await fs.readFile(metricsFile, 'utf8'));
    if (curves.length === 0) curvesMissing = `${metricsFile} holds no epochs`;
  } catch {
    curvesMissing = `${metricsFile} cannot be read`;
  }
  const worst = await Promise.all(
    worstDisagreements(grades.slides, worstCount).map(async (slide) => ({
      slide,
      thumbnail: await pngDataUri(dir, slide.thumbnail),
      overlay: await pngDataUri(dir, slide.attention?.png ?? null),
    })),
  );
  return { grades, curves, curvesMissing, worst };
}
