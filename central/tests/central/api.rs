//! The read side of central: health reports, the daily sales report, `/healthz`,
//! `/metrics` and the OpenAPI document.

use crate::helpers::{relay, spawn_central, Device, ADMIN_TOKEN};
use rustok_central::Limits;
use rustok_core::domain::ids::DeviceId;
use rustok_protocol::{
    paths, DailySales, DeviceHealth, DeviceKind, DeviceState, Fleet, HealthReport, PROTOCOL_VERSION,
};
use rustok_sync::client::Client;
use rustok_sync::relay::BatchLimits;
use std::sync::Arc;
use std::time::Duration;

/// A health report of app 1.2.3 with nothing pending and the breaker closed.
async fn report(client: &Client, device_time_ms: i64, kind: Option<DeviceKind>) {
    client
        .report_health(&HealthReport {
            protocol: PROTOCOL_VERSION,
            app_version: "1.2.3".into(),
            schema_version: 2,
            queue_depth: 0,
            oldest_pending_secs: None,
            breaker: "closed".into(),
            device_time_ms,
            kind,
        })
        .await
        .unwrap();
}

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
    report(&client, device_time, None).await;
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

async fn a_tenants_fleet_lists_its_devices_with_their_state() {
    let c = spawn_central(Limits::default()).await;
    let d = Device::new(32);
    let creds = d.enrol(&c.url, &c.code("corner").await).await;
    // A second till of the shop (the template gives every copy the same id).
    let req = rustok_protocol::EnrolRequest {
        device_id: DeviceId::parse("0192f0e4-3000-7000-8000-0000000000b2").unwrap(),
        device_code: "POS2".into(),
        ..rustok_sync::client::enrol_request(
            &c.code("corner").await,
            &d.shop.device().unwrap().unwrap(),
            "test",
        )
    };
    let (_, second) = rustok_sync::client::enrol(&c.url, &req, Duration::from_secs(5))
        .await
        .unwrap();
    // Head office writes to the tenant: its writer is not a device of the fleet.
    let r = reqwest::Client::new()
        .post(format!("{}/v1/admin/tenants/corner/changes", c.url))
        .bearer_auth(ADMIN_TOKEN)
        .json(&serde_json::json!({ "protocol": PROTOCOL_VERSION, "changes": [] }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let client = Client::new(
        creds.clone(),
        Arc::new(rustok_core::system::SystemClock),
        Duration::from_secs(5),
    )
    .unwrap();
    let device_time =
        rustok_core::domain::clock::Clock::now(&rustok_core::system::SystemClock).unix_millis();
    report(&client, device_time, Some(DeviceKind::Kiosk)).await;
    let fleet = |slug: &'static str| {
        let url = format!("{}{}", c.url, paths::ADMIN_DEVICES.replace("{slug}", slug));
        async move {
            let r = reqwest::Client::new()
                .get(url)
                .bearer_auth(ADMIN_TOKEN)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let (status, body) = fleet("corner").await;
    assert_eq!(status, 200, "{body}");
    let f: Fleet = serde_json::from_str(&body).unwrap();
    let seen: Vec<(&str, &str, DeviceState, Vec<String>)> = f
        .devices
        .iter()
        .map(|d| {
            (
                d.health.device_code.as_str(),
                d.store.as_str(),
                d.state,
                d.reasons.clone(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            ("POS1", "main", DeviceState::Healthy, vec![]),
            (
                "POS2",
                "main",
                DeviceState::Stale,
                vec!["never_reported".to_owned()]
            ),
        ]
    );
    let said = f.devices[0].health.report.as_ref().unwrap();
    assert_eq!(
        (said.app_version.as_str(), said.kind),
        ("1.2.3", Some(DeviceKind::Kiosk))
    );
    // Revoked: said so.
    let r = reqwest::Client::new()
        .post(format!(
            "{}/v1/admin/devices/{}/revoke",
            c.url, second.device_id
        ))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let f: Fleet = serde_json::from_str(&fleet("corner").await.1).unwrap();
    assert_eq!(f.devices[1].state, DeviceState::Revoked);
    // Another tenant's fleet holds none of these; an unknown slug is 404, one that
    // cannot be a slug 422; without the token, 401.
    c.code("elsewhere").await;
    let (status, body) = fleet("elsewhere").await;
    assert_eq!(status, 200, "{body}");
    assert!(serde_json::from_str::<Fleet>(&body)
        .unwrap()
        .devices
        .is_empty());
    assert_eq!(fleet("nobody").await.0, 404);
    assert_eq!(fleet("NOT%20A%20SLUG").await.0, 422);
    let r = reqwest::Client::new()
        .get(format!(
            "{}{}",
            c.url,
            paths::ADMIN_DEVICES.replace("{slug}", "corner")
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

crate::on_both!(
    a_tenants_fleet_lists_its_devices_with_their_state,
    health_reports_and_the_daily_sales_report_reflect_what_the_device_sent,
    healthz_metrics_and_the_openapi_document_cover_the_server,
);
