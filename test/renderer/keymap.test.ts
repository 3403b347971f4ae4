import { describe, expect, it } from 'vitest';
import { SHORTCUTS, actionFor, type KeyInput } from '../../renderer/src/lib/keymap.ts';

const key = (k: string, extra: Partial<KeyInput> = {}): KeyInput => ({
  key: k,
  code: /^[0-9]$/.test(k) ? `Digit${k}` : '',
  shiftKey: false,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  ...extra,
});

describe('viewer keyboard map', () => {
  it('pans with the arrows and zooms with + and -', () => {
    expect(actionFor(key('ArrowLeft'))).toEqual({ type: 'pan', dx: -0.1, dy: 0 });
    expect(actionFor(key('ArrowDown'))).toEqual({ type: 'pan', dx: 0, dy: 0.1 });
    expect(actionFor(key('+'))).toEqual({ type: 'zoom', factor: 1.5 });
    expect(actionFor(key('='))).toEqual({ type: 'zoom', factor: 1.5 });
    expect(actionFor(key('-'))).toEqual({ type: 'zoom', factor: 1 / 1.5 });
  });

  it('maps 1–5 to the magnification presets and 0 to fit', () => {
    expect([1, 2, 3, 4, 5].map((d) => actionFor(key(String(d))))).toEqual(
      [0, 1, 2, 3, 4].map((index) => ({ type: 'preset', index })),
    );
    expect(actionFor(key('0'))).toEqual({ type: 'home' });
  });

  it('records grades only with Shift, whatever character the layout produces', () => {
    expect(actionFor(key('!', { code: 'Digit1', shiftKey: true }))).toEqual({ type: 'grade', grade: 1 });
    expect(actionFor(key('=', { code: 'Digit0', shiftKey: true }))).toEqual({ type: 'grade', grade: 0 });
    expect(actionFor(key('%', { code: 'Digit5', shiftKey: true }))).toEqual({ type: 'grade', grade: 5 });
    expect(actionFor(key('^', { code: 'Digit6', shiftKey: true }))).toBeNull();
  });

  it('maps the review and overlay keys in either case', () => {
    expect(actionFor(key('h'))).toEqual({ type: 'toggle-heatmap' });
    expect(actionFor(key('H', { shiftKey: true }))).toEqual({ type: 'toggle-heatmap' });
    expect(actionFor(key('['))).toEqual({ type: 'opacity', delta: -0.1 });
    expect(actionFor(key(']'))).toEqual({ type: 'opacity', delta: 0.1 });
    expect(actionFor(key('N'))).toEqual({ type: 'next' });
    expect(actionFor(key('p'))).toEqual({ type: 'prev' });
    expect(actionFor(key('Enter'))).toEqual({ type: 'confirm' });
    expect(actionFor(key('?', { shiftKey: true }))).toEqual({ type: 'help' });
  });

  it('leaves typing in fields and browser shortcuts alone, but Escape always closes', () => {
    expect(actionFor(key('h', { targetTag: 'INPUT' }))).toBeNull();
    expect(actionFor(key('1', { targetTag: 'textarea' }))).toBeNull();
    expect(actionFor(key('+', { ctrlKey: true }))).toBeNull();
    expect(actionFor(key('Escape', { targetTag: 'INPUT' }))).toEqual({ type: 'close' });
    expect(actionFor(key('q'))).toBeNull();
  });

  it('documents every key it handles in the shortcut sheet', () => {
    const sheet = SHORTCUTS.map(([k]) => k).join(' ');
    for (const k of ['←', '+', '1', 'H', '[', 'N', 'Shift+0', 'Enter', '?', 'Esc'])
      expect(sheet).toContain(k);
  });
});
