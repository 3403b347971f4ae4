import { PatchgdError } from '../base/errors.ts';
import type { Failure } from './engine-protocol.ts';

/** A thrown error as the file and problem to show; unexpected errors keep their message. */
export function toFailure(err: unknown): Failure {
  if (err instanceof PatchgdError) return { file: err.file, problem: err.problem };
  return { file: null, problem: err instanceof Error ? err.message : String(err) };
}
