//! `rustok-tests`: cross-crate scenarios that no single crate owns (see
//! `scenarios/`). The library is empty; the tests are one binary.
