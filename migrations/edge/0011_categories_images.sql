-- RusToK Edge device database, schema 11: catalog categories, product images and
-- the kiosk's idle time.
-- Add-only: never edit this file once shipped.
--
-- Categories have per-locale names (JSON, like product titles), a position among
-- their siblings and at most one parent. A product names its category and its image
-- (the SHA-256 digest of the stored bytes, a file in the data folder's `images/`).
-- The kiosk's idle time (seconds before an untouched kiosk starts over) is NULL
-- for shops set up before it existed, which take the default.

CREATE TABLE categories (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    names       TEXT NOT NULL,  -- JSON object locale -> name
    position    INTEGER NOT NULL CHECK (position BETWEEN 0 AND 10000),
    parent_id   TEXT REFERENCES categories(id),
    version     INTEGER NOT NULL,
    updated_at  TEXT NOT NULL
);

ALTER TABLE products ADD COLUMN category_id TEXT REFERENCES categories(id);
ALTER TABLE products ADD COLUMN image TEXT CHECK (image IS NULL OR length(image) = 64);
-- The kiosk lists a category's products; a sale never changes these columns, so
-- the index costs nothing on the sale path.
CREATE INDEX products_category ON products (tenant_id, category_id) WHERE category_id IS NOT NULL;

ALTER TABLE tenants ADD COLUMN kiosk_idle_secs INTEGER
    CHECK (kiosk_idle_secs IS NULL OR kiosk_idle_secs BETWEEN 20 AND 3600);
