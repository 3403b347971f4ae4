/**
 * Slide annotations and the classes of a folder. Every edit (create, update, delete, restore) writes the
 * annotation and one history row in the same immediate transaction, so a crash leaves either both or neither,
 * and the history can always replay the current state.
 */
import {
  annotationClassSchema,
  annotationInputSchema,
  DEFAULT_CLASSES,
  type Annotation,
  type AnnotationClass,
  type AnnotationInput,
} from '../../shared/annotations.ts';
import { StoreError } from './errors.ts';
import type { Store } from './open.ts';
import { requireSlide } from './slides.ts';
import { writeTransaction } from './write.ts';

export type AnnotationAction = 'create' | 'update' | 'delete' | 'restore';

export interface AnnotationEvent {
  id: number;
  annotationId: number;
  author: string;
  at: string;
  action: AnnotationAction;
  /** The annotation before the edit; null for a create. */
  before: Annotation | null;
  after: Annotation;
}

/** What an update may change; fields left out stay. */
export type AnnotationPatch = Partial<Omit<AnnotationInput, 'tool'>>;

interface AnnotationRow {
  id: number;
  slide_id: number;
  tool: Annotation['tool'];
  class_name: string | null;
  name: string;
  note: string;
  geometry_json: string;
  author: string;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
}

