-- RusToK Edge device database, schema 1.
-- Add-only: never edit this file once shipped; add a new numbered file instead.
-- Ids are UUID text; times are RFC 3339 text or Unix milliseconds where compared;
-- money is integer minor units.

CREATE TABLE tenants (
    id              TEXT PRIMARY KEY,
    slug            TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    currency        TEXT NOT NULL,
    default_locale  TEXT NOT NULL,
    tax_mode        TEXT NOT NULL CHECK (tax_mode IN ('inclusive', 'exclusive')),
    feature_commerce INTEGER NOT NULL,
    feature_content INTEGER NOT NULL,
    feature_kiosk   INTEGER NOT NULL,
    allow_oversell  INTEGER NOT NULL,
    updated_at      TEXT NOT NULL
);

-- This device's identity and its outbox counters (exactly one row once set up).
CREATE TABLE device (
    singleton       INTEGER PRIMARY KEY CHECK (singleton = 1),
    device_id       TEXT NOT NULL,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    device_code     TEXT NOT NULL,
    last_seq        INTEGER NOT NULL DEFAULT 0,
    -- Every event up to here is held by the central server (it acks the highest
    -- contiguous seq it holds), so "pending" is simply seq > acked_seq.
    acked_seq       INTEGER NOT NULL DEFAULT 0 CHECK (acked_seq <= last_seq),
    last_hlc        TEXT NOT NULL,
    last_order_no   INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE operators (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    name            TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'cashier', 'kiosk')),
    pin_hash        TEXT NOT NULL,
    active          INTEGER NOT NULL,
    wrong_pins      INTEGER NOT NULL DEFAULT 0,
    locked_until_ms INTEGER,
    updated_at      TEXT NOT NULL,
    UNIQUE (tenant_id, name)
);

CREATE TABLE products (
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
    UNIQUE (tenant_id, sku)
);
CREATE UNIQUE INDEX products_barcode ON products (tenant_id, barcode) WHERE barcode IS NOT NULL;

-- An append-only log. No index by product: every index here costs pages on every
-- sale; per-product listings scan newest-first, and the read side indexes them.
CREATE TABLE stock_movements (
    id              TEXT NOT NULL,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    product_id      TEXT NOT NULL REFERENCES products(id),
    kind            TEXT NOT NULL CHECK (kind IN ('received', 'adjusted', 'sold', 'returned')),
    delta           INTEGER NOT NULL CHECK (delta <> 0),
    reason          TEXT,
    order_id        TEXT REFERENCES orders(id),
    operator_id     TEXT,
    occurred_at     TEXT NOT NULL
);

CREATE TABLE cash_sessions (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    currency        TEXT NOT NULL,
    opened_by       TEXT NOT NULL REFERENCES operators(id),
    opened_at       TEXT NOT NULL,
    float           INTEGER NOT NULL CHECK (float >= 0),
    sales           INTEGER NOT NULL DEFAULT 0,
    refunds         INTEGER NOT NULL DEFAULT 0,
    cash_in         INTEGER NOT NULL DEFAULT 0,
    cash_out        INTEGER NOT NULL DEFAULT 0,
    closed_by       TEXT REFERENCES operators(id),
    closed_at       TEXT,
    counted         INTEGER,
    expected        INTEGER,
    difference      INTEGER,
    unsynced_events INTEGER
);
-- One open session per device database.
CREATE UNIQUE INDEX cash_sessions_one_open ON cash_sessions (tenant_id) WHERE closed_at IS NULL;

CREATE TABLE cash_movements (
    session_id      TEXT NOT NULL REFERENCES cash_sessions(id),
    n               INTEGER NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('in', 'out')),
    amount          INTEGER NOT NULL CHECK (amount > 0),
    reason          TEXT NOT NULL,
    operator_id     TEXT NOT NULL,
    occurred_at     TEXT NOT NULL,
    PRIMARY KEY (session_id, n)
) WITHOUT ROWID;

CREATE TABLE orders (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    number          TEXT NOT NULL UNIQUE,
    status          TEXT NOT NULL CHECK (status IN
                    ('pending', 'confirmed', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded')),
    currency        TEXT NOT NULL,
    tax_mode        TEXT NOT NULL,
    net             INTEGER NOT NULL,
    tax             INTEGER NOT NULL,
    gross           INTEGER NOT NULL,
    customer        TEXT,           -- JSON {name, contact?}
    notes           TEXT,
    tracking        TEXT,
    cancel_reason   TEXT,
    refund          TEXT,           -- JSON {amount, method, restock, reason?}
    -- Lines and payments are immutable snapshots read with the order: JSON arrays
    -- on the row cost one page per sale instead of two more tables.
    lines           TEXT NOT NULL,  -- JSON [{product_id, sku, title, unit_price, tax_rate, quantity, net, tax, gross}]
    payments        TEXT NOT NULL DEFAULT '[]', -- JSON [{method, amount, tendered?, change?, reference?}]
    cash_session_id TEXT REFERENCES cash_sessions(id),
    created_by      TEXT,
    created_at      TEXT NOT NULL,
    day             TEXT NOT NULL,  -- UTC day of creation, for reports and lists
    updated_at      TEXT NOT NULL
);

CREATE TABLE content_nodes (
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
    UNIQUE (tenant_id, slug)
);

-- The outbox and local event log. `seq` is per device and gapless from 1. Ids are
-- UUIDv7 made unique at generation; every extra index here is paid on every sale.
CREATE TABLE events (
    seq             INTEGER PRIMARY KEY,
    id              TEXT NOT NULL,
    type            TEXT NOT NULL,
    schema_version  INTEGER NOT NULL,
    tenant_id       TEXT NOT NULL,
    device_id       TEXT NOT NULL,
    hlc             TEXT NOT NULL,
    occurred_at     TEXT NOT NULL,
    actor_id        TEXT,
    correlation_id  TEXT NOT NULL,
    causation_id    TEXT,
    origin          TEXT NOT NULL,
    aggregate_id    TEXT NOT NULL,
    data            TEXT NOT NULL
);
CREATE INDEX events_aggregate ON events (aggregate_id, seq);
