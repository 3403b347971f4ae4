import type { Command } from 'commander';
import {
  DEFAULT_SEED,
  DEFAULT_SIZE,
  DEFAULT_SLIDES,
  generateDemoDataset,
  type DemoSummary,
} from '../../io/demo/index.ts';
import { integer } from '../../base/option-parsers.ts';

export interface DemoDataOptions {
  out: string;
  slides: number;
  seed: number;
  size: number;
}

/** Adds the generator's options (shared by `demo-data` and `demo`). */
export function withDemoOptions(command: Command): Command {
  return command
    .option('--slides <n>', 'number of slides', integer('slides', 0), DEFAULT_SLIDES)
    .option('--seed <s>', 'random seed (same seed, same bytes)', integer('seed', 0), DEFAULT_SEED)
    .option('--size <px>', 'longer side of each slide in pixels', integer('size', 0), DEFAULT_SIZE);
}

/** Generates the demo dataset with one progress line per finished slide on stderr. */
export async function generateWithProgress(o: DemoDataOptions): Promise<DemoSummary> {
  let shown = -1;
  return generateDemoDataset({
    ...o,
    onProgress: (p) => {
      if (p.rowsDone === p.rows && p.slide !== shown) {
        shown = p.slide;
        process.stderr.write(`slide ${p.slide + 1}/${p.slides} ${p.imageId}\n`);
      }
    },
  });
}

/** `patchgd demo-data`: writes the synthetic PANDA-like dataset. */
export function register(program: Command): void {
  withDemoOptions(
    program
      .command('demo-data')
      .description(
        'generate a synthetic PANDA-like dataset (train.csv, pyramidal TIFF slides and label masks)',
      )
      .requiredOption('--out <dir>', 'output folder'),
  ).action(async (o: DemoDataOptions) => {
    const { records: _records, ...brief } = await generateWithProgress(o);
    process.stdout.write(JSON.stringify(brief) + '\n');
  });
}
