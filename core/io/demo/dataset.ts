/**
 * The synthetic PANDA-like dataset: `train.csv`, `train_images/<id>.tiff` and
 * `train_label_masks/<id>_mask.tiff`, deterministic for a seed.
 */
import path from 'node:path';
import { DatasetError, UsageError } from '../../base/errors.ts';
import { writeFileAtomic } from '../../base/atomic.ts';
import { gleasonToIsup } from '../dataset/gleason.ts';
import { gleasonString, SCORES_BY_GRADE, type GleasonScore, type Provider } from './gleason.ts';
import { drawSlidePlan, type SlidePlan } from './plan.ts';
import { Prng } from '../../base/random.ts';
import { hexId } from './rng.ts';
import { writeSlide } from './slide.ts';
import { stat } from 'node:fs/promises';
import { makeDir } from '../../base/dirs.ts';

export const DEFAULT_SLIDES = 24;
export const DEFAULT_SEED = 42;
export const DEFAULT_SIZE = 4096;
export const MIN_SIZE = 512;
export const MAX_SIZE = 200_000;
export const MAX_SLIDES = 100_000;

export interface DemoOptions {
  out: string;
  slides?: number;
  seed?: number;
  /** Longer side of each slide in level-0 pixels. */
  size?: number;
  /** Force BigTIFF output (otherwise only when a file could pass 4 GB). */
  bigTiff?: boolean;
  onProgress?: (p: DemoProgress) => void;
}

export interface DemoProgress {
  /** 0-based index of the slide being written. */
  slide: number;
  slides: number;
  imageId: string;
  rowsDone: number;
  rows: number;
}

export interface DemoSlideRecord {
  imageId: string;
  provider: Provider;
  isupGrade: number;
  gleasonScore: string;
  width: number;
  height: number;
}

export interface DemoSummary {
  out: string;
  seed: number;
  size: number;
  slides: number;
  /** Slides per ISUP grade 0–5. */
  perGrade: number[];
  perProvider: Record<Provider, number>;
  /** Bytes of everything written (slides, masks, CSV). */
  bytes: number;
  seconds: number;
  records: DemoSlideRecord[];
}

export interface SlideAssignment {
  imageId: string;
  provider: Provider;
  score: GleasonScore;
  isupGrade: number;
}

/**
 * Labels for `n` slides: grades cycle 0–5 before shuffling (balanced), providers alternate within each grade,
 * and grades 4 and 5 draw among the scores that give them.
 */
export function assignSlides(rng: Prng, n: number): SlideAssignment[] {
  const grades = rng.shuffle(Array.from({ length: n }, (_, i) => i % 6));
  const nextProvider = Array.from({ length: 6 }, () => rng.nextInt(2));
  return grades.map((grade) => {
    const provider: Provider = nextProvider[grade] === 0 ? 'radboud' : 'karolinska';
    nextProvider[grade] = 1 - (nextProvider[grade] as number);
    const score = rng.pick(SCORES_BY_GRADE[grade] as readonly GleasonScore[]);
    return { imageId: hexId(rng), provider, score, isupGrade: grade };
  });
}

/**
 * The labels and slide plans of a dataset, in order: what `generateDemoDataset` renders, so tests can re-render
 * any region. Plans are drawn lazily; each is small (a coarse field and gland lists), not pixels.
 */
export function* planDataset(
  seed: number,
  slides: number,
  size: number,
): Generator<{ assignment: SlideAssignment; plan: SlidePlan }> {
  const rng = Prng.fromSeed(seed);
  const assignments = assignSlides(rng, slides);
  for (const assignment of assignments) {
    const plan = drawSlidePlan(rng.fork(), { size, provider: assignment.provider, score: assignment.score });
    yield { assignment, plan };
  }
}

function checkInt(name: string, v: number, lo: number, hi: number): number {
  if (!Number.isInteger(v) || v < lo || v > hi)
    throw new UsageError(null, `${name} must be an integer in ${lo}..${hi}, got ${v}`);
  return v;
}

/** The CSV PANDA ships, header and rows, with a trailing newline. */
export function trainCsv(records: DemoSlideRecord[]): string {
  const lines = records.map((r) => `${r.imageId},${r.provider},${r.isupGrade},${r.gleasonScore}`);
  return ['image_id,data_provider,isup_grade,gleason_score', ...lines].join('\n') + '\n';
}

/** Generates the whole dataset under `opts.out`; same options, same bytes. */
export async function generateDemoDataset(opts: DemoOptions): Promise<DemoSummary> {
  const slides = checkInt('slides', opts.slides ?? DEFAULT_SLIDES, 1, MAX_SLIDES);
  const seed = checkInt('seed', opts.seed ?? DEFAULT_SEED, 0, 2 ** 32 - 1);
  const size = checkInt('size', opts.size ?? DEFAULT_SIZE, MIN_SIZE, MAX_SIZE);
  const started = performance.now();
  const imagesDir = path.join(opts.out, 'train_images');
  const masksDir = path.join(opts.out, 'train_label_masks');
  try {
    await makeDir(imagesDir);
    await makeDir(masksDir);
  } catch (err) {
    throw new DatasetError(opts.out, `cannot create the dataset folders: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const records: DemoSlideRecord[] = [];
  let bytes = 0;
  let i = -1;
  for (const { assignment: a, plan } of planDataset(seed, slides, size)) {
    i++;
    const slidePath = path.join(imagesDir, `${a.imageId}.tiff`);
    const maskPath = path.join(masksDir, `${a.imageId}_mask.tiff`);
    try {
      await writeSlide(plan, slidePath, maskPath, {
        bigTiff: opts.bigTiff,
        onRow: (rowsDone, rows) =>
          opts.onProgress?.({ slide: i, slides, imageId: a.imageId, rowsDone, rows }),
      });
      bytes += (await stat(slidePath)).size + (await stat(maskPath)).size;
    } catch (err) {
      throw new DatasetError(slidePath, `cannot write the slide: ${(err as Error).message}`, { cause: err });
    }
    records.push({
      imageId: a.imageId,
      provider: a.provider,
      isupGrade: a.score ? gleasonToIsup(a.score.primary, a.score.secondary) : 0,
      gleasonScore: gleasonString(a.score, a.provider),
      width: plan.width,
      height: plan.height,
    });
  }
  const csv = trainCsv(records);
  const csvPath = path.join(opts.out, 'train.csv');
  await writeFileAtomic(csvPath, csv);
  bytes += Buffer.byteLength(csv);
  const perGrade = [0, 0, 0, 0, 0, 0];
  const perProvider: Record<Provider, number> = { radboud: 0, karolinska: 0 };
  for (const r of records) {
    perGrade[r.isupGrade]! += 1;
    perProvider[r.provider] += 1;
  }
  return {
    out: opts.out,
    seed,
    size,
    slides,
    perGrade,
    perProvider,
    bytes,
    seconds: (performance.now() - started) / 1000,
    records,
  };
}
