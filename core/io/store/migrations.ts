/**
 * The store's schema as ordered migration steps. `PRAGMA user_version` holds the number of steps applied; a
 * step is never edited once released, only followed by a new one, so every store upgrades along the same path.
 */

export interface Migration {
  /** The user_version after this step (1-based, consecutive). */
  version: number;
  description: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'folders, slides, runs, checkpoints, predictions and the current review per slide',
    sql: `
      CREATE TABLE folders (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL UNIQUE,
        layout TEXT NOT NULL CHECK (layout IN ('panda', 'images', 'slides')),
        added_at TEXT NOT NULL,
        opened_at TEXT NOT NULL
      );
      CREATE INDEX folders_by_opened ON folders (opened_at);

      -- Slides are never deleted by a sync (a file missing for a while, e.g. an unmounted share, must not take
      -- its reviews along); removed_at hides them instead.
      CREATE TABLE slides (
        id INTEGER PRIMARY KEY,
        folder_id INTEGER NOT NULL REFERENCES folders (id),
        image_id TEXT NOT NULL,
        path TEXT NOT NULL,
        file_size INTEGER,
        file_mtime_ms REAL,
        label INTEGER,
        provider TEXT,
        gleason TEXT,
        removed_at TEXT,
        UNIQUE (folder_id, image_id)
      );

      CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        folder_id INTEGER REFERENCES folders (id),
        run_dir TEXT NOT NULL UNIQUE,
        config_json TEXT NOT NULL CHECK (json_valid(config_json)),
        status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
        created_at TEXT NOT NULL,
        finished_at TEXT,
        best_metric TEXT,
        best_value REAL,
        best_epoch INTEGER,
        message TEXT
      );

      CREATE TABLE checkpoints (
        id INTEGER PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        epoch INTEGER NOT NULL,
        path TEXT NOT NULL,
        metric_value REAL,
        saved_at TEXT NOT NULL,
        UNIQUE (run_id, name)
      );

      CREATE TABLE predictions (
        id INTEGER PRIMARY KEY,
        slide_id INTEGER NOT NULL REFERENCES slides (id),
        run_id INTEGER NOT NULL REFERENCES runs (id),
        grade INTEGER NOT NULL CHECK (grade BETWEEN 0 AND 5),
        confidence REAL NOT NULL,
        probabilities_json TEXT NOT NULL CHECK (json_valid(probabilities_json)),
        attention_path TEXT,
        predicted_at TEXT NOT NULL
      );
      CREATE INDEX predictions_by_slide ON predictions (slide_id, id);

      CREATE TABLE reviews (
        slide_id INTEGER PRIMARY KEY REFERENCES slides (id),
        reviewer TEXT NOT NULL,
        reviewed_at TEXT NOT NULL,
        grade INTEGER NOT NULL CHECK (grade BETWEEN 0 AND 5),
        status TEXT NOT NULL CHECK (status IN ('agreed', 'overridden')),
        note TEXT NOT NULL DEFAULT '',
        prediction_id INTEGER REFERENCES predictions (id)
      );
    `,
  },
  {
    version: 2,
    description: 'full review history; existing current reviews become its first entries',
    sql: `
      CREATE TABLE review_events (
        id INTEGER PRIMARY KEY,
        slide_id INTEGER NOT NULL REFERENCES slides (id),
        reviewer TEXT NOT NULL,
        reviewed_at TEXT NOT NULL,
        old_grade INTEGER CHECK (old_grade BETWEEN 0 AND 5),
        new_grade INTEGER NOT NULL CHECK (new_grade BETWEEN 0 AND 5),
        status TEXT NOT NULL CHECK (status IN ('agreed', 'overridden')),
        note TEXT NOT NULL DEFAULT '',
        prediction_id INTEGER REFERENCES predictions (id)
      );
      CREATE INDEX review_events_by_slide ON review_events (slide_id, id);
      INSERT INTO review_events (slide_id, reviewer, reviewed_at, old_grade, new_grade, status, note, prediction_id)
        SELECT slide_id, reviewer, reviewed_at, NULL, grade, status, note, prediction_id
        FROM reviews ORDER BY reviewed_at, slide_id;
    `,
  },
  {
    version: 3,
    description: 'indexes for slide lists sorted by label and for predictions of one run',
    sql: `
      CREATE INDEX slides_by_label ON slides (folder_id, label);
      CREATE INDEX predictions_by_slide_run ON predictions (slide_id, run_id, id);
      CREATE INDEX runs_by_folder ON runs (folder_id, id);
    `,
  },
  {
    version: 4,
    description: 'annotations of slides with their edit history, and annotation classes per slide folder',
    sql: `
      -- A folder's classes in display order; a folder without rows uses the default classes.
      CREATE TABLE annotation_classes (
        folder_id INTEGER NOT NULL REFERENCES folders (id),
        position INTEGER NOT NULL,
        name TEXT NOT NULL,
        color TEXT NOT NULL,
        PRIMARY KEY (folder_id, name)
      );

      -- Geometry is GeoJSON in level-0 pixels. Deleting sets deleted_at, so an undo restores the same row.
      CREATE TABLE annotations (
        id INTEGER PRIMARY KEY,
        slide_id INTEGER NOT NULL REFERENCES slides (id),
        tool TEXT NOT NULL,
        class_name TEXT,
        name TEXT NOT NULL DEFAULT '',
        note TEXT NOT NULL DEFAULT '',
        geometry_json TEXT NOT NULL CHECK (json_valid(geometry_json)),
        author TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        deleted_at TEXT
      );
      CREATE INDEX annotations_by_slide ON annotations (slide_id, id);

      -- One row per edit: who, when, and the annotation before and after (JSON; null before a create).
      CREATE TABLE annotation_events (
        id INTEGER PRIMARY KEY,
        annotation_id INTEGER NOT NULL REFERENCES annotations (id),
        author TEXT NOT NULL,
        at TEXT NOT NULL,
        action TEXT NOT NULL CHECK (action IN ('create', 'update', 'delete', 'restore')),
        before_json TEXT CHECK (before_json IS NULL OR json_valid(before_json)),
        after_json TEXT NOT NULL CHECK (json_valid(after_json))
      );
      CREATE INDEX annotation_events_by_annotation ON annotation_events (annotation_id, id);
    `,
  },
  {
    version: 5,
    description:
      'review records: Gleason patterns, % pattern 4, "graded" (no prediction) and "ungradable" (no grade)',
    // SQLite cannot change a CHECK constraint in place, so both tables are rebuilt. An "overridden" review with no
    // prediction overrode nothing: it becomes "graded".
    sql: `
      CREATE TABLE reviews_v5 (
        slide_id INTEGER PRIMARY KEY REFERENCES slides (id),
        reviewer TEXT NOT NULL,
        reviewed_at TEXT NOT NULL,
        grade INTEGER CHECK (grade BETWEEN 0 AND 5),
        status TEXT NOT NULL CHECK (status IN ('agreed', 'overridden', 'graded', 'ungradable')),
        note TEXT NOT NULL DEFAULT '',
        prediction_id INTEGER REFERENCES predictions (id),
        primary_pattern INTEGER CHECK (primary_pattern BETWEEN 3 AND 5),
        secondary_pattern INTEGER CHECK (secondary_pattern BETWEEN 3 AND 5),
        tertiary_pattern INTEGER CHECK (tertiary_pattern BETWEEN 3 AND 5),
        pattern4_percent REAL CHECK (pattern4_percent BETWEEN 0 AND 100),
        CHECK ((grade IS NULL) = (status = 'ungradable'))
      );
      INSERT INTO reviews_v5 (slide_id, reviewer, reviewed_at, grade, status, note, prediction_id)
        SELECT slide_id, reviewer, reviewed_at, grade,
          CASE WHEN status = 'overridden' AND prediction_id IS NULL THEN 'graded' ELSE status END,
          note, prediction_id
        FROM reviews;
      DROP TABLE reviews;
      ALTER TABLE reviews_v5 RENAME TO reviews;

      CREATE TABLE review_events_v5 (
        id INTEGER PRIMARY KEY,
        slide_id INTEGER NOT NULL REFERENCES slides (id),
        reviewer TEXT NOT NULL,
        reviewed_at TEXT NOT NULL,
        old_grade INTEGER CHECK (old_grade BETWEEN 0 AND 5),
        new_grade INTEGER CHECK (new_grade BETWEEN 0 AND 5),
        status TEXT NOT NULL CHECK (status IN ('agreed', 'overridden', 'graded', 'ungradable')),
        note TEXT NOT NULL DEFAULT '',
        prediction_id INTEGER REFERENCES predictions (id),
        primary_pattern INTEGER CHECK (primary_pattern BETWEEN 3 AND 5),
        secondary_pattern INTEGER CHECK (secondary_pattern BETWEEN 3 AND 5),
        tertiary_pattern INTEGER CHECK (tertiary_pattern BETWEEN 3 AND 5),
        pattern4_percent REAL CHECK (pattern4_percent BETWEEN 0 AND 100),
        CHECK ((new_grade IS NULL) = (status = 'ungradable'))
      );
      INSERT INTO review_events_v5 (id, slide_id, reviewer, reviewed_at, old_grade, new_grade, status, note,
          prediction_id)
        SELECT id, slide_id, reviewer, reviewed_at, old_grade, new_grade,
          CASE WHEN status = 'overridden' AND prediction_id IS NULL THEN 'graded' ELSE status END,
          note, prediction_id
        FROM review_events;
      DROP TABLE review_events;
      ALTER TABLE review_events_v5 RENAME TO review_events;
      CREATE INDEX review_events_by_slide ON review_events (slide_id, id);
    `,
  },
  {
    version: 6,
    description: 'review drafts: a note typed before the grade, one per slide, until the review is saved',
    sql: `
      CREATE TABLE review_drafts (
        slide_id INTEGER PRIMARY KEY REFERENCES slides (id),
        note TEXT NOT NULL,
        saved_at TEXT NOT NULL
      );
    `,
  },
];

export const LATEST_VERSION = MIGRATIONS.length;
