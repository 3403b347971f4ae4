/**
 * Child process of the annotation kill test: edits one annotation in a tight loop (its geometry and note) and
 * prints the sequence number of each edit after it committed. Usage: annotation-writer.ts <store dir> <id> <round>
 */
import { openStore, updateAnnotation } from '../../core/io/store/index.ts';
import { rectanglePolygon } from '../../core/shared/annotations.ts';

const [dir, id, round] = process.argv.slice(2);
if (dir === undefined || id === undefined || round === undefined) {
  process.stderr.write('usage: annotation-writer.ts <store dir> <annotation id> <round>\n');
  process.exit(2);
}
const store = openStore(dir);
for (let seq = 0; ; seq++) {
  updateAnnotation(
    store,
    Number(id),
    { geometry: rectanglePolygon([0, 0], [seq + 1, 10]), note: `${round}:${seq}` },
    'kill test',
  );
  // Pipes are synchronous on Linux: once the parent reads this line, the commit above has returned.
  process.stdout.write(`${seq}\n`);
}
