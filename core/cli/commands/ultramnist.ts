import type { Command } from 'commander';
import { UsageError } from '../../base/errors.ts';
import { generateUltraMnist, type Split } from '../../io/ultramnist/index.ts';
import { integer } from '../../base/option-parsers.ts';

function split(value: string): Split {
  if (value !== 'train' && value !== 'test')
    throw new UsageError(null, `--split must be train or test, got "${value}"`);
  return value;
}

interface UltraMnistCliOptions {
  out: string;
  count: number;
  size: number;
  classes: number;
  seed: number;
  split: Split;
  quiet?: boolean;
}

/** `patchgd ultramnist`: writes an UltraMNIST dataset (labels.csv, meta.json, images/*.png). */
export function register(program: Command): void {
  program
    .command('ultramnist')
    .description('generate an UltraMNIST dataset: 3–5 MNIST digits per black canvas, label = their sum')
    .requiredOption('--out <dir>', 'output folder (labels.csv, meta.json, images/<image_id>.png)')
    .option('--count <n>', 'number of images', integer('count'), 1000)
    .option('--size <px>', 'canvas side in pixels (benchmark 4000, quick setting 512)', integer('size'), 512)
    .option(
      '--classes <c>',
      'labels 0..c-1: 10 for the quick variant, 28 for the full benchmark',
      integer('classes'),
      10,
    )
    .option('--seed <s>', 'random seed', integer('seed'), 42)
    .option('--split <split>', 'train (first 80% of each digit class) or test (last 20%)', split, 'train')
    .option('--quiet', 'no progress on stderr')
    .action(async (o: UltraMnistCliOptions) => {
      const progressEvery = Math.max(1, Math.floor(o.count / 20));
      const summary = await generateUltraMnist({
        outDir: o.out,
        count: o.count,
        size: o.size,
        classes: o.classes,
        seed: o.seed,
        split: o.split,
        onProgress: (done, total) => {
          if (!o.quiet && (done % progressEvery === 0 || done === total))
            process.stderr.write(`ultramnist: ${done}/${total} images\n`);
        },
      });
      process.stdout.write(
        JSON.stringify({
          outDir: summary.outDir,
          ...summary.params,
          classCounts: summary.classCounts,
          elapsedMs: summary.elapsedMs,
        }) + '\n',
      );
    });
}
