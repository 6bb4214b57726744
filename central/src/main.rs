//! `rustok-central (--data-dir DIR | --database URL) --listen ADDR [--print-code TENANT]`:
//! runs the central server, on SQLite in `DIR` or on the PostgreSQL database at `URL`.
//! The admin token comes from `RUSTOK_CENTRAL_ADMIN_TOKEN`; on SQLite, when that is
//! unset, from `DIR/admin-token` (created with a random token on first start,
//! owner-only). On PostgreSQL the variable is required: several processes share the
//! database, and a token file per process would give each its own.
//! `--print-code` prints a fresh enrolment code for a tenant at start.
//! `rustok-central add-person …` adds a person who signs in to the console.

use rustok_central::{http, store, Central, Limits};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

/// Where central keeps its data.
enum Storage {
    /// SQLite in this folder (with the admin-token file).
    Sqlite(PathBuf),
    /// The PostgreSQL database at this URL.
    Postgres(String),
}

struct Args {
    storage: Storage,
    listen: String,
    print_code: Option<String>,
    public_rate: Option<f64>,
    max_pull_wait: Option<u64>,
}

const USAGE: &str = "usage: rustok-central --data-dir DIR --listen 127.0.0.1:PORT [--print-code TENANT_SLUG] [--public-rate PER_SECOND] [--max-pull-wait SECS]
       rustok-central --database postgres://… --listen 127.0.0.1:PORT [--print-code TENANT_SLUG] [--public-rate PER_SECOND] [--max-pull-wait SECS]
       rustok-central add-person …   (a person who signs in to the console at /console; add-person --help)

  --data-dir      keep the data in SQLite in DIR (DIR/central.db; created if missing)
  --database      keep it in PostgreSQL instead (postgres://user:password@host:port/database);
                  several central processes may share one database
  RUSTOK_CENTRAL_ADMIN_TOKEN
                  the admin token (16 characters or more). Required with --database
                  (give every process the same); with --data-dir, when unset, the
                  token is read from DIR/admin-token (made on first start)
  --public-rate   requests a second one address may make to the public routes
                  (enrolment, /healthz, /metrics, /openapi.json); default 10
  --max-pull-wait seconds central holds a device's pull open waiting for news
                  (0 to 30; default 30; less when a proxy cuts requests sooner)";

/// A person to add from the command line.
struct AddPerson {
    storage: Storage,
    login: String,
    name: String,
    tenant: Option<String>,
}

const ADD_PERSON_USAGE: &str = "usage: rustok-central add-person (--data-dir DIR | --database postgres://…) --login LOGIN --name NAME [--tenant TENANT_SLUG]

  Adds a person who signs in to the head-office console at /console: of one tenant
  (--tenant), or the chain operator, who sees every tenant (no --tenant). The
  password is read from RUSTOK_CONSOLE_PASSWORD, or else from the first line of
  standard input (10 to 128 characters).";

/// What the command line asks for.
enum Cli {
    Run(Args),
    AddPerson(AddPerson),
    Help,
    HelpAddPerson,
    Version,
}

/// Where the data is, from `--data-dir` or `--database`.
fn storage_of(
    data_dir: Option<PathBuf>,
    database: Option<String>,
    usage: &str,
) -> Result<Storage, String> {
    match (data_dir, database) {
        (Some(dir), None) => Ok(Storage::Sqlite(dir)),
        (None, Some(url)) => Ok(Storage::Postgres(url)),
        (Some(_), Some(_)) => Err(format!(
            "--data-dir and --database exclude each other: on PostgreSQL central keeps nothing on disk\n{usage}"
        )),
        (None, None) => Err(format!(
            "--data-dir (SQLite) or --database (PostgreSQL) is required\n{usage}"
        )),
    }
}

fn database_url(url: String) -> Result<String, String> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(url)
    } else {
        Err(format!(
            "--database takes a PostgreSQL URL (postgres://…), not '{url}'"
        ))
    }
}

