/** The dataset model shared by the CLI, the engine and the UI. */

export type DatasetLayout = 'panda' | 'images' | 'slides';

export type Severity = 'error' | 'warning';

/**
 * What a finding is about. Errors make the item unusable (no image, no label, or an ambiguous one); warnings
 * are worth a look but leave the item usable.
 */
export type FindingCode =
  /** error: no rows below the header. */
  | 'no-rows'
  /** error: a row with a different number of fields than the header. */
  | 'wrong-field-count'
  /** error: an empty id, or one that would reach outside the image folder. */
  | 'bad-id'
  /** error: a second row (or slide) with an id already seen; the first one stays usable. */
  | 'duplicate-id'
  /** error: the row's image file does not exist. */
  | 'missing-file'
  /** error: the image file exists but its structure cannot be read (0 bytes, truncated, not a TIFF). */
  | 'unreadable-file'
  /** error: several image files match one id (e.g. `a.png` and `a.jpg`). */
  | 'ambiguous-file'
  /** warning: an image file that no row names. */
  | 'orphan-file'
  /** warning: a PANDA mask whose slide has no row. */
  | 'orphan-mask'
  /** error: PANDA `isup_grade` is not an integer 0–5. */
  | 'bad-grade'
  /** error: image-folder `label` is not an integer ≥ 0. */
  | 'bad-label'
  /** warning: PANDA `data_provider` is neither radboud nor karolinska. */
  | 'unknown-provider'
  /** warning: PANDA `gleason_score` is not `negative` or `a+b` with a, b in 3–5 (or 0+0). */
  | 'bad-gleason'
  /** warning: benign written as `negative` where the provider writes `0+0`, or the other way round. */
  | 'gleason-convention'
  /** warning: the Gleason score implies another ISUP grade than the row's. */
  | 'isup-mismatch';

export interface Finding {
  severity: Severity;
  code: FindingCode;
  /** The label file (for row findings) or the image file the finding is about. */
  file: string;
  /** 1-based line of the row in `file`. */
  line?: number;
  imageId?: string;
  message: string;
}

export interface DatasetItem {
  id: string;
  /** Absolute path where the image is (or, for a `missing-file` error, should be). */
  imagePath: string;
  maskPath: string | null;
  /** Class index; null for unlabelled data or a label that could not be read. */
  label: number | null;
  provider?: string;
  gleason?: string;
  /** This item's findings (the same objects as in `Dataset.findings`). */
  findings: Finding[];
}

export interface Dataset {
  root: string;
  layout: DatasetLayout;
  /** Sorted by id; rows sharing an id keep their file order. */
  items: DatasetItem[];
  /** Number of classes for labelled data (PANDA: 6), null for unlabelled data. */
  numClasses: number | null;
  findings: Finding[];
}
