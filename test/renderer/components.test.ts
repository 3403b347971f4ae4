// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { createRawSnippet, tick } from 'svelte';
import { afterEach, describe, expect, it } from 'vitest';
import VirtualRows from '../../renderer/src/components/VirtualRows.svelte';
import ShortcutSheet from '../../renderer/src/components/ShortcutSheet.svelte';
import ErrorLine from '../../renderer/src/components/ErrorLine.svelte';
import { SHORTCUTS } from '../../renderer/src/lib/keymap.ts';

const cell = createRawSnippet((index: () => number) => ({
  render: () => `<span class="cell">row ${index()}</span>`,
}));

/**
 * jsdom does no layout: give elements the height a browser would, and report it the way a browser's
 * ResizeObserver (which jsdom lacks) does once an element is observed.
 */
function sized(height: number): void {
  // The root tsconfig has no DOM lib (core code must not use it), so the globals are typed by shape here.
  const win = globalThis as unknown as { HTMLElement: { prototype: object }; ResizeObserver: unknown };
  Object.defineProperty(win.HTMLElement.prototype, 'clientHeight', { configurable: true, get: () => height });
  type Entry = { target: unknown; contentRect: { height: number } };
  win.ResizeObserver = class {
    constructor(private readonly callback: (entries: Entry[], observer: unknown) => void) {}
    observe(target: unknown): void {
      queueMicrotask(() => this.callback([{ target, contentRect: { height } }], this));
    }
    unobserve(): void {}
    disconnect(): void {}
  };
}

afterEach(cleanup);

describe('VirtualRows', () => {
  it('renders a screenful of 10,000 rows and follows the scroll position', async () => {
    sized(320);
    const ranges: [number, number][] = [];
    render(VirtualRows, {
      total: 10_000,
      rowHeight: 32,
      item: cell,
      label: 'Slides',
      onrange: (start: number, end: number) => ranges.push([start, end]),
    });
    const box = screen.getByRole('region', { name: 'Slides' });
    await tick();
    const rendered = () => [...box.querySelectorAll('.cell')].map((c) => c.textContent);
    expect(rendered()[0]).toBe('row 0');
    expect(rendered().length).toBeLessThan(40);
    expect((box.firstElementChild as { style: { height: string } } | null)?.style.height).toBe('320000px');

    box.scrollTop = 32 * 5000;
    await fireEvent.scroll(box);
    expect(rendered()).toContain('row 5000');
    expect(rendered()).not.toContain('row 0');
    expect(rendered().length).toBeLessThan(40);
    expect(ranges.at(-1)![0]).toBeLessThanOrEqual(5000);
    expect(ranges.at(-1)![1]).toBeGreaterThan(5010);
  });

  it('lays several items to a row for the thumbnail grid', async () => {
    sized(360);
    render(VirtualRows, {
      total: 25,
      rowHeight: 180,
      perRow: 6,
      item: cell,
      label: 'Thumbs',
      onrange: () => {},
    });
    await tick();
    const rows = screen.getAllByRole('listitem');
    expect(rows).toHaveLength(5);
    expect(rows[4]!.querySelectorAll('.cell')).toHaveLength(1);
  });
});

describe('small components', () => {
  it('lists every shortcut and closes from its button', async () => {
    let closed = false;
    render(ShortcutSheet, { onclose: () => (closed = true) });
    expect(screen.getByRole('dialog', { name: 'Keyboard shortcuts' })).toBeTruthy();
    expect(screen.getAllByRole('row')).toHaveLength(SHORTCUTS.length);
    await fireEvent.click(screen.getByRole('button', { name: 'Close (Esc)' }));
    expect(closed).toBe(true);
  });

  it('shows an error in place and nothing without one', () => {
    const { rerender } = render(ErrorLine, { message: null });
    expect(screen.queryByRole('alert')).toBeNull();
    rerender({ message: 'slides/a.tiff: not a TIFF file' });
    expect(screen.getByRole('alert').textContent).toContain('slides/a.tiff: not a TIFF file');
  });
});
