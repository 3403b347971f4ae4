/** The end of a CLI job over items: a warning line on partial failure, exit 1 (by throwing) when none succeeded. */
import { partialFailureLine, requireAnySucceeded } from '../jobs/item-outcome.ts';

export function finishItems(
  results: readonly { id: string; error: unknown }[],
  dataDir: string,
  what: string,
  noun = 'items',
): void {
  const line = partialFailureLine(requireAnySucceeded(results, dataDir, what, noun), noun);
  if (line) process.stderr.write(line + '\n');
}
