/** Windowing for long tables: which rows to render for a scroll position, and which pages to fetch for them. */
export interface WindowInput {
  scrollTop: number;
  viewportHeight: number;
  rowHeight: number;
  total: number;
  /** Rows rendered beyond each edge so fast scrolling does not show gaps. */
  overscan?: number;
}

export interface RowWindow {
  /** First row rendered (inclusive) and the row after the last (exclusive). */
  start: number;
  end: number;
  /** Pixels above the first rendered row: the spacer that keeps the scrollbar honest. */
  offset: number;
  totalHeight: number;
}

export function rowWindow({
  scrollTop,
  viewportHeight,
  rowHeight,
  total,
  overscan = 8,
}: WindowInput): RowWindow {
  const totalHeight = total * rowHeight;
  const top = Math.min(Math.max(scrollTop, 0), Math.max(totalHeight - viewportHeight, 0));
  const first = Math.floor(top / rowHeight);
  const visible = Math.ceil(viewportHeight / rowHeight) + 1;
  const start = Math.max(first - overscan, 0);
  const end = Math.min(first + visible + overscan, total);
  return { start, end: Math.max(end, start), offset: start * rowHeight, totalHeight };
}

/** Page indices (of `pageSize` rows) that cover rows [start, end). */
export function pagesFor(start: number, end: number, pageSize: number): number[] {
  if (end <= start) return [];
  const pages: number[] = [];
  for (let p = Math.floor(start / pageSize); p <= Math.floor((end - 1) / pageSize); p++) pages.push(p);
  return pages;
}
