//! Store sync as a shop with two tills and a head office meets it: head office
//! changes a price while both tills run; the next scan at either takes it and the
//! catalog says who changed it; a sale at one till moves the other till's stock.

use super::{device_of, enrolled_demo, subcommand, Session, SERIAL};
use crate::central::{start_central, RunningCentral, DEMO_TENANT};
use rustok_app::demo;

const MANAGER: (&str, &str, &str) = ("Max Manager", "Manager", "2222");
const ADMIN_TOKEN: &str = "app-test-admin-token-0123456789";

/// A second till of the demo shop in `from`, for the same store: its database as
/// the first till's is now, under its own identity and with none of the first
/// till's events, then enrolled with its own code.
async fn second_till(from: &std::path::Path, central: &RunningCentral) -> tempfile::TempDir {
    let data = tempfile::tempdir().unwrap();
    rustok_core::store::Store::open(&from.join("shop.db"))
        .unwrap()
        .backup_to(&data.path().join("shop.db"))
        .unwrap();
    let db = rusqlite::Connection::open(data.path().join("shop.db")).unwrap();
    db.execute_batch(
        "UPDATE device SET device_id = '0192f0e4-3000-7000-8000-0000000000e2', device_code = 'TILL2',
                last_seq = 0, acked_seq = 0;
         DELETE FROM events; DELETE FROM handler_checkpoints;",
    )
    .unwrap();
    drop(db);
    subcommand(
        data.path(),
        &[
            "enrol",
            "--url",
            &central.url,
            "--code",
            &central.code().await,
        ],
    );
    data
}

