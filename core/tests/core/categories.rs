//! Catalog categories (two levels, per-locale names) and product images (decoded
//! within limits, re-encoded, stored by digest) on a real shop.

use crate::helpers::*;
use rustok_core::domain::ids::CategoryId;
use rustok_core::domain::image::ImageDigest;
use rustok_core::domain::product::ProductStatus;
use rustok_core::service::ShopError;
use rustok_core::store::{ProductQuery, MAX_IMAGE_BYTES, STORED_IMAGE_EDGE};

fn field_code(r: Result<impl std::fmt::Debug, ShopError>, field: &str) -> String {
    match r {
        Err(ShopError::Validation { fields }) => {
            let f = fields
                .iter()
                .find(|f| f.field == field)
                .unwrap_or_else(|| panic!("no error on {field}: {fields:?}"));
            f.code.to_string()
        }
        other => panic!("expected a validation error on {field}, got {other:?}"),
    }
}

fn last_event(t: &TestShop) -> (String, serde_json::Value) {
    let status = t.shop.store().outbox_status().unwrap();
    let e = t
        .shop
        .store()
        .events_after(status.last_seq - 1, 1)
        .unwrap()
        .remove(0);
    (e.event_type, serde_json::from_str(e.data.get()).unwrap())
}

#[test]
fn categories_are_two_levels_deep_and_ordered_by_position() {
    let t = spawn_shop();
    let s = &t.shop;
    let drinks = s
        .create_category(&t.manager, category_fields("Drinks", 2, None))
        .unwrap();
    let bakery = s
        .create_category(&t.manager, category_fields("Bakery", 1, None))
        .unwrap();
    let tea = s
        .create_category(&t.manager, category_fields("Tea", 1, Some(drinks.id)))
        .unwrap();
    let (kind, data) = last_event(&t);
    assert_eq!(kind, "CategoryCreated");
    assert_eq!(data["parent"], drinks.id.to_string());
    assert_eq!(data["names"]["ru"], "Раздел Tea");

    // A third level is refused, and so is a parent for a category with children.
    let r = s.create_category(&t.manager, category_fields("Green", 1, Some(tea.id)));
    assert_eq!(field_code(r, "parent"), "too_deep");
    let mut f = drinks.fields.clone();
    f.parent = Some(bakery.id);
    let r = s.update_category(&t.manager, drinks.id, drinks.version, f);
    assert_eq!(field_code(r, "parent"), "has_children");
    // Its own parent, a parent that does not exist.
    let mut f = bakery.fields.clone();
    f.parent = Some(bakery.id);
    assert_eq!(
        field_code(
            s.update_category(&t.manager, bakery.id, bakery.version, f),
            "parent"
        ),
        "own_parent"
    );
    let ghost = CategoryId::parse("0190a0a0-0000-7000-8000-00000000dead").unwrap();
    let r = s.create_category(&t.manager, category_fields("Ghost", 1, Some(ghost)));
    assert_eq!(field_code(r, "parent"), "unknown");

    // Listed by position; an edit bumps the version and a stale one conflicts.
    let names: Vec<_> = s
        .categories(&t.kiosk)
        .unwrap()
        .iter()
        .map(|k| k.fields.position)
        .collect();
    assert_eq!(names, vec![1, 1, 2]);
    let mut f = bakery.fields.clone();
    f.position = 9;
    let moved = s
        .update_category(&t.manager, bakery.id, bakery.version, f.clone())
        .unwrap();
    assert_eq!(moved.version, 2);
    assert_eq!(last_event(&t).0, "CategoryUpdated");
    assert!(matches!(
        s.update_category(&t.manager, bakery.id, bakery.version, f),
        Err(ShopError::Conflict { .. })
    ));
    // A cashier browses categories but does not make them.
    assert!(s.categories(&t.cashier).is_ok());
    assert!(matches!(
        s.create_category(&t.cashier, category_fields("Mine", 1, None)),
        Err(ShopError::Forbidden { .. })
    ));
}

#[test]
fn products_name_a_category_of_their_shop_and_are_listed_by_it() {
    let t = spawn_shop();
    let s = &t.shop;
    let drinks = s
        .create_category(&t.manager, category_fields("Drinks", 1, None))
        .unwrap();
    let mut f = product_fields("COLA", 150, None);
    f.category = Some(drinks.id);
    let cola = s
        .create_product(&t.manager, f, ProductStatus::Active)
        .unwrap();
    t.product("BREAD", 200, 0);
    let (_, data) = last_event(&t);
    assert!(
        data.get("category").is_none(),
        "no category, no field: {data}"
    );

    let listed = s
        .products(
            &t.kiosk,
            &ProductQuery {
                category: Some(drinks.id),
                limit: 50,
                ..ProductQuery::default()
            },
        )
        .unwrap();
    assert_eq!(
        listed.iter().map(|p| p.id).collect::<Vec<_>>(),
        vec![cola.id]
    );

    let ghost = CategoryId::parse("0190a0a0-0000-7000-8000-00000000beef").unwrap();
    let mut f = cola.fields.clone();
    f.category = Some(ghost);
    assert_eq!(
        field_code(
            s.update_product(&t.manager, cola.id, cola.version, f),
            "category"
        ),
        "unknown"
    );
}

