/**
 * How a job over many items (predict, eval, grade) went as a whole. One failed item does not stop the others,
 * but a job none of whose items succeeded has failed, and says so with its exit code, not only in a table.
 */
import { PatchgdError } from '../base/errors.ts';

export interface ItemSummary {
  items: number;
  succeeded: number;
  failed: number;
}

/** A job over items of which not one succeeded: `file` is the data folder, the problem quotes the first error. */
export class NothingSucceededError extends PatchgdError {}

export function summarizeItems(results: readonly { error: unknown }[]): ItemSummary {
  const failed = results.filter((r) => r.error !== null && r.error !== undefined).length;
  return { items: results.length, succeeded: results.length - failed, failed };
}

/** `what`: the verb in "none of the N items could be <what>". */
export function requireAnySucceeded(
  results: readonly { id: string; error: unknown }[],
  dataDir: string | null,
  what: string,
  noun = 'items',
): ItemSummary {
  const summary = summarizeItems(results);
  if (summary.items > 0 && summary.succeeded === 0) {
    const first = results[0]!;
    const reason = typeof first.error === 'string' ? first.error : describe(first.error);
    throw new NothingSucceededError(
      dataDir,
      `none of the ${summary.items} ${noun} could be ${what} (first, ${first.id}: ${reason})`,
    );
  }
  return summary;
}

function describe(error: unknown): string {
  if (error && typeof error === 'object' && 'problem' in error) {
    const { file, problem } = error as { file: string | null; problem: string };
    return file ? `${file}: ${problem}` : problem;
  }
  return String(error);
}

/** One stderr line for a partial failure, or null when every item succeeded. */
export function partialFailureLine(summary: ItemSummary, noun = 'items'): string | null {
  return summary.failed > 0 && summary.succeeded > 0
    ? `warning: ${summary.failed} of ${summary.items} ${noun} failed (listed above)`
    : null;
}
