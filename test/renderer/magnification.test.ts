import { describe, expect, it } from 'vitest';
import {
  PRESETS,
  formatLength,
  formatMagnification,
  imageZoomFor,
  magnificationAt,
  scaleBar,
} from '../../renderer/src/lib/magnification.ts';

describe('magnification from MPP', () => {
  it('shows a 0.5 µm/px slide pixel for pixel at 20× and at half size at 10×', () => {
    expect(imageZoomFor(20, 0.5)).toBe(1);
    expect(imageZoomFor(10, 0.5)).toBe(0.5);
    expect(imageZoomFor(40, 0.25)).toBe(1);
    expect(imageZoomFor(40, 0.5)).toBe(2);
  });

  it('inverts: the magnification an image zoom shows', () => {
    for (const mag of PRESETS)
      expect(magnificationAt(imageZoomFor(mag, 0.4862), 0.4862)).toBeCloseTo(mag, 10);
  });

  it('formats lengths and magnifications', () => {
    expect(formatLength(250)).toBe('250 µm');
    expect(formatLength(1500)).toBe('1.5 mm');
    expect(formatMagnification(1.25)).toBe('1.3×');
    expect(formatMagnification(20)).toBe('20×');
  });
});

describe('scaleBar', () => {
  it('picks the longest round length that fits', () => {
    // 0.5 µm per screen pixel: 150 px is 75 µm, so the bar is 50 µm = 100 px.
    expect(scaleBar(0.5)).toEqual({ px: 100, label: '50 µm' });
    // 20 µm per screen pixel: 150 px is 3 mm, so 2 mm = 100 px.
    expect(scaleBar(20)).toEqual({ px: 100, label: '2 mm' });
  });

  it('never exceeds the maximum width and is null without a scale', () => {
    for (const m of [0.013, 0.25, 3.3, 77]) expect(scaleBar(m, 120)!.px).toBeLessThanOrEqual(120);
    expect(scaleBar(0)).toBeNull();
    expect(scaleBar(Number.NaN)).toBeNull();
  });
});
