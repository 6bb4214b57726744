-- Replicated records (DESIGN §7): the tenant's settings, operators, categories,
-- products and content as central holds them, merged per field from every device's
-- and head office's writes (`rustok_domain::replica`). `doc` is the replica (per
-- field: value and stamp); `sku` and `barcode` are a product's, for clash lookups.
-- Filled from the events held when this migration runs (by central, in Rust).
CREATE TABLE replicas (
    tenant_id       TEXT NOT NULL,
    kind            TEXT NOT NULL,
    id              TEXT NOT NULL,
    doc             TEXT NOT NULL,
    sku             TEXT,
    barcode         TEXT,
    PRIMARY KEY (tenant_id, kind, id)
) WITHOUT ROWID;
CREATE INDEX replicas_by_sku ON replicas (tenant_id, sku) WHERE sku IS NOT NULL;
CREATE INDEX replicas_by_barcode ON replicas (tenant_id, barcode) WHERE barcode IS NOT NULL;

-- The greatest HLC time in each tenant's feed: head office's clock observes it, so
-- its writes come after everything it has seen.
ALTER TABLE feed_heads ADD COLUMN last_hlc TEXT NOT NULL DEFAULT '0000000000000-0000';

-- Head office writes as a device of its own per tenant (revoked: it never signs).
ALTER TABLE tenants ADD COLUMN office_device_id TEXT;
