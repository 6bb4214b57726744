-- RusToK Edge device database, schema 4: cheaper checks on the rows a sale inserts.
-- Add-only: never edit this file once shipped.
--
-- SQLite evaluates `x IN ('a', 'b', 'c')` with more than two values by building a
-- temporary B-tree of the values, and for a CHECK constraint it does so for every
-- row it writes: a sale's order and its five stock movements paid for six of them
-- (a third of the cost of inserting a movement, measured). The same rule written as
-- `x = 'a' OR x = 'b' OR ...` is compared in place. The allowed values are exactly
-- those of schema 3; the tables are rebuilt (SQLite's procedure, foreign keys off and
-- checked before the commit) because a CHECK cannot be altered in place.

CREATE TABLE stock_movements_v4 (
    id              TEXT NOT NULL,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    product_id      TEXT NOT NULL REFERENCES products(id),
    kind            TEXT NOT NULL CHECK (kind = 'received' OR kind = 'adjusted'
                    OR kind = 'sold' OR kind = 'returned'),
    delta           INTEGER NOT NULL CHECK (delta <> 0),
    reason          TEXT,
    order_id        TEXT REFERENCES orders(id),
    operator_id     TEXT,
    occurred_at     TEXT NOT NULL
);

INSERT INTO stock_movements_v4 (rowid, id, tenant_id, product_id, kind, delta, reason,
    order_id, operator_id, occurred_at)
SELECT rowid, id, tenant_id, product_id, kind, delta, reason, order_id, operator_id,
    occurred_at
FROM stock_movements;

DROP TABLE stock_movements;
ALTER TABLE stock_movements_v4 RENAME TO stock_movements;

CREATE TABLE orders_v4 (
    n               INTEGER PRIMARY KEY,   -- serial on this device: number = {device-code}-{n:06}
    id              TEXT NOT NULL UNIQUE,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    number          TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status = 'pending' OR status = 'confirmed'
                    OR status = 'paid' OR status = 'shipped' OR status = 'delivered'
                    OR status = 'cancelled' OR status = 'refunded'),
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

INSERT INTO orders_v4 (n, id, tenant_id, number, status, currency, tax_mode, net, tax,
    gross, customer, notes, tracking, cancel_reason, refund, lines, payments,
    cash_session_id, created_by, created_at, day, updated_at, history)
SELECT n, id, tenant_id, number, status, currency, tax_mode, net, tax, gross, customer,
    notes, tracking, cancel_reason, refund, lines, payments, cash_session_id, created_by,
    created_at, day, updated_at, history
FROM orders;

DROP TABLE orders;
ALTER TABLE orders_v4 RENAME TO orders;
