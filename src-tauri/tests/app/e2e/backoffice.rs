//! The back office as a manager uses it: categories and a product's picture in the
//! Catalog, a promo in English and Russian in Content, seen as customers will see it.

use super::{Session, SERIAL};
use fantoccini::Locator;
use serde_json::json;

const MANAGER: (&str, &str, &str) = ("Max Manager", "Manager", "2222");

impl Session {
    /// Puts `bytes` into the file input `css` as a file named `name`, as choosing it
    /// in the file dialog would.
    pub(super) async fn choose_file(&self, css: &str, name: &str, bytes: &[u8]) {
        let input = self.find(css).await;
        self.client
            .execute(
                "const [input, bytes, name] = arguments;
                 const file = new File([new Uint8Array(bytes)], name);
                 const dt = new DataTransfer(); dt.items.add(file);
                 input.files = dt.files;
                 input.dispatchEvent(new Event('change', { bubbles: true }));",
                vec![
                    serde_json::to_value(&input).unwrap(),
                    json!(bytes),
                    json!(name),
                ],
            )
            .await
            .unwrap();
    }

    /// Whether the picture `css` loaded (decoded with a width), from the `rimg:` scheme.
    pub(super) async fn picture_loaded(&self, css: &str) -> bool {
        let img = self.find(css).await;
        for _ in 0..50 {
            let w = self
                .client
                .execute(
                    "return arguments[0].complete ? arguments[0].naturalWidth : -1;",
                    vec![serde_json::to_value(&img).unwrap()],
                )
                .await
                .unwrap();
            if w.as_i64().unwrap_or(-1) > 0 {
                return true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        false
    }
}

fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// A manager files the demo tea under a new category with a picture (a text file
/// chosen by mistake is refused first), then writes a promo in English and Russian,
/// previews its Markdown, publishes it and checks what customers of each language see.
#[tokio::test(flavor = "current_thread")]
async fn a_manager_adds_a_category_a_picture_and_a_promo_in_two_languages() {
    let _one = SERIAL.lock().await;
    let mut s = Session::start("b1-back-office").await;
    s.create_demo().await;
    s.login(MANAGER.0, MANAGER.1, MANAGER.2).await;

    // Categories: one at the top, one under it.
    s.click("[data-test=nav-catalog]").await;
    s.click("[data-test=tab-categories]").await;
    s.click("[data-test=new-category]").await;
    s.type_into("[data-test=c-name-en]", "Hot drinks").await;
    s.type_into("[data-test=c-name-ru]", "Горячие напитки")
        .await;
    s.click("[data-test=save-category]").await;
    s.text_with(
        "[data-test=category-row][data-name='Hot drinks']",
        "Hot drinks",
    )
    .await;
    s.click("[data-test=new-category]").await;
    s.type_into("[data-test=c-name-en]", "Tea").await;
    s.find("[data-test=c-parent]")
        .await
        .select_by_label("Hot drinks")
        .await
        .unwrap();
    s.click("[data-test=save-category]").await;
    s.text_with("tr.child[data-test=category-row]", "Tea").await;
    s.shot("categories").await;

    // The product: a text file is refused with a sentence; a photo is kept and shown.
    s.click("[data-test=tab-products]").await;
    s.type_into("[data-test=catalog-search]", "DEMO-001\u{E007}")
        .await;
    s.select_product("DEMO-001").await;
    s.click("[data-test=edit-product]").await;
    s.choose_file(
        "[data-test=f-image]",
        "prices.csv",
        b"sku,price\nDEMO-001,2.49\n",
    )
    .await;
    s.text_with("[data-test=err-image]", "not a PNG, JPEG or WebP")
        .await;
    s.shot("not-a-picture").await;
    s.choose_file("[data-test=f-image]", "tea.png", &png(1200, 900))
        .await;
    assert!(
        s.picture_loaded("[data-test=f-image-preview]").await,
        "the preview shows"
    );
    s.find("[data-test=f-category]")
        .await
        .select_by_label("Hot drinks › Tea")
        .await
        .unwrap();
    s.type_into("[data-test=f-desc-ru]", "Классический чёрный чай")
        .await;
    s.click("[data-test=save-product]").await;
    assert!(
        s.picture_loaded("[data-test=detail-image]").await,
        "the saved product shows its picture"
    );
    s.text_with(
        "[data-test=product-row][data-sku='DEMO-001']",
        "Tea Classic",
    )
    .await;
    s.shot("picture-saved").await;

    // A promo in two languages, previewed, then published.
    s.click("[data-test=nav-content]").await;
    s.click("[data-test=new-content]").await;
    s.type_into("[data-test=ct-slug]", "Winter Tea").await;
    s.type_into("[data-test=ct-title-en]", "Winter tea week")
        .await;
    s.type_into("[data-test=ct-excerpt-en]", "Every tea 10 % off")
        .await;
    s.type_into(
        "[data-test=ct-body-en]",
        "**All week** <script>alert(1)</script>",
    )
    .await;
    s.type_into("[data-test=ct-title-ru]", "Неделя зимнего чая")
        .await;
    s.click("[data-test=save-content]").await;
    // The slug was not one: said beside it, nothing saved.
    s.text_with("[data-test=err-slug]", "Lower-case letters")
        .await;
    s.type_into("[data-test=ct-slug]", "winter-tea").await;
    s.click("[data-test=ct-preview-en]").await;
    let preview = s.find("[data-test=ct-preview]").await;
    assert_eq!(
        preview
            .find(Locator::Css("strong"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "All week"
    );
    assert!(
        preview.find(Locator::Css("script")).await.is_err(),
        "no script in the preview"
    );
    s.shot("promo-preview").await;
    s.click("[data-test=save-content]").await;
    s.click("[data-test=content-row][data-slug=winter-tea] td")
        .await;
    s.click("[data-test=publish-content]").await;
    s.text_with("[data-test=detail-content-status]", "Published")
        .await;
    s.text_with(
        "[data-test=shown-content][data-slug=winter-tea]",
        "Winter tea week",
    )
    .await;
    s.click("[data-test=shown-ru]").await;
    s.text_with(
        "[data-test=shown-content][data-slug=winter-tea]",
        "Неделя зимнего чая",
    )
    .await;
    s.shot("promo-in-russian").await;
    s.finish().await;
}
