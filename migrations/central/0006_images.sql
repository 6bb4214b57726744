-- Product pictures by digest (DESIGN §7). Add-only: never edit this file once shipped.
--
-- A product names its picture by the SHA-256 digest of the stored JPEG; the feed
-- carries only the digest. Central keeps the bytes per tenant: a till sends the
-- pictures it adds, head office uploads its own, and every till fetches what a
-- pulled product names and it lacks. Kept per tenant, so one tenant's devices can
-- neither read nor learn of another's pictures.
CREATE TABLE images (
    tenant_id       TEXT NOT NULL,
    digest          TEXT NOT NULL CHECK (length(digest) = 64),
    bytes           BLOB NOT NULL,
    stored_at_ms    INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, digest)
) WITHOUT ROWID;
