/**
 * The classes of PANDA's label masks (label in the R channel; Bulten et al., "Artificial intelligence for
 * diagnosis and Gleason grading of prostate cancer: the PANDA challenge", Nat. Med. 2022, and the challenge's
 * data description): Radboud 0 background, 1 stroma, 2 benign epithelium, 3–5 Gleason patterns 3–5;
 * Karolinska 0 background, 1 benign tissue, 2 cancer. Each label maps to an annotation class and an overlay
 * colour (background is never drawn).
 */

export type MaskProvider = 'radboud' | 'karolinska';

export interface MaskClass {
  label: number;
  /** What the mask label means. */
  meaning: string;
  /** The annotation class a mask import gives it. */
  className: string;
  /** Overlay colour, `#rrggbb`. */
  color: string;
}

export const MASK_CLASSES: Record<MaskProvider, readonly MaskClass[]> = {
  radboud: [
    { label: 1, meaning: 'stroma', className: 'Stroma', color: '#96c896' },
    { label: 2, meaning: 'benign epithelium', className: 'Benign', color: '#3c9650' },
    { label: 3, meaning: 'Gleason 3', className: 'Gleason 3', color: '#e6c800' },
    { label: 4, meaning: 'Gleason 4', className: 'Gleason 4', color: '#f08c00' },
    { label: 5, meaning: 'Gleason 5', className: 'Gleason 5', color: '#c80000' },
  ],
  karolinska: [
    { label: 1, meaning: 'benign tissue', className: 'Benign', color: '#3c9650' },
    { label: 2, meaning: 'cancer', className: 'Tumour', color: '#c80000' },
  ],
};

/** The mask's provider from the dataset's `data_provider` column; null when it is neither PANDA centre. */
export function maskProvider(provider: string | null | undefined): MaskProvider | null {
  const p = provider?.toLowerCase();
  return p === 'radboud' || p === 'karolinska' ? p : null;
}

/** RGBA pixels of a label grid for the overlay: each known label in its class colour, the rest transparent. */
export function maskPixels(
  labels: ArrayLike<number>,
  provider: MaskProvider,
): Uint8ClampedArray<ArrayBuffer> {
  const rgba = new Uint8ClampedArray(labels.length * 4);
  const lut = new Map(
    MASK_CLASSES[provider].map((c) => {
      const n = Number.parseInt(c.color.slice(1), 16);
      return [c.label, [(n >> 16) & 255, (n >> 8) & 255, n & 255, 255]] as const;
    }),
  );
  for (let i = 0; i < labels.length; i++) {
    const color = lut.get(labels[i]!);
    if (color) rgba.set(color, i * 4);
  }
  return rgba;
}
