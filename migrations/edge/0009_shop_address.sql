-- RusToK Edge device database, schema 9: the shop's address, printed on receipts.
-- Add-only: never edit this file once shipped.
--
-- One line of text (street, town); NULL for shops set up before it existed, whose
-- receipts then carry no address until one is set.

ALTER TABLE tenants ADD COLUMN address TEXT
    CHECK (address IS NULL OR length(address) BETWEEN 1 AND 200);
