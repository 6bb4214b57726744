//! The `rustok-edge` binary: the desktop app, or a headless operations subcommand.

// No console window behind the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() -> std::process::ExitCode {
    rustok_app::main_entry()
}
