/**
 * The main window's bounds and maximized flag, remembered across launches in `window-state.json` in the
 * user-data folder. Reading never fails (a missing or damaged file means the defaults); writing is atomic.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../core/base/atomic.ts';
import { makeDir } from '../core/base/dirs.ts';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface WindowState {
  /** Absent when the window should be centred by the system. */
  x?: number;
  y?: number;
  width: number;
  height: number;
  maximized: boolean;
}

export const WINDOW_STATE_FILE = 'window-state.json';
export const DEFAULT_WINDOW_STATE: WindowState = { width: 1280, height: 820, maximized: false };
export const MIN_WINDOW_SIZE = { width: 800, height: 560 } as const;

const coordinate = z.number().int().min(-100_000).max(100_000);
const size = z.number().int().min(1).max(100_000);
const stateSchema = z.object({
  x: coordinate.optional(),
  y: coordinate.optional(),
  width: size,
  height: size,
  maximized: z.boolean().default(false),
});

/** The state a file's text holds, or the defaults when it is not valid JSON of the right shape. */
export function parseWindowState(text: string): WindowState {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ...DEFAULT_WINDOW_STATE };
  }
  const parsed = stateSchema.safeParse(json);
  return parsed.success ? parsed.data : { ...DEFAULT_WINDOW_STATE };
}

function overlap(a: Rect, b: Rect): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

/**
 * Keeps a remembered state usable on today's displays: the size is clamped to the minimum and to the largest
 * work area, and a position whose title bar region would be off every display (a monitor unplugged since) is
 * dropped so the window opens centred.
 */
export function fitToDisplays(state: WindowState, workAreas: readonly Rect[]): WindowState {
  const maxWidth = Math.max(MIN_WINDOW_SIZE.width, ...workAreas.map((a) => a.width));
  const maxHeight = Math.max(MIN_WINDOW_SIZE.height, ...workAreas.map((a) => a.height));
  const width = Math.min(Math.max(state.width, MIN_WINDOW_SIZE.width), maxWidth);
  const height = Math.min(Math.max(state.height, MIN_WINDOW_SIZE.height), maxHeight);
  const fitted: WindowState = { width, height, maximized: state.maximized };
  if (state.x === undefined || state.y === undefined) return fitted;
  const titleBar: Rect = { x: state.x, y: state.y, width, height: 40 };
  if (!workAreas.some((area) => overlap(titleBar, area) > 0)) return fitted;
  return { ...fitted, x: state.x, y: state.y };
}

export async function loadWindowState(userDataDir: string): Promise<WindowState> {
  try {
    return parseWindowState(await fs.readFile(path.join(userDataDir, WINDOW_STATE_FILE), 'utf8'));
  } catch {
    return { ...DEFAULT_WINDOW_STATE };
  }
}

export async function saveWindowState(userDataDir: string, state: WindowState): Promise<void> {
  await makeDir(userDataDir);
  await writeFileAtomic(path.join(userDataDir, WINDOW_STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
}
