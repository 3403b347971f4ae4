/** SVG polyline points for a series scaled into a width × height box (y grows upward; NaN/null points skipped). */
export function polyline(
  values: readonly (number | null)[],
  width: number,
  height: number,
  range?: { min: number; max: number },
): string {
  const finite = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (finite.length === 0) return '';
  const min = range?.min ?? Math.min(...finite);
  const max = range?.max ?? Math.max(...finite);
  const span = max - min || 1;
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  return values
    .map((v, i) =>
      v === null || !Number.isFinite(v)
        ? null
        : `${(i * step).toFixed(1)},${(height - ((v - min) / span) * height).toFixed(1)}`,
    )
    .filter((p) => p !== null)
    .join(' ');
}
