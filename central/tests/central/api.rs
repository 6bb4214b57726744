//! The read side of central: health reports, the daily sales report, `/healthz`,
//! `/metrics` and the OpenAPI document.

use crate::helpers::{relay, spawn_central, Device, ADMIN_TOKEN};
use rustok_central::Limits;
use rustok_protocol::{paths, DailySales, DeviceHealth, HealthReport, PROTOCOL_VERSION};
use rustok_sync::client::Client;
use rustok_sync::relay::BatchLimits;
use std::sync::Arc;
use std::time::Duration;

async fn health_reports_and_the_daily_sales_report_reflect_what_the_device_sent() {
    let c = spawn_central(Limits::default()).await;
    let d = Device::new(31);
    let creds = d.enrol(&c.url, &c.code("corner").await).await;
    d.sell(0, 2); // 2 × 250
    d.sell(1, 1); // 350
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

    let client = Client::new(
        creds.clone(),
        Arc::new(rustok_core::system::SystemClock),
        Duration::from_secs(5),
    )
    .unwrap();
    let device_time = rustok_core::domain::clock::Clock::now(&rustok_core::system::SystemClock)
        .unix_millis()
        + 42_000;
    client
        .report_health(&HealthReport {
            protocol: PROTOCOL_VERSION,
            app_version: "1.2.3".into(),
            schema_version: 2,
            queue_depth: 0,
            oldest_pending_secs: None,
            breaker: "closed".into(),
            device_time_ms: device_time,
        })
        .await
        .unwrap();
    let h: DeviceHealth = client
        .get(&format!("/v1/devices/{}/health", creds.device_id))
        .await
        .unwrap();
    assert_eq!(h.report.as_ref().unwrap().app_version, "1.2.3");
    assert_eq!(h.acked_through, d.last_seq());
    let skew = h.clock_skew_ms.unwrap();
    assert!((40_000..=44_000).contains(&skew), "skew {skew}");

    let report: DailySales = client
        .get(&format!(
            "{}?day=2026-11-21&tenant=corner",
            paths::DAILY_SALES
        ))
        .await
        .unwrap();
    assert_eq!(report.stores.len(), 1, "{report:?}");
    let s = &report.stores[0];
    assert_eq!(
        (
            s.device_code.as_str(),
            s.currency.as_str(),
            s.orders,
            s.paid
        ),
        ("POS1", "EUR", 2, 850)
    );
    assert_eq!((s.refunds, s.refunded), (0, 0));
    let admin: DailySales = reqwest::Client::new()
        .get(format!(
            "{}{}?day=2026-11-21&tenant=corner",
            c.url,
            paths::DAILY_SALES
        ))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(admin, report);
    let empty: DailySales = client
        .get(&format!(
            "{}?day=2026-11-22&tenant=corner",
            paths::DAILY_SALES
        ))
        .await
        .unwrap();
    assert!(empty.stores.is_empty());
}

async fn healthz_metrics_and_the_openapi_document_cover_the_server() {
    let c = spawn_central(Limits::default()).await;
    let http = reqwest::Client::new();
    let r = http
        .get(format!("{}{}", c.url, paths::HEALTHZ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let metrics = http
        .get(format!("{}{}", c.url, paths::METRICS))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for name in [
        "rustok_central_push_requests_total",
        "rustok_central_events",
        "rustok_central_rate_limited_total",
    ] {
        assert!(
            metrics.lines().any(|l| l.starts_with(&format!("{name} "))),
            "{name} missing:\n{metrics}"
        );
    }
    let doc: serde_json::Value = http
        .get(format!("{}{}", c.url, paths::OPENAPI))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    for (route, _) in rustok_central::http::routes() {
        let op = &doc["paths"][route.path][route.method.as_str().to_ascii_lowercase()];
        assert!(
            op.is_object(),
            "{} {} is not documented",
            route.method,
            route.path
        );
    }
    let documented: usize = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|p| p.as_object().unwrap().len())
        .sum();
    assert_eq!(documented, rustok_central::http::routes().len());
    let r = http
        .get(format!("{}/v1/nothing", c.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

crate::on_both!(
    health_reports_and_the_daily_sales_report_reflect_what_the_device_sent,
    healthz_metrics_and_the_openapi_document_cover_the_server,
);
