//! The index worker as a program of its own (see `rustok_core::index::worker`):
//! `rustok-index-worker --db FILE --dir FOLDER`. The app runs the same worker from
//! its own binary (`rustok-edge index-worker …`); this one serves the core's tests.

fn main() -> std::process::ExitCode {
    rustok_core::index::worker::main(std::env::args_os().skip(1))
}
