-- RusToK central database, schema 3.
-- Add-only: never edit this file once shipped; add 0004_… instead.

-- A code that names a device re-enrols only that device (a reinstalled till that
-- kept its id). A code without one enrols new devices only: whoever holds a fresh
-- code can no longer take over an enrolled till by claiming its id.
ALTER TABLE enrolment_codes ADD COLUMN device_id TEXT;

-- Signatures already accepted, each until it is void anyway (its timestamp plus the
-- allowed skew): no signed request is accepted twice, across restarts and by every
-- central process on this database.
CREATE TABLE seen_signatures (
    signature       BLOB PRIMARY KEY,
    void_after      INTEGER NOT NULL            -- Unix seconds
) WITHOUT ROWID;
