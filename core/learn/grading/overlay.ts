/** The attention grid drawn over a slide thumbnail, with a colour legend, as a PNG. */
import sharp from 'sharp';
import type { RgbImage } from '../../io/slide/index.ts';
import { colorAt, type ColormapName } from '../../shared/colormap.ts';
import type { AttentionGrid } from './geometry.ts';

export interface OverlayStyle {
  colormap: ColormapName;
  /** Opacity of the heatmap over tissue, 0–1. */
  alpha: number;
}

export const DEFAULT_OVERLAY_STYLE: OverlayStyle = { colormap: 'viridis', alpha: 0.5 };

const LEGEND_HEIGHT = 34;
const LEGEND_MIN_WIDTH = 240;

/**
 * Blends the grid's colours over `thumbnail` (which shows the whole slideWidth × slideHeight slide). Masked
 * (null) cells leave the thumbnail as it is.
 */
export function blendAttention(
  thumbnail: RgbImage,
  grid: AttentionGrid,
  slideWidth: number,
  slideHeight: number,
  style: OverlayStyle,
): RgbImage {
  const { width, height } = thumbnail;
  const data = Uint8Array.from(thumbnail.data);
  const sx = slideWidth / width;
  const sy = slideHeight / height;
  for (let y = 0; y < height; y++) {
    const row = Math.floor(((y + 0.5) * sy - grid.origin[1]) / grid.dy);
    if (row < 0 || row >= grid.gridHeight) continue;
    for (let x = 0; x < width; x++) {
      const col = Math.floor(((x + 0.5) * sx - grid.origin[0]) / grid.dx);
      if (col < 0 || col >= grid.gridWidth) continue;
      const value = grid.values[row * grid.gridWidth + col];
      if (value === null || value === undefined) continue;
      const rgb = colorAt(style.colormap, value);
      const i = (y * width + x) * 3;
      for (let c = 0; c < 3; c++)
        data[i + c] = Math.round(data[i + c]! * (1 - style.alpha) + rgb[c]! * style.alpha);
    }
  }
  return { width, height, data };
}

function legendSvg(width: number, barX: number, barWidth: number, caption: string): Buffer {
  const escaped = caption.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const text = (x: number, anchor: string, s: string) =>
    `<text x="${x}" y="${LEGEND_HEIGHT - 4}" font-family="sans-serif" font-size="11" fill="#222" text-anchor="${anchor}">${s}</text>`;
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${LEGEND_HEIGHT}">` +
      text(barX, 'start', '0') +
      text(barX + barWidth, 'end', '1') +
      text(barX + barWidth / 2, 'middle', escaped) +
      `</svg>`,
  );
}

/** PNG of the blended thumbnail with a legend strip below: the colour ramp from 0 to 1 and a caption. */
export async function overlayPng(
  thumbnail: RgbImage,
  grid: AttentionGrid,
  slideWidth: number,
  slideHeight: number,
  style: OverlayStyle = DEFAULT_OVERLAY_STYLE,
): Promise<Buffer> {
  const blended = blendAttention(thumbnail, grid, slideWidth, slideHeight, style);
  const width = Math.max(blended.width, LEGEND_MIN_WIDTH);
  const height = blended.height + LEGEND_HEIGHT;
  const data = new Uint8Array(width * height * 3).fill(255);
  for (let y = 0; y < blended.height; y++)
    data.set(blended.data.subarray(y * blended.width * 3, (y + 1) * blended.width * 3), y * width * 3);
  const barX = 8;
  const barWidth = width - 16;
  for (let x = 0; x < barWidth; x++) {
    const rgb = colorAt(style.colormap, x / Math.max(1, barWidth - 1));
    for (let y = blended.height + 4; y < blended.height + 16; y++) data.set(rgb, (y * width + barX + x) * 3);
  }
  const caption =
    grid.explains === 'cancer'
      ? `cancer attention (${grid.method}), predicted grade ${grid.target}`
      : `attention (${grid.method}) for grade ${grid.target}`;
  return sharp(data, { raw: { width, height, channels: 3 } })
    .composite([{ input: legendSvg(width, barX, barWidth, caption), top: blended.height, left: 0 }])
    .png()
    .toBuffer();
}
