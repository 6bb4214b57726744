-- RusToK Edge device database, schema 6: refunds per line.
-- Add-only: never edit this file once shipped.
--
-- An order may now be partly refunded (`partially_refunded`), and keeps every refund
-- it had (`refunds`, a JSON array, oldest first) instead of the one it could have
-- (`refund`). A refund of schema 5 and older gave back the whole order through one
-- tender; it becomes a refund of every line in full through that tender, exactly as
-- the upcaster of `OrderRefunded` 1 → 2 rewrites the event (a test holds the two to
-- the same result). The table is rebuilt (SQLite's procedure, foreign keys off and
-- checked before the commit) because a CHECK cannot be altered in place.

CREATE TABLE orders_v6 (
    n               INTEGER PRIMARY KEY,   -- serial on this device: number = {device-code}-{n:06}
    id              TEXT NOT NULL UNIQUE,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    number          TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status = 'pending' OR status = 'confirmed'
                    OR status = 'paid' OR status = 'shipped' OR status = 'delivered'
                    OR status = 'cancelled' OR status = 'partially_refunded'
                    OR status = 'refunded'),
    currency        TEXT NOT NULL,
    tax_mode        TEXT NOT NULL,
    net             INTEGER NOT NULL,
    tax             INTEGER NOT NULL,
    gross           INTEGER NOT NULL,
    customer        TEXT,           -- JSON {name, contact?}
    notes           TEXT,
    tracking        TEXT,
    cancel_reason   TEXT,
    refunds         TEXT NOT NULL DEFAULT '[]', -- JSON [{items, payments, amount, reason?}]
    lines           TEXT NOT NULL,  -- JSON [{product_id, sku, title, unit_price, tax_rate, quantity, net, tax, gross}]
    payments        TEXT NOT NULL DEFAULT '[]', -- JSON [{method, amount, tendered?, change?, reference?}]
    cash_session_id TEXT REFERENCES cash_sessions(id),
    created_by      TEXT,
    created_at      TEXT NOT NULL,
    day             TEXT NOT NULL,  -- UTC day of creation, for reports and lists
    updated_at      TEXT NOT NULL,
    history         TEXT NOT NULL DEFAULT '' -- seqs of the events about this order: '12,13,14'
);

INSERT INTO orders_v6 (n, id, tenant_id, number, status, currency, tax_mode, net, tax,
    gross, customer, notes, tracking, cancel_reason, refunds, lines, payments,
    cash_session_id, created_by, created_at, day, updated_at, history)
SELECT n, id, tenant_id, number, status, currency, tax_mode, net, tax, gross, customer,
    notes, tracking, cancel_reason,
    CASE WHEN refund IS NULL THEN '[]' ELSE json_array(json_patch(
        json_object(
            'items', json_object('every', json_object('restock',
                json(CASE WHEN json_extract(refund, '$.restock') THEN 'true' ELSE 'false' END))),
            'payments', json_array(json_object(
                'method', json_extract(refund, '$.method'),
                'amount', json_extract(refund, '$.amount'))),
            'amount', json_extract(refund, '$.amount')),
        -- json_patch drops a null reason, as serde skips a missing one.
        json_object('reason', json_extract(refund, '$.reason'))))
    END,
    lines, payments, cash_session_id, created_by, created_at, day, updated_at, history
FROM orders;

DROP TABLE orders;
ALTER TABLE orders_v6 RENAME TO orders;
