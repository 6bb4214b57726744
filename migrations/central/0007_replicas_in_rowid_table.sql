-- RusToK Central SQLite database, schema 7: replicas kept in a rowid table.
-- Add-only: never edit this file once shipped.
--
-- A product's replica is about 1.4 KB of JSON. In a WITHOUT ROWID table a row that
-- large overflows its leaf page's local payload (about 1 KB with 4 KiB pages), so
-- every replica took an overflow page of its own. A rowid table keeps it in the
-- leaf page; (tenant_id, kind, id) stays unique through its index.
CREATE TABLE replicas_by_rowid (
    tenant_id       TEXT NOT NULL,
    kind            TEXT NOT NULL,
    id              TEXT NOT NULL,
    doc             TEXT NOT NULL,
    sku             TEXT,
    barcode         TEXT,
    UNIQUE (tenant_id, kind, id)
);
INSERT INTO replicas_by_rowid (tenant_id, kind, id, doc, sku, barcode)
    SELECT tenant_id, kind, id, doc, sku, barcode FROM replicas ORDER BY tenant_id, kind, id;
DROP TABLE replicas;
ALTER TABLE replicas_by_rowid RENAME TO replicas;
CREATE INDEX replicas_by_sku ON replicas (tenant_id, sku) WHERE sku IS NOT NULL;
CREATE INDEX replicas_by_barcode ON replicas (tenant_id, barcode) WHERE barcode IS NOT NULL;
