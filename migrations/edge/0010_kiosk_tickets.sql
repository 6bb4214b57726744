-- RusToK Edge device database, schema 10: kiosk tickets.
-- Add-only: never edit this file once shipped.
--
-- A kiosk keeps the tickets it issued (the customer's number on screen counts up
-- per kiosk); the lines travel to the counter in the ticket's code, not through
-- this table. A sale records the ticket it took, and a ticket is sold at most once
-- on a till (the unique index, not a check-then-insert).

CREATE TABLE kiosk_tickets (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    number      INTEGER NOT NULL UNIQUE CHECK (number >= 1),
    lines       TEXT NOT NULL,  -- JSON [{product_id, quantity, unit_price}]
    issued_at   TEXT NOT NULL
);

ALTER TABLE orders ADD COLUMN ticket_id TEXT;
CREATE UNIQUE INDEX orders_ticket ON orders (ticket_id) WHERE ticket_id IS NOT NULL;
