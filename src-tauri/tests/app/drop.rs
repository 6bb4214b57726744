//! The drop folder on a real folder and database: a file copied in slowly is
//! taken only once whole, imported, and moved to done/ with a report in the
//! device's language; a file refused as a whole goes to failed/; other files are
//! left alone.

use rustok_app::config::file::Language;
use rustok_core::domain::product::Sku;
use rustok_core::service::Shop;
use rustok_core::store::Store;
use rustok_core::system::{OsEntropy, SystemClock};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    out.sort();
    out
}

fn wait_for(dir: &Path, n: usize) -> Vec<PathBuf> {
    let start = Instant::now();
    loop {
        let found = files(dir);
        if found.len() >= n {
            return found;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{}: {found:?}",
            dir.display()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_dropped_file_is_imported_once_whole_and_moved_with_its_report() {
    let dir = tempfile::tempdir().unwrap();
    crate::cli::demo(dir.path());
    let shop = Arc::new(Shop::new(
        Arc::new(Store::open(&dir.path().join("shop.db")).unwrap()),
        Arc::new(SystemClock),
        Arc::new(OsEntropy),
    ));
    let folder = dir.path().join("drop");
    let _watch = rustok_app::drop::watch(&folder, shop.clone(), || Language::Ru).unwrap();
    std::fs::write(folder.join("notes.txt"), "not a catalog").unwrap();

    // Copied in two parts, 600 ms apart: the second part must be imported too.
    let file = folder.join("prices.csv");
    std::fs::write(&file, "sku,title_en,price,tax\nDROP-1,Dropped,1.00,20\n").unwrap();
    std::thread::sleep(Duration::from_millis(600));
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&file)
        .unwrap();
    std::io::Write::write_all(
        &mut f,
        b"DROP-2,Bad price,-1,20\nDROP-3,Also here,2.00,20\n",
    )
    .unwrap();
    drop(f);
    let done = wait_for(&folder.join("done"), 2);
    assert!(!file.exists(), "moved away");
    let report = done
        .iter()
        .find(|p| p.to_string_lossy().ends_with("prices.csv.report.txt"))
        .unwrap();
    let text = std::fs::read_to_string(report).unwrap();
    assert!(text.contains("Импорт файла prices.csv"), "{text}");
    assert!(text.contains("Добавлено товаров: 2"), "{text}");
    assert!(text.contains("Строка 3 (DROP-2), price: "), "{text}");
    let admin = shop.operations_actor().unwrap().0;
    for sku in ["DROP-1", "DROP-3"] {
        shop.product_by_sku(&admin, &Sku::parse(sku).unwrap())
            .unwrap();
    }
    assert!(shop
        .product_by_sku(&admin, &Sku::parse("DROP-2").unwrap())
        .is_err());

    // Refused as a whole: failed/, with why.
    std::fs::write(folder.join("bogus.csv"), "titel;price\nx;1\n").unwrap();
    let failed = wait_for(&folder.join("failed"), 2);
    let why = std::fs::read_to_string(
        failed
            .iter()
            .find(|p| p.to_string_lossy().ends_with(".report.txt"))
            .unwrap(),
    )
    .unwrap();
    assert!(why.contains("Этот файл не импортирован"), "{why}");
    assert!(why.contains("«titel» — такого столбца"), "{why}");
    assert!(
        folder.join("notes.txt").exists(),
        "other files are left alone"
    );
}
