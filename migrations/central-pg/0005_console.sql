-- The head-office console (DESIGN §7), as the SQLite migration 0008: people who
-- sign in, their sessions, the audit log, and a history of each device's health.
-- Add-only: never edit this file once shipped; add 0006_….

CREATE TABLE people (
    person_id        uuid PRIMARY KEY,
    -- NULL: the chain operator, who sees every tenant.
    tenant_slug      text REFERENCES tenants (slug),
    login            text NOT NULL UNIQUE,     -- lower-case
    name             text NOT NULL,
    password_hash    text NOT NULL,            -- argon2id PHC string
    failed_attempts  integer NOT NULL DEFAULT 0,
    locked_until_ms  bigint NOT NULL DEFAULT 0,
    created_at_ms    bigint NOT NULL
);

CREATE TABLE console_sessions (
    token_sha256     text PRIMARY KEY,         -- never the token itself
    person_id        uuid NOT NULL REFERENCES people (person_id),
    csrf_token       text NOT NULL,
    created_at_ms    bigint NOT NULL,
    expires_at_ms    bigint NOT NULL
);
CREATE INDEX console_sessions_by_expiry ON console_sessions (expires_at_ms);

CREATE TABLE audit_log (
    id               bigserial PRIMARY KEY,
    at_ms            bigint NOT NULL,
    actor            text NOT NULL,            -- a person's login, or `admin-token`
    tenant_slug      text,
    action           text NOT NULL,
    detail           text NOT NULL             -- JSON
);
CREATE INDEX audit_by_tenant ON audit_log (tenant_slug, id);

CREATE TABLE health_history (
    device_id        uuid NOT NULL REFERENCES devices (device_id),
    reported_at_ms   bigint NOT NULL,
    clock_skew_ms    bigint NOT NULL,
    health           text NOT NULL,            -- the HealthReport, JSON
    PRIMARY KEY (device_id, reported_at_ms)
);
