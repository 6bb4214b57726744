//! Headless operations subcommands of the `rustok-edge` binary. They work on the
//! device database directly: whoever can run them can read the data folder anyway,
//! so a PIN would protect nothing here.

use crate::config::Paths;
use rustok_core::store::{Store, SCHEMA_VERSION};
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

/// How to call the binary.
pub const USAGE: &str = "usage: rustok-edge [--data-dir DIR] [--demo] [--kiosk] [COMMAND]

  (no command)            start the app (--demo: with the demo shop if there is no shop yet;
                          --kiosk, or RUSTOK_KIOSK=1: as a self-service kiosk, full screen,
                          left only with a manager's PIN)
  status                  show the device, the shop and the outbox
  doctor                  check the database and the outbox; exit 1 if anything is wrong
  backup FILE             write a consistent copy of the database to FILE
  export-unsynced FILE    write every unsynced event as JSON lines to FILE (- for stdout)
  enrol --url URL --code CODE
                          connect this device to a central server with a one-time code
  sync                    push every pending event to the central server now
  demo                    create the demo shop in an empty data folder
  help                    show this text

The data folder is --data-dir, else $RUSTOK_DATA_DIR, else the platform data folder.";

/// A parsed command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Args {
    /// `--data-dir`.
    pub data_dir: Option<PathBuf>,
    /// `--demo`: start with the demo shop when the device has no shop.
    pub demo: bool,
    /// `--kiosk`: run the window as a self-service kiosk.
    pub kiosk: bool,
    /// What to do.
    pub command: Command,
}

/// What to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Start the app.
    Gui,
    /// Print the usage.
    Help,
    /// Show the state.
    Status,
    /// Check the database.
    Doctor,
    /// Back up to a file.
    Backup(PathBuf),
    /// Export unsynced events (`None` for stdout).
    ExportUnsynced(Option<PathBuf>),
    /// Create the demo shop.
    Demo,
    /// Redeem an enrolment code at a central server.
    Enrol {
        /// Central's base URL.
        url: String,
        /// The one-time code.
        code: String,
    },
    /// Push pending events now.
    Sync,
}

/// Parses the arguments after the program name.
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Args, String> {
    let mut data_dir = None;
    let mut demo = false;
    let mut kiosk = false;
    let mut url = None;
    let mut code = None;
    let mut words: Vec<String> = Vec::new();
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        let text = arg.to_string_lossy().into_owned();
        if text == "--data-dir" {
            data_dir = Some(PathBuf::from(it.next().ok_or("--data-dir needs a folder")?));
        } else if let Some(v) = text.strip_prefix("--data-dir=") {
            data_dir = Some(PathBuf::from(v));
        } else if text == "--url" {
            url = Some(value(it.next(), "--url needs an address")?);
        } else if text == "--code" {
            code = Some(value(it.next(), "--code needs the enrolment code")?);
        } else if text == "--demo" {
            demo = true;
        } else if text == "--kiosk" {
            kiosk = true;
        } else if text == "-h" || text == "--help" {
            // `rustok-edge enrol --help` asks for the usage, like `--help` alone.
            return Ok(Args {
                data_dir,
                demo,
                kiosk,
                command: Command::Help,
            });
        } else if text.starts_with('-') && text != "-" {
            return Err(format!("unknown option {text}"));
        } else {
            words.push(text);
        }
    }
    let command = match words
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] => Command::Gui,
        ["help"] => Command::Help,
        ["status"] => Command::Status,
        ["doctor"] => Command::Doctor,
        ["demo"] => Command::Demo,
        ["sync"] => Command::Sync,
        ["enrol"] => match (url.take(), code.take()) {
            (Some(url), Some(code)) => Command::Enrol { url, code },
            _ => return Err("enrol needs --url URL and --code CODE".into()),
        },
        ["backup", file] => Command::Backup(PathBuf::from(file)),
        ["export-unsynced", "-"] => Command::ExportUnsynced(None),
        ["export-unsynced", file] => Command::ExportUnsynced(Some(PathBuf::from(file))),
        ["backup"] | ["export-unsynced"] => return Err(format!("{} needs a FILE", words[0])),
        other => return Err(format!("unknown command: {}", other.join(" "))),
    };
    if url.is_some() || code.is_some() {
        return Err("--url and --code belong to enrol".into());
    }
    Ok(Args {
        data_dir,
        demo,
        kiosk,
        command,
    })
}

fn value(arg: Option<OsString>, missing: &str) -> Result<String, String> {
    arg.map(|a| a.to_string_lossy().into_owned())
        .filter(|v| !v.starts_with("--"))
        .ok_or_else(|| missing.to_owned())
}

fn open(paths: &Paths) -> Result<Store, String> {
    let db = paths.database();
    if !db.exists() {
        return Err(format!(
            "no database at {}; start the app once to create it",
            db.display()
        ));
    }
    Store::open(&db).map_err(|e| format!("cannot open {}: {e}", db.display()))
}

