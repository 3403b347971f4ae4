/** `patchgd predict` and `patchgd eval`: a trained run applied to a folder, per item or as metrics. */
import { Option, type Command } from 'commander';
import type { BackendPreference } from '../../learn/backend/backend.ts';
import { evaluatePredictions, predictFolder, type ItemPrediction } from '../../jobs/predict.ts';
import { summarizeItems } from '../../jobs/item-outcome.ts';
import { DatasetError } from '../../base/errors.ts';
import { finishItems } from '../item-outcome.ts';
import { startBackend, withBackendOption } from '../backend-option.ts';
import { withThreadsOption } from '../threads-option.ts';

interface PredictOptions {
  model: string;
  data: string;
  json?: boolean;
  checkpoint?: 'best' | 'last';
  threads?: number;
  patchCache?: string;
  backend: BackendPreference;
  softwareGpu?: boolean;
}

function modelCommand(program: Command, name: string, description: string): Command {
  return withThreadsOption(
    withBackendOption(
      program
        .command(name)
        .description(description)
        .requiredOption('--model <run>', 'run folder written by `patchgd train`')
        .requiredOption('--data <dir>', 'PANDA folder, image folder with labels.csv, or slide folder')
        .addOption(
          new Option('--checkpoint <which>', 'checkpoint to use (default best, else last)').choices([
            'best',
            'last',
          ]),
        )
        .option('--patch-cache <dir>', 'read slides through the patch cache in this folder (see train)')
        .option('--json', 'print one JSON object'),
    ),
  );
}

function progressLine(done: number, total: number, item: ItemPrediction): void {
  const what = item.error ? `failed: ${item.error}` : `class ${item.predicted}`;
  process.stderr.write(`[${done}/${total}] ${item.id} ${what}\n`);
}

/** What `predictFolder` needs from the options. */
function folderOptions(o: PredictOptions) {
  return {
    checkpoint: o.checkpoint,
    threads: o.threads ?? ('auto' as const),
    onItem: progressLine,
    patchCache: o.patchCache,
  };
}

export function register(program: Command): void {
  modelCommand(program, 'predict', 'predict the class of every item, with probabilities').action(
    async (o: PredictOptions) => {
      const backend = await startBackend(o);
      const set = await predictFolder(o.model, o.data, folderOptions(o));
      const summary = summarizeItems(set.predictions);
      if (o.json) {
        process.stdout.write(JSON.stringify({ backend, summary, predictions: set.predictions }) + '\n');
      } else {
        for (const p of set.predictions) {
          const probs = p.probabilities?.map((v) => v.toFixed(3)).join(' ') ?? '';
          process.stdout.write(`${p.id}\t${p.error ? `error: ${p.error}` : `${p.predicted}\t${probs}`}\n`);
        }
      }
      finishItems(set.predictions, o.data, 'predicted');
    },
  );
  modelCommand(
    program,
    'eval',
    'accuracy, quadratic weighted kappa and confusion matrix on labelled data',
  ).action(async (o: PredictOptions) => {
    const backend = await startBackend(o);
    const set = await predictFolder(o.model, o.data, folderOptions(o));
    const report = evaluatePredictions(set.predictions, set.config.numClasses);
    const summary = summarizeItems(set.predictions);
    if (o.json) {
      process.stdout.write(JSON.stringify({ backend, summary, ...report }) + '\n');
    } else {
      const rows = report.confusion_matrix.map((row, i) => `  ${i}: ${row.join(' ')}`).join('\n');
      process.stdout.write(
        `items ${report.n} scored of ${summary.items} (${report.failed} failed)\n` +
          `accuracy ${report.accuracy.toFixed(4)}\nqwk ${report.qwk.toFixed(4)}\n` +
          `confusion matrix (rows = truth):\n${rows}\n`,
      );
    }
    finishItems(set.predictions, o.data, 'predicted');
    // Predictions without labels cannot be scored: metrics over nothing are NaN, not a result.
    if (report.n === 0)
      throw new DatasetError(o.data, 'no predicted item has a label, so nothing could be scored');
  });
}
