//! The trace hash (same seed and build, same hash) and the tail of recent
//! events a violation report shows.

use std::collections::VecDeque;
use std::fmt;

use super::{Peer, TAIL_EVENTS, TraceEvent, What};

/// The trace hash and the tail of recent events.
pub struct Trace {
    hasher: xxhash_rust::xxh3::Xxh3,
    tail: VecDeque<TraceEvent>,
}

impl fmt::Debug for Trace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Trace")
            .field("hash", &self.hash())
            .field("tail", &self.tail.len())
            .finish()
    }
}

impl Default for Trace {
    fn default() -> Trace {
        Trace {
            hasher: xxhash_rust::xxh3::Xxh3::new(),
            tail: VecDeque::with_capacity(TAIL_EVENTS),
        }
    }
}

impl Trace {
    /// Records an event.
    pub fn record(&mut self, event: TraceEvent) {
        // One update per event (xxh3's streaming update has a fixed cost).
        let mut bytes = [0u8; 40];
        bytes[..8].copy_from_slice(&event.time_ns.to_le_bytes());
        let peer = |p: &Peer| match p {
            Peer::Node(n) => *n,
            Peer::Client(c) => (1 << 32) | *c,
        };
        let packet = |tag: u8, from: &Peer, to: &Peer, msg: &str, term: &Option<u64>| {
            let kind = xxhash_rust::xxh3::xxh3_64(msg.as_bytes());
            (
                tag,
                peer(from) ^ (kind << 8),
                peer(to),
                term.unwrap_or(u64::MAX),
            )
        };
        let (tag, a, b, c): (u8, u64, u64, u64) = match &event.what {
            What::Deliver {
                from,
                to,
                msg,
                term,
                ..
            } => packet(1, from, to, msg, term),
            What::Tick { node } => (2, *node, 0, 0),
            What::Synced { node } => (3, *node, 0, 0),
            What::ClientWake { client } => (4, *client, 0, 0),
            // Rare: actions of the drivers, hashed by their description.
            other => (
                5,
                xxhash_rust::xxh3::xxh3_64(format!("{other:?}").as_bytes()),
                0,
                0,
            ),
        };
        bytes[8] = tag;
        bytes[9..17].copy_from_slice(&a.to_le_bytes());
        bytes[17..25].copy_from_slice(&b.to_le_bytes());
        bytes[25..33].copy_from_slice(&c.to_le_bytes());
        self.hasher.update(&bytes);
        if self.tail.len() == TAIL_EVENTS {
            self.tail.pop_front();
        }
        self.tail.push_back(event);
    }

    /// Mixes a final state digest into the hash.
    pub fn finish(&mut self, state_digest: u64) {
        self.hasher.update(&state_digest.to_le_bytes());
    }

    /// The hash so far.
    #[must_use]
    pub fn hash(&self) -> u64 {
        self.hasher.digest()
    }

    /// The last events, oldest first.
    #[must_use]
    pub fn tail(&self) -> Vec<TraceEvent> {
        self.tail.iter().cloned().collect()
    }
}
