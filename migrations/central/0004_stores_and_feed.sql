-- Stores (DESIGN §3): every device belongs to one; stock is per store. Every tenant
-- has the store 'main' from the start; devices enrolled before stores are in it.
CREATE TABLE stores (
    tenant_slug     TEXT NOT NULL REFERENCES tenants(slug),
    code            TEXT NOT NULL,
    name            TEXT NOT NULL,
    address         TEXT NOT NULL DEFAULT '',
    created_at_ms   INTEGER NOT NULL,
    PRIMARY KEY (tenant_slug, code)
) WITHOUT ROWID;
INSERT INTO stores (tenant_slug, code, name, created_at_ms)
    SELECT slug, 'main', 'Main store', created_at_ms FROM tenants;

ALTER TABLE devices ADD COLUMN store TEXT NOT NULL DEFAULT 'main';
ALTER TABLE enrolment_codes ADD COLUMN store TEXT NOT NULL DEFAULT 'main';

-- The feed (DESIGN §7): per tenant, what other devices apply, by position. Entries
-- point at stored events; `store` set means only that store's devices get it.
CREATE TABLE feed (
    tenant_id       TEXT NOT NULL,
    position        INTEGER NOT NULL,
    device_id       TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    store           TEXT,
    PRIMARY KEY (tenant_id, position)
) WITHOUT ROWID;

-- The last position of each tenant's feed.
CREATE TABLE feed_heads (
    tenant_id       TEXT PRIMARY KEY,
    head            INTEGER NOT NULL
) WITHOUT ROWID;

-- Events stored before the feed existed enter it in the order they were received,
-- so a till added later still pulls the catalog made before this version. The
-- types are those whose reach is the tenant or the store (`EventType::reach`) in
-- this version; a test holds the list to it.
INSERT INTO feed (tenant_id, position, device_id, seq, store)
    SELECT e.tenant_id,
           row_number() OVER (PARTITION BY e.tenant_id ORDER BY e.received_at_ms, e.device_id, e.seq),
           e.device_id, e.seq,
           CASE WHEN e.type = 'StockMoved' THEN d.store END
    FROM events e JOIN devices d ON d.device_id = e.device_id
    WHERE e.type IN ('TenantCreated', 'TenantSettingsChanged', 'OperatorCreated',
                     'OperatorRoleChanged', 'OperatorDeactivated', 'OperatorPinReset',
                     'ProductCreated', 'ProductUpdated', 'ProductStatusChanged',
                     'ContentCreated', 'ContentUpdated', 'ContentPublished', 'ContentArchived',
                     'CategoryCreated', 'CategoryUpdated', 'StockMoved');
INSERT INTO feed_heads (tenant_id, head)
    SELECT tenant_id, max(position) FROM feed GROUP BY tenant_id;
