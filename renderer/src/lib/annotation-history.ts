/**
 * Undo and redo of annotation edits. Each entry says how to go back and forth in terms the store offers:
 * a create is undone by deleting the annotation and redone by restoring it (same id, as a delete only hides the
 * row), an update by writing the other geometry/class back, a delete by restoring.
 */
import type { Annotation } from '#shared';

export type Edit =
  | { type: 'create'; after: Annotation }
  | { type: 'update'; before: Annotation; after: Annotation }
  | { type: 'delete'; before: Annotation };

/** One store call that applies an edit or its reverse. */
export type Step =
  | { type: 'delete'; id: number }
  | { type: 'restore'; id: number }
  | { type: 'update'; id: number; to: Annotation };

function reverse(edit: Edit): Step {
  switch (edit.type) {
    case 'create':
      return { type: 'delete', id: edit.after.id };
    case 'update':
      return { type: 'update', id: edit.before.id, to: edit.before };
    case 'delete':
      return { type: 'restore', id: edit.before.id };
  }
}

function forward(edit: Edit): Step {
  switch (edit.type) {
    case 'create':
      return { type: 'restore', id: edit.after.id };
    case 'update':
      return { type: 'update', id: edit.after.id, to: edit.after };
    case 'delete':
      return { type: 'delete', id: edit.before.id };
  }
}

/** Most edits kept for undo (per slide view). */
export const MAX_UNDO = 200;

export class EditHistory {
  private done: Edit[] = [];
  private undone: Edit[] = [];

  /** A new edit: it can be undone, and nothing undone before it can be redone any more. */
  record(edit: Edit): void {
    this.done.push(edit);
    if (this.done.length > MAX_UNDO) this.done.shift();
    this.undone = [];
  }

  get canUndo(): boolean {
    return this.done.length > 0;
  }

  get canRedo(): boolean {
    return this.undone.length > 0;
  }

  /** The step that undoes the last edit (moved to the redo list), or null. */
  undo(): Step | null {
    const edit = this.done.pop();
    if (!edit) return null;
    this.undone.push(edit);
    return reverse(edit);
  }

  redo(): Step | null {
    const edit = this.undone.pop();
    if (!edit) return null;
    this.done.push(edit);
    return forward(edit);
  }

  /** A step failed (e.g. the store refused it): drop the history, which no longer matches the store. */
  clear(): void {
    this.done = [];
    this.undone = [];
  }
}
