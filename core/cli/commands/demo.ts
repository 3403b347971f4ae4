/** `patchgd demo`: the main job on the embedded default — builds the demo dataset and reports what it holds. */
import path from 'node:path';
import type { Command } from 'commander';
import { openDataset, summarizeDataset } from '../../io/dataset/index.ts';
import { formatBytes } from '../../learn/runner/index.ts';
import { formatSummary } from './dataset.ts';
import { generateWithProgress, withDemoOptions, type DemoDataOptions } from './demo-data.ts';

export function register(program: Command): void {
  withDemoOptions(
    program
      .command('demo')
      .description(
        'build the synthetic PANDA-like demo dataset and summarise it (default folder ./patchgd-demo)',
      )
      .option('--out <dir>', 'output folder', 'patchgd-demo'),
  ).action(async (o: DemoDataOptions) => {
    const out = path.resolve(o.out);
    const generated = await generateWithProgress({ ...o, out });
    const dataset = await openDataset(out);
    process.stdout.write(
      `generated ${generated.slides} slides of ${generated.size} px (seed ${generated.seed}) in ` +
        `${generated.seconds.toFixed(1)} s, ${formatBytes(generated.bytes)}\n` +
        formatSummary(summarizeDataset(dataset, 3)) +
        `next: npx patchgd train --data ${o.out} --out ${o.out}-run --backbone small --image-size 512 ` +
        `--patch-size 32 --epochs 10\n`,
    );
  });
}
