-- Head office's sales reports, as the SQLite migration 0009: a projection of the
-- sale events central holds, made outside the ingest path, every row keyed by its
-- event. Add-only: never edit this file once shipped.

CREATE TABLE report_cursors (
    device_id   uuid PRIMARY KEY,
    seq         bigint NOT NULL
);

CREATE TABLE report_orders (
    tenant_id   uuid NOT NULL,
    order_id    text NOT NULL,
    currency    text NOT NULL,
    discount    bigint NOT NULL,
    PRIMARY KEY (tenant_id, order_id)
);

CREATE TABLE report_lines (
    tenant_id   uuid NOT NULL,
    order_id    text NOT NULL,
    line        integer NOT NULL,
    product_id  text NOT NULL,
    title       text NOT NULL,
    quantity    bigint NOT NULL,
    amount      bigint NOT NULL,
    PRIMARY KEY (tenant_id, order_id, line)
);

CREATE TABLE report_sales (
    device_id   uuid NOT NULL,
    seq         bigint NOT NULL,
    tenant_id   uuid NOT NULL,
    store       text NOT NULL,
    order_id    text NOT NULL,
    at_ms       bigint NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('paid', 'refunded')),
    amount      bigint NOT NULL,
    PRIMARY KEY (device_id, seq)
);
CREATE INDEX report_sales_by_time ON report_sales (tenant_id, at_ms);

CREATE TABLE report_tenders (
    device_id   uuid NOT NULL,
    seq         bigint NOT NULL,
    n           integer NOT NULL,
    tenant_id   uuid NOT NULL,
    order_id    text NOT NULL,
    at_ms       bigint NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('paid', 'refunded')),
    method      text NOT NULL,
    amount      bigint NOT NULL,
    PRIMARY KEY (device_id, seq, n)
);
CREATE INDEX report_tenders_by_time ON report_tenders (tenant_id, at_ms);
