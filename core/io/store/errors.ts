import { PatchgdError } from '../../base/errors.ts';

/** The project store (its SQLite file) cannot be opened, upgraded or written as asked. */
export class StoreError extends PatchgdError {}
