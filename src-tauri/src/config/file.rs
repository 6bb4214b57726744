//! The device's config file: what a till or kiosk needs before or outside its
//! database (where central is, how often to sync, kiosk, paper, log level, the UI's
//! first language). TOML, every key optional; an environment variable overrides
//! each key. A file with any problem is refused as a whole, with each problem's
//! line and key: the caller keeps the last good config.

use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;
use toml::de::{DeTable, DeValue};

/// The receipt paper the till prints on by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
pub enum Paper {
    /// A 58 mm roll.
    #[serde(rename = "58")]
    Mm58,
    /// An 80 mm roll.
    #[serde(rename = "80")]
    Mm80,
    /// A4 sheets.
    #[serde(rename = "a4")]
    A4,
}

/// The UI's language until someone picks one at this device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// English.
    En,
    /// Russian.
    Ru,
}

/// The device's settings, after the file and the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceConfig {
    /// Central's address instead of the one recorded at enrolment (central moved),
    /// and the one `enrol`/`join` use when given no `--url`.
    pub central_url: Option<String>,
    /// How often to sync when nothing else asks.
    pub sync_interval: Duration,
    /// Start the window as a locked self-service kiosk.
    pub kiosk: bool,
    /// This kiosk's idle time instead of the shop's.
    pub kiosk_idle_secs: Option<u32>,
    /// Receipt paper.
    pub paper: Paper,
    /// The log filter (`info`, `warn`, `rustok_sync=debug,info`, ...).
    pub log_level: String,
    /// The UI's language until someone picks one here.
    pub language: Language,
    /// A folder watched for catalog CSV files to import.
    pub drop_folder: Option<std::path::PathBuf>,
}

impl Default for DeviceConfig {
    fn default() -> Self {
        Self {
            central_url: None,
            sync_interval: Duration::from_secs(30),
            kiosk: false,
            kiosk_idle_secs: None,
            paper: Paper::Mm80,
            log_level: "info".to_owned(),
            language: Language::En,
            drop_folder: None,
        }
    }
}

/// Where a value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// Nobody set it.
    Default,
    /// The config file.
    File,
    /// An environment variable.
    Env,
    /// A command-line flag (`--kiosk`).
    Flag,
}

/// What is wrong with a line of the file or an environment variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ProblemCode {
    /// Not TOML at all (the detail says what the parser met).
    Syntax,
    /// A key or section this version does not know (a typo, most often).
    UnknownKey,
    /// A known key with a value it cannot take (the detail says what it takes).
    BadValue,
    /// The file cannot be read.
    Unreadable,
}

/// One problem with the config, for the log, `status` and the Settings screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Problem {
    /// What kind.
    pub code: ProblemCode,
    /// The file's line (1-based), when the problem is in the file.
    pub line: Option<u32>,
    /// The key (`sync.interval_ms`), or the environment variable's name.
    pub key: Option<String>,
    /// English detail: what the key takes, or what the parser met.
    pub detail: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        match (&self.code, &self.key) {
            (ProblemCode::UnknownKey, Some(k)) => write!(f, "unknown key {k}"),
            (_, Some(k)) => write!(f, "{k}: {}", self.detail),
            (_, None) => f.write_str(&self.detail),
        }
    }
}

/// One raw value, from the file or the environment.
enum Raw<'a> {
    Text(&'a str),
    Whole(Option<i64>),
    Flag(bool),
    /// A float, a date, an array or a table: no key takes one.
    Other,
}

/// How each key reads, shows and documents its value.
struct Key {
    /// `section.key`.
    name: &'static str,
    /// The environment variable that overrides it.
    env: &'static str,
    /// What it takes, in English (the UI words it per key in its language).
    takes: &'static str,
    /// Applied only when the app starts (the window's mode).
    restart: bool,
    set: fn(&mut DeviceConfig, Raw<'_>) -> Option<()>,
    show: fn(&DeviceConfig) -> Option<String>,
}

fn text<'a>(raw: &Raw<'a>) -> Option<&'a str> {
    match raw {
        Raw::Text(t) => Some(t.trim()),
        _ => None,
    }
}

/// A whole number: a TOML integer, or digits in an environment variable.
fn whole(raw: &Raw<'_>) -> Option<i64> {
    match raw {
        Raw::Whole(n) => *n,
        Raw::Text(t) => t.trim().parse().ok(),
        _ => None,
    }
}

