import type { AnnotationTool } from '#shared';

/**
 * The viewer's keyboard map. Digits 1–5 are magnification presets (as in QuPath and ASAP); grades need Shift
 * (Shift+0…Shift+5) so a stray digit never records a diagnosis. Keys typed into form fields are left alone.
 */
export type Action =
  | { type: 'pan'; dx: number; dy: number }
  | { type: 'zoom'; factor: number }
  | { type: 'preset'; index: number }
  | { type: 'home' }
  | { type: 'toggle-heatmap' }
  | { type: 'opacity'; delta: number }
  | { type: 'next' }
  | { type: 'prev' }
  | { type: 'grade'; grade: number }
  | { type: 'confirm' }
  | { type: 'help' }
  | { type: 'close' }
  | { type: 'tool'; tool: AnnotationTool | 'select' }
  | { type: 'finish-shape' }
  | { type: 'delete-annotation' }
  | { type: 'undo' }
  | { type: 'redo' }
  | { type: 'toggle-mask' }
  | { type: 'swap-overlays' }
  | { type: 'mask-opacity'; delta: number };

export interface KeyInput {
  key: string;
  code: string;
  shiftKey: boolean;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  /** Tag name of the focused element, e.g. 'INPUT'. */
  targetTag?: string;
  /** A shape is being drawn: Enter closes it instead of confirming the review. */
  drawing?: boolean;
}

/** Drawing tools by key (QuPath's letters where they are free here: P and N are taken by the slide keys). */
const TOOL_KEYS: Record<string, AnnotationTool | 'select'> = {
  v: 'select',
  g: 'polygon',
  f: 'freehand',
  r: 'rectangle',
  e: 'ellipse',
  '.': 'point',
  l: 'ruler',
};

const EDITABLE = new Set(['INPUT', 'TEXTAREA', 'SELECT']);
/** Fraction of the visible width one arrow press pans. */
const PAN_STEP = 0.1;
const ZOOM_STEP = 1.5;

export function actionFor(input: KeyInput): Action | null {
  if (input.key === 'Escape') return { type: 'close' };
  if (input.targetTag && EDITABLE.has(input.targetTag.toUpperCase())) return null;
  if ((input.ctrlKey || input.metaKey) && !input.altKey) {
    const key = input.key.toLowerCase();
    if (key === 'z') return { type: input.shiftKey ? 'redo' : 'undo' };
    if (key === 'y' && !input.shiftKey) return { type: 'redo' };
    return null;
  }
  if (input.ctrlKey || input.metaKey || input.altKey) return null;
  if (input.drawing && input.key === 'Enter') return { type: 'finish-shape' };
  const tool = TOOL_KEYS[input.key.toLowerCase()];
  if (tool) return { type: 'tool', tool };
  const digit = /^Digit([0-9])$/.exec(input.code);
  if (digit && input.shiftKey) {
    const grade = Number(digit[1]);
    return grade <= 5 ? { type: 'grade', grade } : null;
  }
  switch (input.key) {
    case 'ArrowLeft':
      return { type: 'pan', dx: -PAN_STEP, dy: 0 };
    case 'ArrowRight':
      return { type: 'pan', dx: PAN_STEP, dy: 0 };
    case 'ArrowUp':
      return { type: 'pan', dx: 0, dy: -PAN_STEP };
    case 'ArrowDown':
      return { type: 'pan', dx: 0, dy: PAN_STEP };
    case '+':
    case '=':
      return { type: 'zoom', factor: ZOOM_STEP };
    case '-':
    case '_':
      return { type: 'zoom', factor: 1 / ZOOM_STEP };
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
      return { type: 'preset', index: Number(input.key) - 1 };
    case '0':
      return { type: 'home' };
    case 'h':
    case 'H':
      return { type: 'toggle-heatmap' };
    case '[':
      return { type: 'opacity', delta: -0.1 };
    case ']':
      return { type: 'opacity', delta: 0.1 };
    case 'm':
    case 'M':
      return { type: 'toggle-mask' };
    case 'x':
    case 'X':
      return { type: 'swap-overlays' };
    case '{':
      return { type: 'mask-opacity', delta: -0.1 };
    case '}':
      return { type: 'mask-opacity', delta: 0.1 };
    case 'Delete':
    case 'Backspace':
      return { type: 'delete-annotation' };
    case 'n':
    case 'N':
      return { type: 'next' };
    case 'p':
    case 'P':
      return { type: 'prev' };
    case 'Enter':
      return { type: 'confirm' };
    case '?':
      return { type: 'help' };
    default:
      return null;
  }
}

/** The shortcut sheet: what `?` shows. */
export const SHORTCUTS: readonly [keys: string, what: string][] = [
  ['← → ↑ ↓', 'pan'],
  ['+ / −', 'zoom in / out (the mouse wheel zooms at the cursor)'],
  ['1 2 3 4 5', 'magnification 1.25× 5× 10× 20× 40×'],
  ['0', 'fit the whole slide'],
  ['H', 'show / hide the attention heatmap'],
  ['[ / ]', 'heatmap opacity down / up'],
  ['M', 'show / hide the label mask'],
  ['X', 'swap the heatmap and the mask (show one, hide the other)'],
  ['Shift+[ / Shift+]', 'mask opacity down / up'],
  ['V', 'select, move, edit corners (drag a corner handle)'],
  ['G', 'polygon: click the corners; click the first one, double-click or Enter to close'],
  ['F', 'freehand outline: drag'],
  ['R / E', 'rectangle / ellipse: drag'],
  ['.', 'point: click'],
  ['L', 'ruler: drag from end to end'],
  ['Delete', 'delete the selected annotation'],
  ['Ctrl+Z / Ctrl+Shift+Z', 'undo / redo an annotation edit'],
  ['N / P', 'next / previous slide'],
  ['Shift+0 … Shift+5', 'set the reviewed ISUP grade (override)'],
  [
    'Enter',
    'confirm (agree with the prediction, or save the chosen grade) and go to the next unreviewed slide',
  ],
  ['?', 'this sheet'],
  ['Esc', 'close this sheet; cancel the shape being drawn'],
];
