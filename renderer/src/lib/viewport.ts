/** What the viewer shows, in level-0 image terms: used for the readouts and kept on the DOM for tests. */
export interface ViewState {
  /** Screen (CSS) pixels per level-0 image pixel. */
  imageZoom: number;
  /** The level-0 image point at the viewer's top-left corner. */
  left: number;
  top: number;
}

/** Where a level-0 rectangle lands on screen, relative to the viewer's top-left corner. */
export function toScreen(
  view: ViewState,
  rect: { x: number; y: number; width: number; height: number },
): { x: number; y: number; width: number; height: number } {
  return {
    x: (rect.x - view.left) * view.imageZoom,
    y: (rect.y - view.top) * view.imageZoom,
    width: rect.width * view.imageZoom,
    height: rect.height * view.imageZoom,
  };
}

/** "x 1,234.5 µm, y 987.0 µm", or pixels when the slide has no MPP. */
export function formatPosition(x: number, y: number, mpp: { x: number; y: number } | null): string {
  const fmt = (v: number, digits: number) =>
    v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  if (!mpp) return `x ${fmt(x, 0)} px, y ${fmt(y, 0)} px`;
  return `x ${fmt(x * mpp.x, 1)} µm, y ${fmt(y * mpp.y, 1)} µm`;
}
