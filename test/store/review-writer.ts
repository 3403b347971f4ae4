/**
 * Child process of the kill test: saves reviews of one slide in a tight loop and prints the sequence number
 * of each save after it committed. Usage: review-writer.ts <store dir> <slide id> <round>
 */
import { openStore, saveReview } from '../../core/io/store/index.ts';

const [dir, slide, round] = process.argv.slice(2);
if (dir === undefined || slide === undefined || round === undefined) {
  process.stderr.write('usage: review-writer.ts <store dir> <slide id> <round>\n');
  process.exit(2);
}
const store = openStore(dir);
for (let seq = 0; ; seq++) {
  saveReview(store, {
    slideId: Number(slide),
    reviewer: 'kill test',
    status: 'overridden',
    grade: seq % 6,
    note: `${round}:${seq}`,
  });
  // Pipes are synchronous on Linux: once the parent reads this line, the commit above has returned.
  process.stdout.write(`${seq}\n`);
}
