/** `patchgd grade`: ISUP grade, probabilities and patch attention for every slide of a folder. */
import { Option, type Command } from 'commander';
import type { BackendPreference } from '../../learn/backend/backend.ts';
import { UsageError } from '../../base/errors.ts';
import {
  COLORMAPS,
  type AttentionMethod,
  type AttentionTarget,
  type ColormapName,
} from '../../learn/grading/index.ts';
import { gradeFolder, type SlideResult } from '../../jobs/grade-folder.ts';
import { heldOutIds } from '../../jobs/split-record.ts';
import { startBackend, withBackendOption } from '../backend-option.ts';
import { withThreadsOption } from '../threads-option.ts';
import { finishItems } from '../item-outcome.ts';
import { decimal, integer } from '../../base/option-parsers.ts';

interface GradeOptions {
  model: string;
  data: string;
  out: string;
  json?: boolean;
  checkpoint?: 'best' | 'last';
  heldOut?: boolean;
  threads?: number;
  attention: AttentionMethod;
  attentionTarget: AttentionTarget;
  colormap: ColormapName;
  alpha: number;
  thumbnail: number;
  backend: BackendPreference;
  softwareGpu?: boolean;
}

function progressLine(done: number, total: number, slide: SlideResult): void {
  const what = slide.error
    ? `failed: ${slide.error}`
    : `grade ${slide.predicted} (${slide.seconds.toFixed(2)} s)`;
  process.stderr.write(`[${done}/${total}] ${slide.id} ${what}\n`);
}

const fixed = (x: number | null | undefined, digits = 4) =>
  typeof x === 'number' ? x.toFixed(digits) : 'n/a';

export function register(program: Command): void {
  withThreadsOption(
    withBackendOption(
      program
        .command('grade')
        .description('grade every slide (ISUP 0–5) with probabilities and patch attention maps')
        .requiredOption('--model <run>', 'run folder written by `patchgd train`')
        .requiredOption('--data <dir>', 'PANDA folder or slide folder')
        .requiredOption(
          '--out <dir>',
          'output folder: predictions.csv, predictions.json, attention/, thumbnails/',
        )
        .addOption(
          new Option('--checkpoint <which>', 'checkpoint to use (default best, else last)').choices([
            'best',
            'last',
          ]),
        )
        .option('--held-out', 'grade only the slides the run held out for validation (its split.json)')
        .addOption(
          new Option(
            '--attention <method>',
            "attention method (gradcam: Grad-CAM averaged over the grid's 8 symmetries; gradcam-single: one arrangement)",
          )
            .choices(['gradcam', 'gradcam-single', 'occlusion'])
            .default('gradcam'),
        )
        .addOption(
          new Option(
            '--attention-target <what>',
            "what the maps explain: 'cancer' (any grade ≥ 1 against benign, scaled by the slide's cancer probability) or the predicted 'grade'",
          )
            .choices(['cancer', 'grade'])
            .default('cancer'),
        )
        .addOption(
          new Option('--colormap <name>', 'overlay colormap')
            .choices(Object.keys(COLORMAPS))
            .default('viridis'),
        )
        .option('--alpha <a>', 'overlay opacity 0–1', decimal('alpha', 0), 0.5)
        .option('--thumbnail <px>', 'longer side of thumbnails and overlays', integer('thumbnail', 16), 384)
        .option('--json', 'print the predictions.json object'),
    ),
  ).action(async (o: GradeOptions) => {
    if (o.alpha > 1) throw new UsageError(null, `--alpha must be a number ≤ 1, got '${o.alpha}'`);
    const backend = await startBackend(o);
    const report = await gradeFolder({
      runDir: o.model,
      dataDir: o.data,
      outDir: o.out,
      checkpoint: o.checkpoint,
      only: o.heldOut ? await heldOutIds(o.model, o.data) : undefined,
      threads: o.threads ?? 'auto',
      attention: o.attention,
      attentionTarget: o.attentionTarget,
      overlay: { colormap: o.colormap, alpha: o.alpha },
      thumbnailSize: o.thumbnail,
      backend,
      onSlide: progressLine,
    });
    if (o.json) {
      process.stdout.write(JSON.stringify(report) + '\n');
      finishItems(report.slides, o.data, 'graded', 'slides');
      return;
    }
    const { items, succeeded, failed } = report.summary;
    const lines = [`graded ${succeeded} of ${items} slides (${failed} failed) → ${o.out}`];
    if (report.metrics)
      lines.push(
        `qwk ${fixed(report.metrics.qwk)}  accuracy ${fixed(report.metrics.accuracy)}  (${report.metrics.n} labelled)`,
      );
    if (report.localization)
      lines.push(
        `localization AUROC ${fixed(report.localization.auroc)} over ${report.localization.patches} tissue patches ` +
          `(${report.localization.tumourPatches} tumour) of ${report.localization.slides} slides; ` +
          `mean per slide ${fixed(report.localization.meanSlideAuroc)}`,
      );
    process.stdout.write(lines.join('\n') + '\n');
    finishItems(report.slides, o.data, 'graded', 'slides');
  });
}