/// DEMO-001 as the first till holds it: id and stock.
fn demo_001(data: &std::path::Path) -> (String, i64) {
    let db = rusqlite::Connection::open_with_flags(
        data.join("shop.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    db.query_row(
        "SELECT id, on_hand FROM products WHERE sku = 'DEMO-001'",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .unwrap()
}

async fn set_price_at_head_office(central: &RunningCentral, product: &str, minor: i64) {
    let r = reqwest::Client::new()
        .post(format!(
            "{}/v1/admin/tenants/{DEMO_TENANT}/changes",
            central.url
        ))
        .bearer_auth(ADMIN_TOKEN)
        .json(&serde_json::json!({ "protocol": 1, "changes": [
            { "kind": "product", "id": product, "fields": { "price": { "minor": minor, "currency": "EUR" } } }
        ] }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn head_office_sets_a_price_both_tills_sell_at_it_and_stock_follows_across_tills() {
    let _one = SERIAL.lock().await;
    let central_data = tempfile::tempdir().unwrap();
    let central = start_central(central_data.path(), "127.0.0.1:0").await;
    let first = tempfile::tempdir().unwrap();
    enrolled_demo(first.path(), &central).await;
    let second = second_till(first.path(), &central).await;
    assert_ne!(device_of(first.path()), device_of(second.path()));
    let (product, stock) = demo_001(first.path());
    let fast = [("RUSTOK_SYNC_INTERVAL_MS", "500")];

    // Both tills open, a manager at each, shifts open, both online.
    let mut a = Session::start_in("9-chain-a", first, &fast, false).await;
    let mut b = Session::start_in("9-chain-b", second, &fast, false).await;
    for s in [&mut a, &mut b] {
        s.in_english().await;
        s.login(MANAGER.0, MANAGER.1, MANAGER.2).await;
        s.open_shift().await;
        s.attr_in("[data-test=status-sync]", "data-state", &["online"])
            .await;
    }
    a.shot("online").await;

    // The first till has DEMO-001 in its cart when head office sets it to 4.44 EUR;
    // nobody at either till does anything. The line takes the new price, and the
    // cashier is told before asking the customer for it.
    a.scan(&demo::barcode(0)).await;
    a.find("[data-test=cart-line]").await;
    set_price_at_head_office(&central, &product, 444).await;
    a.text_with("[data-test=cart-line-total]", "4.44 EUR").await;
    a.text_with(
        "[data-test=checkout-info]",
        "A price changed while in the cart: Tea Classic",
    )
    .await;
    a.shot("scan-head-office-price").await;
    a.pay_cash_exact().await;
    b.scan(&demo::barcode(0)).await;
    b.text_with("[data-test=cart-line-total]", "4.44 EUR").await;
    b.pay_cash_exact().await;
    b.shot("second-till-sold").await;

    // The first till's catalog: the price came from head office, and the stock
    // counts both tills' sales.
    a.click("[data-test=nav-catalog]").await;
    a.type_into("[data-test=catalog-search]", "DEMO-001\u{E007}")
        .await;
    let row = "[data-test=product-row][data-sku=DEMO-001]";
    a.text_with(&format!("{row} [data-test=product-price]"), "4.44 EUR")
        .await;
    a.attr_in(
        &format!("{row} [data-test=product-origin]"),
        "data-by",
        &["head_office"],
    )
    .await;
    // The other till's sale travels till → central → this till; on a loaded
    // machine that may take longer than one screen's wait. If it never comes,
    // the Sync screen's facts go with the failure.
    let want = (stock - 2).to_string();
    let waiting = std::time::Instant::now();
    let deadline = waiting + std::time::Duration::from_secs(60);
    loop {
        let shown = match a
            .client
            .find(fantoccini::Locator::Css(&format!(
                "{row} [data-test=product-stock]"
            )))
            .await
        {
            Ok(el) => el.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if shown == want {
            eprintln!(
                "9-chain: the other till's sale showed here after {} ms",
                waiting.elapsed().as_millis()
            );
            break;
        }
        if std::time::Instant::now() > deadline {
            a.click("[data-test=nav-sync]").await;
            let facts = a.text_with("[data-test=sync-panel]", "").await;
            panic!("the first till shows {shown} on hand, not {want}; its Sync screen: {facts}");
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    a.select_product("DEMO-001").await;
    a.text_with("[data-test=detail-origin]", "Changed by head office")
        .await;
    a.text_with("[data-test=detail-changed]", "price").await;
    a.text_with("[data-test=detail-stock]", &(stock - 2).to_string())
        .await;
    a.shot("catalog-head-office-and-stock").await;

    // The Sync screen says how pulling stands.
    a.click("[data-test=nav-sync]").await;
    a.text_with("[data-test=sync-pulled]", "ago").await;
    a.text_with("[data-test=sync-behind]", "0").await;
    a.text_with("[data-test=sync-clock]", "in step").await;
    a.shot("sync-pull-state").await;

    // Central goes down; a manager at each till adds sea salt as SEA-1. When
    // central is back, each till keeps both, and lists them for a manager.
    let addr = central.addr.to_string();
    central.stop().await;
    for (s, title, price) in [
        (&mut a, "Sea salt", "1.50"),
        (&mut b, "Sea salt, fine", "1.60"),
    ] {
        s.click("[data-test=nav-catalog]").await;
        s.click("[data-test=new-product]").await;
        s.type_into("[data-test=f-sku]", "SEA-1").await;
        s.type_into("[data-test=f-title-en]", title).await;
        s.type_into("[data-test=f-price]", price).await;
        s.click("[data-test=save-product]").await;
        s.text_with("[data-test=product-row][data-sku=SEA-1]", title)
            .await;
    }
    let central = start_central(central_data.path(), &addr).await;
    for s in [&mut a, &mut b] {
        s.text_with("[data-test=clash][data-value=SEA-1]", "Sea salt, fine")
            .await;
        s.text_with("[data-test=clash][data-value=SEA-1]", "Sea salt (")
            .await;
    }
    a.shot("clash-listed").await;
    // Opening one of them from the list shows it; giving it its own SKU resolves it.
    a.click("[data-test=clash-holder]:nth-of-type(2)").await;
    a.text_with(".detail h2", "Sea salt, fine").await;
    a.click("[data-test=edit-product]").await;
    a.type_into("[data-test=f-sku]", "SEA-2").await;
    a.click("[data-test=save-product]").await;
    a.text_with(".detail", "SEA-2 · ").await;
    for s in [&mut a, &mut b] {
        let deadline = std::time::Instant::now() + super::WAIT;
        while !s.absent("[data-test=clashes]").await {
            assert!(
                std::time::Instant::now() < deadline,
                "{}: the clash is still listed",
                s.name
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
    a.shot("clash-resolved").await;
    b.finish().await;
    a.finish().await;
    central.stop().await;
}

/// A new till is unpacked at a shop of the chain: on its first screen the manager
/// joins the chain with the address and code head office gave (after a wrong
/// address, a mistyped code and the first till's own till code, each refused
/// with what to do); the till takes the chain's settings, staff and catalog, and
/// the cashier logs in with her own PIN and sells.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_till_joins_the_chain_from_its_first_screen_and_sells() {
    let _one = SERIAL.lock().await;
    let central_data = tempfile::tempdir().unwrap();
    let central = start_central(central_data.path(), "127.0.0.1:0").await;
    let first = tempfile::tempdir().unwrap();
    enrolled_demo(first.path(), &central).await;
    subcommand(first.path(), &["sync"]);
    let mut s = Session::start_in(
        "10-join",
        tempfile::tempdir().unwrap(),
        &[("RUSTOK_SYNC_INTERVAL_MS", "500")],
        false,
    )
    .await;
    s.in_english().await;
    // A wrong address is refused on its field; then the real one and the code.
    s.type_into("[data-test=j-url]", "central.local").await;
    s.type_into("[data-test=j-code]", "AB-CD").await;
    s.click("[data-test=join]").await;
    s.text_with("[data-test=join-form]", "http").await;
    // Nothing answers at this address: said so, not that anything will be sent later.
    s.type_into("[data-test=j-url]", "http://127.0.0.1:9").await;
    s.click("[data-test=join]").await;
    s.text_with(
        "[data-test=join-error]",
        "No central server answers at this address",
    )
    .await;
    // A made-up code.
    s.type_into("[data-test=j-url]", &central.url).await;
    s.click("[data-test=join]").await;
    s.text_with("[data-test=join-error]", "This code does not work")
        .await;
    s.shot("join-bad-code").await;
    // The first till's code, POS1, as the form suggests nothing better: refused on
    // the field, and the code head office gave is not spent by it.
    let code = central.code().await;
    s.type_into("[data-test=j-code]", &code).await;
    s.type_into("[data-test=j-device]", "POS1").await;
    s.click("[data-test=join]").await;
    s.text_with(
        "[data-test=join-form]",
        "Another till of the chain has this code",
    )
    .await;
    s.shot("join-till-code-taken").await;
    s.type_into("[data-test=j-device]", "TILL9").await;
    s.shot("join-form").await;
    s.click("[data-test=join]").await;
    // However fast it went, the till says what it joined, and as which till.
    s.text_with(
        "[data-test=joined-note]",
        "This till joined RusToK Demo Shop as TILL9",
    )
    .await;
    s.shot("joined").await;
    // The staff came with the chain: the cashier logs in with the PIN she has.
    s.login("Cara Cashier", "Cashier", "3333").await;
    s.shot("logged-in").await;
    s.open_shift().await;
    s.scan(&demo::barcode(0)).await;
    // (WebKit's driver reads no text from a cell that clips it: its tooltip is read.)
    s.attr_in(
        "[data-test=cart-line][data-sku=DEMO-001] [data-test=cart-title]",
        "title",
        &["Tea Classic"],
    )
    .await;
    s.pay_cash_exact().await;
    s.text_with("[data-test=receipt]", "TILL9-000001").await;
    s.shot("first-sale").await;
    s.finish().await;
    central.stop().await;
}

/// Whether the picture at `css` has loaded: an image with pixels, not a placeholder.
async fn picture_shown(s: &Session, css: &str) -> bool {
    s.client
        .execute(
            "const i = document.querySelector(arguments[0]);
             return !!i && i.tagName === 'IMG' && i.complete && i.naturalWidth > 0;",
            vec![css.into()],
        )
        .await
        .ok()
        .and_then(|v| v.as_bool())
        .unwrap_or(false)
}

async fn wait_for_picture(s: &Session, css: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !picture_shown(s, css).await {
        assert!(
            std::time::Instant::now() < deadline,
            "{}: the picture {css} never showed",
            s.name
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// A green square as head office uploads it: scaled to a stored picture first (as
/// the console or `convert` does).
fn green_picture() -> Vec<u8> {
    let img = image::RgbImage::from_fn(1200, 1200, |x, y| {
        image::Rgb([20, 150 + ((x + y) % 80) as u8, 60])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    rustok_core::store::reencode_image(&out.into_inner()).unwrap()
}

/// Pictures follow the catalog by digest. A second till made from a copy of the
/// first till's data starts without its pictures: each product shows a placeholder
/// and sells as ever, and the Sync screen says pictures wait. Once the first till
/// has sent them to central, "Sync now" brings them. A picture head office gives a
/// product reaches the running till by itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pictures_follow_the_catalog_and_a_placeholder_stands_in_until_they_come() {
    let _one = SERIAL.lock().await;
    let central_data = tempfile::tempdir().unwrap();
    let central = start_central(central_data.path(), "127.0.0.1:0").await;
    let first = tempfile::tempdir().unwrap();
    enrolled_demo(first.path(), &central).await;
    let second = second_till(first.path(), &central).await;
    let mut b = Session::start_in(
        "11-pictures",
        second,
        &[("RUSTOK_SYNC_INTERVAL_MS", "500")],
        false,
    )
    .await;
    b.in_english().await;
    b.login(MANAGER.0, MANAGER.1, MANAGER.2).await;
    b.open_shift().await;
    b.attr_in("[data-test=status-sync]", "data-state", &["online"])
        .await;

    // The first till has not sent its pictures: a placeholder where DEMO-001's goes.
    b.click("[data-test=nav-catalog]").await;
    b.type_into("[data-test=catalog-search]", "DEMO-001\u{E007}")
        .await;
    b.select_product("DEMO-001").await;
    b.find(".detail [data-test=picture-missing]").await;
    b.shot("placeholder").await;
    // It sells as ever.
    b.click("[data-test=nav-checkout]").await;
    b.scan(&demo::barcode(0)).await;
    b.text_with("[data-test=cart-line-total]", "EUR").await;
    b.pay_cash_exact().await;
    b.click("[data-test=nav-sync]").await;
    b.text_with(
        "[data-test=sync-pictures]",
        "not yet exchanged with central",
    )
    .await;
    b.shot("sync-pictures-waiting").await;

    // The first till syncs (its pictures go to central); "Sync now" here brings them.
    subcommand(first.path(), &["sync"]);
    b.click("[data-test=sync-now]").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !b.absent("[data-test=sync-pictures]").await {
        assert!(
            std::time::Instant::now() < deadline,
            "pictures still wait: {}",
            b.text_with("[data-test=sync-panel]", "").await
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    b.click("[data-test=nav-catalog]").await;
    b.type_into("[data-test=catalog-search]", "DEMO-001\u{E007}")
        .await;
    b.select_product("DEMO-001").await;
    wait_for_picture(&b, ".detail [data-test=detail-image]").await;
    b.shot("picture-arrived").await;

    // Head office uploads a new picture for DEMO-002; the till shows it unasked.
    let r = reqwest::Client::new()
        .post(format!(
            "{}/v1/admin/tenants/{DEMO_TENANT}/images",
            central.url
        ))
        .bearer_auth(ADMIN_TOKEN)
        .body(green_picture())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let digest = r.json::<serde_json::Value>().await.unwrap()["digest"]
        .as_str()
        .unwrap()
        .to_owned();
    let db = rusqlite::Connection::open_with_flags(
        first.path().join("shop.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let demo_002: String = db
        .query_row("SELECT id FROM products WHERE sku = 'DEMO-002'", [], |r| {
            r.get(0)
        })
        .unwrap();
    let r = reqwest::Client::new()
        .post(format!(
            "{}/v1/admin/tenants/{DEMO_TENANT}/changes",
            central.url
        ))
        .bearer_auth(ADMIN_TOKEN)
        .json(&serde_json::json!({ "protocol": 1, "changes": [
            { "kind": "product", "id": demo_002, "fields": { "image": digest } }
        ] }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    b.type_into("[data-test=catalog-search]", "DEMO-002\u{E007}")
        .await;
    b.select_product("DEMO-002").await;
    let shown = format!(".detail img[data-test=detail-image][src*='{digest}']");
    b.find(&shown).await;
    wait_for_picture(&b, &shown).await;
    b.text_with("[data-test=detail-changed]", "picture").await;
    b.shot("head-office-picture").await;
    b.finish().await;
    central.stop().await;
}
