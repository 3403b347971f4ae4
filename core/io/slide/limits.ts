/** Bounds that keep a malformed or hostile file from causing hangs or giant allocations. */

/** Largest image side accepted (OpenSlide-scale slides are < 2^18). */
export const MAX_SIDE = 1 << 20;
/**
 * Largest tile side accepted (real slides use 240–1024). A tile is decoded whole, so this bounds one decode:
 * 4096² px is 48 MiB of RGB, and the shared decode budget (`byte-budget.ts`) bounds how many run at once.
 */
export const MAX_TILE_SIDE = 4096;
/** Most pixels one region, scaled image or mask source may hold (≈ 200 MB of RGB). */
export const MAX_REGION_PIXELS = 1 << 26;
/** Most IFDs followed in the main chain; real slides have < 20. */
export const MAX_IFDS = 1024;
/** Most entries one IFD may declare; real IFDs have < 50. */
export const MAX_IFD_ENTRIES = 4096;
