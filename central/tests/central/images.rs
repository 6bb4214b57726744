//! Product pictures by digest, end to end: a till sends the picture it added, head
//! office uploads its own, and a till that pulls a product fetches the picture it
//! lacks — checked against the digest, signed, size-limited, tenant-scoped — without
//! the catalog ever waiting for it.

use crate::helpers::{relay, spawn_central, CentralUnderTest, Device, ADMIN_TOKEN, START};
use rustok_core::domain::device::DeviceCode;
use rustok_core::domain::image::ImageDigest;
use rustok_core::domain::operator::Pin;
use rustok_core::domain::payment::Tender;
use rustok_core::domain::permission::Role;
use rustok_core::domain::product::{ProductFields, ProductStatus, Sku};
use rustok_core::domain::stock::Quantity;
use rustok_core::service::{Actor, NewLine, NewOrder, Shop};
use rustok_core::store::{ImageStore, Store, STORED_IMAGE_EDGE};
use rustok_core::testing::{ManualClock, SeededEntropy};
use rustok_protocol::{paths, signing, ImageStored};
use rustok_sync::credentials::Credentials;
use rustok_sync::images::{Exchanged, Pictures};
use rustok_sync::pull::Puller;
use rustok_sync::relay::BatchLimits;
use std::sync::Arc;
use std::time::Duration;

