/**
 * Child process for the memory test: writes one large slide and reports RSS growth over a baseline taken
 * after a small warm-up slide (which loads sharp/libvips and the JIT-compiled renderer).
 */
import path from 'node:path';
import { drawSlidePlan } from '../../core/io/demo/plan.ts';
import { Prng } from '../../core/base/random.ts';
import { writeSlide } from '../../core/io/demo/slide.ts';
import { makeTempDir, removeDir } from '../helpers/temp.ts';

const size = Number(process.argv[2]);
// With --expose-gc: collect garbage at each tile row, so the figure is what the writer holds, not what V8
// has yet to collect.
const gc = (globalThis as { gc?: () => void }).gc;
const dir = await makeTempDir('patchgd-demo-mem-');
try {
  const score = { primary: 4, secondary: 5 } as const;
  const warm = drawSlidePlan(Prng.fromSeed(1), { size: 1024, provider: 'radboud', score });
  await writeSlide(warm, path.join(dir, 'w.tiff'), path.join(dir, 'w_mask.tiff'));
  const plan = drawSlidePlan(Prng.fromSeed(2), { size, provider: 'radboud', score });
  gc?.();
  const base = process.memoryUsage().rss;
  let peak = base;
  const sample = (): void => {
    peak = Math.max(peak, process.memoryUsage().rss);
  };
  const onRow = (): void => {
    sample();
    gc?.();
  };
  const timer = setInterval(sample, 20);
  await writeSlide(plan, path.join(dir, 's.tiff'), path.join(dir, 's_mask.tiff'), { onRow });
  clearInterval(timer);
  sample();
  process.stdout.write(
    JSON.stringify({ width: plan.width, height: plan.height, growth: peak - base }) + '\n',
  );
} finally {
  await removeDir(dir);
}
