-- Head office's sales reports (DESIGN §7, the console): a projection of the sale
-- events central holds, made outside the ingest path. Every row is keyed by the
-- event it comes from, so an event adds once however often it was sent, and
-- projecting again changes nothing. Add-only: never edit this file once shipped.

-- How far each device's events are projected (its seqs up to here).
CREATE TABLE report_cursors (
    device_id   TEXT PRIMARY KEY,
    seq         INTEGER NOT NULL
) WITHOUT ROWID;

-- Orders (OrderCreated): currency and the discounts given.
CREATE TABLE report_orders (
    tenant_id   TEXT NOT NULL,
    order_id    TEXT NOT NULL,
    currency    TEXT NOT NULL,
    discount    INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, order_id)
) WITHOUT ROWID;

-- Their lines, for the best sellers.
CREATE TABLE report_lines (
    tenant_id   TEXT NOT NULL,
    order_id    TEXT NOT NULL,
    line        INTEGER NOT NULL,
    product_id  TEXT NOT NULL,
    title       TEXT NOT NULL,
    quantity    INTEGER NOT NULL,
    amount      INTEGER NOT NULL,           -- after discounts, with tax
    PRIMARY KEY (tenant_id, order_id, line)
) WITHOUT ROWID;

-- Money taken (OrderPaid) and given back (OrderRefunded), when it happened on the
-- device and in which store.
CREATE TABLE report_sales (
    device_id   TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    tenant_id   TEXT NOT NULL,
    store       TEXT NOT NULL,
    order_id    TEXT NOT NULL,
    at_ms       INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('paid', 'refunded')),
    amount      INTEGER NOT NULL,
    PRIMARY KEY (device_id, seq)
) WITHOUT ROWID;
CREATE INDEX report_sales_by_time ON report_sales (tenant_id, at_ms);

-- The same money per tender.
CREATE TABLE report_tenders (
    device_id   TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    n           INTEGER NOT NULL,
    tenant_id   TEXT NOT NULL,
    order_id    TEXT NOT NULL,
    at_ms       INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('paid', 'refunded')),
    method      TEXT NOT NULL,
    amount      INTEGER NOT NULL,
    PRIMARY KEY (device_id, seq, n)
) WITHOUT ROWID;
CREATE INDEX report_tenders_by_time ON report_tenders (tenant_id, at_ms);