/// A picture as a phone or a supplier's site gives it: a PNG with some detail.
pub(crate) fn png(w: u32, h: u32, seed: u8) -> Vec<u8> {
    let img = image::RgbaImage::from_fn(w, h, |x, y| {
        image::Rgba([(x as u8) ^ seed, (y as u8).wrapping_mul(3), seed, 255])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// A picture as a JPEG of its own size (not scaled to a stored picture).
pub(crate) fn jpeg_of(png: &[u8]) -> Vec<u8> {
    let img = image::load_from_memory(png).unwrap().to_rgb8();
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

/// A shop over `store` with its pictures in `dir/images`, on `clock`.
fn shop_with_pictures(
    store: Arc<Store>,
    dir: &std::path::Path,
    clock: Arc<ManualClock>,
) -> Arc<Shop> {
    let shop = Shop::new(store, clock, Arc::new(SeededEntropy::new(0x1A)));
    shop.attach_images(ImageStore::open(&dir.join("images")).unwrap());
    Arc::new(shop)
}

/// The shop's manager (the admin set up with PIN 1111).
fn admin(shop: &Shop) -> Actor {
    let me = shop
        .login_choices()
        .unwrap()
        .into_iter()
        .find(|o| o.role == Role::Admin)
        .unwrap();
    shop.login(me.id, &Pin::parse("1111").unwrap()).unwrap()
}

/// Everything `a` holds, pushed to central.
async fn push_all(a: &Device, creds: &Credentials, c: &CentralUnderTest) {
    relay(
        a,
        creds.clone(),
        &c.url,
        Duration::from_secs(5),
        BatchLimits::default(),
    )
    .drain()
    .await
    .unwrap();
}

/// A till that joins `c`'s tenant `corner` from nothing and takes the catalog.
struct Joined {
    _dir: tempfile::TempDir,
    shop: Arc<Shop>,
    clock: Arc<ManualClock>,
    creds: Credentials,
}

async fn join(c: &CentralUnderTest, seed: u64) -> Joined {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(START));
    let store = Arc::new(Store::open(&dir.path().join("shop.db")).unwrap());
    let shop = Shop::new(store, clock.clone(), Arc::new(SeededEntropy::new(seed)));
    shop.attach_images(ImageStore::open(&dir.path().join("images")).unwrap());
    let shop = Arc::new(shop);
    let creds = rustok_sync::agent::join_and_save(
        &c.url,
        &c.code("corner").await,
        &shop,
        DeviceCode::parse("POS7").unwrap(),
        "test",
        Duration::from_secs(5),
        &dir.path().join("credentials.json"),
    )
    .await
    .unwrap();
    let puller = Puller::new(
        shop.clone(),
        creds.clone(),
        Arc::new(rustok_core::system::SystemClock),
        Duration::from_secs(5),
        Duration::from_secs(10),
    )
    .unwrap();
    let pulled = puller.pull_all().await.unwrap();
    assert_eq!(pulled.cursor, pulled.head);
    Joined {
        _dir: dir,
        shop,
        clock,
        creds,
    }
}

fn pictures(shop: &Arc<Shop>, creds: &Credentials, clock: Arc<ManualClock>) -> Pictures {
    let client = rustok_sync::client::Client::new(
        creds.clone(),
        Arc::new(rustok_core::system::SystemClock),
        Duration::from_secs(5),
    )
    .unwrap();
    Pictures::new(shop.clone(), client, clock)
}

fn product(shop: &Shop, sku: &str) -> rustok_core::domain::product::Product {
    let tenant = shop.device().unwrap().unwrap().tenant_id;
    shop.store()
        .read(|c| rustok_core::store::product_by_sku(c, tenant, &Sku::parse(sku).unwrap()))
        .unwrap()
        .unwrap()
}

/// A till adds a product with a picture; a second till pulls the product, sells it
/// at once and shows a placeholder while central lacks the picture; once the first
/// till has sent it, the second fetches it: the same bytes under the same digest.
async fn a_tills_picture_reaches_the_other_tills_without_holding_up_the_catalog() {
    let c = spawn_central(rustok_central::Limits::default()).await;
    let a = Device::new(71);
    let creds_a = a.enrol(&c.url, &c.code("corner").await).await;
    let shop_a = shop_with_pictures(a.store(), a.dir.path(), a.clock.clone());
    let manager = admin(&shop_a);
    let digest = shop_a.store_image(&manager, &png(900, 600, 7)).unwrap();
    let mut fields: ProductFields = a.products[0].fields.clone();
    fields.sku = Sku::parse("PIC-1").unwrap();
    fields.image = Some(digest.clone());
    shop_a
        .create_product(&manager, fields, ProductStatus::Active)
        .unwrap();
    assert_eq!(
        a.store().image_transfers().unwrap().waiting,
        1,
        "the new picture waits to be sent"
    );
    // The product's event reaches central; its picture has not been sent yet.
    push_all(&a, &creds_a, &c).await;
    let b = join(&c, 0xB7).await;
    let pulled = product(&b.shop, "PIC-1");
    assert_eq!(pulled.fields.image.as_ref(), Some(&digest));
    let b_images = b.shop.images().unwrap().clone();
    assert!(!b_images.contains(&digest));
    // The product sells before its picture is here.
    let cashier = b
        .shop
        .login(a.cashier.operator_id(), &Pin::parse("2222").unwrap())
        .unwrap();
    b.shop.open_cash_session(&cashier, 0).unwrap();
    b.shop
        .counter_sale(
            &cashier,
            NewOrder {
                lines: vec![NewLine {
                    product_id: pulled.id,
                    quantity: Quantity::new(1).unwrap(),
                    discount: None,
                }],
                ..NewOrder::default()
            },
            &[Tender::Card {
                amount: pulled.fields.price.minor,
                reference: None,
            }],
        )
        .unwrap();
    // Central does not hold it yet: the second till notes why and waits.
    let fetch_b = pictures(&b.shop, &b.creds, b.clock.clone());
    let first = fetch_b.exchange().await.unwrap();
    assert_eq!(
        first,
        Exchanged {
            sent: 0,
            fetched: 0,
            failed: 1
        }
    );
    let waiting = b.shop.store().image_transfers().unwrap();
    assert_eq!(waiting.waiting, 1);
    assert!(
        waiting
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("does not hold it yet")),
        "{waiting:?}"
    );
    // Head office may send the product back as it is (a console saving the whole
    // record) with the till's picture central does not hold yet.
    let r = office(
        &c,
        serde_json::json!([{ "kind": "product", "id": pulled.id, "fields": {
            "price": { "minor": 555, "currency": "EUR" }, "image": digest.as_str() } }]),
    )
    .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    // The first till sends it; central keeps it once.
    let send_a = pictures(&shop_a, &creds_a, a.clock.clone());
    assert_eq!(send_a.exchange().await.unwrap().sent, 1);
    assert_eq!(a.store().image_transfers().unwrap().waiting, 0);
    assert!(c
        .central
        .backend
        .image_held(creds_a.tenant_id, &digest)
        .await
        .unwrap());
    // Not asked again before its wait is out; then fetched, checked and kept.
    assert_eq!(fetch_b.exchange().await.unwrap(), Exchanged::default());
    b.clock.advance_ms(5_000);
    let second = fetch_b.exchange().await.unwrap();
    assert_eq!(second.fetched, 1, "{second:?}");
    assert_eq!(
        b_images.read(&digest).unwrap(),
        shop_a.images().unwrap().read(&digest).unwrap(),
        "the same bytes under the same digest"
    );
    assert_eq!(b.shop.store().image_transfers().unwrap().waiting, 0);
    // A pulled product naming a picture the till holds fetches nothing.
    assert_eq!(fetch_b.exchange().await.unwrap(), Exchanged::default());
}

async fn upload(c: &CentralUnderTest, slug: &str, bytes: Vec<u8>) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/v1/admin/tenants/{slug}/images", c.url))
        .bearer_auth(ADMIN_TOKEN)
        .body(bytes)
        .send()
        .await
        .unwrap()
}

async fn office(c: &CentralUnderTest, changes: serde_json::Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/v1/admin/tenants/corner/changes", c.url))
        .bearer_auth(ADMIN_TOKEN)
        .json(&serde_json::json!({ "protocol": 1, "changes": changes }))
        .send()
        .await
        .unwrap()
}

fn new_product(id: uuid::Uuid, sku: &str, image: &str) -> serde_json::Value {
    serde_json::json!({ "kind": "product", "id": id, "fields": {
        "sku": sku, "titles": { "en": sku }, "price": { "minor": 500, "currency": "EUR" },
        "tax_rate": 2000, "low_stock_threshold": 0, "status": "active", "image": image } })
}

/// Head office uploads a picture (a JPEG within a stored picture's bounds, or it
/// is refused) and names it in a product; a picture central does not hold cannot
/// be named. A till fetches what it names; a copy at central that is not the
/// picture its digest names is refused and kept out, and holds up neither the
/// catalog nor the other pictures.
async fn head_offices_pictures_are_checked_at_both_ends() {
    let c = spawn_central(rustok_central::Limits::default()).await;
    let a = Device::new(72);
    let creds_a = a.enrol(&c.url, &c.code("corner").await).await;
    push_all(&a, &creds_a, &c).await;
    // A picture as a phone gives it is refused: head office scales it first (the
    // console does; from a shell, `convert`), as a till's manager's is re-encoded.
    for (bytes, status) in [
        (b"not a picture at all".to_vec(), 422),
        (png(300, 200, 3), 422),
        (jpeg_of(&png(2000, 1000, 3)), 422),
        (
            vec![0xFFu8; rustok_core::store::MAX_STORED_IMAGE_BYTES + 1],
            413,
        ),
    ] {
        let r = upload(&c, "corner", bytes).await;
        assert_eq!(r.status(), status);
    }
    let scaled = rustok_core::store::reencode_image(&png(2000, 1000, 3)).unwrap();
    // Cut short, or with something after its end: not a whole JPEG.
    let mut appended = scaled.clone();
    appended.extend(b"# README");
    for bytes in [scaled[..scaled.len() / 2].to_vec(), appended] {
        let r = upload(&c, "corner", bytes).await;
        assert_eq!(r.status(), 422);
    }
    // A misspelt tenant is not made by a picture.
    let r = upload(&c, "corenr", scaled.clone()).await;
    assert_eq!(r.status(), 404);
    assert!(c.central.backend.stores("corenr").await.unwrap().is_none());
    let r = upload(&c, "corner", scaled.clone()).await;
    assert_eq!(r.status(), 201);
    let stored: ImageStored = r.json().await.unwrap();
    let digest = ImageDigest::parse(&stored.digest).unwrap();
    assert_eq!(digest, ImageDigest::of(&scaled));
    let kept = c
        .central
        .backend
        .image(creds_a.tenant_id, &digest)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept, scaled, "kept as sent");
    assert_eq!(kept.len() as u64, stored.bytes);
    let decoded = image::load_from_memory(&kept).unwrap();
    assert_eq!(
        (decoded.width(), decoded.height()),
        (STORED_IMAGE_EDGE, STORED_IMAGE_EDGE / 2)
    );
    let again = upload(&c, "corner", scaled.clone()).await;
    assert_eq!(again.status(), 200, "held already");
    assert_eq!(
        again.json::<ImageStored>().await.unwrap(),
        stored,
        "the same picture, once"
    );
    let admin_copy = reqwest::Client::new()
        .get(format!("{}/v1/admin/tenants/corner/images/{digest}", c.url))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(admin_copy.status(), 200);
    assert_eq!(admin_copy.headers()["content-type"], "image/jpeg");
    assert_eq!(admin_copy.bytes().await.unwrap().as_ref(), kept.as_slice());
    // A product may name only a picture central holds.
    let unknown = ImageDigest::of(b"never uploaded");
    let r = office(
        &c,
        serde_json::json!([new_product(
            uuid::Uuid::from_u128(0x0192f0e4_5000_7000_8000_0000000000a0),
            "HQ-0",
            unknown.as_str()
        )]),
    )
    .await;
    assert_eq!(r.status(), 422);
    let refusal: serde_json::Value = r.json().await.unwrap();
    assert_eq!(refusal["code"], "unknown_image", "{refusal}");
    // A copy at central that is not what its digest names (a damaged disk, a
    // tampered database): stored behind the HTTP checks, named by a product.
    let forged = ImageDigest::of(b"the real picture");
    c.central
        .backend
        .put_image(creds_a.tenant_id, &forged, &kept, 0)
        .await
        .unwrap();
    let r = office(
        &c,
        serde_json::json!([
            new_product(
                uuid::Uuid::from_u128(0x0192f0e4_5000_7000_8000_0000000000a1),
                "HQ-1",
                forged.as_str()
            ),
            new_product(
                uuid::Uuid::from_u128(0x0192f0e4_5000_7000_8000_0000000000a2),
                "HQ-2",
                digest.as_str()
            ),
        ]),
    )
    .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let b = join(&c, 0xB8).await;
    assert_eq!(
        product(&b.shop, "HQ-1").fields.image.as_ref(),
        Some(&forged)
    );
    let fetched = pictures(&b.shop, &b.creds, b.clock.clone())
        .exchange()
        .await
        .unwrap();
    assert_eq!((fetched.fetched, fetched.failed), (1, 1), "{fetched:?}");
    let images = b.shop.images().unwrap();
    assert!(images.contains(&digest));
    assert!(
        !images.contains(&forged),
        "bytes that are not the digest's are not kept"
    );
    let waiting = b.shop.store().image_transfers().unwrap();
    assert_eq!(waiting.waiting, 1);
    assert!(
        waiting
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("not the picture its digest names")),
        "{waiting:?}"
    );
    // Every till would fetch it every ten minutes: a refused copy waits a day.
    let start = START.unix_millis();
    let store = b.shop.store();
    assert!(store
        .image_transfers_due(start + 3_600_000, 10)
        .unwrap()
        .is_empty());
    assert_eq!(
        store
            .image_transfers_due(start + 86_400_000, 10)
            .unwrap()
            .len(),
        1
    );
}

