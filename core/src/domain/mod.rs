//! Pure domain: value types that can only hold valid values, state machines, events.
//!
//! Nothing here performs I/O or reads the clock; time and randomness come in as
//! arguments ([`clock::Clock`], [`clock::Entropy`]).

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
pub mod operator;
pub mod order;
pub mod payment;
pub mod permission;
pub mod product;
pub mod stock;
pub mod tenant;
pub mod text;
pub mod ticket;
pub mod upcast;

pub use error::{DomainError, FieldError};
