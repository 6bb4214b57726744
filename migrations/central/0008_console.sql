-- The head-office console (DESIGN §7): people who sign in, their sessions, the
-- audit log, and a history of each device's health. Add-only: never edit this file
-- once shipped; add 0009_….

-- A person who signs in to the console. `tenant_slug` NULL is the chain operator,
-- who sees every tenant; anyone else sees only their own. Logins are stored
-- lower-case; passwords only as argon2id PHC strings.
CREATE TABLE people (
    person_id        TEXT PRIMARY KEY,
    tenant_slug      TEXT REFERENCES tenants (slug),
    login            TEXT NOT NULL UNIQUE,
    name             TEXT NOT NULL,
    password_hash    TEXT NOT NULL,
    -- Wrong passwords since the last sign-in; at the limit the account is locked
    -- until `locked_until_ms` (Unix milliseconds, 0: not locked).
    failed_attempts  INTEGER NOT NULL DEFAULT 0,
    locked_until_ms  INTEGER NOT NULL DEFAULT 0,
    created_at_ms    INTEGER NOT NULL
);

-- Sessions by the SHA-256 of their cookie's token: the database never holds a
-- usable token. Each has its own CSRF token, sent back on every change.
CREATE TABLE console_sessions (
    token_sha256     TEXT PRIMARY KEY,
    person_id        TEXT NOT NULL REFERENCES people (person_id),
    csrf_token       TEXT NOT NULL,
    created_at_ms    INTEGER NOT NULL,
    expires_at_ms    INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX console_sessions_by_expiry ON console_sessions (expires_at_ms);

-- Who changed what, when: console people and the admin token alike.
CREATE TABLE audit_log (
    id               INTEGER PRIMARY KEY,
    at_ms            INTEGER NOT NULL,
    actor            TEXT NOT NULL,            -- a person's login, or `admin-token`
    tenant_slug      TEXT,                     -- NULL: not about one tenant
    action           TEXT NOT NULL,
    detail           TEXT NOT NULL             -- JSON
);
CREATE INDEX audit_by_tenant ON audit_log (tenant_slug, id);

-- Health reports over time, thinned: one every few minutes per device, and every
-- report that changes what head office would look at; a week is kept.
CREATE TABLE health_history (
    device_id        TEXT NOT NULL REFERENCES devices (device_id),
    reported_at_ms   INTEGER NOT NULL,
    clock_skew_ms    INTEGER NOT NULL,
    health           TEXT NOT NULL,            -- the HealthReport, JSON
    PRIMARY KEY (device_id, reported_at_ms)
) WITHOUT ROWID;
