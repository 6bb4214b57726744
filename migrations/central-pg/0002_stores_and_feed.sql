-- Stores (DESIGN §3): every device belongs to one; stock is per store. Every tenant
-- has the store 'main' from the start; devices enrolled before stores are in it.
CREATE TABLE stores (
    tenant_slug     text NOT NULL REFERENCES tenants (slug),
    code            text NOT NULL,
    name            text NOT NULL,
    address         text NOT NULL DEFAULT '',
    created_at_ms   bigint NOT NULL,
    PRIMARY KEY (tenant_slug, code)
);
INSERT INTO stores (tenant_slug, code, name, created_at_ms)
    SELECT slug, 'main', 'Main store', created_at_ms FROM tenants;

ALTER TABLE devices ADD COLUMN store text NOT NULL DEFAULT 'main';
ALTER TABLE enrolment_codes ADD COLUMN store text NOT NULL DEFAULT 'main';

-- The feed (DESIGN §7): per tenant, what other devices apply, by position. Entries
-- point at stored events; `store` set means only that store's devices get it.
-- Positions are taken from `feed_heads` under its row lock, held to the commit, so
-- they become visible in order: a reader never sees position n+1 before n.
CREATE TABLE feed (
    tenant_id       uuid NOT NULL,
    position        bigint NOT NULL,
    device_id       uuid NOT NULL,
    seq             bigint NOT NULL,
    store           text,
    PRIMARY KEY (tenant_id, position)
);

CREATE TABLE feed_heads (
    tenant_id       uuid PRIMARY KEY,
    head            bigint NOT NULL
);

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
