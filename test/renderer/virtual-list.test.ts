import { describe, expect, it } from 'vitest';
import { pagesFor, rowWindow } from '../../renderer/src/lib/virtual-list.ts';
import { PageCache } from '../../renderer/src/lib/page-cache.ts';

describe('rowWindow over 10,000 rows', () => {
  const base = { viewportHeight: 640, rowHeight: 32, total: 10_000, overscan: 5 };

  it('renders only the rows in view plus overscan', () => {
    const w = rowWindow({ ...base, scrollTop: 0 });
    expect(w).toEqual({ start: 0, end: 26, offset: 0, totalHeight: 320_000 });
    const mid = rowWindow({ ...base, scrollTop: 160_000 });
    expect(mid.start).toBe(4995);
    expect(mid.end).toBe(5026);
    expect(mid.offset).toBe(4995 * 32);
  });

  it('stays inside the list when scrolled past its end or with few rows', () => {
    const end = rowWindow({ ...base, scrollTop: 10_000_000 });
    expect(end.end).toBe(10_000);
    expect(end.start).toBe(10_000 - 20 - 5);
    expect(rowWindow({ ...base, total: 3, scrollTop: 50 })).toEqual({
      start: 0,
      end: 3,
      offset: 0,
      totalHeight: 96,
    });
    expect(rowWindow({ ...base, total: 0, scrollTop: 0 })).toEqual({
      start: 0,
      end: 0,
      offset: 0,
      totalHeight: 0,
    });
  });

  it('never renders more than a screenful plus overscan, wherever it is', () => {
    for (let top = 0; top < 320_000; top += 7919) {
      const w = rowWindow({ ...base, scrollTop: top });
      expect(w.end - w.start).toBeLessThanOrEqual(21 + 10);
    }
  });
});

describe('pages', () => {
  it('lists the pages a row range needs', () => {
    expect(pagesFor(0, 26, 200)).toEqual([0]);
    expect(pagesFor(190, 230, 200)).toEqual([0, 1]);
    expect(pagesFor(400, 400, 200)).toEqual([]);
  });

  it('fetches each page once and serves its rows', async () => {
    const asked: number[] = [];
    let changes = 0;
    const cache = new PageCache<number>(
      async (offset, limit) => {
        asked.push(offset);
        const rows = Array.from({ length: Math.min(limit, 450 - offset) }, (_, i) => offset + i);
        return { total: 450, rows };
      },
      () => changes++,
      200,
    );
    expect(cache.row(5)).toBeUndefined();
    await Promise.all([cache.ensure([0, 1]), cache.ensure([1])]);
    await cache.ensure([0, 2]);
    expect(asked.sort((a, b) => a - b)).toEqual([0, 200, 400]);
    expect(changes).toBe(3);
    expect(cache.total).toBe(450);
    expect(cache.row(449)).toBe(449);
    expect(cache.row(250)).toBe(250);
  });

  it('lets a failed page be fetched again', async () => {
    let fail = true;
    const cache = new PageCache<number>(
      async () => {
        if (fail) throw new Error('server down');
        return { total: 1, rows: [42] };
      },
      () => {},
    );
    await expect(cache.ensure([0])).rejects.toThrow('server down');
    fail = false;
    await cache.ensure([0]);
    expect(cache.row(0)).toBe(42);
  });
});
