-- RusToK Edge device database, schema 7: discounts at the till.
-- Add-only: never edit this file once shipped.
--
-- The tenant says how large a discount (basis points of the sale before discounts)
-- an operator whose role may not approve discounts gives alone (NULL: no limit).
-- Discounts themselves live in the order lines' JSON (`discount`, `line_discount`,
-- `order_discount`), which older lines simply lack.

ALTER TABLE tenants ADD COLUMN discount_limit INTEGER
    CHECK (discount_limit IS NULL OR (discount_limit >= 0 AND discount_limit <= 10000));