#[test]
fn an_image_is_re_encoded_bounded_and_named_by_its_digest() {
    let t = spawn_shop();
    let s = &t.shop;
    let digest = s.store_image(&t.manager, &png(2000, 1000)).unwrap();
    let stored = s.images().unwrap().read(&digest).unwrap().unwrap();
    assert_eq!(
        ImageDigest::of(&stored),
        digest,
        "the name is the digest of the bytes"
    );
    assert_eq!(
        &stored[..3],
        &[0xFF, 0xD8, 0xFF],
        "stored as JPEG, not the PNG sent"
    );
    let back = image::load_from_memory(&stored).unwrap();
    assert_eq!(
        (back.width(), back.height()),
        (STORED_IMAGE_EDGE, STORED_IMAGE_EDGE / 2)
    );
    // Transparency is laid on white: half-transparent red comes out light red.
    let px = back.to_rgb8().get_pixel(10, 10).0;
    assert!(px[0] > 200 && px[1] > 100 && px[1] < 160, "{px:?}");
    // The same picture again is the same file.
    assert_eq!(s.store_image(&t.manager, &png(2000, 1000)).unwrap(), digest);

    // A product names it; the event carries the digest.
    let mut f = product_fields("PIC", 100, None);
    f.image = Some(digest.clone());
    s.create_product(&t.manager, f, ProductStatus::Active)
        .unwrap();
    assert_eq!(last_event(&t).1["image"], digest.to_string());
}

#[test]
fn what_is_not_a_picture_or_is_too_large_is_refused_and_nothing_is_stored() {
    let t = spawn_shop();
    let s = &t.shop;
    let before = std::fs::read_dir(t.dir.path().join("images"))
        .unwrap()
        .count();
    let text = b"name,price\ncola,1.50\n".to_vec();
    assert_eq!(
        field_code(s.store_image(&t.manager, &text), "image"),
        "not_an_image"
    );
    assert_eq!(
        field_code(s.store_image(&t.manager, &[]), "image"),
        "not_an_image"
    );
    // A PNG cut short: its header promises pixels that never come.
    let whole = png(50, 50);
    let cut = &whole[..whole.len() / 2];
    assert_eq!(
        field_code(s.store_image(&t.manager, cut), "image"),
        "not_an_image"
    );
    // A GIF is a picture, but not one we take.
    let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".to_vec();
    assert_eq!(
        field_code(s.store_image(&t.manager, &gif), "image"),
        "not_an_image"
    );
    // Too many bytes; a small file that decodes to too many pixels.
    let mut big = png(4, 4);
    big.resize(MAX_IMAGE_BYTES + 1, 0);
    assert_eq!(
        field_code(s.store_image(&t.manager, &big), "image"),
        "too_large"
    );
    let wide = png(8_001, 1);
    assert!(wide.len() < 100_000, "a small file: {}", wide.len());
    assert_eq!(
        field_code(s.store_image(&t.manager, &wide), "image"),
        "too_many_pixels"
    );
    let after = std::fs::read_dir(t.dir.path().join("images"))
        .unwrap()
        .count();
    assert_eq!(before, after, "nothing stored for a refused file");

    // A product cannot name a picture this device does not have.
    let mut f = product_fields("NOPIC", 100, None);
    f.image = Some(ImageDigest::of(b"never stored"));
    let r = s.create_product(&t.manager, f, ProductStatus::Active);
    assert_eq!(field_code(r, "image"), "unknown");
}

/// A picture fetched from central is kept only whole: a stored picture's JPEG,
/// not one cut short, with something appended, of another format or too large;
/// and a picture file damaged on disk is never shown or sent, and is replaced when
/// the picture is fetched again.
#[test]
fn a_picture_from_elsewhere_is_kept_only_whole_and_a_damaged_file_is_replaced() {
    use rustok_core::store::{check_stored_image, reencode_image, ImageStore};
    let jpeg = reencode_image(&png(300, 200)).unwrap();
    assert_eq!(check_stored_image(&jpeg), Ok(()));
    let mut appended = jpeg.clone();
    appended.extend(b"# README");
    let wide = {
        let img = image::RgbImage::from_pixel(700, 10, image::Rgb([1, 2, 3]));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
        out.into_inner()
    };
    for (bad, code) in [
        (jpeg[..jpeg.len() - 200].to_vec(), "not_an_image"),
        (jpeg[..2000.min(jpeg.len() / 2)].to_vec(), "not_an_image"),
        (appended, "not_an_image"),
        (png(10, 10), "not_an_image"),
        (wide, "too_many_pixels"),
    ] {
        assert_eq!(check_stored_image(&bad).map_err(|e| e.code), Err(code));
    }

    let dir = tempfile::tempdir().unwrap();
    let images = ImageStore::open(dir.path()).unwrap();
    let digest = images.put(&jpeg).unwrap();
    assert!(images.holds(&digest).unwrap());
    std::fs::write(images.path(&digest), b"garbage").unwrap();
    assert_eq!(
        images.read(&digest).unwrap(),
        None,
        "damaged: as good as missing"
    );
    assert!(images.contains(&digest), "the file is there");
    assert_eq!(images.put(&jpeg).unwrap(), digest);
    assert_eq!(images.read(&digest).unwrap(), Some(jpeg), "replaced");
}
