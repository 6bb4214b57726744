//! What the till and its index worker process say to each other over the worker's
//! standard input and output: frames of a 4-byte big-endian length and a JSON body.
//!
//! The till asks ([`Request`], each with an id) and the worker answers each in
//! order ([`Reply`] with the same id); besides, the worker tells how its opening is
//! going ([`Note`]). Both ends are this crate, built together, so the format needs
//! no versioning.

use super::{IndexStats, OpenReport, ProductSearch, RebuildProgress};
use crate::domain::ids::{ContentId, OrderId, ProductId};
use crate::domain::locale::Locale;
use crate::store::OrderQuery;
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};

/// Largest frame either side accepts (a reply lists at most a few hundred ids).
pub const MAX_FRAME: u32 = 16 * 1024 * 1024;

/// A question to the worker.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Request {
    /// Ranked product search.
    Search(ProductSearch),
    /// A page of orders.
    Orders(OrderQuery),
    /// The content node with this slug in this locale.
    Content {
        /// Slug.
        slug: String,
        /// Locale.
        locale: Locale,
    },
    /// Apply events from SQLite after the checkpoint, up to `until` and at most
    /// `max` of them; answered with the checkpoint reached.
    CatchUp {
        /// Last event to apply.
        until: u64,
        /// Most events to apply in this request.
        max: u32,
    },
    /// Document counts and the checkpoint.
    Stats,
    /// What the index holds, summed up (to compare two indexes).
    Digest,
    /// Close cleanly (flush, leave the manifest) and exit.
    Close,
}

/// The checkpoint, the checksum of every entry and a hash of the search keys:
/// two indexes with equal digests hold the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Digest {
    /// Last applied event.
    pub checkpoint: u64,
    /// XOR of the hashes of every entry.
    pub entries: u64,
    /// Hash of the in-memory search keys.
    pub search: u64,
}

/// An answer of the worker.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Reply {
    /// Product ids, best first.
    Products(Vec<ProductId>),
    /// Order ids, newest first.
    Orders(Vec<OrderId>),
    /// A content node, if any.
    Content(Option<ContentId>),
    /// The checkpoint after catching up.
    At(u64),
    /// Counts.
    Stats(IndexStats),
    /// The digest.
    Digest(Digest),
    /// Closed; the worker exits.
    Closed,
    /// The request failed (the text says why).
    Failed(String),
}

/// What the worker says on its own.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Note {
    /// A rebuild's progress while opening.
    Progress(RebuildProgress),
    /// Open and up to date with SQLite; questions are answered from now on.
    Ready(OpenReport),
}

/// One frame from the worker.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum FromWorker {
    /// The answer to request `id`.
    Reply {
        /// The request's id.
        id: u64,
        /// The answer.
        reply: Reply,
    },
    /// A note.
    Note(Note),
}

/// One frame to the worker.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ToWorker {
    /// Echoed in the reply.
    pub id: u64,
    /// The question.
    pub request: Request,
}

/// Writes one frame.
pub fn write_frame<T: Serialize>(out: &mut impl Write, msg: &T) -> std::io::Result<()> {
    let body = serde_json::to_vec(msg)?;
    let len = u32::try_from(body.len())
        .ok()
        .filter(|n| *n <= MAX_FRAME)
        .ok_or_else(|| std::io::Error::other("frame too large"))?;
    out.write_all(&len.to_be_bytes())?;
    out.write_all(&body)?;
    out.flush()
}

/// Reads one frame; `None` at a clean end of the stream.
pub fn read_frame<T: for<'de> Deserialize<'de>>(
    input: &mut impl Read,
) -> std::io::Result<Option<T>> {
    let mut len = [0u8; 4];
    match input.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let len = u32::from_be_bytes(len);
    if len > MAX_FRAME {
        return Err(std::io::Error::other(format!("frame of {len} bytes")));
    }
    let mut body = vec![0u8; len as usize];
    input.read_exact(&mut body)?;
    Ok(Some(serde_json::from_slice(&body)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_bad_frames_are_errors_not_panics() {
        let mut buf = Vec::new();
        let msg = ToWorker {
            id: 7,
            request: Request::CatchUp { until: 9, max: 3 },
        };
        write_frame(&mut buf, &msg).unwrap();
        let back: ToWorker = read_frame(&mut buf.as_slice()).unwrap().unwrap();
        assert_eq!(back.id, 7);
        assert!(matches!(
            back.request,
            Request::CatchUp { until: 9, max: 3 }
        ));
        assert!(read_frame::<ToWorker>(&mut [].as_slice())
            .unwrap()
            .is_none());
        let huge = (MAX_FRAME + 1).to_be_bytes();
        assert!(read_frame::<ToWorker>(&mut huge.as_slice()).is_err());
        let mut junk = 5u32.to_be_bytes().to_vec();
        junk.extend_from_slice(b"nope!");
        assert!(read_frame::<ToWorker>(&mut junk.as_slice()).is_err());
        let cut = &buf[..buf.len() - 1];
        assert!(read_frame::<ToWorker>(&mut &cut[..]).is_err());
    }
}
