//! Head office's changes (DESIGN §7): through the admin API, checked by the domain
//! against what central holds, written as events of origin central that every
//! device of the tenant pulls, and merged per field into central's records.

use crate::feed::{a_chain, client, pull, pull_all};
use crate::helpers::{spawn_central, CentralUnderTest, Device, ADMIN_TOKEN};
use rustok_core::domain::event::{DomainEvent, Origin};
use rustok_core::domain::upcast::Upcasters;
use rustok_protocol::{paths, OfficeWritten, RecordOut, PROTOCOL_VERSION};
use serde_json::{json, Value};

/// Posts head office's `changes` for `slug`.
async fn change(c: &CentralUnderTest, slug: &str, changes: Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!(
            "{}{}",
            c.url,
            paths::ADMIN_CHANGES.replace("{slug}", slug)
        ))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({ "protocol": PROTOCOL_VERSION, "changes": changes }))
        .send()
        .await
        .unwrap()
}

async fn written(r: reqwest::Response) -> OfficeWritten {
    let status = r.status();
    let body = r.text().await.unwrap();
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

async fn refused(r: reqwest::Response) -> (u16, String, String) {
    let status = r.status().as_u16();
    let body: Value = r.json().await.unwrap();
    (
        status,
        body["code"].as_str().unwrap_or_default().to_owned(),
        body["message"].as_str().unwrap_or_default().to_owned(),
    )
}

async fn records(c: &CentralUnderTest, slug: &str, kind: &str) -> Vec<RecordOut> {
    let r = reqwest::Client::new()
        .get(format!(
            "{}{}",
            c.url,
            paths::ADMIN_RECORDS
                .replace("{slug}", slug)
                .replace("{kind}", kind)
        ))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

fn a_product(sku: &str, price: i64) -> Value {
    json!({
        "sku": sku, "titles": {"en": format!("Thing {sku}"), "ru": "Вещь"},
        "price": {"minor": price, "currency": "EUR"}, "tax_rate": 2000,
        "low_stock_threshold": 0,
    })
}

async fn a_price_set_at_head_office_reaches_every_till_and_only_the_price_changes() {
    let (c, a, creds_a, b, north) = a_chain().await;
    let product = a.products[0].id;
    let client_a = client(&creds_a);
    let head = pull(&client_a, "after=0").await.unwrap().head;
    let set_price = json!([{ "kind": "product", "id": product,
                             "fields": { "price": {"minor": 999, "currency": "EUR"} } }]);
    let w = written(change(&c, "corner", set_price.clone()).await).await;
    assert_eq!(w.events, 1);
    assert_eq!(w.tenant_id, creds_a.tenant_id);
    // Every till gets it, the writer of the product included.
    for got in [
        pull(&client_a, &format!("after={head}")).await.unwrap(),
        b.pull(&format!("after={head}")).await.unwrap(),
        north.pull(&format!("after={head}")).await.unwrap(),
    ] {
        assert_eq!(got.entries.len(), 1, "{got:?}");
        let e = &got.entries[0].event;
        assert_eq!(e.origin, Origin::Central);
        assert_eq!(e.event_type, "ProductUpdated");
        let DomainEvent::ProductUpdated(p) = e.decode(&Upcasters::standard()).unwrap() else {
            panic!("{e:?}")
        };
        assert_eq!(p.changed, Some(vec!["price".to_owned()]));
        assert_eq!(p.fields.price.minor, 999);
        assert_eq!(p.fields.titles, a.products[0].fields.titles);
    }
    // Central's record: the new price, by head office; the rest as the till wrote it.
    let all = records(&c, "corner", "product").await;
    let r = all.iter().find(|r| r.id == product.as_uuid()).unwrap();
    assert_eq!(r.fields["price"]["minor"], 999);
    assert_eq!(r.fields["sku"], "SKU-0");
    assert_eq!(r.last.origin, Origin::Central);
    // The same edit again changes nothing and writes nothing.
    let again = written(change(&c, "corner", set_price).await).await;
    assert_eq!(again.events, 0);
}

async fn head_office_edits_are_checked_and_a_refused_request_writes_nothing() {
    let (c, a, creds_a, _b, _north) = a_chain().await;
    let client_a = client(&creds_a);
    let head = pull(&client_a, "after=0").await.unwrap().head;
    let new_id = "0192f0e4-5000-7000-8000-000000000001";
    let cases = [
        (
            json!([{ "kind": "product", "id": new_id, "fields": a_product("SKU-0", 100) }]),
            "taken",
        ),
        (
            json!([{ "kind": "product", "id": new_id, "fields": { "sku": "NEW-1" } }]),
            "required",
        ),
        (
            json!([{ "kind": "product", "id": new_id,
                     "fields": { "category": "0192f0e4-5000-7000-8000-0000000000ff", "sku": "NEW-1",
                                 "titles": {"en": "New"}, "price": {"minor": 1, "currency": "EUR"},
                                 "tax_rate": 0, "low_stock_threshold": 0 } }]),
            "unknown_reference",
        ),
        (
            json!([{ "kind": "product", "id": a.products[0].id, "fields": { "colour": "red" } }]),
            "unknown",
        ),
        (
            json!([{ "kind": "product", "id": a.products[0].id, "fields": { "price": {"minor": -5, "currency": "EUR"} } }]),
            "negative",
        ),
        (
            // Trial finding: a price in another currency, or a made-up one, was taken.
            json!([{ "kind": "product", "id": a.products[0].id, "fields": { "price": {"minor": 199, "currency": "USD"} } }]),
            "currency_mismatch",
        ),
        (
            json!([{ "kind": "product", "id": new_id, "fields": { "sku": "NEW-9", "titles": {"en": "New"},
                     "price": {"minor": 1, "currency": "XXQ"}, "tax_rate": 0, "low_stock_threshold": 0 } }]),
            "currency_mismatch",
        ),
        (
            // Two new products with one SKU in one request.
            json!([
                { "kind": "product", "id": new_id, "fields": a_product("TWIN", 100) },
                { "kind": "product", "id": "0192f0e4-5000-7000-8000-000000000002", "fields": a_product("TWIN", 100) },
            ]),
            "taken",
        ),
        (
            json!([{ "kind": "operator", "id": new_id, "fields": { "name": "Ann", "role": "cashier" } }]),
            "required",
        ),
        (
            json!([{ "kind": "settings", "id": creds_a.tenant_id, "fields": { "currency": "USD" } }]),
            "in_use",
        ),
        (
            json!([{ "kind": "settings", "id": new_id, "fields": { "name": "Other" } }]),
            "invalid",
        ),
    ];
    for (changes, code) in cases {
        let (status, got, message) = refused(change(&c, "corner", changes.clone()).await).await;
        assert_eq!((status, got.as_str()), (422, code), "{changes}: {message}");
    }
    // Trial finding: a price for a mistyped id was refused as "missing field `sku`";
    // the answer now says that nothing has that id.
    let (_, code, message) = refused(
        change(
            &c,
            "corner",
            json!([{ "kind": "product", "id": new_id, "fields": { "price": {"minor": 5, "currency": "EUR"} } }]),
        )
        .await,
    )
    .await;
    assert_eq!(code, "required");
    assert!(
        message.contains("nothing with this id exists yet"),
        "{message}"
    );
    // Malformed requests.
    for body in [
        json!({ "protocol": PROTOCOL_VERSION, "changes": [{ "kind": "pizza", "id": new_id, "fields": {} }] }),
        json!({ "protocol": PROTOCOL_VERSION, "changes": [{ "kind": "product", "id": "nope", "fields": {} }] }),
        json!({ "protocol": 99, "changes": [] }),
        json!({ "changes": [] }),
    ] {
        let r = reqwest::Client::new()
            .post(format!("{}/v1/admin/tenants/corner/changes", c.url))
            .bearer_auth(ADMIN_TOKEN)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{body}");
    }
    // Too many edits.
    let many: Vec<Value> = (0..1001)
        .map(|i| json!({ "kind": "category", "id": format!("0192f0e4-6000-7000-8000-{i:012}"), "fields": {} }))
        .collect();
    let (status, code, _) = refused(change(&c, "corner", json!(many)).await).await;
    assert_eq!((status, code.as_str()), (422, "too_many_edits"));
    // Without the admin token.
    let r = reqwest::Client::new()
        .post(format!("{}/v1/admin/tenants/corner/changes", c.url))
        .json(&json!({ "protocol": PROTOCOL_VERSION, "changes": [] }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // Nothing of it reached the feed.
    let after = pull(&client_a, &format!("after={head}")).await.unwrap();
    assert!(after.entries.is_empty(), "{:?}", after.entries);
}

async fn head_office_builds_a_chain_from_nothing_and_its_writes_stay_in_order() {
    let c = spawn_central(rustok_central::Limits::default()).await;
    // An empty request makes the tenant (no device has bound it): central draws
    // its id and answers it.
    let w = written(change(&c, "chain", json!([])).await).await;
    assert_eq!(w.events, 0);
    let bound = w.tenant_id;
    let again = written(change(&c, "chain", json!([])).await).await;
    assert_eq!(again.tenant_id, bound, "the same tenant every time");
    let settings = json!([{ "kind": "settings", "id": bound, "fields": {
        "name": "Chain", "currency": "JPY", "default_locale": "ru", "tax_mode": "inclusive",
        "features": {"commerce": true, "content": true, "kiosk": true}, "allow_oversell": true } }]);
    assert_eq!(written(change(&c, "chain", settings).await).await.events, 1);
    let category = "0192f0e4-7000-7000-8000-0000000000c1";
    let w = written(
        change(
            &c,
            "chain",
            json!([
                { "kind": "category", "id": category, "fields": { "names": {"ru": "Напитки"}, "position": 1 } },
                { "kind": "product", "id": "0192f0e4-7000-7000-8000-0000000000a1",
                  "fields": { "category": category, "sku": "TEA", "barcode": "4006381333931",
                              "titles": {"ru": "Чай"}, "price": {"minor": 150, "currency": "JPY"},
                              "tax_rate": 1000, "low_stock_threshold": 2 } },
                { "kind": "operator", "id": "0192f0e4-7000-7000-8000-0000000000b1",
                  "fields": { "name": "Anna", "role": "manager", "pin": "4321" } },
                { "kind": "content", "id": "0192f0e4-7000-7000-8000-0000000000d1",
                  "fields": { "kind": "promo", "slug": "tea", "position": 1,
                              "translations": {"ru": {"title": "Чай дня"}},
                              "products": ["0192f0e4-7000-7000-8000-0000000000a1"], "status": "published" } },
            ]),
        )
        .await,
    )
    .await;
    assert_eq!(
        w.events, 5,
        "category, product, operator, promo and its publication"
    );
    assert_eq!(w.tenant_id, bound);
    let ops = records(&c, "chain", "operator").await;
    assert_eq!(ops.len(), 1);
    assert!(
        !ops[0].fields.contains_key("pin") && !ops[0].fields.contains_key("pin_hash"),
        "neither the PIN nor its hash is listed (trial finding: the hash was)"
    );
    // Central keeps the hash for the tills, never the PIN.
    let held = c
        .central
        .backend
        .records(bound, rustok_domain::replica::Kind::Operator)
        .await
        .unwrap();
    let hash = held[0].1.values()["pin_hash"].as_str().unwrap().to_owned();
    assert!(hash.starts_with("$argon2"));
    let promo = records(&c, "chain", "content").await;
    assert_eq!(promo[0].fields["status"], "published");
    // A till that set up its own shop cannot join this tenant with its own id.
    let own = Device::of_own_tenant("chain", 91);
    let code = c.code("chain").await;
    let ident = own.shop.device().unwrap().unwrap();
    let req = rustok_sync::client::enrol_request(&code, &ident, "test");
    let err = rustok_sync::client::enrol(&c.url, &req, std::time::Duration::from_secs(5))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("rustok-edge join"), "{err}");
    // A till that joins (names no tenant) takes the code's tenant, and pulls
    // everything in the order head office wrote it.
    let req = rustok_protocol::EnrolRequest {
        tenant_id: None,
        ..rustok_sync::client::enrol_request(&c.code("chain").await, &ident, "test")
    };
    let (_, reply) = rustok_sync::client::enrol(&c.url, &req, std::time::Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(reply.tenant_id, bound, "joined the code's tenant");
    // Joining a tenant that nothing has made yet says what to do instead.
    let other = Device::of_own_tenant("nobody-yet", 92);
    let req = rustok_protocol::EnrolRequest {
        tenant_id: None,
        ..rustok_sync::client::enrol_request(
            &c.code("nobody-yet").await,
            &other.shop.device().unwrap().unwrap(),
            "test",
        )
    };
    let err = rustok_sync::client::enrol(&c.url, &req, std::time::Duration::from_secs(5))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no shop at central yet"), "{err}");
    let creds = rustok_sync::credentials::Credentials::from_enrolment(c.url.clone(), reply);
    let (_, events, _) = pull_all(&client(&creds), 0, 2).await;
    let types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(
        types,
        [
            "TenantCreated",
            "CategoryCreated",
            "ProductCreated",
            "OperatorCreated",
            "ContentCreated",
            "ContentPublished"
        ]
    );
    assert!(events
        .windows(2)
        .all(|w| w[0].hlc < w[1].hlc && w[0].seq + 1 == w[1].seq));
}

async fn head_office_writes_from_several_requests_at_once_all_land_in_order() {
    let (c, a, creds_a, _b, _north) = a_chain().await;
    let product = a.products[1].id;
    let tasks: Vec<_> = (0..6)
        .map(|i| {
            let url = c.url.clone();
            tokio::spawn(async move {
                reqwest::Client::new()
                    .post(format!("{url}/v1/admin/tenants/corner/changes"))
                    .bearer_auth(ADMIN_TOKEN)
                    .json(&json!({ "protocol": PROTOCOL_VERSION, "changes": [
                        { "kind": "product", "id": product, "fields": { "low_stock_threshold": 10 + i } }
                    ] }))
                    .send()
                    .await
                    .unwrap()
            })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().status(), 200);
    }
    let (_, events, _) = pull_all(&client(&creds_a), 0, 1000).await;
    let office: Vec<_> = events
        .iter()
        .filter(|e| e.origin == Origin::Central)
        .collect();
    assert_eq!(office.len(), 6);
    assert!(office
        .windows(2)
        .all(|w| w[0].seq + 1 == w[1].seq && w[0].hlc < w[1].hlc));
    // Central's record holds the last one written.
    let last = office.last().unwrap();
    let DomainEvent::ProductUpdated(p) = last.decode(&Upcasters::standard()).unwrap() else {
        panic!()
    };
    let all = records(&c, "corner", "product").await;
    let r = all.iter().find(|r| r.id == product.as_uuid()).unwrap();
    assert_eq!(
        r.fields["low_stock_threshold"],
        p.fields.low_stock_threshold
    );
}

crate::on_both!(
    a_price_set_at_head_office_reaches_every_till_and_only_the_price_changes,
    head_office_edits_are_checked_and_a_refused_request_writes_nothing,
    head_office_builds_a_chain_from_nothing_and_its_writes_stay_in_order,
    head_office_writes_from_several_requests_at_once_all_land_in_order,
);
