/**
 * Bilinear resize of an 8-bit single-channel image with half-pixel centres (the convention of PIL, OpenCV and
 * PyTorch's align_corners=false). At an exact 2× reduction this averages each 2×2 block, so the 14-px digits
 * keep their strokes.
 */
export function resizeBilinear(
  src: Uint8Array,
  srcWidth: number,
  srcHeight: number,
  dstWidth: number,
  dstHeight: number,
): Uint8Array {
  if (src.length !== srcWidth * srcHeight) throw new RangeError('source length does not match its size');
  const dst = new Uint8Array(dstWidth * dstHeight);
  const sx = srcWidth / dstWidth;
  const sy = srcHeight / dstHeight;
  for (let y = 0; y < dstHeight; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), srcHeight - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, srcHeight - 1);
    const wy = fy - y0;
    for (let x = 0; x < dstWidth; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), srcWidth - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, srcWidth - 1);
      const wx = fx - x0;
      const top = src[y0 * srcWidth + x0]! * (1 - wx) + src[y0 * srcWidth + x1]! * wx;
      const bottom = src[y1 * srcWidth + x0]! * (1 - wx) + src[y1 * srcWidth + x1]! * wx;
      dst[y * dstWidth + x] = Math.round(top * (1 - wy) + bottom * wy);
    }
  }
  return dst;
}