fn flag(raw: &Raw<'_>) -> Option<bool> {
    match raw {
        Raw::Flag(b) => Some(*b),
        Raw::Text(t) => match t.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Some(true),
            "0" | "false" | "no" | "off" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// The sync interval's bounds, in milliseconds.
pub const SYNC_INTERVAL_MS: std::ops::RangeInclusive<i64> = 100..=86_400_000;

const KEYS: &[Key] = &[
    Key {
        name: "central.url",
        env: "RUSTOK_CENTRAL_URL",
        takes: "an address starting with http:// or https://, or \"\" for none",
        restart: false,
        set: |c, raw| {
            let t = text(&raw)?;
            if t.is_empty() {
                c.central_url = None;
                return Some(());
            }
            let rest = t
                .strip_prefix("http://")
                .or_else(|| t.strip_prefix("https://"))?;
            if rest.is_empty() || rest.contains(char::is_whitespace) {
                return None;
            }
            c.central_url = Some(t.trim_end_matches('/').to_owned());
            Some(())
        },
        show: |c| c.central_url.clone(),
    },
    Key {
        name: "sync.interval_ms",
        env: "RUSTOK_SYNC_INTERVAL_MS",
        takes: "a whole number of milliseconds from 100 to 86400000",
        restart: false,
        set: |c, raw| {
            let ms = whole(&raw).filter(|n| SYNC_INTERVAL_MS.contains(n))?;
            c.sync_interval = Duration::from_millis(u64::try_from(ms).ok()?);
            Some(())
        },
        show: |c| Some(c.sync_interval.as_millis().to_string()),
    },
    Key {
        name: "kiosk.enabled",
        env: "RUSTOK_KIOSK",
        takes: "true or false",
        restart: true,
        set: |c, raw| {
            c.kiosk = flag(&raw)?;
            Some(())
        },
        show: |c| Some(c.kiosk.to_string()),
    },
    Key {
        name: "kiosk.idle_seconds",
        env: "RUSTOK_KIOSK_IDLE_SECONDS",
        takes: "a whole number of seconds from 20 to 3600, or 0 or \"\" for the shop's setting",
        restart: false,
        set: |c, raw| {
            if text(&raw) == Some("") {
                c.kiosk_idle_secs = None;
                return Some(());
            }
            c.kiosk_idle_secs = match whole(&raw)? {
                0 => None,
                s => Some(u32::try_from(s).ok().filter(|s| {
                    (rustok_core::domain::tenant::KIOSK_IDLE_MIN_SECS
                        ..=rustok_core::domain::tenant::KIOSK_IDLE_MAX_SECS)
                        .contains(s)
                })?),
            };
            Some(())
        },
        show: |c| c.kiosk_idle_secs.map(|s| s.to_string()),
    },
    Key {
        name: "printer.paper",
        env: "RUSTOK_PRINTER_PAPER",
        takes: "\"58mm\", \"80mm\" or \"A4\"",
        restart: false,
        set: |c, raw| {
            c.paper = match text(&raw)?.to_ascii_lowercase().replace(' ', "").as_str() {
                "58mm" | "58" => Paper::Mm58,
                "80mm" | "80" => Paper::Mm80,
                "a4" => Paper::A4,
                _ => return None,
            };
            Some(())
        },
        show: |c| {
            Some(
                match c.paper {
                    Paper::Mm58 => "58mm",
                    Paper::Mm80 => "80mm",
                    Paper::A4 => "A4",
                }
                .to_owned(),
            )
        },
    },
    Key {
        name: "log.level",
        env: "RUST_LOG",
        takes: "error, warn, info, debug or trace (or a filter such as rustok_sync=debug,info)",
        restart: false,
        set: |c, raw| {
            let t = text(&raw)?;
            // A bare word is a level; anything else names a module and its level
            // (tracing would read `verbose` as a module and log nothing else).
            let level = |l: &str| {
                matches!(
                    l.trim().to_ascii_lowercase().as_str(),
                    "error" | "warn" | "info" | "debug" | "trace" | "off"
                )
            };
            let sound = t.split(',').all(|d| match d.split_once('=') {
                Some((module, l)) => !module.trim().is_empty() && level(l),
                None => level(d),
            });
            if !sound || tracing_subscriber::EnvFilter::try_new(t).is_err() {
                return None;
            }
            c.log_level = t.to_owned();
            Some(())
        },
        show: |c| Some(c.log_level.clone()),
    },
    Key {
        name: "import.drop_folder",
        env: "RUSTOK_DROP_FOLDER",
        takes: "the full path of a folder, or \"\" for none",
        restart: false,
        set: |c, raw| {
            let t = text(&raw)?;
            c.drop_folder = match t {
                "" => None,
                t if std::path::Path::new(t).is_absolute() => Some(t.into()),
                _ => return None,
            };
            Some(())
        },
        show: |c| c.drop_folder.as_ref().map(|p| p.display().to_string()),
    },
    Key {
        name: "ui.language",
        env: "RUSTOK_LANGUAGE",
        takes: "\"en\" or \"ru\"",
        restart: false,
        set: |c, raw| {
            c.language = match text(&raw)?.to_ascii_lowercase().as_str() {
                "en" => Language::En,
                "ru" => Language::Ru,
                _ => return None,
            };
            Some(())
        },
        show: |c| {
            Some(
                match c.language {
                    Language::En => "en",
                    Language::Ru => "ru",
                }
                .to_owned(),
            )
        },
    },
];

/// One value as the Settings screen shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ShownValue {
    /// `section.key`.
    pub key: String,
    /// The value as the file would spell it (none: not set).
    pub value: Option<String>,
    /// Where it came from.
    pub source: Source,
    /// The environment variable that overrides it.
    pub env: String,
    /// Whether a change applies only when the app starts again.
    pub restart: bool,
}

/// The config with where each value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The values.
    pub config: DeviceConfig,
    /// Where each key's value came from (keys not here are defaults).
    pub sources: BTreeMap<&'static str, Source>,
}

