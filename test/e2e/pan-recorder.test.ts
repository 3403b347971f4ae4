import { describe, expect, it } from 'vitest';
import { panTimings, type PanFrame } from './pan-recorder.ts';

const frame = (t: number, blank: number, loaded: boolean, view: string): PanFrame => ({
  t,
  blank,
  loaded,
  view,
});

describe('pan timings', () => {
  it('times each pan to the first frame after which the view is still and fully drawn', () => {
    const timings = panTimings({
      starts: [0, 100],
      frames: [
        // Pan 1: moving with a blank strip, then still but partial, then drawn.
        frame(10, 0.1, false, 'a'),
        frame(20, 0, false, 'b'),
        frame(30, 0, true, 'b'),
        frame(40, 0, true, 'b'),
        // Pan 2: drawn at once, but the view keeps moving until t = 120.
        frame(110, 0, true, 'c'),
        frame(120, 0, true, 'd'),
        frame(130, 0, true, 'd'),
      ],
    });
    expect(timings.drawnMs).toEqual([30, 20]);
    expect(timings.frames).toBe(7);
    expect(timings.blankFrames).toBeCloseTo(1 / 7);
    expect(timings.partialFrames).toBeCloseTo(2 / 7);
  });

  it('counts a pan never fully drawn before the next as Infinity', () => {
    const timings = panTimings({
      starts: [0, 50],
      frames: [frame(10, 0, true, 'a'), frame(20, 0.5, false, 'a'), frame(60, 0, true, 'b')],
    });
    expect(timings.drawnMs).toEqual([Infinity, 10]);
  });
});
