/** `patchgd weights import|export` and `patchgd embed`: PyTorch weights in and out, and a check of an import. */
import { Option, type Command } from 'commander';
import type { BackendPreference } from '../../learn/backend/backend.ts';
import { embedBatch, exportWeights, importWeights } from '../../jobs/weights.ts';
import type { TorchBackbone } from '../../learn/models/pytorch-weights.ts';
import { startBackend, withBackendOption } from '../backend-option.ts';
import { decimal, integer } from '../../base/option-parsers.ts';

const backboneOption = () =>
  new Option('--backbone <name>', 'architecture the weights are for')
    .choices(['resnet50', 'mobilenetv2'])
    .makeOptionMandatory();
const widthOption = () =>
  new Option(
    '--width <alpha>',
    "MobileNetV2 width multiplier, as torchvision's width_mult (default 1)",
  ).argParser(decimal('width', 0, true));

interface ImportOptions {
  backbone: TorchBackbone;
  width?: number;
  from: string;
  out: string;
  latent?: number;
  seed?: number;
  json?: boolean;
  backend: BackendPreference;
}

interface ExportOptions {
  model: string;
  out: string;
  checkpoint?: 'best' | 'last';
  backend: BackendPreference;
}

interface EmbedOptions {
  backbone: TorchBackbone;
  width?: number;
  weights: string;
  input: string;
  trainMode?: boolean;
  json?: boolean;
  backend: BackendPreference;
}

export function register(program: Command): void {
  const weights = program
    .command('weights')
    .description('import PyTorch weights, or export a trained backbone');
  withBackendOption(
    weights
      .command('import')
      .description(
        'convert a PyTorch state_dict (torch.save or safetensors) into a backbone folder for --backbone-weights',
      )
      .addOption(backboneOption())
      .addOption(widthOption())
      .requiredOption('--from <file>', 'state_dict saved with torch.save, or a .safetensors file')
      .requiredOption('--out <dir>', 'folder to write (model.json, weights.bin, import.json)')
      .option(
        '--latent <d>',
        "latent size (default: the file's fc width, 256 for an ImageNet classifier)",
        integer('latent', 1),
      )
      .option('--seed <n>', 'seed of layers the file does not provide (default 42)', integer('seed', 0))
      .option('--json', 'print the result as one JSON object'),
  ).action(async (o: ImportOptions) => {
    await startBackend(o);
    const result = await importWeights({
      backbone: o.backbone,
      width: o.width,
      from: o.from,
      out: o.out,
      latentDim: o.latent,
      seed: o.seed,
    });
    for (const note of result.notes) process.stderr.write(`note: ${note}\n`);
    if (o.json) process.stdout.write(JSON.stringify(result) + '\n');
    else
      process.stdout.write(
        `imported ${result.layers} layers (${result.scheme} names) into ${result.out}; latent ${result.latentDim} ${result.latent}\n`,
      );
  });
  withBackendOption(
    weights
      .command('export')
      .description("write a trained run's backbone as safetensors with torchvision's parameter names")
      .requiredOption('--model <run>', 'run folder written by `patchgd train`')
      .requiredOption('--out <file>', 'safetensors file to write')
      .addOption(
        new Option('--checkpoint <which>', 'checkpoint to export (default best, else last)').choices([
          'best',
          'last',
        ]),
      ),
  ).action(async (o: ExportOptions) => {
    await startBackend(o);
    const result = await exportWeights({ model: o.model, out: o.out, checkpoint: o.checkpoint });
    process.stdout.write(`wrote ${result.tensors} tensors to ${result.out}\n`);
  });
  withBackendOption(
    program
      .command('embed')
      .description("a backbone's output (latent vectors) for an NCHW .npy batch, to check imported weights")
      .addOption(backboneOption())
      .addOption(widthOption())
      .requiredOption('--weights <file|dir>', 'PyTorch state_dict file, or a folder from `weights import`')
      .requiredOption('--input <npy>', 'float N×3×S×S batch, used as is (no normalisation)')
      .option(
        '--train-mode',
        'normalise with the batch statistics (training mode) instead of the running ones',
      )
      .option('--json', 'print {"latent": [[…], …]}'),
  ).action(async (o: EmbedOptions) => {
    await startBackend(o);
    const latent = await embedBatch({
      backbone: o.backbone,
      width: o.width,
      weights: o.weights,
      input: o.input,
      trainMode: o.trainMode,
    });
    if (o.json) process.stdout.write(JSON.stringify({ latent }) + '\n');
    else for (const row of latent) process.stdout.write(row.map((v) => v.toPrecision(7)).join(' ') + '\n');
  });
}