/// Runs a subcommand; prints results to stdout and problems to stderr.
pub fn run(command: Command, paths: &Paths) -> ExitCode {
    match execute(command, paths) {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}

#[allow(clippy::print_stdout)]
fn execute(command: Command, paths: &Paths) -> Result<ExitCode, String> {
    match command {
        Command::Gui | Command::Help => Ok(ExitCode::SUCCESS),
        Command::Status => {
            let store = open(paths)?;
            let device = store
                .read(rustok_core::store::device_identity)
                .map_err(|e| e.to_string())?;
            let outbox = store.outbox_status().map_err(|e| e.to_string())?;
            println!("data folder:    {}", paths.data_dir.display());
            println!("schema version: {SCHEMA_VERSION}");
            match device {
                Some(d) => println!("device:         {} ({})", d.device_code, d.device_id),
                None => println!("device:         not set up"),
            }
            println!(
                "events:         {} written, {} pending",
                outbox.last_seq, outbox.pending
            );
            if let Some(t) = outbox.oldest_pending {
                println!("oldest pending: {t}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Doctor => {
            let report = open(paths)?.doctor().map_err(|e| e.to_string())?;
            println!(
                "integrity:        {}",
                if report.integrity.is_empty() {
                    "ok".to_owned()
                } else {
                    report.integrity.join("; ")
                }
            );
            println!(
                "foreign keys:     {} violations",
                report.foreign_key_violations
            );
            println!("outbox gaps:      {:?}", report.seq_gaps);
            println!(
                "last seq:         {}",
                report
                    .last_seq_mismatch
                    .map_or("ok".to_owned(), |(d, l)| format!(
                        "{d} given out, log ends at {l}"
                    ))
            );
            println!(
                "order histories:  {}",
                if report.history_missing.is_empty() {
                    "ok".to_owned()
                } else {
                    format!("events missing for {}", report.history_missing.join(", "))
                }
            );
            println!("stock mismatches: {:?}", report.stock_mismatches);
            println!(
                "events:           {} ({} pending)",
                report.events, report.pending
            );
            if report.is_clean() {
                println!("clean");
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!("problems found");
                Ok(ExitCode::FAILURE)
            }
        }
        Command::Demo => {
            std::fs::create_dir_all(&paths.data_dir)
                .map_err(|e| format!("cannot create {}: {e}", paths.data_dir.display()))?;
            let store = Store::open(&paths.database()).map_err(|e| e.to_string())?;
            let shop = rustok_core::service::Shop::new(
                std::sync::Arc::new(store),
                std::sync::Arc::new(rustok_core::system::SystemClock),
                std::sync::Arc::new(rustok_core::system::OsEntropy),
            );
            let images = rustok_core::store::ImageStore::open(&paths.images())
                .map_err(|e| format!("cannot open {}: {e}", paths.images().display()))?;
            shop.attach_images(images);
            crate::demo::create(&shop).map_err(|e| format!("cannot create the demo shop: {e}"))?;
            println!("demo shop created in {}", paths.data_dir.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Enrol { url, code } => {
            let store = open(paths)?;
            let identity = store
                .read(rustok_core::store::device_identity)
                .map_err(|e| e.to_string())?
                .ok_or("this device has no shop yet; create it first (e.g. `rustok-edge demo`)")?;
            let creds = runtime()?
                .block_on(rustok_sync::agent::enrol_and_save(
                    &url,
                    &code,
                    &identity,
                    crate::config::APP_VERSION,
                    rustok_sync::client::DEFAULT_TIMEOUT,
                    &paths.sync_credentials(),
                ))
                .map_err(|e| format!("enrolment failed: {e}"))?;
            println!(
                "enrolled with {} as {} (device {}); credentials in {}",
                creds.central_url,
                creds.tenant_slug,
                creds.device_id,
                paths.sync_credentials().display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Sync => {
            let store = std::sync::Arc::new(open(paths)?);
            let pushed = runtime()?.block_on(rustok_sync::agent::sync_once(
                store.clone(),
                std::sync::Arc::new(rustok_core::system::SystemClock),
                &crate::config::sync_config(),
                &paths.sync_credentials(),
            ));
            let outbox = store.outbox_status().map_err(|e| e.to_string())?;
            let acked = pushed.map_err(|e| {
                format!("sync failed ({} events still pending): {e}", outbox.pending)
            })?;
            println!("{acked} events synced; {} pending", outbox.pending);
            Ok(ExitCode::SUCCESS)
        }
        Command::Backup(file) => {
            let report = open(paths)?
                .backup_to(&file)
                .map_err(|e| format!("backup to {} failed: {e}", file.display()))?;
            if let Some(bytes) = report.removed_leftover {
                println!(
                    "removed {} ({bytes} bytes), an unfinished backup left by an earlier run",
                    rustok_core::store::partial_path(&file).display()
                );
            }
            println!("backed up to {}", file.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::ExportUnsynced(file) => {
            let store = open(paths)?;
            let n = match &file {
                Some(f) => {
                    let mut out = std::io::BufWriter::new(
                        std::fs::File::create(f)
                            .map_err(|e| format!("cannot create {}: {e}", f.display()))?,
                    );
                    store.export_unsynced(&mut out).map_err(|e| e.to_string())?
                }
                None => store
                    .export_unsynced(&mut std::io::stdout().lock())
                    .map_err(|e| e.to_string())?,
            };
            eprintln!("exported {n} unsynced events");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// A small runtime for the subcommands that talk to central.
fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the network runtime: {e}"))
}