fn parse_add_person(mut it: impl Iterator<Item = String>) -> Result<Cli, String> {
    let (mut data_dir, mut database, mut login, mut name, mut tenant) =
        (None, None, None, None, None);
    while let Some(a) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| format!("{a} needs a value\n{ADD_PERSON_USAGE}"))
        };
        match a.as_str() {
            "--data-dir" => data_dir = Some(PathBuf::from(value()?)),
            "--database" => database = Some(database_url(value()?)?),
            "--login" => login = Some(value()?),
            "--name" => name = Some(value()?),
            "--tenant" => tenant = Some(value()?),
            "-h" | "--help" => return Ok(Cli::HelpAddPerson),
            other => return Err(format!("unknown argument '{other}'\n{ADD_PERSON_USAGE}")),
        }
    }
    Ok(Cli::AddPerson(AddPerson {
        storage: storage_of(data_dir, database, ADD_PERSON_USAGE)?,
        login: login.ok_or_else(|| format!("--login is required\n{ADD_PERSON_USAGE}"))?,
        name: name.ok_or_else(|| format!("--name is required\n{ADD_PERSON_USAGE}"))?,
        tenant,
    }))
}

fn parse_args() -> Result<Cli, String> {
    let mut data_dir = None;
    let mut listen = None;
    let mut print_code = None;
    let mut public_rate = None;
    let mut database = None;
    let mut max_pull_wait = None;
    let mut it = std::env::args().skip(1).peekable();
    if it.peek().is_some_and(|a| a == "add-person") {
        it.next();
        return parse_add_person(it);
    }
    while let Some(a) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| format!("{a} needs a value\n{USAGE}"))
        };
        match a.as_str() {
            "--data-dir" => data_dir = Some(PathBuf::from(value()?)),
            "--listen" => listen = Some(value()?),
            "--print-code" => print_code = Some(value()?),
            "--database" => database = Some(database_url(value()?)?),
            "--public-rate" => {
                let v = value()?;
                let rate: f64 = v
                    .parse()
                    .ok()
                    .filter(|r: &f64| r.is_finite() && *r > 0.0)
                    .ok_or_else(|| format!("--public-rate needs a positive number, not '{v}'"))?;
                public_rate = Some(rate);
            }
            "--max-pull-wait" => {
                let v = value()?;
                let secs: u64 = v
                    .parse()
                    .ok()
                    .filter(|s| *s <= rustok_protocol::MAX_FEED_WAIT_SECS)
                    .ok_or_else(|| format!("--max-pull-wait takes 0 to 30 seconds, not '{v}'"))?;
                max_pull_wait = Some(secs);
            }
            "-h" | "--help" => return Ok(Cli::Help),
            "-V" | "--version" => return Ok(Cli::Version),
            other => return Err(format!("unknown argument '{other}'\n{USAGE}")),
        }
    }
    Ok(Cli::Run(Args {
        storage: storage_of(data_dir, database, USAGE)?,
        listen: listen.ok_or_else(|| format!("--listen is required\n{USAGE}"))?,
        print_code,
        public_rate,
        max_pull_wait,
    }))
}

fn admin_token(storage: &Storage) -> Result<String, String> {
    if let Ok(t) = std::env::var("RUSTOK_CENTRAL_ADMIN_TOKEN") {
        if t.len() < 16 {
            return Err("RUSTOK_CENTRAL_ADMIN_TOKEN must be at least 16 characters".into());
        }
        return Ok(t);
    }
    let dir = match storage {
        Storage::Sqlite(dir) => dir,
        Storage::Postgres(_) => {
            return Err("with --database, set RUSTOK_CENTRAL_ADMIN_TOKEN (16 characters or more), the same for every central process on that database".into())
        }
    };
    let file = dir.join("admin-token");
    if let Ok(t) = std::fs::read_to_string(&file) {
        return Ok(t.trim().to_owned());
    }
    let mut raw = [0u8; 24];
    getrandom::fill(&mut raw).map_err(|e| format!("no randomness: {e}"))?;
    let token = hex::encode(raw);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    opts.open(&file)
        .and_then(|mut f| f.write_all(token.as_bytes()))
        .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    eprintln!(
        "rustok-central: a new admin token was written to {} (owner-only)",
        file.display()
    );
    Ok(token)
}

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        // Colours on a terminal only: a log file or journal gets plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rustok-central: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

