/**
 * Measures how long panned-in areas of the viewer stay blank. The recorder runs in the page: on every animation
 * frame it shrinks OSD's canvas onto a 64 × 48 probe and counts probe pixels that are not opaque (OSD clears its
 * canvas, so an area with no tile drawn, not even a coarser one, is transparent), and reads whether every tile
 * of the view's resolution is drawn. Each keydown or pointerdown starts a pan.
 */

export interface PanFrame {
  /** `performance.now()` of the frame. */
  t: number;
  /** Fraction of the canvas with no tile drawn at any resolution. */
  blank: number;
  /** Every tile of the current resolution drawn (OSD's fully-loaded state). */
  loaded: boolean;
  /** The viewer's view state; it stops changing when the pan's animation ends. */
  view: string;
}

export interface PanRecording {
  frames: PanFrame[];
  /** Start of each pan: the timestamp of its keydown or pointerdown. */
  starts: number[];
}

/** Script for `page.evaluate`: starts recording into `window.__pan`; `window.__pan.stop()` ends it. */
export const PAN_RECORDER = `(() => {
  const osd = document.querySelector('[data-testid="osd"]');
  const main = [...osd.querySelectorAll('canvas')].reduce((a, b) => (b.width * b.height > a.width * a.height ? b : a));
  const probe = document.createElement('canvas');
  probe.width = 64;
  probe.height = 48;
  const ctx = probe.getContext('2d', { willReadFrequently: true });
  const recording = { frames: [], starts: [] };
  const start = (e) => recording.starts.push(e.timeStamp);
  window.addEventListener('keydown', start, { capture: true });
  window.addEventListener('pointerdown', start, { capture: true });
  let on = true;
  const frame = () => {
    if (!on) return;
    ctx.clearRect(0, 0, 64, 48);
    ctx.drawImage(main, 0, 0, 64, 48);
    const px = ctx.getImageData(0, 0, 64, 48).data;
    let blank = 0;
    for (let i = 3; i < px.length; i += 4) if (px[i] < 250) blank++;
    recording.frames.push({
      t: performance.now(),
      blank: blank / (64 * 48),
      loaded: osd.dataset.tilesLoaded === 'true',
      view: osd.dataset.view ?? '',
    });
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
  window.__pan = {
    recording,
    stop: () => {
      on = false;
      window.removeEventListener('keydown', start, { capture: true });
      window.removeEventListener('pointerdown', start, { capture: true });
      return recording;
    },
  };
})()`;

export interface PanTimings {
  /** Per pan: ms from its start until the view stopped and every visible tile was drawn for good. */
  drawnMs: number[];
  /** Fraction of frames during the pans with some area blank (no tile at any resolution). */
  blankFrames: number;
  /** Fraction of frames during the pans still missing tiles of the current resolution. */
  partialFrames: number;
  frames: number;
}

/** Splits a recording into pans; a pan never fully drawn before the next one starts counts as Infinity. */
export function panTimings(recording: PanRecording): PanTimings {
  const drawnMs: number[] = [];
  let blank = 0;
  let partial = 0;
  let total = 0;
  recording.starts.forEach((start, i) => {
    const end = recording.starts[i + 1] ?? Infinity;
    const frames = recording.frames.filter((f) => f.t >= start && f.t < end);
    total += frames.length;
    blank += frames.filter((f) => f.blank > 0).length;
    partial += frames.filter((f) => !f.loaded).length;
    const final = frames.at(-1)?.view;
    const lastIncomplete = frames.findLastIndex((f) => f.blank > 0 || !f.loaded || f.view !== final);
    const drawn = frames[lastIncomplete + 1];
    drawnMs.push(drawn ? drawn.t - start : Infinity);
  });
  return {
    drawnMs,
    blankFrames: total ? blank / total : 0,
    partialFrames: total ? partial / total : 0,
    frames: total,
  };
}
