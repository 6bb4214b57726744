//! Catalog import as a manager uses it: a price file from the ERP chosen in the
//! Catalog, a progress bar and Cancel, every bad row listed with its line and
//! column in the UI language, and the same file again changing nothing.

use super::{Session, SERIAL};

const MANAGER: (&str, &str, &str) = ("Max Manager", "Manager", "2222");
const ROWS: usize = 60_000;

/// A semicolon-separated file, as a spreadsheet in Russian saves it, with two bad
/// rows (lines 4 and 7).
fn price_file() -> Vec<u8> {
    let mut text = String::from("SKU;Title_EN;Title_RU;Price;Tax;Stock\n");
    for i in 0..ROWS {
        match i {
            2 => text.push_str("ERP-00002;Free lunch;;-1,00;20;1\n"),
            5 => text.push_str("ERP-00005;Odd tax;;1,00;twenty;1\n"),
            _ => text.push_str(&format!(
                "ERP-{i:05};Imported item {i};Товар {i};{},{:02};20;{}\n",
                1 + i % 30,
                i % 100,
                i % 9
            )),
        }
    }
    text.into_bytes()
}

#[tokio::test(flavor = "current_thread")]
async fn a_manager_imports_a_price_file_cancels_finishes_and_imports_it_again() {
    let _one = SERIAL.lock().await;
    let mut s = Session::start("i1-import").await;
    s.create_demo().await;
    s.login(MANAGER.0, MANAGER.1, MANAGER.2).await;
    s.click("[data-test=nav-catalog]").await;
    s.click("[data-test=tab-import]").await;
    let file = price_file();
    s.choose_file("[data-test=import-file]", "erp-prices.csv", &file)
        .await;
    s.shot("chosen").await;
    s.click("[data-test=import-start]").await;
    // The bar moves; Cancel stops after the batch being written.
    s.find("[data-test=import-progress]:not([data-rows='0'])")
        .await;
    s.shot("progress").await;
    s.click("[data-test=import-cancel]").await;
    s.find("[data-test=import-cancelled]").await;
    let summary = s.text_with("[data-test=import-summary]", "rows").await;
    s.shot("cancelled").await;
    assert!(
        !summary.contains(&format!("{ROWS} rows")),
        "stopped early: {summary}"
    );

    // The whole file: the rest is added, the two bad rows listed.
    s.click("[data-test=import-start]").await;
    let summary = s
        .text_with("[data-test=import-summary]", &format!("{ROWS} rows"))
        .await;
    assert!(summary.contains("2 not imported"), "{summary}");
    s.text_with(
        "[data-test=import-rejected-row][data-line='4'][data-field='price']",
        "below zero",
    )
    .await;
    s.text_with(
        "[data-test=import-rejected-row][data-line='7'][data-field='tax']",
        "percentage",
    )
    .await;
    s.shot("imported").await;
    s.click("[data-test=lang]").await;
    s.text_with(
        "[data-test=import-rejected-row][data-line='7'][data-field='tax']",
        "Процент от 0 до 100",
    )
    .await;
    s.shot("imported-russian").await;
    s.click("[data-test=lang]").await;

    // The same file again changes nothing.
    s.click("[data-test=import-start]").await;
    s.text_with(
        "[data-test=import-summary]",
        &format!(
            "0 products added, 0 changed, {} already as in the file",
            ROWS - 2
        ),
    )
    .await;
    s.shot("again-nothing").await;

    // The products are there for the counter.
    s.click("[data-test=tab-products]").await;
    s.type_into("[data-test=catalog-search]", "ERP-59999\u{E007}")
        .await;
    s.text_with(
        "[data-test=product-row][data-sku='ERP-59999']",
        "Imported item 59999",
    )
    .await;
    s.shot("found").await;
}
