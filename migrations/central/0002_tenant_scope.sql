-- RusToK central database, schema 2: ids scoped by their tenant.
-- Add-only: never edit this file once shipped; add 0003_… instead.
--
-- Event ids were unique across all tenants, so one tenant could push another's
-- event id first and get the other's event quarantined as a conflict (and learn
-- that the id existed). They are unique per tenant now. Orders' currencies were
-- keyed by the order id alone, so one tenant could set the currency of another's
-- order in the report; they are kept per tenant now.

CREATE TABLE events_v2 (
    device_id       TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    id              TEXT NOT NULL,
    tenant_id       TEXT NOT NULL,
    type            TEXT NOT NULL,
    schema_version  INTEGER NOT NULL,
    occurred_at     TEXT NOT NULL,
    envelope        TEXT NOT NULL,              -- the event as received, JSON
    received_at_ms  INTEGER NOT NULL,
    PRIMARY KEY (device_id, seq),
    UNIQUE (tenant_id, id)
) WITHOUT ROWID;
INSERT INTO events_v2 (device_id, seq, id, tenant_id, type, schema_version, occurred_at, envelope, received_at_ms)
    SELECT device_id, seq, id, tenant_id, type, schema_version, occurred_at, envelope, received_at_ms FROM events;
DROP TABLE events;
ALTER TABLE events_v2 RENAME TO events;

-- Rebuilt from the stored OrderCreated events, each under its own tenant.
CREATE TABLE order_currency_v2 (
    tenant_id       TEXT NOT NULL,
    order_id        TEXT NOT NULL,
    currency        TEXT NOT NULL,
    PRIMARY KEY (tenant_id, order_id)
) WITHOUT ROWID;
INSERT OR IGNORE INTO order_currency_v2 (tenant_id, order_id, currency)
    SELECT tenant_id, json_extract(envelope, '$.data.order_id'), json_extract(envelope, '$.data.currency')
    FROM events
    WHERE type = 'OrderCreated'
      AND json_extract(envelope, '$.data.order_id') IS NOT NULL
      AND json_extract(envelope, '$.data.currency') IS NOT NULL
    ORDER BY device_id, seq;
DROP TABLE order_currency;
ALTER TABLE order_currency_v2 RENAME TO order_currency;
