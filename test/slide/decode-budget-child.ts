/**
 * Child process for the decode-budget test: asks for every tile of a deflate-bomb slide at once (PNG encode
 * path, the costliest) and prints the RSS growth over a warm baseline, in MiB, as JSON.
 */
import { ByteBudget, openSlide, TileCache } from '../../core/io/slide/index.ts';

const [file, budgetMiB] = [process.argv[2]!, Number(process.argv[3])];
const slide = await openSlide(file, {
  cache: new TileCache(1),
  decodeBudget: new ByteBudget(budgetMiB * 2 ** 20),
});
// Warm-up: loads libvips and its threads, so the baseline holds them.
await slide.readTile(1, 0, 0);
// Run with --expose-gc: collecting before each sample makes the figure what is held, not what V8 has yet to free.
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
gc();
const base = process.memoryUsage().rss;
let peak = base;
const sampler = setInterval(() => {
  gc();
  peak = Math.max(peak, process.memoryUsage().rss);
}, 5);
await Promise.all(Array.from({ length: 16 }, (_, i) => slide.readTile(0, i % 4, Math.floor(i / 4))));
clearInterval(sampler);
await slide.close();
process.stdout.write(JSON.stringify({ growthMiB: Math.round((peak - base) / 2 ** 20) }) + '\n');
