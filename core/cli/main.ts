import { Command, CommanderError } from 'commander';
import { formatError } from '../base/errors.ts';
import { register as registerUltramnist } from './commands/ultramnist.ts';
import { register as registerTrain } from './commands/train.ts';
import { register as registerPredict } from './commands/predict.ts';
import { register as registerDataset } from './commands/dataset.ts';
import { register as registerSlide } from './commands/slide.ts';
import { register as registerDemoData } from './commands/demo-data.ts';
import { register as registerDemo } from './commands/demo.ts';
import { register as registerGrade } from './commands/grade.ts';
import { register as registerReport } from './commands/report.ts';
import { register as registerWeights } from './commands/weights.ts';
import { register as registerAnnotations } from './commands/annotations.ts';

/** Builds the `patchgd` command tree. Each command lives in its own module under ./commands. */
export function buildProgram(): Command {
  const program = new Command('patchgd')
    .description('PatchGD Studio: slides, datasets and Patch Gradient Descent training from the command line')
    .option('--debug', 'print stack traces on failure')
    .showHelpAfterError()
    .exitOverride();
  registerUltramnist(program);
  registerTrain(program);
  registerPredict(program);
  registerDataset(program);
  registerSlide(program);
  registerDemoData(program);
  registerDemo(program);
  registerGrade(program);
  registerReport(program);
  registerWeights(program);
  registerAnnotations(program);
  return program;
}

/** Runs the CLI and returns the process exit code; never throws. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  const debug = argv.includes('--debug');
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander already printed help or its own message.
      return err.exitCode;
    }
    process.stderr.write(formatError(err) + '\n');
    if (debug && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
    return 1;
  }
}
