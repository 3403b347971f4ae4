import { Option, type Command } from 'commander';
import {
  BACKEND_NAMES,
  describeBackend,
  selectBackend,
  type BackendPreference,
} from '../learn/backend/backend.ts';

/** Adds `--backend` to a command that runs the engine. */
export function withBackendOption(command: Command): Command {
  return command.addOption(
    new Option(
      '--backend <name>',
      'TensorFlow.js backend (default: PATCHGD_BACKEND, else the best available)',
    )
      .choices(['auto', ...BACKEND_NAMES])
      .default('auto'),
  );
}

/** Starts the backend and says on stderr which one runs and why the better ones were skipped. */
export async function startBackend(prefer: BackendPreference): Promise<string> {
  const choice = await selectBackend({ prefer });
  const skipped = choice.skipped.map((s) => `${s.name}: ${s.reason}`).join('; ');
  const { wasm } = describeBackend();
  const simd = wasm?.multiplyAdd
    ? `, SIMD ${wasm.multiplyAdd === 'fused' ? `fused multiply-add (relaxed SIMD ${wasm.relaxedSimd})` : 'multiply then add'}`
    : '';
  process.stderr.write(
    `backend: ${choice.name} (${choice.reason}${simd})${skipped ? ` — skipped ${skipped}` : ''}\n`,
  );
  return choice.name;
}