// Usage and version are this binary's own output.
#[allow(clippy::print_stdout)]
fn run() -> Result<(), String> {
    let args = match parse_args()? {
        Cli::Run(args) => args,
        Cli::AddPerson(ask) => return add_person(ask),
        Cli::Help => {
            println!("{USAGE}");
            return Ok(());
        }
        Cli::HelpAddPerson => {
            println!("{ADD_PERSON_USAGE}");
            return Ok(());
        }
        Cli::Version => {
            println!("rustok-central {}", env!("CARGO_PKG_VERSION"));
            return Ok(());
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async move {
        // On PostgreSQL the token first: a process missing it stops before touching
        // the database. On SQLite it may be a file in the folder the backend makes.
        let early = match args.storage {
            Storage::Postgres(_) => Some(admin_token(&args.storage)?),
            Storage::Sqlite(_) => None,
        };
        let backend = open(&args.storage).await?;
        let token = match early {
            Some(token) => token,
            None => admin_token(&args.storage)?,
        };
        let defaults = Limits::default();
        let limits = match args.public_rate {
            Some(rate) => Limits {
                public_rate_per_sec: rate,
                public_burst: (rate * 2.0).max(defaults.public_burst),
                ..defaults
            },
            None => defaults,
        };
        let limits = Limits {
            max_pull_wait: args
                .max_pull_wait
                .map_or(limits.max_pull_wait, std::time::Duration::from_secs),
            ..limits
        };
        let central = Arc::new(Central::new(backend, token, limits));
        if let Some(slug) = &args.print_code {
            let e = http::issue_code(
                &central,
                slug,
                central.limits.code_valid_for,
                None,
                rustok_protocol::MAIN_STORE,
            )
            .await
            .map_err(|e| format!("cannot issue a code for '{slug}': {e}"))?;
            eprintln!("enrolment code for tenant '{}': {}", e.tenant_slug, e.code);
        }
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let storage = match &args.storage {
            Storage::Postgres(url) => redacted(url),
            Storage::Sqlite(dir) => dir.join("central.db").display().to_string(),
        };
        tracing::info!(%addr, %storage, "central listening");
        eprintln!("rustok-central listening on http://{addr} (data: {storage}); head-office console at http://{addr}/console");
        rustok_central::serve(listener, central, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| e.to_string())
    })
}

/// The backend the storage names, migrated.
async fn open(storage: &Storage) -> Result<Arc<dyn store::Backend>, String> {
    Ok(match storage {
        Storage::Postgres(url) => Arc::new(
            store::Postgres::connect(url)
                .await
                .map_err(|e| format!("{}: {e}", redacted(url)))?,
        ),
        Storage::Sqlite(dir) => {
            Arc::new(store::Sqlite::open(dir).map_err(|e| format!("{}: {e}", dir.display()))?)
        }
    })
}

/// `add-person`: the password from the environment or the first line of stdin.
#[allow(clippy::print_stdout)]
fn add_person(ask: AddPerson) -> Result<(), String> {
    let password = match std::env::var("RUSTOK_CONSOLE_PASSWORD") {
        Ok(p) => p,
        Err(_) => {
            eprint!("password for {}: ", ask.login);
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .map_err(|e| format!("cannot read the password: {e}"))?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async move {
        let backend = open(&ask.storage).await?;
        // No admin token: this process serves nothing.
        let central = Central::new(backend, String::new(), Limits::default());
        let person = rustok_central::console::add(
            &central,
            rustok_central::console::NewPersonRequest {
                login: ask.login,
                name: ask.name,
                password,
                tenant_slug: ask.tenant,
            },
        )
        .await
        .map_err(|e| format!("cannot add the person: {e}"))?;
        rustok_central::console::audit(
            &central,
            "command-line",
            person.tenant_slug.as_deref(),
            "add_person",
            serde_json::json!({ "login": person.login, "name": person.name }),
        )
        .await;
        match &person.tenant_slug {
            Some(t) => println!("added {} ({}) to tenant {t}", person.login, person.name),
            None => println!(
                "added {} ({}): the chain operator, who sees every tenant",
                person.login, person.name
            ),
        }
        Ok(())
    })
}

/// A database URL without its password or parameters (which may hold one), for
/// messages and logs.
fn redacted(url: &str) -> String {
    let url = url.split_once('?').map_or(url, |(u, _)| u);
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    // The last `@` ends the credentials (a password may hold one).
    match rest.rsplit_once('@') {
        Some((user, host)) => match user.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
            None => format!("{scheme}://{user}@{host}"),
        },
        None => url.to_owned(),
    }
}