impl Resolved {
    /// Every key with its value and source, in the file's order.
    pub fn shown(&self) -> Vec<ShownValue> {
        KEYS.iter()
            .map(|k| ShownValue {
                key: k.name.to_owned(),
                value: (k.show)(&self.config),
                source: self.sources.get(k.name).copied().unwrap_or(Source::Default),
                env: k.env.to_owned(),
                restart: k.restart,
            })
            .collect()
    }
}

/// The 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> u32 {
    let upto = text.get(..offset.min(text.len())).unwrap_or(text);
    u32::try_from(upto.matches('\n').count() + 1).unwrap_or(u32::MAX)
}

fn raw<'a>(value: &'a DeValue<'a>) -> Raw<'a> {
    match value {
        DeValue::String(s) => Raw::Text(s.as_ref()),
        DeValue::Integer(n) => Raw::Whole(i64::from_str_radix(n.as_str(), n.radix()).ok()),
        DeValue::Boolean(b) => Raw::Flag(*b),
        _ => Raw::Other,
    }
}

/// Reads a config file's text onto the defaults: the values it sets, or every
/// problem it has (then none of it applies).
pub fn parse(text: &str) -> Result<Resolved, Vec<Problem>> {
    let mut resolved = Resolved {
        config: DeviceConfig::default(),
        sources: BTreeMap::new(),
    };
    let table = match DeTable::parse(text) {
        Ok(t) => t,
        Err(e) => {
            return Err(vec![Problem {
                code: ProblemCode::Syntax,
                line: e.span().map(|s| line_of(text, s.start)),
                key: None,
                detail: e.message().trim().to_owned(),
            }])
        }
    };
    let mut problems = Vec::new();
    for (section, body) in table.get_ref() {
        let section_name = section.get_ref().as_ref();
        let DeValue::Table(entries) = body.get_ref() else {
            problems.push(Problem {
                code: ProblemCode::UnknownKey,
                line: Some(line_of(text, section.span().start)),
                key: Some(section_name.to_owned()),
                detail: "settings belong in sections such as [sync]".to_owned(),
            });
            continue;
        };
        for (name, value) in entries {
            let full = format!("{section_name}.{}", name.get_ref());
            let line = Some(line_of(text, name.span().start));
            let Some(key) = KEYS.iter().find(|k| k.name == full) else {
                problems.push(Problem {
                    code: ProblemCode::UnknownKey,
                    line,
                    key: Some(full),
                    detail: "not a setting of this version".to_owned(),
                });
                continue;
            };
            match (key.set)(&mut resolved.config, raw(value.get_ref())) {
                Some(()) => {
                    resolved.sources.insert(key.name, Source::File);
                }
                None => problems.push(Problem {
                    code: ProblemCode::BadValue,
                    line,
                    key: Some(full),
                    detail: format!("takes {}", key.takes),
                }),
            }
        }
    }
    if problems.is_empty() {
        Ok(resolved)
    } else {
        // The parser's tables are sorted by key; a person reads the file by line.
        problems.sort_by_key(|p| p.line);
        Err(problems)
    }
}

