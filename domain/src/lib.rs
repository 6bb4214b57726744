//! `rustok-domain`, the pure domain: value types that can only hold valid values,
//! state machines, events and their upcasters. Its own crate, so that central and
//! the protocol decode events without linking storage, the index or the caches
//! (`rustok-core` re-exports it as `rustok_core::domain`).
//!
//! Nothing here performs I/O or reads the clock; time and randomness come in as
//! arguments ([`clock::Clock`], [`clock::Entropy`]). The one exception is
//! [`system`], the real clock and OS randomness that the programs hand in.

// Numbers here come from people, files and other devices: arithmetic on them is
// checked (an overflow is a validation error), never a panic or a wrap.
#![deny(clippy::arithmetic_side_effects)]

pub mod cash;
pub mod category;
pub mod clock;
pub mod content;
pub mod device;
pub mod error;
pub mod event;
pub mod hlc;
pub mod ids;
pub mod image;
pub mod locale;
pub mod money;
pub mod office;
pub mod operator;
pub mod order;
pub mod payment;
pub mod permission;
pub mod product;
pub mod qr;
pub mod replica;
pub mod stock;
// Indexes into its fixed block of randomness, bounded by the block's size.
#[allow(clippy::arithmetic_side_effects)]
pub mod system;
pub mod tenant;
pub mod text;
pub mod ticket;
pub mod upcast;

pub use error::{DomainError, FieldError};
