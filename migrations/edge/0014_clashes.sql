-- RusToK Edge device database, schema 14: uniqueness clashes are kept (DESIGN §7).
-- Add-only: never edit this file once shipped.
--
-- Two tills cut off from each other can each create a product with the same SKU or
-- barcode, a page with the same slug or an operator with the same name. Both records
-- are real (each may already have sales or history on its till), so a till that
-- pulls the other one must keep it: these columns stop being UNIQUE. A till still
-- refuses to make a new clash itself (the services check), lists the clashes for a
-- manager, and a scan of a shared code picks one product the same way on every
-- device (an active one first, then the lowest id).
--
-- SQLite cannot drop a constraint, so each table is rebuilt: made anew, copied,
-- the old one dropped and the new one renamed. Foreign keys are off while the steps
-- run and checked before they commit; references to these tables from other tables
-- name them, so they resolve to the rebuilt ones.

CREATE TABLE products_v14 (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    sku             TEXT NOT NULL,
    barcode         TEXT,
    titles          TEXT NOT NULL,  -- JSON object locale -> title
    descriptions    TEXT NOT NULL,  -- JSON object locale -> description
    price           INTEGER NOT NULL CHECK (price >= 0),
    currency        TEXT NOT NULL,
    tax_rate_bp     INTEGER NOT NULL CHECK (tax_rate_bp BETWEEN 0 AND 10000),
    status          TEXT NOT NULL CHECK (status IN ('draft', 'active', 'archived')),
    on_hand         INTEGER NOT NULL DEFAULT 0,
    low_stock_threshold INTEGER NOT NULL DEFAULT 0,
    version         INTEGER NOT NULL,
    updated_at      TEXT NOT NULL,
    category_id     TEXT REFERENCES categories(id),
    image           TEXT CHECK (image IS NULL OR length(image) = 64)
);
INSERT INTO products_v14 (id, tenant_id, sku, barcode, titles, descriptions, price, currency,
        tax_rate_bp, status, on_hand, low_stock_threshold, version, updated_at, category_id, image)
    SELECT id, tenant_id, sku, barcode, titles, descriptions, price, currency,
        tax_rate_bp, status, on_hand, low_stock_threshold, version, updated_at, category_id, image
    FROM products;
DROP TABLE products;
ALTER TABLE products_v14 RENAME TO products;
CREATE INDEX products_sku ON products (tenant_id, sku);
CREATE INDEX products_barcode ON products (tenant_id, barcode) WHERE barcode IS NOT NULL;
CREATE INDEX products_category ON products (tenant_id, category_id) WHERE category_id IS NOT NULL;

CREATE TABLE content_nodes_v14 (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    kind            TEXT NOT NULL CHECK (kind IN ('page', 'promo', 'article')),
    slug            TEXT NOT NULL,
    position        INTEGER NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('draft', 'published', 'archived')),
    translations    TEXT NOT NULL,  -- JSON object locale -> {title, excerpt?, body?}
    published_at    TEXT,
    version         INTEGER NOT NULL,
    updated_at      TEXT NOT NULL,
    products        TEXT NOT NULL DEFAULT '[]'
);
INSERT INTO content_nodes_v14 (id, tenant_id, kind, slug, position, status, translations,
        published_at, version, updated_at, products)
    SELECT id, tenant_id, kind, slug, position, status, translations,
        published_at, version, updated_at, products
    FROM content_nodes;
DROP TABLE content_nodes;
ALTER TABLE content_nodes_v14 RENAME TO content_nodes;
CREATE INDEX content_slug ON content_nodes (tenant_id, slug);

CREATE TABLE operators_v14 (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    name            TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'cashier', 'kiosk')),
    pin_hash        TEXT NOT NULL,
    active          INTEGER NOT NULL,
    wrong_pins      INTEGER NOT NULL DEFAULT 0,
    locked_until_ms INTEGER,
    updated_at      TEXT NOT NULL
);
INSERT INTO operators_v14 (id, tenant_id, name, role, pin_hash, active, wrong_pins,
        locked_until_ms, updated_at)
    SELECT id, tenant_id, name, role, pin_hash, active, wrong_pins, locked_until_ms, updated_at
    FROM operators;
DROP TABLE operators;
ALTER TABLE operators_v14 RENAME TO operators;
