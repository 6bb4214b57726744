-- RusToK central on PostgreSQL, schema 1: the SQLite schema 3 (migrations/central),
-- in PostgreSQL's types. Add-only: never edit this file once shipped; add 0002_….
--
-- Every uniqueness the ingest relies on is a constraint: (device_id, seq) of events,
-- quarantine and sales, and an event id within its tenant. Several central processes
-- may serve one database: each push locks its device's row (SELECT … FOR UPDATE),
-- and a duplicate id is refused by the index, never by a check made before it.

CREATE TABLE tenants (
    slug            text PRIMARY KEY,
    -- Bound by the first device that enrols; every later device must carry it.
    tenant_id       uuid UNIQUE,
    created_at_ms   bigint NOT NULL
);

-- Codes are stored as SHA-256 digests: the database never holds a usable code.
CREATE TABLE enrolment_codes (
    code_sha256     text PRIMARY KEY,
    tenant_slug     text NOT NULL REFERENCES tenants (slug),
    created_at_ms   bigint NOT NULL,
    expires_at      bigint NOT NULL,            -- Unix seconds
    device_id       uuid,                       -- re-enrols only this device
    redeemed_by     uuid,                       -- device id, once used
    redeemed_at_ms  bigint
);

CREATE TABLE devices (
    device_id           uuid PRIMARY KEY,
    tenant_id           uuid NOT NULL,
    tenant_slug         text NOT NULL REFERENCES tenants (slug),
    device_code         text NOT NULL,
    secret              bytea NOT NULL,         -- HMAC key
    revoked             boolean NOT NULL DEFAULT false,
    enrolled_at_ms      bigint NOT NULL,
    -- Every event of the device up to here is held (stored or quarantined).
    acked_through       bigint NOT NULL DEFAULT 0,
    -- Kept by each ingest, under the row lock it holds anyway (for /metrics).
    events_stored       bigint NOT NULL DEFAULT 0,
    events_quarantined  bigint NOT NULL DEFAULT 0,
    health              text,                   -- last HealthReport, JSON
    reported_at_ms      bigint,
    clock_skew_ms       bigint
);
CREATE INDEX devices_by_tenant ON devices (tenant_id);

-- Accepted events, exactly one row per (device, seq); an id once per tenant.
CREATE TABLE events (
    device_id       uuid NOT NULL,
    seq             bigint NOT NULL,
    id              uuid NOT NULL,
    tenant_id       uuid NOT NULL,
    type            text NOT NULL,
    schema_version  bigint NOT NULL,
    occurred_at_ms  bigint NOT NULL,            -- device wall time
    envelope        text NOT NULL,              -- the event as received, JSON
    received_at_ms  bigint NOT NULL,
    PRIMARY KEY (device_id, seq),
    UNIQUE (tenant_id, id)
);

-- Events central would not accept; they count as held so later events flow.
CREATE TABLE quarantine (
    device_id       uuid NOT NULL,
    seq             bigint NOT NULL,
    id              uuid NOT NULL,
    code            text NOT NULL,
    message         text NOT NULL,
    envelope        text NOT NULL,
    received_at_ms  bigint NOT NULL,
    PRIMARY KEY (device_id, seq)
);

-- Derived at ingest from accepted events, for the daily sales report.
CREATE TABLE order_currency (
    tenant_id       uuid NOT NULL,
    order_id        text NOT NULL,
    currency        text NOT NULL,
    PRIMARY KEY (tenant_id, order_id)
);

CREATE TABLE sales (
    device_id       uuid NOT NULL,
    seq             bigint NOT NULL,
    tenant_id       uuid NOT NULL,
    day             text NOT NULL,              -- UTC day of the event, YYYY-MM-DD
    order_id        text NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('paid', 'refunded')),
    amount          bigint NOT NULL,
    PRIMARY KEY (device_id, seq)
);
CREATE INDEX sales_by_day ON sales (tenant_id, day);

-- Signatures already accepted, each until it is void anyway: no signed request is
-- accepted twice, by any central process on this database.
CREATE TABLE seen_signatures (
    signature       bytea PRIMARY KEY,
    void_after      bigint NOT NULL             -- Unix seconds
);
CREATE INDEX seen_signatures_by_void_after ON seen_signatures (void_after);