/// A signed request as `creds` (a fresh nonce, now).
async fn signed(
    c: &CentralUnderTest,
    creds: &Credentials,
    method: reqwest::Method,
    path: &str,
    body: Vec<u8>,
) -> reqwest::Response {
    let (request, _) = signed_request(c, creds, method, path, body);
    request.send().await.unwrap()
}

/// A signed request ready to send, and a copy to send again (a replay).
fn signed_request(
    c: &CentralUnderTest,
    creds: &Credentials,
    method: reqwest::Method,
    path: &str,
    body: Vec<u8>,
) -> (reqwest::RequestBuilder, reqwest::RequestBuilder) {
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let mut raw = [0u8; 16];
    getrandom::fill(&mut raw).unwrap();
    let nonce = hex::encode(raw);
    let secret = creds.secret_bytes().unwrap();
    let sig = signing::sign(&secret, method.as_str(), path, ts, Some(&nonce), &body);
    let build = || {
        reqwest::Client::new()
            .request(method.clone(), format!("{}{path}", c.url))
            .header(signing::HEADER_DEVICE, creds.device_id.to_string())
            .header(signing::HEADER_TIMESTAMP, ts.to_string())
            .header(signing::HEADER_NONCE, nonce.clone())
            .header(signing::HEADER_SIGNATURE, sig.clone())
            .body(body.clone())
    };
    (build(), build())
}

