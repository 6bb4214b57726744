//! Headless operations subcommands of the `rustok-edge` binary. They work on the
//! device database directly: whoever can run them can read the data folder anyway,
//! so a PIN would protect nothing here.

use crate::config::file::DeviceConfig;
use crate::config::hub::{ConfigHub, FileState};
use crate::config::Paths;
use rustok_core::store::{Store, SCHEMA_VERSION};
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

/// How to call the binary.
pub const USAGE: &str =
    "usage: rustok-edge [--data-dir DIR] [--config FILE] [--demo] [--kiosk] [COMMAND]

  (no command)            start the app (--demo: with the demo shop if there is no shop yet;
                          --kiosk, or RUSTOK_KIOSK=1: as a self-service kiosk, full screen,
                          left only with a manager's PIN)
  status                  show the device, the shop and the outbox
  doctor                  check the database, the outbox, the pictures and the search index
                          against the database; exit 1 if anything is wrong
  reindex                 rebuild the search index from the database, with progress (with the
                          app closed)
  backup FILE             write a consistent copy of the database to FILE
  import FILE             import products from a CSV file (columns: sku, barcode, title_en,
                          title_ru, description_en, description_ru, price, tax, status,
                          category, stock), with progress; every row not imported is listed
                          with its line and why (exit 1 if any); importing it again changes
                          nothing
  export-unsynced FILE    write every unsynced event as JSON lines to FILE (- for stdout)
  enrol [--url URL] --code CODE
                          connect this device's shop to a central server with a one-time code
                          (--url defaults to central.url in the config file)
  join [--url URL] --code CODE [--till CODE]
                          make an empty data folder a till of a chain at a central server
                          (the code names the chain and the store) and take its catalog
  sync                    push every pending event to the central server now, take what
                          head office and the other tills changed, and send and fetch
                          product pictures
  demo                    create the demo shop in an empty data folder
  config-example          print the config file's commented example (every setting, its default)
  help                    show this text (also --help); --version shows the version

The data folder is --data-dir, else $RUSTOK_DATA_DIR, else the platform data folder.
The config file is --config, else $RUSTOK_CONFIG, else config.toml in a data folder named
by --data-dir or $RUSTOK_DATA_DIR, else the platform config folder; `status` shows it.";

/// A parsed command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Args {
    /// `--data-dir`.
    pub data_dir: Option<PathBuf>,
    /// `--config`.
    pub config: Option<PathBuf>,
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
    /// Print the version.
    Version,
    /// Show the state.
    Status,
    /// Check the database.
    Doctor,
    /// Rebuild the search index.
    Reindex,
    /// Back up to a file.
    Backup(PathBuf),
    /// Import products from a CSV file.
    Import(PathBuf),
    /// Export unsynced events (`None` for stdout).
    ExportUnsynced(Option<PathBuf>),
    /// Create the demo shop.
    Demo,
    /// Print the config file's example.
    ConfigExample,
    /// Redeem an enrolment code at a central server.
    Enrol {
        /// Central's base URL (none: the config's `central.url`).
        url: Option<String>,
        /// The one-time code.
        code: String,
    },
    /// Join a chain at central from an empty data folder.
    Join {
        /// Central's base URL (none: the config's `central.url`).
        url: Option<String>,
        /// The one-time code.
        code: String,
        /// This till's code (order-number prefix).
        till: String,
    },
    /// Push pending events now, then pull.
    Sync,
}

