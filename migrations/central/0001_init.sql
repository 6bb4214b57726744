-- RusToK central server database, schema 1.
-- Add-only: never edit this file once shipped; add 0002_… instead.

CREATE TABLE tenants (
    slug            TEXT PRIMARY KEY,
    -- Bound by the first device that enrols; every later device must carry it.
    tenant_id       TEXT UNIQUE,
    created_at_ms   INTEGER NOT NULL
) WITHOUT ROWID;

-- Codes are stored as SHA-256 digests: the database never holds a usable code.
CREATE TABLE enrolment_codes (
    code_sha256     TEXT PRIMARY KEY,
    tenant_slug     TEXT NOT NULL REFERENCES tenants(slug),
    created_at_ms   INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,           -- Unix seconds
    redeemed_by     TEXT,                       -- device id, once used
    redeemed_at_ms  INTEGER
) WITHOUT ROWID;

CREATE TABLE devices (
    device_id       TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL,
    tenant_slug     TEXT NOT NULL REFERENCES tenants(slug),
    device_code     TEXT NOT NULL,
    secret          TEXT NOT NULL,              -- HMAC key, hex
    revoked         INTEGER NOT NULL DEFAULT 0,
    enrolled_at_ms  INTEGER NOT NULL,
    -- Every event of the device up to here is held (stored or quarantined).
    acked_through   INTEGER NOT NULL DEFAULT 0,
    health          TEXT,                       -- last HealthReport, JSON
    reported_at_ms  INTEGER,
    clock_skew_ms   INTEGER
) WITHOUT ROWID;

-- Accepted events, exactly one row per (device, seq).
CREATE TABLE events (
    device_id       TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    id              TEXT NOT NULL UNIQUE,
    tenant_id       TEXT NOT NULL,
    type            TEXT NOT NULL,
    schema_version  INTEGER NOT NULL,
    occurred_at     TEXT NOT NULL,
    envelope        TEXT NOT NULL,              -- the event as received, JSON
    received_at_ms  INTEGER NOT NULL,
    PRIMARY KEY (device_id, seq)
) WITHOUT ROWID;

-- Events central would not accept; they count as held so later events flow.
CREATE TABLE quarantine (
    device_id       TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    id              TEXT NOT NULL,
    code            TEXT NOT NULL,
    message         TEXT NOT NULL,
    envelope        TEXT NOT NULL,
    received_at_ms  INTEGER NOT NULL,
    PRIMARY KEY (device_id, seq)
) WITHOUT ROWID;

-- Derived at ingest from accepted events, for the daily sales report.
CREATE TABLE order_currency (
    order_id        TEXT PRIMARY KEY,
    currency        TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE sales (
    device_id       TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    tenant_id       TEXT NOT NULL,
    day             TEXT NOT NULL,              -- UTC day of the event
    order_id        TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('paid', 'refunded')),
    amount          INTEGER NOT NULL,
    PRIMARY KEY (device_id, seq)
) WITHOUT ROWID;
CREATE INDEX sales_by_day ON sales (tenant_id, day);
