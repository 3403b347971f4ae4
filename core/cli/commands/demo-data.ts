import type { Command } from 'commander';
import { DEFAULT_SEED, DEFAULT_SIZE, DEFAULT_SLIDES, generateDemoDataset } from '../../demo/index.ts';
import { UsageError } from '../../errors.ts';

function integer(name: string): (v: string) => number {
  return (v) => {
    if (!/^\d+$/.test(v)) throw new UsageError(null, `--${name} must be a non-negative integer, got '${v}'`);
    return Number(v);
  };
}

/** `patchgd demo-data`: writes the synthetic PANDA-like dataset. */
export function register(program: Command): void {
  program
    .command('demo-data')
    .description('generate a synthetic PANDA-like dataset (train.csv, pyramidal TIFF slides and label masks)')
    .requiredOption('--out <dir>', 'output folder')
    .option('--slides <n>', 'number of slides', integer('slides'), DEFAULT_SLIDES)
    .option('--seed <s>', 'random seed (same seed, same bytes)', integer('seed'), DEFAULT_SEED)
    .option('--size <px>', 'longer side of each slide in pixels', integer('size'), DEFAULT_SIZE)
    .action(async (o: { out: string; slides: number; seed: number; size: number }) => {
      let shown = -1;
      const summary = await generateDemoDataset({
        ...o,
        onProgress: (p) => {
          if (p.rowsDone === p.rows && p.slide !== shown) {
            shown = p.slide;
            process.stderr.write(`slide ${p.slide + 1}/${p.slides} ${p.imageId}\n`);
          }
        },
      });
      const { records: _records, ...brief } = summary;
      process.stdout.write(JSON.stringify(brief) + '\n');
    });
}
