-- RusToK Edge device database, schema 8: parked sales.
-- Add-only: never edit this file once shipped.
--
-- A cart the cashier put aside (the customer went to fetch something) to take up
-- again, on this device, after any restart. Not a domain event: nothing was sold,
-- and nothing leaves the device; taking it up again deletes the row.

CREATE TABLE parked_sales (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    parked_by   TEXT NOT NULL REFERENCES operators(id),
    parked_at   TEXT NOT NULL,
    basket      TEXT NOT NULL   -- JSON {lines: [{product_id, quantity, discount?}], discount?}
);
CREATE INDEX parked_sales_by_time ON parked_sales(tenant_id, parked_at);