/// Parses the arguments after the program name.
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Args, String> {
    let mut data_dir = None;
    let mut config = None;
    let mut demo = false;
    let mut kiosk = false;
    let mut url = None;
    let mut code = None;
    let mut till = None;
    let mut words: Vec<String> = Vec::new();
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        let text = arg.to_string_lossy().into_owned();
        if text == "--data-dir" {
            data_dir = Some(PathBuf::from(it.next().ok_or("--data-dir needs a folder")?));
        } else if let Some(v) = text.strip_prefix("--data-dir=") {
            data_dir = Some(PathBuf::from(v));
        } else if text == "--config" {
            config = Some(PathBuf::from(it.next().ok_or("--config needs a file")?));
        } else if let Some(v) = text.strip_prefix("--config=") {
            config = Some(PathBuf::from(v));
        } else if text == "--url" {
            url = Some(value(it.next(), "--url needs an address")?);
        } else if text == "--code" {
            code = Some(value(it.next(), "--code needs the enrolment code")?);
        } else if text == "--till" {
            till = Some(value(it.next(), "--till needs the till's code, e.g. POS2")?);
        } else if text == "--demo" {
            demo = true;
        } else if text == "--kiosk" {
            kiosk = true;
        } else if text == "-V" || text == "--version" {
            return Ok(Args {
                data_dir,
                config,
                demo,
                kiosk,
                command: Command::Version,
            });
        } else if text == "-h" || text == "--help" {
            // `rustok-edge enrol --help` asks for the usage, like `--help` alone.
            return Ok(Args {
                data_dir,
                config,
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
        ["reindex"] => Command::Reindex,
        ["demo"] => Command::Demo,
        ["config-example"] => Command::ConfigExample,
        ["sync"] => Command::Sync,
        ["enrol"] => match code.take() {
            Some(code) => Command::Enrol {
                url: url.take(),
                code,
            },
            None => return Err("enrol needs --code CODE".into()),
        },
        ["join"] => match code.take() {
            Some(code) => Command::Join {
                url: url.take(),
                code,
                till: till.take().unwrap_or_else(|| "POS2".to_owned()),
            },
            None => return Err("join needs --code CODE".into()),
        },
        ["backup", file] => Command::Backup(PathBuf::from(file)),
        ["import", file] => Command::Import(PathBuf::from(file)),
        ["export-unsynced", "-"] => Command::ExportUnsynced(None),
        ["export-unsynced", file] => Command::ExportUnsynced(Some(PathBuf::from(file))),
        ["backup"] | ["export-unsynced"] | ["import"] => {
            return Err(format!("{} needs a FILE", words[0]))
        }
        other => return Err(format!("unknown command: {}", other.join(" "))),
    };
    if url.is_some() || code.is_some() {
        return Err("--url and --code belong to enrol and join".into());
    }
    if till.is_some() {
        return Err("--till belongs to join".into());
    }
    Ok(Args {
        data_dir,
        config,
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
            "no database at {}: set a shop up by starting the app, or with `demo` or `join`",
            db.display()
        ));
    }
    Store::open(&db).map_err(|e| {
        let text = e.to_string();
        let damaged = ["malformed", "not a database", "corrupt"]
            .iter()
            .any(|w| text.contains(w));
        if damaged {
            format!(
                "cannot open {}: {e}. The database file is damaged: restore the latest backup (made with `backup`) into the data folder",
                db.display()
            )
        } else {
            format!("cannot open {}: {e}", db.display())
        }
    })
}

/// Runs a subcommand; prints results to stdout and problems to stderr.
pub fn run(command: Command, paths: &Paths, config: &ConfigHub) -> ExitCode {
    match execute(command, paths, config) {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}

#[allow(clippy::print_stdout)]
fn execute(command: Command, paths: &Paths, hub: &ConfigHub) -> Result<ExitCode, String> {
    let config = hub.config();
    match command {
        Command::Gui | Command::Help | Command::Version | Command::ConfigExample => {
            Ok(ExitCode::SUCCESS)
        }
        Command::Status => {
            let store = open(paths)?;
            let device = store
                .read(rustok_core::store::device_identity)
                .map_err(|e| e.to_string())?;
            let outbox = store.outbox_status().map_err(|e| e.to_string())?;
            println!("data folder:    {}", paths.data_dir.display());
            print_config(hub);
            println!("schema version: {SCHEMA_VERSION}");
            match &device {
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
            if let Some(d) = device {
                if let Some(t) = store
                    .read(|c| rustok_core::store::tenant(c, d.tenant_id))
                    .map_err(|e| e.to_string())?
                {
                    println!("shop:           {} ({})", t.settings.name, t.slug);
                }
            }
            match rustok_sync::credentials::Credentials::load(&paths.sync_credentials()) {
                Ok(Some(c)) => {
                    let place = c.store.as_ref().map_or(String::new(), |s| {
                        format!(", store {} ({})", s.name, s.code)
                    });
                    println!(
                        "central:        {} as {}{place}",
                        c.central_url, c.tenant_slug
                    );
                    let pull = store.pull_state().map_err(|e| e.to_string())?;
                    let when = pull.pulled_at_ms.map_or("never".to_owned(), |ms| {
                        rustok_core::domain::clock::Timestamp::from_unix_millis(ms).to_rfc3339()
                    });
                    println!(
                        "changes taken:  {} of {} (last {when}), {} set aside",
                        pull.cursor, pull.head, pull.set_aside
                    );
                    if let Some(ms) = pull.clock_skew_ms {
                        println!("clock:          {:+} s against central's", ms / 1000);
                    }
                    if let Some(e) = pull.error {
                        println!("last problem:   {e}");
                    }
                    let pictures = store.image_transfers().map_err(|e| e.to_string())?;
                    match pictures.last_error {
                        Some(e) if pictures.waiting > 0 => println!(
                            "pictures:       {} waiting (last problem: {e})",
                            pictures.waiting
                        ),
                        _ => println!("pictures:       {} waiting", pictures.waiting),
                    }
                }
                Ok(None) => println!("central:        not connected (standalone)"),
                Err(e) => println!("central:        credentials unreadable: {e}"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Doctor => {
            let store = open(paths)?;
            let report = store.doctor().map_err(|e| e.to_string())?;
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
            let damaged = check_pictures(&store, paths)?;
            let config_wrong = print_config(hub);
            let index = rustok_core::index::Index::inspect(&paths.index(), &store)
                .map_err(|e| format!("cannot check the search index: {e}"))?;
            println!("search index:     {index}");
            if report.is_clean() && damaged == 0 && !index.is_damaged() && !config_wrong {
                println!("clean");
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!("problems found");
                Ok(ExitCode::FAILURE)
            }
        }
        Command::Import(file) => {
            let shop = shop_on(std::sync::Arc::new(open(paths)?));
            let (actor, name) = shop
                .operations_actor()
                .map_err(|e| format!("cannot import: {e}"))?;
            let input = std::fs::File::open(&file)
                .map_err(|e| format!("cannot open {}: {e}", file.display()))?;
            let size = input.metadata().ok().map(|m| m.len());
            println!("importing {} as {name}", file.display());
            let report = shop
                .import_catalog(
                    &actor,
                    input,
                    size,
                    &mut |p| match p.total_bytes.filter(|t| *t > 0) {
                        Some(t) => println!(
                            "{} rows read ({} %)",
                            p.rows,
                            p.bytes.saturating_mul(100) / t
                        ),
                        None => println!("{} rows read", p.rows),
                    },
                    &std::sync::atomic::AtomicBool::new(false),
                )
                .map_err(|e| format!("{} was not imported: {e}", file.display()))?;
            tracing::info!(
                file = %file.display(),
                rows = report.rows,
                created = report.created,
                updated = report.updated,
                rejected = report.rejected.len(),
                "catalog imported from the command line"
            );
            print_import(&report);
            Ok(if report.rejected.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Reindex => {
            let store = open(paths)?;
            let mut shown = None;
            let documents = rustok_core::index::Index::reindex(
                &paths.index(),
                &store,
                &mut |p: rustok_core::index::RebuildProgress| {
                    if shown != Some(p.done) {
                        println!("indexing: {} of {} documents", p.done, p.total);
                        shown = Some(p.done);
                    }
                },
            )
            .map_err(|e| match e {
                rustok_core::index::IndexError::Locked(_) => {
                    "the app is running and has the index open; close it first (it rebuilds a damaged index itself when it starts)".to_owned()
                }
                e => format!("rebuilding the index failed: {e}"),
            })?;
            println!("search index rebuilt: {documents} documents");
            Ok(ExitCode::SUCCESS)
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
            let url = central_url(url, &config)?;
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
                &crate::config::sync_config(None, &config),
                &paths.sync_credentials(),
            ));
            let outbox = store.outbox_status().map_err(|e| e.to_string())?;
            let acked = pushed.map_err(|e| {
                format!("sync failed ({} events still pending): {e}", outbox.pending)
            })?;
            println!("{acked} events synced; {} pending", outbox.pending);
            let taken = runtime()?
                .block_on(pull_all(store, paths, &config))
                .map_err(|e| format!("taking changes failed: {e}"))?;
            println!("{taken}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Join { url, code, till } => {
            let url = central_url(url, &config)?;
            std::fs::create_dir_all(&paths.data_dir)
                .map_err(|e| format!("cannot create {}: {e}", paths.data_dir.display()))?;
            let store =
                std::sync::Arc::new(Store::open(&paths.database()).map_err(|e| e.to_string())?);
            let till = rustok_core::domain::device::DeviceCode::parse(&till)
                .map_err(|e| format!("--till: {}", e.message))?;
            let shop = shop_on(store.clone());
            let rt = runtime()?;
            let creds = rt
                .block_on(rustok_sync::agent::join_and_save(
                    &url,
                    &code,
                    &shop,
                    till,
                    crate::config::APP_VERSION,
                    rustok_sync::client::DEFAULT_TIMEOUT,
                    &paths.sync_credentials(),
                ))
                .map_err(|e| format!("joining failed: {e}"))?;
            println!(
                "joined {} at {} (device {}); credentials in {}",
                creds.tenant_slug,
                creds.central_url,
                creds.device_id,
                paths.sync_credentials().display()
            );
            let taken = rt.block_on(pull_all(store, paths, &config)).map_err(|e| {
                format!("taking the chain's records failed (run `sync` again): {e}")
            })?;
            println!("{taken}");
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

/// The config file, its problems, and every setting not at its default with where
/// it came from. Returns whether anything is wrong.
#[allow(clippy::print_stdout)] // Part of `status` and `doctor`, on the terminal.
fn print_config(hub: &ConfigHub) -> bool {
    let loaded = hub.loaded();
    let file = match loaded.file {
        FileState::Missing => " (none: defaults)",
        FileState::Used => "",
        FileState::Refused => " (refused: the defaults and environment in use)",
    };
    println!("config file:    {}{file}", hub.path().display());
    for p in &loaded.problems {
        if p.line.is_none() && p.code == crate::config::file::ProblemCode::BadValue {
            println!("config problem: environment {p} (ignored)");
        } else {
            println!("config problem: {p}");
        }
    }
    for v in loaded.resolved.shown() {
        if v.source != crate::config::file::Source::Default {
            let from = match v.source {
                crate::config::file::Source::File => "the file",
                crate::config::file::Source::Env => "environment",
                crate::config::file::Source::Flag => "command line",
                crate::config::file::Source::Default => "default",
            };
            println!(
                "setting:        {} = {} ({from})",
                v.key,
                v.value.as_deref().unwrap_or("\"\"")
            );
        }
    }
    !loaded.problems.is_empty()
}

/// What an import did, and every row it did not import with its line and why.
#[allow(clippy::print_stdout)]
fn print_import(r: &rustok_core::service::ImportReport) {
    println!(
        "{} rows: {} products created, {} changed, {} already as in the file, {} not imported",
        r.rows,
        r.created,
        r.updated,
        r.unchanged,
        r.rejected.len()
    );
    if r.cancelled {
        println!("cancelled: the rows after the last whole batch were not imported");
    }
    for row in &r.rejected {
        let sku = row
            .sku
            .as_ref()
            .map_or(String::new(), |s| format!(" ({s})"));
        let why: Vec<String> = row
            .errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect();
        println!("line {}{sku}: {}", row.line, why.join("; "));
    }
}

/// Checks every picture a product names against its file: missing ones and
/// damaged ones (bytes no longer the digest's) are noted to be fetched at the next
/// sync. Returns how many were damaged.
#[allow(clippy::print_stdout)] // Part of `doctor`'s report, on the terminal.
fn check_pictures(store: &Store, paths: &Paths) -> Result<usize, String> {
    let images = rustok_core::store::ImageStore::open(&paths.images())
        .map_err(|e| format!("cannot open {}: {e}", paths.images().display()))?;
    let named = store.product_images().map_err(|e| e.to_string())?;
    let (mut missing, mut damaged) = (Vec::new(), Vec::new());
    for d in named.iter() {
        if images.holds(d).map_err(|e| e.to_string())? {
            continue;
        }
        if images.path(d).is_file() {
            damaged.push(d.clone());
        } else {
            missing.push(d.clone());
        }
    }
    let again: Vec<_> = missing.iter().chain(&damaged).cloned().collect();
    if !again.is_empty() {
        store.want_images(&again).map_err(|e| e.to_string())?;
    }
    println!(
        "pictures:         {} named, {} missing, {} damaged{}",
        named.len(),
        missing.len(),
        damaged.len(),
        if again.is_empty() {
            ""
        } else {
            " (fetched again at the next sync)"
        }
    );
    for d in &damaged {
        println!("  damaged: {}", images.path(d).display());
    }
    Ok(damaged.len())
}

fn shop_on(store: std::sync::Arc<Store>) -> rustok_core::service::Shop {
    rustok_core::service::Shop::new(
        store,
        std::sync::Arc::new(rustok_core::system::SystemClock),
        std::sync::Arc::new(rustok_core::system::OsEntropy),
    )
}

/// Takes everything head office and the other tills changed, page by page; says
/// what it took.
async fn pull_all(
    store: std::sync::Arc<Store>,
    paths: &Paths,
    config: &DeviceConfig,
) -> Result<String, String> {
    let config = crate::config::sync_config(None, config);
    let creds = config
        .credentials(&paths.sync_credentials())
        .map_err(|e| e.to_string())?
        .ok_or("this device is not connected to a central server")?;
    let shop = std::sync::Arc::new(shop_on(store));
    let images = rustok_core::store::ImageStore::open(&paths.images())
        .map_err(|e| format!("cannot open {}: {e}", paths.images().display()))?;
    shop.attach_images(images);
    let clock: std::sync::Arc<dyn rustok_core::domain::clock::Clock> =
        std::sync::Arc::new(rustok_core::system::SystemClock);
    let puller = rustok_sync::pull::Puller::new(
        shop.clone(),
        creds.clone(),
        clock.clone(),
        config.timeout,
        config.pull_wait,
    )
    .map_err(|e| e.to_string())?;
    let p = puller.pull_all().await.map_err(|e| e.to_string())?;
    let client = rustok_sync::client::Client::new(creds, clock.clone(), config.timeout)
        .map_err(|e| e.to_string())?;
    let pictures = rustok_sync::images::Pictures::new(shop.clone(), client, clock)
        .exchange()
        .await;
    let waiting = shop.store().image_transfers().map_err(|e| e.to_string())?;
    let pictures = match pictures {
        Ok(x) => format!(
            "pictures: {} sent, {} fetched, {} waiting",
            x.sent, x.fetched, waiting.waiting
        ),
        Err(e) => format!("pictures: {} waiting ({e})", waiting.waiting),
    };
    Ok(format!(
        "{} changes taken ({} set aside); at {} of {}\n{pictures}",
        p.applied, p.set_aside, p.cursor, p.head
    ))
}

/// `--url`, else the config's `central.url`.
fn central_url(flag: Option<String>, config: &DeviceConfig) -> Result<String, String> {
    flag.or_else(|| config.central_url.clone())
        .ok_or_else(|| "give --url URL (or set central.url in the config file)".to_owned())
}

/// A small runtime for the subcommands that talk to central.
fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the network runtime: {e}"))
}
