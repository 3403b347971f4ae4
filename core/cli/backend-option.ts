import { Option, type Command } from 'commander';
import {
  BACKEND_NAMES,
  describeBackend,
  selectBackend,
  type BackendPreference,
} from '../learn/backend/backend.ts';

/** The options `withBackendOption` adds. */
export interface BackendOptions {
  backend: BackendPreference;
  softwareGpu?: boolean;
}

/** Adds `--backend` and `--software-gpu` to a command that runs the engine. */
export function withBackendOption(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--backend <name>',
        'TensorFlow.js backend (default: PATCHGD_BACKEND, else the best available)',
      )
        .choices(['auto', ...BACKEND_NAMES])
        .default('auto'),
    )
    .addOption(
      new Option(
        '--software-gpu',
        'let webgpu run on a software adapter (SwiftShader: slow, for tests; default: PATCHGD_SOFTWARE_GPU=1)',
      ),
    );
}

/** Starts the backend and says on stderr which one runs and why the better ones were skipped. */
export async function startBackend(options: BackendOptions): Promise<string> {
  const choice = await selectBackend({
    prefer: options.backend,
    ...(options.softwareGpu ? { softwareGpu: true } : {}),
  });
  const skipped = choice.skipped.map((s) => `${s.name}: ${s.reason}`).join('; ');
  const { wasm, webgpu } = describeBackend();
  const simd = wasm?.multiplyAdd
    ? `, SIMD ${wasm.multiplyAdd === 'fused' ? `fused multiply-add (relaxed SIMD ${wasm.relaxedSimd})` : 'multiply then add'}`
    : '';
  const adapter = choice.adapter ? `, adapter ${choice.adapter}` : '';
  const env = webgpu?.environment.length ? `, set ${webgpu.environment.join(' ')}` : '';
  process.stderr.write(
    `backend: ${choice.name} (${choice.reason}${simd}${adapter}${env})${skipped ? ` — skipped ${skipped}` : ''}\n`,
  );
  return choice.name;
}
