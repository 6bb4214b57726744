-- RusToK Edge device database, schema 15: product pictures travel by digest
-- (DESIGN §7), and pulled stock movements are found by id. Add-only: never edit
-- this file once shipped.
--
-- A product names its picture by the SHA-256 digest of the bytes; the feed carries
-- the digest, never the bytes. Each row here is a picture this device still has to
-- exchange with central: one it added (to send up) or one a pulled product names
-- that is not in the data folder's `images/` (to fetch). The sync agent works
-- through the rows beside pushing and pulling, and deletes each once central and
-- this device both hold the bytes; the catalog is applied without waiting for them.

CREATE TABLE image_transfers (
    digest      TEXT PRIMARY KEY CHECK (length(digest) = 64),
    -- 1: this device added the picture, so central may lack it: send it up.
    -- 0: a pulled product names it: fetch it unless it is here.
    send        INTEGER NOT NULL DEFAULT 0 CHECK (send IN (0, 1)),
    -- Failed tries so far (the wait before the next one grows with them).
    attempts    INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    -- Not tried again before this time (Unix milliseconds).
    next_try_ms INTEGER NOT NULL DEFAULT 0,
    -- Why the last try failed, for the Sync screen and the log.
    last_error  TEXT
) WITHOUT ROWID;

-- A stock movement is found by its id: a pulled movement this till holds already
-- (fed twice, or taken by a till made from a copy of another's data) is not
-- counted again.
CREATE INDEX stock_movements_by_id ON stock_movements (id);

-- A device upgraded from schema 14 may hold products whose pictures central has
-- never had (and, once pulled, products whose pictures it lacks): each is exchanged
-- once (sent when it is here, fetched when it is not).
INSERT OR IGNORE INTO image_transfers (digest, send)
    SELECT DISTINCT image, 1 FROM products WHERE image IS NOT NULL;
