//! Embeds the head-office console (`ui/console-dist`, built by `make ui`) in the
//! binary: central serves it at `/console` with nothing read from disk at run time.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            files(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let dist = manifest.join("../ui/console-dist");
    println!("cargo:rerun-if-changed={}", dist.display());
    let mut found = Vec::new();
    if files(&dist, &mut found).is_err() || found.is_empty() {
        println!(
            "cargo:warning=the console is not built ({} is missing): run `make ui`; /console answers 503 until then",
            dist.display()
        );
    }
    found.sort();
    let mut code = String::from("/// The console's files: path under `/console/`, bytes.\npub(super) static ASSETS: &[(&str, &[u8])] = &[\n");
    for path in &found {
        let Ok(rel) = path.strip_prefix(&dist) else {
            continue;
        };
        let rel = rel.to_string_lossy().replace('\\', "/");
        let _ = writeln!(
            code,
            "    ({rel:?}, include_bytes!({:?})),",
            path.display().to_string()
        );
    }
    code.push_str("];\n");
    let out =
        PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default()).join("console_assets.rs");
    if let Err(e) = std::fs::write(&out, code) {
        panic!("cannot write {}: {e}", out.display());
    }
}
