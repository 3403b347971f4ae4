import { promises as fs } from 'node:fs';
import { UsageError } from '../../base/errors.ts';
import { readSafetensors } from './safetensors.ts';
import type { StateDict } from './tensor.ts';
import { readTorchZip } from './torch-zip.ts';

/**
 * Reads a PyTorch state_dict from `file`, by content: a zip (`torch.save`) or safetensors (8-byte header length
 * followed by a JSON object). torch's pre-1.6 format (a bare pickle stream) is refused with how to convert it.
 */
export async function readStateDictFile(file: string): Promise<StateDict> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await fs.readFile(file));
  } catch (err) {
    throw new UsageError(file, `cannot read: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04)
    return readTorchZip(bytes, file);
  if (bytes.length >= 9 && bytes[8] === 0x7b) return readSafetensors(bytes, file);
  if (bytes[0] === 0x80)
    throw new UsageError(
      file,
      "torch's legacy (pre-1.6) format; re-save it in Python with torch.save(torch.load(f), out) to get the zip format",
    );
  throw new UsageError(file, 'neither a torch.save zip nor a safetensors file');
}
