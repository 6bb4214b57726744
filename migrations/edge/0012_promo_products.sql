-- RusToK Edge device database, schema 12: the products a promo is about.
-- Add-only: never edit this file once shipped.
--
-- A promo names the products it is about (a JSON array of product ids, in the
-- manager's order); the kiosk marks their tiles. Pages and articles name none.

ALTER TABLE content_nodes ADD COLUMN products TEXT NOT NULL DEFAULT '[]';
