//! The run's trace: every applied event, hashed into the trace hash (same
//! seed and build, same hash), the last few kept for violation reports, and
//! optionally all of them handed to a sink (`--trace FILE`).

use std::collections::VecDeque;
use std::fmt;

use serde::Serialize;

use crate::net::{Endpoint, Payload};
use crate::world::{Event, World};

/// How many events a violation report shows.
pub const TAIL_EVENTS: usize = 30;

/// What happened, in a compact form.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum What {
    /// A packet reached (or was lost on the way to) its recipient.
    Deliver {
        /// Sender.
        from: Endpoint,
        /// Recipient.
        to: Endpoint,
        /// Message kind.
        msg: &'static str,
        /// The Raft term it carried, if a Raft message.
        term: Option<u64>,
    },
    /// A node's clock ticked.
    Tick {
        /// Node index.
        node: usize,
    },
    /// A node's fsync completed.
    Synced {
        /// Node index.
        node: usize,
    },
    /// A client woke up.
    ClientWake {
        /// Client index.
        client: usize,
    },
    /// A fault or operation from the driver.
    Fault {
        /// What it was.
        action: String,
    },
}

/// One line of the trace.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TraceEvent {
    /// Virtual time.
    pub time_ns: u64,
    /// What happened.
    #[serde(flatten)]
    pub what: What,
}

impl fmt::Display for TraceEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.time_ns as f64 / 1e6;
        let name = |e: &Endpoint| match e {
            Endpoint::Node(n) => format!("n{}", n + 1),
            Endpoint::Client(c) => format!("c{c}"),
        };
        match &self.what {
            What::Deliver {
                from,
                to,
                msg,
                term,
            } => {
                let term = term.map(|t| format!(" t{t}")).unwrap_or_default();
                write!(
                    f,
                    "{ms:>12.3}ms  {} -> {} {msg}{term}",
                    name(from),
                    name(to)
                )
            }
            What::Tick { node } => write!(f, "{ms:>12.3}ms  tick n{}", node + 1),
            What::Synced { node } => write!(f, "{ms:>12.3}ms  fsync done n{}", node + 1),
            What::ClientWake { client } => write!(f, "{ms:>12.3}ms  client c{client} wakes"),
            What::Fault { action } => write!(f, "{ms:>12.3}ms  {action}"),
        }
    }
}

impl TraceEvent {
    /// Describes `event` as it is about to run in `world`.
    #[must_use]
    pub fn of_event(world: &World, time_ns: u64, event: Event) -> TraceEvent {
        let what = match event {
            Event::Deliver(id) => match world.net.packet(id) {
                Some(packet) => What::Deliver {
                    from: packet.from,
                    to: packet.to,
                    msg: packet.payload.kind_name(),
                    term: match &packet.payload {
                        Payload::Raft(m) => Some(m.term.0),
                        _ => None,
                    },
                },
                None => What::Fault {
                    action: format!("packet {id} gone"),
                },
            },
            Event::Tick { node, .. } => What::Tick { node },
            Event::Synced { node, .. } => What::Synced { node },
            Event::ClientWake { client, .. } => What::ClientWake { client },
        };
        TraceEvent { time_ns, what }
    }
}

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
        let endpoint = |e: &Endpoint| match e {
            Endpoint::Node(n) => *n as u64,
            Endpoint::Client(c) => (1 << 32) | u64::from(*c),
        };
        let (tag, a, b, c): (u8, u64, u64, u64) = match &event.what {
            What::Deliver {
                from,
                to,
                msg,
                term,
            } => {
                let kind = xxhash_rust::xxh3::xxh3_64(msg.as_bytes());
                (
                    1,
                    endpoint(from) ^ (kind << 8),
                    endpoint(to),
                    term.unwrap_or(u64::MAX),
                )
            }
            What::Tick { node } => (2, *node as u64, 0, 0),
            What::Synced { node } => (3, *node as u64, 0, 0),
            What::ClientWake { client } => (4, *client as u64, 0, 0),
            What::Fault { action } => (5, xxhash_rust::xxh3::xxh3_64(action.as_bytes()), 0, 0),
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
