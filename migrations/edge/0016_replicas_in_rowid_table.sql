-- RusToK Edge device database, schema 16: replicas kept in a rowid table.
-- Add-only: never edit this file once shipped.
--
-- A product's replica is about 1.4 KB of JSON (every field with its stamp). In a
-- WITHOUT ROWID table a row that large does not fit its leaf page's local payload
-- (about 1 KB with 4 KiB pages), so each replica took an overflow page of its own:
-- a 100k-product catalog needed ~450 MB and a new till spent most of its first pull
-- writing them. A rowid table keeps rows up to ~4 KB in the leaf page; (kind, id)
-- stays unique through its index.
CREATE TABLE replicas_by_rowid (
    kind            TEXT NOT NULL,
    id              TEXT NOT NULL,
    doc             TEXT NOT NULL,
    UNIQUE (kind, id)
);
INSERT INTO replicas_by_rowid (kind, id, doc) SELECT kind, id, doc FROM replicas ORDER BY kind, id;
DROP TABLE replicas;
ALTER TABLE replicas_by_rowid RENAME TO replicas;