fn image_path(digest: &str) -> String {
    paths::IMAGE.replace("{digest}", digest)
}

/// The picture routes refuse what they must, with their statuses, and store
/// nothing for it: no signature, a bad digest, bytes that are not the digest's, a
/// digest's bytes that are not a stored picture, too many bytes, a replay; another
/// tenant's picture is answered like one that does not exist.
async fn the_picture_routes_refuse_strangers_forgeries_and_other_tenants() {
    let c = spawn_central(rustok_central::Limits::default()).await;
    let a = Device::new(73);
    let creds = a.enrol(&c.url, &c.code("corner").await).await;
    let other = Device::of_own_tenant("elsewhere", 74);
    let foreign = other.enrol(&c.url, &c.code("elsewhere").await).await;
    let jpeg = rustok_core::store::reencode_image(&png(64, 64, 9)).unwrap();
    let digest = ImageDigest::of(&jpeg);
    let path = image_path(digest.as_str());
    let put = reqwest::Method::PUT;
    let get = reqwest::Method::GET;
    // Unsigned.
    let r = reqwest::Client::new()
        .put(format!("{}{path}", c.url))
        .body(jpeg.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // Not a digest; a digest in capitals is not the same name.
    for bad in ["abc", &digest.as_str().to_uppercase(), &"g".repeat(64)] {
        let r = signed(&c, &creds, put.clone(), &image_path(bad), jpeg.clone()).await;
        assert_eq!(r.status(), 400, "{bad}");
    }
    // Bytes that are not the digest's.
    let mut tampered = jpeg.clone();
    let last = tampered.len() - 3;
    tampered[last] ^= 0xFF;
    let r = signed(&c, &creds, put.clone(), &path, tampered).await;
    assert_eq!(r.status(), 422);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["code"],
        "digest_mismatch"
    );
    // The digest's own bytes, but no stored picture: text, a PNG, a JPEG too large.
    for bytes in [b"hello".to_vec(), png(8, 8, 1), jpeg_of(&png(1200, 100, 1))] {
        let d = ImageDigest::of(&bytes);
        let r = signed(&c, &creds, put.clone(), &image_path(d.as_str()), bytes).await;
        assert_eq!(r.status(), 422);
        assert_eq!(
            r.json::<serde_json::Value>().await.unwrap()["code"],
            "bad_image"
        );
        assert!(!c
            .central
            .backend
            .image_held(creds.tenant_id, &d)
            .await
            .unwrap());
    }
    // Over a stored picture's size: refused before it is read.
    let huge = vec![0xFFu8; rustok_core::store::MAX_STORED_IMAGE_BYTES + 1];
    let d = ImageDigest::of(&huge);
    let r = signed(&c, &creds, put.clone(), &image_path(d.as_str()), huge).await;
    assert_eq!(r.status(), 413);
    // Unknown yet: 404.
    let r = signed(&c, &creds, get.clone(), &path, Vec::new()).await;
    assert_eq!(r.status(), 404);
    // Sent, twice: kept once; fetched back whole.
    for _ in 0..2 {
        let r = signed(&c, &creds, put.clone(), &path, jpeg.clone()).await;
        assert_eq!(r.status(), 204);
    }
    let (first, replay) = signed_request(&c, &creds, get.clone(), &path, Vec::new());
    let r = first.send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    assert_eq!(r.bytes().await.unwrap().as_ref(), jpeg.as_slice());
    let r = replay.send().await.unwrap();
    assert_eq!(r.status(), 401, "a signed request is taken once");
    // Another tenant's device: the same answer as for a picture nobody has.
    let r = signed(&c, &foreign, get.clone(), &path, Vec::new()).await;
    assert_eq!(r.status(), 404);
    let unknown = signed(
        &c,
        &foreign,
        get.clone(),
        &image_path(&"0".repeat(64)),
        Vec::new(),
    )
    .await;
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap(),
        unknown.json::<serde_json::Value>().await.unwrap()
    );
    // Head office reads pictures per tenant too.
    let r = reqwest::Client::new()
        .get(format!(
            "{}/v1/admin/tenants/elsewhere/images/{digest}",
            c.url
        ))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = reqwest::Client::new()
        .get(format!("{}/v1/admin/tenants/corner/images/{digest}", c.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

crate::on_both!(
    a_tills_picture_reaches_the_other_tills_without_holding_up_the_catalog,
    head_offices_pictures_are_checked_at_both_ends,
    the_picture_routes_refuse_strangers_forgeries_and_other_tenants,
);
