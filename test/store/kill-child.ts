/** Runs a store-writer child process and SIGKILLs it at a random point of its writes (the kill tests). */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * Runs `writer` (args: the store folder, then `args`) until it has reported 6 committed writes, then SIGKILLs it
 * after a random further delay, so the kill lands at a random point of a write. Resolves with the last sequence
 * number it reported committed.
 */
export function runAndKill(writer: string, dir: string, args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', writer, dir, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let last = -1;
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    createInterface({ input: child.stdout }).on('line', (line) => {
      last = Number(line);
      if (last === 5 && !timer) timer = setTimeout(() => child.kill('SIGKILL'), 20 + Math.random() * 300);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve(last);
      else reject(new Error(`writer exited with ${code ?? signal} before the kill: ${stderr}`));
    });
  });
}
