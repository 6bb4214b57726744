-- Replicated records (DESIGN §7): the tenant's settings, operators, categories,
-- products and content as central holds them, merged per field from every device's
-- and head office's writes (`rustok_domain::replica`). `doc` is the replica (per
-- field: value and stamp); `sku` and `barcode` are a product's, for clash lookups.
-- Filled from the events held when this migration runs (by central, in Rust).
CREATE TABLE replicas (
    tenant_id       uuid NOT NULL,
    kind            text NOT NULL,
    id              uuid NOT NULL,
    doc             text NOT NULL,
    sku             text,
    barcode         text,
    PRIMARY KEY (tenant_id, kind, id)
);
CREATE INDEX replicas_by_sku ON replicas (tenant_id, sku) WHERE sku IS NOT NULL;
CREATE INDEX replicas_by_barcode ON replicas (tenant_id, barcode) WHERE barcode IS NOT NULL;

-- The greatest HLC time in each tenant's feed: head office's clock observes it, so
-- its writes come after everything it has seen.
ALTER TABLE feed_heads ADD COLUMN last_hlc text NOT NULL DEFAULT '0000000000000-0000';

-- Head office writes as a device of its own per tenant (revoked: it never signs).
ALTER TABLE tenants ADD COLUMN office_device_id uuid;
