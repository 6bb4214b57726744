//! `rustok-app`: the composition root of the desktop app. It opens the store, wires
//! the core to thin Tauri commands, emits events when data changes, and offers
//! headless operations subcommands from the same binary.

pub mod cli;
mod commands;
pub mod config;
pub mod demo;
pub mod drop;
pub mod dto;
pub mod error;
pub mod gui;
pub mod logging;
pub mod markdown;
pub mod state;

use std::process::ExitCode;

/// Runs the binary: parses the command line, starts logging, then runs the app or a
/// subcommand. Printing is this binary's interface for the usage text.
#[allow(clippy::print_stdout)]
pub fn main_entry() -> ExitCode {
    let mut raw = std::env::args_os().skip(1).peekable();
    // The till's own index worker (see `rustok_core::index::worker`): started by the
    // app, not by people; it logs to stderr, which the app writes to its log.
    if raw
        .peek()
        .is_some_and(|a| a == rustok_core::index::worker::SUBCOMMAND)
    {
        logging::init_stderr();
        return rustok_core::index::worker::main(raw.skip(1));
    }
    let args = match cli::parse(raw) {
        Ok(a) => a,
        Err(msg) => {
            eprintln!("{msg}\n\n{}", cli::USAGE);
            return ExitCode::from(2);
        }
    };
    match args.command {
        cli::Command::Help => {
            println!("{}", cli::USAGE);
            return ExitCode::SUCCESS;
        }
        cli::Command::Version => {
            println!("rustok-edge {}", config::APP_VERSION);
            return ExitCode::SUCCESS;
        }
        cli::Command::ConfigExample => {
            print!("{}", config::file::example());
            return ExitCode::SUCCESS;
        }
        _ => {}
    }
    let paths = match config::Paths::resolve(args.data_dir.clone(), args.config.clone()) {
        Ok(p) => p,
        Err(msg) => {
            eprintln!("{msg}");
            return ExitCode::from(2);
        }
    };
    let hub = config::hub::ConfigHub::load(paths.config_file.clone(), args.kiosk);
    let logs = logging::init(&paths.logs(), &hub.config().log_level);
    hub.log_problems();
    let level = logs.level();
    hub.listen(move |old, new| {
        if old.log_level != new.log_level {
            level.set(&new.log_level);
        }
    });
    let code = match args.command {
        cli::Command::Gui => gui::run(&paths, hub, args.demo),
        other => cli::run(other, &paths, &hub),
    };
    drop(logs);
    code
}