/// Lays the environment over `resolved`: a variable that is set wins over the file;
/// one that holds a bad value is a problem, and the file's (or default) value stays.
pub fn apply_env(
    resolved: &mut Resolved,
    var: impl Fn(&str) -> Option<String>,
    problems: &mut Vec<Problem>,
) {
    for key in KEYS {
        let Some(value) = var(key.env).filter(|v| !v.trim().is_empty()) else {
            continue;
        };
        let mut next = resolved.config.clone();
        match (key.set)(&mut next, Raw::Text(&value)) {
            Some(()) => {
                resolved.config = next;
                resolved.sources.insert(key.name, Source::Env);
            }
            None => problems.push(Problem {
                code: ProblemCode::BadValue,
                line: None,
                key: Some(key.env.to_owned()),
                detail: format!("takes {}", key.takes),
            }),
        }
    }
}

/// The file the app writes on its first start: every key, commented out, at its
/// default, with what it takes and the variable that overrides it.
pub fn example() -> String {
    let mut out = String::from(
        "# RusToK Edge: this device's settings.\n\
         #\n\
         # Every setting is optional; a line starting with # is ignored, so each one\n\
         # below shows its default. Remove the # and change the value to set it.\n\
         # The app reads this file again whenever it changes: a mistake is shown in\n\
         # Settings (with its line) and the last good settings stay in use.\n\
         # An environment variable, named beside each setting, wins over this file.\n",
    );
    let defaults = Resolved {
        config: DeviceConfig::default(),
        sources: BTreeMap::new(),
    };
    let mut section = "";
    for (key, shown) in KEYS.iter().zip(defaults.shown()) {
        let (sec, name) = key.name.split_once('.').unwrap_or(("", key.name));
        if sec != section {
            out.push_str(&format!("\n[{sec}]\n"));
            section = sec;
        }
        let value = match shown.value {
            None => "\"\"".to_owned(),
            Some(v) if v.parse::<i64>().is_ok() || v == "true" || v == "false" => v,
            Some(v) => format!("\"{v}\""),
        };
        let when = if key.restart {
            " Applies when the app starts."
        } else {
            ""
        };
        out.push_str(&format!(
            "# {}\n# Takes {}. Environment: {}.{when}\n# {name} = {value}\n",
            describe(key.name),
            key.takes,
            key.env
        ));
    }
    out
}

fn describe(key: &str) -> &'static str {
    match key {
        "central.url" => {
            "Central server's address, if it moved since this device was enrolled \
             (also used by enrol and join when no --url is given)."
        }
        "sync.interval_ms" => "How often to sync when nothing else asks.",
        "kiosk.enabled" => {
            "Run as a self-service kiosk: full screen, left only with a manager's PIN."
        }
        "kiosk.idle_seconds" => "How long an untouched kiosk waits before it starts over.",
        "printer.paper" => "The receipt paper this till prints on.",
        "log.level" => "How much goes to the log files.",
        "ui.language" => "The screen's language until someone picks one at this device.",
        "import.drop_folder" => {
            "A folder where CSV files of products are imported as they arrive; each is then \
             moved to done/ (imported) or failed/ (not imported) with a report beside it."
        }
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_is_valid_and_all_defaults() {
        let r = parse(&example()).unwrap();
        assert_eq!(r.config, DeviceConfig::default());
        assert!(r.sources.is_empty());
        // Each key, uncommented, reads back as its default.
        let uncommented: String = example()
            .lines()
            .map(|l| {
                l.strip_prefix("# ")
                    .filter(|l| l.contains(" = "))
                    .unwrap_or(l)
            })
            .map(|l| format!("{l}\n"))
            .collect();
        let r = parse(&uncommented).unwrap();
        assert_eq!(r.config, DeviceConfig::default());
        assert_eq!(r.sources.len(), KEYS.len());
    }
}
