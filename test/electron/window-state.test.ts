import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_WINDOW_STATE,
  fitToDisplays,
  loadWindowState,
  MIN_WINDOW_SIZE,
  parseWindowState,
  saveWindowState,
  WINDOW_STATE_FILE,
} from '../../electron/window-state.ts';

const display = { x: 0, y: 0, width: 1920, height: 1040 };

describe('window state file', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'patchgd-window-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('round-trips through an atomic write that leaves no temp file', async () => {
    const state = { x: 40, y: 60, width: 1400, height: 900, maximized: true };
    await saveWindowState(path.join(dir, 'nested'), state);
    expect(await loadWindowState(path.join(dir, 'nested'))).toEqual(state);
    expect(await fs.readdir(path.join(dir, 'nested'))).toEqual([WINDOW_STATE_FILE]);
  });

  it('falls back to the defaults for a missing or damaged file', async () => {
    expect(await loadWindowState(dir)).toEqual(DEFAULT_WINDOW_STATE);
    await fs.writeFile(path.join(dir, WINDOW_STATE_FILE), '{"width": 12');
    expect(await loadWindowState(dir)).toEqual(DEFAULT_WINDOW_STATE);
  });

  it.each([
    ['not JSON', 'nope'],
    ['a width of the wrong type', '{"width":"big","height":800}'],
    ['a giant size', '{"width":1e12,"height":800}'],
    ['a fractional position', '{"x":1.5,"y":0,"width":900,"height":800}'],
    ['null', 'null'],
  ])('parses %s as the defaults', (_what, text) => {
    expect(parseWindowState(text)).toEqual(DEFAULT_WINDOW_STATE);
  });
});

describe('fitToDisplays', () => {
  it('keeps a position that is still on a display', () => {
    const state = { x: 100, y: 80, width: 1200, height: 800, maximized: false };
    expect(fitToDisplays(state, [display])).toEqual(state);
  });

  it('drops a position on a monitor that is gone, so the window opens centred', () => {
    const fitted = fitToDisplays({ x: 2500, y: 100, width: 1200, height: 800, maximized: false }, [display]);
    expect(fitted).toEqual({ width: 1200, height: 800, maximized: false });
  });

  it('keeps a position on a second display left of the first', () => {
    const left = { x: -1280, y: 0, width: 1280, height: 1000 };
    const state = { x: -1200, y: 50, width: 1000, height: 700, maximized: true };
    expect(fitToDisplays(state, [display, left])).toEqual(state);
  });

  it('clamps the size between the minimum and the largest display', () => {
    expect(fitToDisplays({ width: 10, height: 10, maximized: false }, [display])).toEqual({
      ...MIN_WINDOW_SIZE,
      maximized: false,
    });
    expect(fitToDisplays({ width: 5000, height: 4000, maximized: false }, [display])).toEqual({
      width: 1920,
      height: 1040,
      maximized: false,
    });
  });
});
