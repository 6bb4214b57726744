//! Head office's sales report: figures equal the sales a till made, each sale event
//! counted once however often it was sent, days and hours cut in the viewer's
//! offset, refunds, tenders, discounts and best sellers; scoped to the tenant.

use crate::helpers::{outbox, relay, roomy, spawn_central, Device, ADMIN_TOKEN};
use rustok_central::console::paths;
use rustok_central::report::SalesReport;
use rustok_core::domain::order::Discount;
use rustok_core::domain::payment::{RefundRequest, Tender};
use rustok_core::domain::stock::Quantity;
use rustok_core::service::{NewLine, NewOrder};
use rustok_protocol::PROTOCOL_VERSION;
use rustok_sync::client::Client;
use rustok_sync::relay::BatchLimits;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

async fn session(c: &crate::helpers::CentralUnderTest, login: &str, tenant: &str) -> String {
    let r = reqwest::Client::new()
        .post(format!("{}{}", c.url, paths::ADMIN_PEOPLE))
        .bearer_auth(ADMIN_TOKEN)
        .json(
            &json!({ "login": login, "name": login, "password": "correct horse battery",
                       "tenant_slug": tenant }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = reqwest::Client::new()
        .post(format!("{}{}", c.url, paths::SESSION))
        .json(&json!({ "login": login, "password": "correct horse battery" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let cookie = r.headers()["set-cookie"].to_str().unwrap();
    cookie.split(';').next().unwrap().to_owned()
}

async fn report(
    c: &crate::helpers::CentralUnderTest,
    cookie: &str,
    tenant: &str,
    query: &str,
) -> (u16, String) {
    let r = reqwest::Client::new()
        .get(format!(
            "{}{}?{query}",
            c.url,
            paths::SALES.replace("{slug}", tenant)
        ))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// Four card sales at 10:00 UTC on 2026-11-21 (the devices' clock) — 2 × 2.50,
/// 3.50, 3 × 4.50, and 2.50 with 0.50 off — and the 3.50 one refunded by the admin.
pub fn sales_of_a_day(d: &Device) {
    d.sell(0, 2); // 2 × 2.50
    d.sell(1, 1); // 3.50
    d.sell(2, 3); // 3 × 4.50

    // And one with 0.50 off its line: 2.00.
    d.clock.advance_ms(1_000);
    let discounted = NewOrder {
        lines: vec![NewLine {
            product_id: d.products[0].id,
            quantity: Quantity::new(1).unwrap(),
            discount: Some(Discount::Amount(50)),
        }],
        ..NewOrder::default()
    };
    d.shop
        .counter_sale(
            &d.cashier,
            discounted,
            &[Tender::Card {
                amount: 200,
                reference: None,
            }],
        )
        .unwrap();
    let q = rustok_core::store::OrderQuery {
        limit: 50,
        ..Default::default()
    };
    let orders = d.shop.orders(&d.cashier, &q).unwrap();
    let refunded = orders
        .iter()
        .find(|o| o.data().lines[0].product_id == d.products[1].id)
        .unwrap()
        .data()
        .id;
    // Refunds are the admin's (PIN 1111 in the set-up shop).
    let admin = d
        .shop
        .login_choices()
        .unwrap()
        .into_iter()
        .find(|o| o.role == rustok_core::domain::permission::Role::Admin)
        .unwrap();
    let admin = d
        .shop
        .login(
            admin.id,
            &rustok_core::domain::operator::Pin::parse("1111").unwrap(),
        )
        .unwrap();
    d.shop
        .refund_order(&admin, refunded, RefundRequest::everything(false))
        .unwrap();
}

async fn a_report_equals_the_sales_made_and_counts_a_resent_batch_once() {
    let c = spawn_central(roomy()).await;
    let d = Device::new(81);
    let creds = d.enrol(&c.url, &c.code("corner").await).await;
    sales_of_a_day(&d);
    relay(
        &d,
        creds.clone(),
        &c.url,
        Duration::from_secs(5),
        BatchLimits::default(),
    )
    .drain()
    .await
    .unwrap();
    // The whole outbox sent again, as after a lost reply.
    let body = serde_json::to_vec(&json!({ "protocol": PROTOCOL_VERSION,
        "events": outbox(&d.db_path()) }))
    .unwrap();
    let client = Client::new(
        creds.clone(),
        Arc::new(rustok_core::system::SystemClock),
        Duration::from_secs(5),
    )
    .unwrap();
    client.push_raw(body.clone()).await.unwrap();

    let cookie = session(&c, "anna", "corner").await;
    let (status, text) = report(&c, &cookie, "corner", "from=2026-11-21&to=2026-11-21").await;
    assert_eq!(status, 200, "{text}");
    let r: SalesReport = serde_json::from_str(&text).unwrap();
    assert!(r.complete && !r.out_of_range);
    assert_eq!(r.totals.len(), 1);
    let t = &r.totals[0];
    assert_eq!(
        (
            t.currency.as_str(),
            t.orders,
            t.paid,
            t.refunds,
            t.refunded,
            t.net,
            t.discounts
        ),
        ("EUR", 4, 500 + 350 + 1350 + 200, 1, 350, 2050, 50)
    );
    let days: Vec<(&str, &str, u64, i64, i64, i64)> = r
        .days
        .iter()
        .map(|x| {
            (
                x.store.as_str(),
                x.day.as_str(),
                x.orders,
                x.paid,
                x.refunded,
                x.discounts,
            )
        })
        .collect();
    assert_eq!(days, [("main", "2026-11-21", 4, 2400, 350, 50)]);
    let tenders: Vec<(&str, i64, i64)> = r
        .tenders
        .iter()
        .map(|x| (x.method.as_str(), x.paid, x.refunded))
        .collect();
    assert_eq!(tenders, [("card", 2400, 350)]);
    let top: Vec<(&str, i64, i64)> = r
        .top_products
        .iter()
        .map(|p| (p.title.as_str(), p.quantity, p.amount))
        .collect();
    assert_eq!(
        top,
        [
            ("Thing 2", 3, 1350),
            ("Thing 0", 3, 700),
            ("Thing 1", 1, 350)
        ]
    );
    let hours: Vec<(u8, u64)> = r.hours.iter().map(|h| (h.hour, h.orders)).collect();
    assert_eq!(hours, [(10, 4)]);

    // Sent a third time, and every device's projection started again from its
    // first event (as after a lost cursor): the same figures.
    client.push_raw(body).await.unwrap();
    match c.keep.as_ref().unwrap() {
        crate::helpers::Keep::Dir(dir) => {
            rusqlite::Connection::open(dir.path().join("central.db"))
                .unwrap()
                .execute("DELETE FROM report_cursors", [])
                .unwrap();
        }
        crate::helpers::Keep::Schema(schema) => {
            crate::helpers::pg_connect(&schema.url)
                .await
                .batch_execute("DELETE FROM report_cursors")
                .await
                .unwrap();
        }
    }
    let again = report(&c, &cookie, "corner", "from=2026-11-21&to=2026-11-21").await;
    assert_eq!(serde_json::from_str::<SalesReport>(&again.1).unwrap(), r);

    // In Moscow (UTC+3) the sales were at 13:00; the day before has none.
    let (_, text) = report(
        &c,
        &cookie,
        "corner",
        "from=2026-11-21&to=2026-11-21&offset=180",
    )
    .await;
    let moscow: SalesReport = serde_json::from_str(&text).unwrap();
    assert_eq!(moscow.hours[0].hour, 13);
    assert_eq!(moscow.totals[0].paid, 2400);
    // A week in Moscow (six whole UTC days and two parts of one) and three UTC
    // days (whole days only) hold the same best sellers.
    for q in [
        "from=2026-11-15&to=2026-11-21&offset=180",
        "from=2026-11-20&to=2026-11-22",
    ] {
        let (_, text) = report(&c, &cookie, "corner", q).await;
        let wide: SalesReport = serde_json::from_str(&text).unwrap();
        assert_eq!(wide.top_products, r.top_products, "{q}");
        assert_eq!(wide.totals, r.totals, "{q}");
    }
    let (_, text) = report(&c, &cookie, "corner", "from=2026-11-20&to=2026-11-20").await;
    assert!(serde_json::from_str::<SalesReport>(&text)
        .unwrap()
        .totals
        .is_empty());

    // Bad ranges and offsets are refused; another tenant's person sees nothing.
    for q in [
        "from=2026-11-21",
        "from=2026-11-22&to=2026-11-21",
        "from=2025-01-01&to=2026-11-21",
        "from=2026-11-21&to=2026-11-21&offset=900",
        "from=2026-13-01&to=2026-11-21",
        "from=20261121&to=2026-11-21",
        "from=2026-11-21T00:00&to=2026-11-21",
        "from=2026-11-21&to=2026-11-21&offset=x",
        "from=2026-11-21&to=2026-11-21&offset=7",
    ] {
        assert_eq!(report(&c, &cookie, "corner", q).await.0, 400, "{q}");
    }
    // Each refusal names what is wrong, for the console to say in its language.
    for (q, code) in [
        ("from=2026-11-21", "bad_day"),
        ("from=2026-11-22&to=2026-11-21", "bad_range"),
        ("from=2025-11-19&to=2026-11-21", "bad_range"),
        ("from=2026-11-21&to=2026-11-21&offset=7", "bad_offset"),
    ] {
        let (_, text) = report(&c, &cookie, "corner", q).await;
        let body: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(body["code"], code, "{q}");
    }
    // 367 days is the longest range; an empty offset is UTC, as documented.
    for q in [
        "from=2025-11-20&to=2026-11-21",
        "from=2026-11-21&to=2026-11-21&offset=",
    ] {
        assert_eq!(report(&c, &cookie, "corner", q).await.0, 200, "{q}");
    }
    c.code("elsewhere").await;
    let eve = session(&c, "eve", "elsewhere").await;
    assert_eq!(
        report(&c, &eve, "corner", "from=2026-11-21&to=2026-11-21")
            .await
            .0,
        404
    );
    let (status, text) = report(&c, &eve, "elsewhere", "from=2026-11-21&to=2026-11-21").await;
    assert_eq!(status, 200);
    assert!(serde_json::from_str::<SalesReport>(&text)
        .unwrap()
        .totals
        .is_empty());
}

crate::on_both!(a_report_equals_the_sales_made_and_counts_a_resent_batch_once);
