/** Small inline SVG charts for the evaluation report: heat-coloured matrix, grouped bars, line chart. */
import { colorAt } from '../../shared/colormap.ts';

/** Escapes text for HTML and SVG content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const hex = (rgb: readonly number[]) => '#' + rgb.map((v) => v.toString(16).padStart(2, '0')).join('');

/** Confusion matrix as a grid of cells coloured by row share (rows = truth), with counts written in. */
export function confusionMatrixSvg(
  matrix: readonly (readonly number[])[],
  labels: readonly string[],
): string {
  const n = matrix.length;
  const cell = 44;
  const left = 70;
  const top = 46;
  const size = left + n * cell + 10;
  const parts: string[] = [
    `<text x="${left + (n * cell) / 2}" y="14" text-anchor="middle" class="axis">predicted grade</text>`,
    `<text x="14" y="${top + (n * cell) / 2}" text-anchor="middle" class="axis" transform="rotate(-90 14 ${top + (n * cell) / 2})">true grade</text>`,
  ];
  matrix.forEach((row, t) => {
    const total = row.reduce((a, b) => a + b, 0);
    parts.push(
      `<text x="${left - 8}" y="${top + t * cell + cell / 2 + 4}" text-anchor="end">${escapeXml(labels[t] ?? String(t))}</text>`,
    );
    row.forEach((count, p) => {
      const share = total > 0 ? count / total : 0;
      const x = left + p * cell;
      const y = top + t * cell;
      const ink = share > 0.55 ? '#111' : '#fff';
      parts.push(
        `<rect x="${x}" y="${y}" width="${cell - 2}" height="${cell - 2}" fill="${hex(colorAt('viridis', share))}"><title>true ${t}, predicted ${p}: ${count}</title></rect>`,
        `<text x="${x + cell / 2 - 1}" y="${y + cell / 2 + 4}" text-anchor="middle" style="fill:${ink}">${count}</text>`,
      );
    });
  });
  labels.forEach((label, p) =>
    parts.push(
      `<text x="${left + p * cell + cell / 2 - 1}" y="${top - 8}" text-anchor="middle">${escapeXml(label)}</text>`,
    ),
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="confusion matrix" width="${size}" height="${top + n * cell + 10}">${parts.join('')}</svg>`;
}

export interface BarSeries {
  name: string;
  color: string;
  values: readonly number[];
}

/** Grouped vertical bars, one group per category, one bar per series, with a legend. */
export function groupedBarsSvg(
  categories: readonly string[],
  series: readonly BarSeries[],
  label: string,
): string {
  const width = 460;
  const height = 220;
  const left = 36;
  const bottom = 30;
  const top = 26;
  const plotH = height - top - bottom;
  const max = Math.max(1, ...series.flatMap((s) => s.values));
  const group = (width - left - 10) / Math.max(1, categories.length);
  const bar = (group * 0.8) / Math.max(1, series.length);
  const parts: string[] = [
    `<line x1="${left}" y1="${top + plotH}" x2="${width - 10}" y2="${top + plotH}" stroke="#888"/>`,
    `<text x="${left - 4}" y="${top + 4}" text-anchor="end">${max}</text>`,
    `<text x="${left - 4}" y="${top + plotH}" text-anchor="end">0</text>`,
  ];
  categories.forEach((category, c) => {
    const x0 = left + c * group + group * 0.1;
    series.forEach((s, i) => {
      const v = s.values[c] ?? 0;
      const h = (v / max) * plotH;
      parts.push(
        `<rect x="${x0 + i * bar}" y="${top + plotH - h}" width="${bar - 1}" height="${h}" fill="${s.color}"><title>${escapeXml(s.name)} ${escapeXml(category)}: ${v}</title></rect>`,
      );
    });
    parts.push(
      `<text x="${x0 + (bar * series.length) / 2}" y="${height - bottom + 16}" text-anchor="middle">${escapeXml(category)}</text>`,
    );
  });
  series.forEach((s, i) =>
    parts.push(
      `<rect x="${left + i * 120}" y="4" width="12" height="12" fill="${s.color}"/>`,
      `<text x="${left + i * 120 + 16}" y="14">${escapeXml(s.name)}</text>`,
    ),
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="${escapeXml(label)}" width="${width}" height="${height}">${parts.join('')}</svg>`;
}

export interface LineSeries {
  name: string;
  color: string;
  /** [x, y] points; non-finite y values are gaps. */
  points: readonly (readonly [number, number | null])[];
}

/** A line chart with markers, min/max y labels, x labels at the ends and a legend. */
export function lineChartSvg(series: readonly LineSeries[], label: string): string {
  const width = 460;
  const height = 220;
  const left = 46;
  const top = 26;
  const bottom = 30;
  const plotW = width - left - 14;
  const plotH = height - top - bottom;
  const points = series.flatMap((s) => s.points.filter((p): p is [number, number] => Number.isFinite(p[1])));
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const [x0, x1] = xs.length ? [Math.min(...xs), Math.max(...xs)] : [0, 1];
  let [y0, y1] = ys.length ? [Math.min(...ys), Math.max(...ys)] : [0, 1];
  if (y1 === y0) [y0, y1] = [y0 - 0.5, y1 + 0.5];
  const px = (x: number) => left + (x1 === x0 ? plotW / 2 : ((x - x0) / (x1 - x0)) * plotW);
  const py = (y: number) => top + plotH - ((y - y0) / (y1 - y0)) * plotH;
  const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(3));
  const parts: string[] = [
    `<rect x="${left}" y="${top}" width="${plotW}" height="${plotH}" fill="none" stroke="#ccc"/>`,
    `<text x="${left - 4}" y="${top + 4}" text-anchor="end">${fmt(y1)}</text>`,
    `<text x="${left - 4}" y="${top + plotH}" text-anchor="end">${fmt(y0)}</text>`,
    `<text x="${left}" y="${height - 8}" text-anchor="middle">${x0}</text>`,
    `<text x="${left + plotW}" y="${height - 8}" text-anchor="middle">${x1}</text>`,
    `<text x="${left + plotW / 2}" y="${height - 8}" text-anchor="middle" class="axis">epoch</text>`,
  ];
  series.forEach((s, i) => {
    const valid = s.points.filter((p): p is [number, number] => Number.isFinite(p[1]));
    if (valid.length > 1)
      parts.push(
        `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${valid.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ')}"/>`,
      );
    for (const [x, y] of valid)
      parts.push(
        `<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3" fill="${s.color}"><title>${escapeXml(s.name)} epoch ${x}: ${fmt(y)}</title></circle>`,
      );
    parts.push(
      `<rect x="${left + i * 120}" y="4" width="12" height="12" fill="${s.color}"/>`,
      `<text x="${left + i * 120 + 16}" y="14">${escapeXml(s.name)}</text>`,
    );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="${escapeXml(label)}" width="${width}" height="${height}">${parts.join('')}</svg>`;
}
