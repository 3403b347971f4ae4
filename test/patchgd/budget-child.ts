/**
 * Child process for the budget test: plans a run of `<image size>` px under a 1 GiB budget (training never
 * starts: the plan refuses) and prints the refusal and the RSS growth over the baseline, in MiB, as JSON.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { join } from 'node:path';
import { trainRun } from '../../core/learn/runner/index.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';

const [size, method] = [Number(process.argv[2]), process.argv[3] as 'patchgd' | 'gd'];
await tf.setBackend('cpu');
const dir = await makeTempDir('patchgd-budget-');
const sample = (label: number) => ({
  id: `s${label}`,
  label,
  load: () => Promise.reject(new Error('the plan must refuse before any image is loaded')),
});
const base = process.memoryUsage().rss;
let error = '';
try {
  await trainRun(
    {
      method,
      backbone: 'small',
      imageSize: size,
      patchSize: 32,
      memoryBudgetBytes: 2 ** 30,
      numClasses: 2,
      threads: 1,
    },
    [sample(0), sample(1)],
    [],
    { runDir: join(dir, 'run') },
  );
} catch (err) {
  error = (err as Error).message;
} finally {
  await removeDir(dir);
}
const growthMiB = Math.round((process.resourceUsage().maxRSS * 1024 - base) / 2 ** 20);
process.stdout.write(JSON.stringify({ error, growthMiB }) + '\n');
