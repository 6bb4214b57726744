-- RusToK Edge device database, schema 3: fewer B-tree pages written per sale.
-- Add-only: never edit this file once shipped.
--
-- Every B-tree a sale touches is at least one more page in the write-ahead log, and
-- the log is fsynced on every commit. Two indexes paid for rare reads on every sale:
--
-- 1. `events_aggregate` (9 entries per sale, and SQLite rebalances an index's last
--    leaf with its siblings each time it fills: ~2.3 pages per sale). The only
--    reader was an order's history, so an order now lists its own events: `history`
--    holds the seqs of the events about it, comma-separated, in order. They are
--    appended in the transaction that appends the events, which writes the order row
--    anyway.
-- 2. The unique index on `orders.number`. An order's number is its device code and
--    its serial on this device (`POS1-000042`), so the serial becomes the row's key
--    (`n`, the rowid): unique by construction, appended at the B-tree's right edge,
--    and the highest one is the last number given out.
--
-- The migration runs with foreign keys off (SQLite's table-rebuild procedure) and
-- checks them before it commits.

CREATE TABLE orders_v3 (
    n               INTEGER PRIMARY KEY,   -- serial on this device: number = {device-code}-{n:06}
    id              TEXT NOT NULL UNIQUE,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    number          TEXT NOT NULL,
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
    lines           TEXT NOT NULL,  -- JSON [{product_id, sku, title, unit_price, tax_rate, quantity, net, tax, gross}]
    payments        TEXT NOT NULL DEFAULT '[]', -- JSON [{method, amount, tendered?, change?, reference?}]
    cash_session_id TEXT REFERENCES cash_sessions(id),
    created_by      TEXT,
    created_at      TEXT NOT NULL,
    day             TEXT NOT NULL,  -- UTC day of creation, for reports and lists
    updated_at      TEXT NOT NULL,
    history         TEXT NOT NULL DEFAULT '' -- seqs of the events about this order: '12,13,14'
);

INSERT INTO orders_v3 (n, id, tenant_id, number, status, currency, tax_mode, net, tax, gross,
    customer, notes, tracking, cancel_reason, refund, lines, payments, cash_session_id,
    created_by, created_at, day, updated_at, history)
SELECT CAST(substr(o.number, instr(o.number, '-') + 1) AS INTEGER), o.id, o.tenant_id, o.number,
    o.status, o.currency, o.tax_mode, o.net, o.tax, o.gross, o.customer, o.notes, o.tracking,
    o.cancel_reason, o.refund, o.lines, o.payments, o.cash_session_id, o.created_by,
    o.created_at, o.day, o.updated_at,
    COALESCE((SELECT group_concat(e.seq, ',')
              FROM (SELECT seq FROM events WHERE aggregate_id = o.id ORDER BY seq) AS e), '')
FROM orders AS o;

DROP TABLE orders;
ALTER TABLE orders_v3 RENAME TO orders;
DROP INDEX events_aggregate;
