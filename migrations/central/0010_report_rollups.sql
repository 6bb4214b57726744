-- Roll-ups of the sales reports (DESIGN §7), kept by the projection as it goes, so
-- a report of 90 days reads tens of thousands of rows, not millions: money per
-- store and quarter of an hour (every UTC offset is whole quarters, so a viewer's
-- days and hours are whole quarters), money per tender and quarter, and units and
-- money per product and UTC day (a range's partial days come from the detail
-- rows). Each sale adds once: a roll-up grows only with a sale row the same
-- transaction inserted. Add-only: never edit this file once shipped.

CREATE TABLE report_quarters (
    tenant_id   TEXT NOT NULL,
    quarter     INTEGER NOT NULL,           -- at_ms / 900000
    store       TEXT NOT NULL,
    currency    TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('paid', 'refunded')),
    count       INTEGER NOT NULL,
    high        INTEGER NOT NULL,           -- sum of amount / 10^6
    low         INTEGER NOT NULL,           -- sum of amount % 10^6
    disc_high   INTEGER NOT NULL,           -- the same of the paid orders' discounts
    disc_low    INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, quarter, store, currency, kind)
) WITHOUT ROWID;

CREATE TABLE report_tender_quarters (
    tenant_id   TEXT NOT NULL,
    quarter     INTEGER NOT NULL,
    method      TEXT NOT NULL,
    currency    TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('paid', 'refunded')),
    high        INTEGER NOT NULL,
    low         INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, quarter, method, currency, kind)
) WITHOUT ROWID;

CREATE TABLE report_product_days (
    tenant_id   TEXT NOT NULL,
    day         INTEGER NOT NULL,           -- at_ms / 86400000 of the payment
    product_id  TEXT NOT NULL,
    currency    TEXT NOT NULL,
    title       TEXT NOT NULL,
    quantity    INTEGER NOT NULL,
    high        INTEGER NOT NULL,
    low         INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, day, product_id, currency)
) WITHOUT ROWID;

-- What the projection held before: rolled up once.
INSERT INTO report_quarters (tenant_id, quarter, store, currency, kind, count, high, low, disc_high, disc_low)
SELECT s.tenant_id, s.at_ms / 900000, s.store, coalesce(o.currency, ''), s.kind, count(*),
       sum(s.amount / 1000000), sum(s.amount % 1000000),
       sum(CASE WHEN s.kind = 'paid' THEN coalesce(o.discount, 0) / 1000000 ELSE 0 END),
       sum(CASE WHEN s.kind = 'paid' THEN coalesce(o.discount, 0) % 1000000 ELSE 0 END)
FROM report_sales s
LEFT JOIN report_orders o ON o.tenant_id = s.tenant_id AND o.order_id = s.order_id
GROUP BY 1, 2, 3, 4, 5;

INSERT INTO report_tender_quarters (tenant_id, quarter, method, currency, kind, high, low)
SELECT t.tenant_id, t.at_ms / 900000, t.method, coalesce(o.currency, ''), t.kind,
       sum(t.amount / 1000000), sum(t.amount % 1000000)
FROM report_tenders t
LEFT JOIN report_orders o ON o.tenant_id = t.tenant_id AND o.order_id = t.order_id
GROUP BY 1, 2, 3, 4, 5;

INSERT INTO report_product_days (tenant_id, day, product_id, currency, title, quantity, high, low)
SELECT s.tenant_id, s.at_ms / 86400000, l.product_id, coalesce(o.currency, ''), max(l.title),
       sum(l.quantity), sum(l.amount / 1000000), sum(l.amount % 1000000)
FROM report_sales s
JOIN report_lines l ON l.tenant_id = s.tenant_id AND l.order_id = s.order_id
LEFT JOIN report_orders o ON o.tenant_id = s.tenant_id AND o.order_id = s.order_id
WHERE s.kind = 'paid'
GROUP BY 1, 2, 3, 4;
