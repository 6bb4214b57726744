-- RusToK Edge device database, schema 5: closing a shift is a deliberate step.
-- Add-only: never edit this file once shipped.
--
-- The tenant says how far counted cash may differ from what the drawer should hold
-- before a manager must approve the close (NULL: no limit), and whether the cashier
-- counts blind. A closed session records who approved its difference.

ALTER TABLE tenants ADD COLUMN shift_difference_limit INTEGER
    CHECK (shift_difference_limit IS NULL OR shift_difference_limit >= 0);
ALTER TABLE tenants ADD COLUMN blind_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cash_sessions ADD COLUMN approved_by TEXT REFERENCES operators(id);
