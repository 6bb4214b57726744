//! The body of a push, framed once for every sender: `{"protocol":N,"events":[…]}`
//! written event by event from already-serialized envelopes, up to a byte budget.

use crate::PROTOCOL_VERSION;
use serde::Serialize;

/// A push request's body being filled. The first event always goes in (a device
/// never stalls behind one event larger than the budget: central answers it with
/// its own verdict); later ones only while the body stays within `max_bytes`.
#[derive(Debug)]
pub struct PushBody {
    buf: Vec<u8>,
    events: usize,
    max_bytes: usize,
}

impl PushBody {
    /// An empty body of at most `max_bytes` (once it holds an event).
    pub fn new(max_bytes: usize) -> Self {
        let mut buf = Vec::with_capacity(max_bytes.min(64 * 1024));
        buf.extend_from_slice(format!("{{\"protocol\":{PROTOCOL_VERSION},\"events\":[").as_bytes());
        Self {
            buf,
            events: 0,
            max_bytes,
        }
    }

    /// Adds `event` if it fits (or is the first); `Ok(false)` when it does not fit
    /// and the body is full.
    pub fn push<T: Serialize>(&mut self, event: &T) -> Result<bool, serde_json::Error> {
        let json = serde_json::to_vec(event)?;
        // The separator and the closing `]}` are counted.
        let after = self.buf.len().saturating_add(json.len()).saturating_add(3);
        if self.events > 0 && after > self.max_bytes {
            return Ok(false);
        }
        if self.events > 0 {
            self.buf.push(b',');
        }
        self.buf.extend_from_slice(&json);
        self.events = self.events.saturating_add(1);
        Ok(true)
    }

    /// Events in the body.
    pub fn events(&self) -> usize {
        self.events
    }

    /// The finished body.
    pub fn finish(mut self) -> Vec<u8> {
        self.buf.extend_from_slice(b"]}");
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Framed {
        protocol: u32,
        events: Vec<serde_json::Value>,
    }

    fn read(body: &[u8]) -> Framed {
        serde_json::from_slice(body).expect("a push body is JSON")
    }

    #[test]
    fn a_body_is_the_protocol_and_its_events_in_order() {
        let empty = read(&PushBody::new(100).finish());
        assert_eq!((empty.protocol, empty.events.len()), (PROTOCOL_VERSION, 0));
        let mut b = PushBody::new(1 << 20);
        for n in 0..5 {
            assert!(b
                .push(&serde_json::json!({ "seq": n, "text": "é\"\\" }))
                .unwrap());
        }
        assert_eq!(b.events(), 5);
        let f = read(&b.finish());
        assert_eq!(f.events.len(), 5);
        assert_eq!(f.events[4]["seq"], 4);
        assert_eq!(f.events[0]["text"], "é\"\\");
    }

    #[test]
    fn the_byte_budget_holds_except_for_a_lone_first_event() {
        let event = serde_json::json!({ "pad": "x".repeat(100) });
        let mut b = PushBody::new(350);
        let mut taken = 0;
        while b.push(&event).unwrap() {
            taken += 1;
        }
        let body = b.finish();
        assert!(body.len() <= 350, "{}", body.len());
        assert_eq!(read(&body).events.len(), taken);
        assert_eq!(taken, 2);
        // An event larger than the whole budget still goes out alone.
        let mut b = PushBody::new(10);
        assert!(b.push(&event).unwrap());
        assert!(!b.push(&event).unwrap());
        assert_eq!(read(&b.finish()).events.len(), 1);
    }
}