function toAnnotation(row: AnnotationRow): Annotation {
  return {
    id: row.id,
    slideId: row.slide_id,
    tool: row.tool,
    geometry: JSON.parse(row.geometry_json) as Annotation['geometry'],
    className: row.class_name,
    name: row.name,
    note: row.note,
    author: row.author,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function requireAuthor(store: Store, author: string): string {
  const name = author.trim();
  if (name === '') throw new StoreError(store.file, 'an annotation edit needs the author’s name');
  return name;
}

function parseInput(store: Store, input: AnnotationInput) {
  const parsed = annotationInputSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new StoreError(
      store.file,
      `invalid annotation: ${issue.path.join('.') || 'value'}: ${issue.message}`,
    );
  }
  return parsed.data;
}

function rowOf(store: Store, id: number): AnnotationRow {
  const row = store.db.prepare('SELECT * FROM annotations WHERE id = ?').get(id) as AnnotationRow | undefined;
  if (!row) throw new StoreError(store.file, `has no annotation with id ${id}`);
  return row;
}

function logEvent(
  store: Store,
  id: number,
  author: string,
  at: string,
  action: AnnotationAction,
  before: Annotation | null,
): Annotation {
  const after = toAnnotation(rowOf(store, id));
  store.db
    .prepare(
      `INSERT INTO annotation_events (annotation_id, author, at, action, before_json, after_json)
       VALUES (?, ?, ?, ?, ?, ?)`,
    )
    .run(id, author, at, action, before ? JSON.stringify(before) : null, JSON.stringify(after));
  return after;
}

function insert(
  store: Store,
  slideId: number,
  input: AnnotationInput,
  author: string,
  at: string,
): Annotation {
  const a = parseInput(store, input);
  const { id } = store.db
    .prepare(
      `INSERT INTO annotations (slide_id, tool, class_name, name, note, geometry_json, author, created_at,
         updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
    )
    .get(slideId, a.tool, a.className, a.name, a.note, JSON.stringify(a.geometry), author, at, at) as {
    id: number;
  };
  return logEvent(store, id, author, at, 'create', null);
}

/** Adds one annotation to a slide. */
export function createAnnotation(
  store: Store,
  slideId: number,
  input: AnnotationInput,
  author: string,
  at?: string,
): Annotation {
  const who = requireAuthor(store, author);
  return writeTransaction(
    store,
    (time) => {
      requireSlide(store, slideId);
      return insert(store, slideId, input, who, time);
    },
    at,
  );
}

/** Adds many annotations to a slide in one transaction (an import: all of them or none). */
export function createAnnotations(
  store: Store,
  slideId: number,
  inputs: readonly AnnotationInput[],
  author: string,
  at?: string,
): Annotation[] {
  const who = requireAuthor(store, author);
  return writeTransaction(
    store,
    (time) => {
      requireSlide(store, slideId);
      return inputs.map((input) => insert(store, slideId, input, who, time));
    },
    at,
  );
}

/** Changes an annotation's geometry, class, name or note. */
export function updateAnnotation(
  store: Store,
  id: number,
  patch: AnnotationPatch,
  author: string,
  at?: string,
): Annotation {
  const who = requireAuthor(store, author);
  return writeTransaction(
    store,
    (time) => {
      const row = rowOf(store, id);
      if (row.deleted_at !== null) throw new StoreError(store.file, `annotation ${id} is deleted`);
      const before = toAnnotation(row);
      const a = parseInput(store, { ...before, ...patch, tool: before.tool });
      store.db
        .prepare(
          `UPDATE annotations SET class_name = ?, name = ?, note = ?, geometry_json = ?, updated_at = ?
         WHERE id = ?`,
        )
        .run(a.className, a.name, a.note, JSON.stringify(a.geometry), time, id);
      return logEvent(store, id, who, time, 'update', before);
    },
    at,
  );
}

function setDeleted(
  store: Store,
  id: number,
  author: string,
  at: string | undefined,
  deleted: boolean,
): Annotation {
  const who = requireAuthor(store, author);
  return writeTransaction(
    store,
    (time) => {
      const row = rowOf(store, id);
      if ((row.deleted_at !== null) === deleted)
        throw new StoreError(
          store.file,
          `annotation ${id} is ${deleted ? 'already deleted' : 'not deleted'}`,
        );
      store.db
        .prepare('UPDATE annotations SET deleted_at = ?, updated_at = ? WHERE id = ?')
        .run(deleted ? time : null, time, id);
      return logEvent(store, id, who, time, deleted ? 'delete' : 'restore', toAnnotation(row));
    },
    at,
  );
}

/** Deletes an annotation (kept in the history; `restoreAnnotation` brings it back with the same id). */
export function deleteAnnotation(store: Store, id: number, author: string, at?: string): Annotation {
  return setDeleted(store, id, author, at, true);
}

export function restoreAnnotation(store: Store, id: number, author: string, at?: string): Annotation {
  return setDeleted(store, id, author, at, false);
}

export function getAnnotation(store: Store, id: number): Annotation | null {
  const row = store.db.prepare('SELECT * FROM annotations WHERE id = ? AND deleted_at IS NULL').get(id) as
    AnnotationRow | undefined;
  return row ? toAnnotation(row) : null;
}

/** The slide of an annotation, deleted or not; null when there is no such annotation. */
export function annotationSlideId(store: Store, id: number): number | null {
  const slideId = store.db.prepare('SELECT slide_id FROM annotations WHERE id = ?').pluck().get(id);
  return typeof slideId === 'number' ? slideId : null;
}

/** The slide's annotations (not deleted), oldest first. */
export function listAnnotations(store: Store, slideId: number): Annotation[] {
  const rows = store.db
    .prepare('SELECT * FROM annotations WHERE slide_id = ? AND deleted_at IS NULL ORDER BY id')
    .all(slideId) as AnnotationRow[];
  return rows.map(toAnnotation);
}

/** Every edit of an annotation, newest first. */
export function annotationHistory(store: Store, id: number): AnnotationEvent[] {
  const rows = store.db
    .prepare('SELECT * FROM annotation_events WHERE annotation_id = ? ORDER BY id DESC')
    .all(id) as {
    id: number;
    annotation_id: number;
    author: string;
    at: string;
    action: AnnotationAction;
    before_json: string | null;
    after_json: string;
  }[];
  return rows.map((r) => ({
    id: r.id,
    annotationId: r.annotation_id,
    author: r.author,
    at: r.at,
    action: r.action,
    before: r.before_json === null ? null : (JSON.parse(r.before_json) as Annotation),
    after: JSON.parse(r.after_json) as Annotation,
  }));
}

// ---------------------------------------------------------------------------------------------------------------
// Classes

/** The folder's classes in order; the defaults until the folder's are edited. */
export function listClasses(store: Store, folderId: number): AnnotationClass[] {
  const rows = store.db
    .prepare('SELECT name, color FROM annotation_classes WHERE folder_id = ? ORDER BY position')
    .all(folderId) as AnnotationClass[];
  return rows.length > 0 ? rows : DEFAULT_CLASSES.map((c) => ({ ...c }));
}

/** Replaces the folder's classes (names unique, case-insensitively). */
export function setClasses(
  store: Store,
  folderId: number,
  classes: readonly AnnotationClass[],
): AnnotationClass[] {
  const parsed = classes.map((c) => {
    const r = annotationClassSchema.safeParse(c);
    if (!r.success)
      throw new StoreError(
        store.file,
        `invalid class ${JSON.stringify(c.name)}: ${r.error.issues[0]!.message}`,
      );
    return r.data;
  });
  const names = new Set<string>();
  for (const c of parsed) {
    if (names.has(c.name.toLowerCase())) throw new StoreError(store.file, `class ${c.name} is listed twice`);
    names.add(c.name.toLowerCase());
  }
  if (parsed.length === 0) throw new StoreError(store.file, 'a folder needs at least one annotation class');
  writeTransaction(store, () => {
    store.db.prepare('DELETE FROM annotation_classes WHERE folder_id = ?').run(folderId);
    const add = store.db.prepare(
      'INSERT INTO annotation_classes (folder_id, position, name, color) VALUES (?, ?, ?, ?)',
    );
    parsed.forEach((c, i) => add.run(folderId, i, c.name, c.color.toLowerCase()));
  });
  return listClasses(store, folderId);
}

/** Adds the classes not yet known to the folder (by name, case-insensitively) at the end of its list. */
export function addMissingClasses(
  store: Store,
  folderId: number,
  classes: readonly AnnotationClass[],
): AnnotationClass[] {
  const current = listClasses(store, folderId);
  const known = new Set(current.map((c) => c.name.toLowerCase()));
  const missing = classes.filter((c) => !known.has(c.name.toLowerCase()));
  return missing.length > 0 ? setClasses(store, folderId, [...current, ...missing]) : current;
}
