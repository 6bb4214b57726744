-- RusToK Edge device database, schema 2: bookkeeping of the event bus.
-- Add-only: never edit this file once shipped.
-- These rows describe derived data (how far each read-side handler got, and which
-- events it gave up on), not shop state, so they are written without domain events.

CREATE TABLE handler_checkpoints (
    handler         TEXT PRIMARY KEY,
    seq             INTEGER NOT NULL    -- every event up to here was handled or dead-lettered
) WITHOUT ROWID;

CREATE TABLE dead_letters (
    handler         TEXT NOT NULL,
    seq             INTEGER NOT NULL REFERENCES events(seq),
    error           TEXT NOT NULL,
    attempts        INTEGER NOT NULL,
    recorded_at     TEXT NOT NULL,
    PRIMARY KEY (handler, seq)
) WITHOUT ROWID;
