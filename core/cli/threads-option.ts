import type { Command } from 'commander';
import { integer } from '../base/option-parsers.ts';

/** Adds `--threads` to a command that runs the engine: worker threads sharing the backbone's work. */
export function withThreadsOption(command: Command): Command {
  return command.option(
    '--threads <n>',
    'engine threads sharing the backbone work (default: one per core on the wasm and cpu backends; 1 keeps it on the main thread)',
    integer('threads', 1),
  );
}
