-- RusToK Edge device database, schema 13: store sync (DESIGN §3, §7).
-- Add-only: never edit this file once shipped.
--
-- The store this device was enrolled into, as central named it.
ALTER TABLE device ADD COLUMN store_code TEXT;
ALTER TABLE device ADD COLUMN store_name TEXT;
ALTER TABLE device ADD COLUMN store_address TEXT;

-- Pulling the tenant's feed: applied up to `feed_cursor`; the feed's head when last
-- asked; when that was (Unix ms); the last problem; this clock minus central's (ms).
ALTER TABLE device ADD COLUMN feed_cursor INTEGER NOT NULL DEFAULT 0;
ALTER TABLE device ADD COLUMN feed_head INTEGER NOT NULL DEFAULT 0;
ALTER TABLE device ADD COLUMN pulled_at_ms INTEGER;
ALTER TABLE device ADD COLUMN pull_error TEXT;
ALTER TABLE device ADD COLUMN clock_skew_ms INTEGER;

-- Replicated records (rustok_domain::replica): the tenant's settings, operators,
-- categories, products and content, per field with the stamp of the write that set
-- it, merged from this device's own events and those it pulls. The state tables
-- are what the replicas say. Filled from this device's events when this migration
-- runs (in Rust, in the same transaction).
CREATE TABLE replicas (
    kind            TEXT NOT NULL,
    id              TEXT NOT NULL,
    doc             TEXT NOT NULL,
    PRIMARY KEY (kind, id)
) WITHOUT ROWID;

-- What each applied feed page changed, under the seq of its FeedApplied event: the
-- read side refreshes these records from the state tables.
CREATE TABLE pulled (
    seq             INTEGER NOT NULL,
    kind            TEXT NOT NULL,
    id              TEXT NOT NULL,
    PRIMARY KEY (seq, kind, id)
) WITHOUT ROWID;

-- Pulled entries this device could not apply (a type or version from a newer
-- release, a reference to something it does not hold): kept with their position,
-- tried again whenever a page is applied, listed on the Sync screen.
CREATE TABLE pull_dead_letters (
    position        INTEGER PRIMARY KEY,
    envelope        TEXT NOT NULL,
    error           TEXT NOT NULL,
    attempts        INTEGER NOT NULL,
    recorded_at     TEXT NOT NULL
);
