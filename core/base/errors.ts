/**
 * Typed errors that cross module boundaries. Every user-facing failure names the file it concerns (when there
 * is one) and the problem in plain words; the CLI prints them as `error: <file>: <problem>`.
 */
export class PatchgdError extends Error {
  readonly file: string | null;
  readonly problem: string;

  constructor(file: string | null, problem: string, options?: { cause?: unknown }) {
    super(file ? `${file}: ${problem}` : problem, options);
    this.name = new.target.name;
    this.file = file;
    this.problem = problem;
  }
}

/** A slide (TIFF) that cannot be read, or a request outside what it holds. */
export class SlideError extends PatchgdError {}

/** A dataset folder or label file that cannot be used as asked. */
export class DatasetError extends PatchgdError {}

/** Invalid command-line or configuration input. */
export class UsageError extends PatchgdError {}

/** One line for any thrown value: `<file>: <problem>` for our typed errors, else the message. */
export function describeError(err: unknown): string {
  if (err instanceof PatchgdError) return err.file ? `${err.file}: ${err.problem}` : err.problem;
  return err instanceof Error ? err.message : String(err);
}

/** Formats a failure as the one-line `error: <file>: <problem>` the CLI and the server print. */
export function formatError(err: unknown): string {
  return `error: ${describeError(err)}`;
}
