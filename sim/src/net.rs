//! The simulated network. Every message gets its fate when sent — lost,
//! duplicated, delayed by a sampled latency with a long tail (reordering
//! follows) — and partitions, as sets of blocked directed links, are checked
//! both when a message is sent and when it arrives.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

use crate::kv::{ClientId, Command, Output};
use crate::slot::NodeSlot;
use crate::sut::{ForeignMessage, WireMessage};
use raft_core::{EntryId, Message, MessageBody};

/// Who sends or receives: a node or a client session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Endpoint {
    /// A node.
    Node(NodeSlot),
    /// Client session `id`.
    Client(ClientId),
}

/// A client's answer from a node.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ReplyOutcome {
    /// The operation committed and was applied (or was answered from the
    /// session table) with this output, at this entry.
    Done {
        /// The operation's output.
        output: Output,
        /// The log entry that carried it, if this answer came from applying it.
        entry: Option<EntryId>,
    },
    /// This node is not the leader; try `leader` if known.
    NotLeader {
        /// The node believed to lead.
        leader: Option<NodeSlot>,
    },
    /// The leader refused the proposal (back-pressure); nothing was appended.
    Refused,
}

/// What travels on the network.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Payload {
    /// A Raft message between nodes.
    Raft(Message),
    /// A client's request to a node.
    Request(Command),
    /// A node's answer to a client.
    Reply {
        /// The session.
        client: ClientId,
        /// The operation's sequence number.
        seq: u64,
        /// The answer.
        outcome: ReplyOutcome,
    },
    /// Another Raft implementation's message between nodes (last, so that
    /// the other variants keep their encoding).
    Foreign(Box<ForeignMessage>),
}

impl Payload {
    /// A short name of the payload's kind, for traces.
    #[must_use]
    pub fn kind_name(&self) -> &'static str {
        match self {
            Payload::Request(_) => "request",
            Payload::Reply { .. } => "reply",
            Payload::Raft(_) | Payload::Foreign(_) => self
                .raft_message()
                .expect("a Raft payload")
                .body
                .kind_name(),
        }
    }

    /// A message between nodes in raft-core's vocabulary: raft-core's
    /// own, or what another implementation's says.
    #[must_use]
    pub fn raft_message(&self) -> Option<&Message> {
        match self {
            Payload::Raft(message) => Some(message),
            Payload::Foreign(foreign) => Some(&foreign.seen),
            Payload::Request(_) | Payload::Reply { .. } => None,
        }
    }
}

impl From<WireMessage> for Payload {
    fn from(message: WireMessage) -> Payload {
        match message {
            WireMessage::Core(message) => Payload::Raft(message),
            WireMessage::Foreign(foreign) => Payload::Foreign(foreign),
        }
    }
}

/// A message in flight.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Packet {
    /// Sender.
    pub from: Endpoint,
    /// Recipient.
    pub to: Endpoint,
    /// Content.
    pub payload: Payload,
}

/// Noise applied to every message from now on. Probabilities in [0, 1].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NetNoise {
    /// Chance a message is lost.
    pub drop_probability: f64,
    /// Chance a message is delivered twice (independent delays).
    pub duplicate_probability: f64,
    /// Shortest one-way latency.
    pub delay_min_ns: u64,
    /// Longest ordinary one-way latency.
    pub delay_max_ns: u64,
    /// Chance a latency comes from the long tail (2x to 10x `delay_max_ns`).
    pub tail_probability: f64,
}

impl Default for NetNoise {
    fn default() -> NetNoise {
        NetNoise {
            drop_probability: 0.0,
            duplicate_probability: 0.0,
            delay_min_ns: 1_000_000,
            delay_max_ns: 5_000_000,
            tail_probability: 0.0,
        }
    }
}

/// Counters of what happened to messages.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NetStats {
    /// Messages handed to the network.
    pub sent: u64,
    /// Delivered to their recipient.
    pub delivered: u64,
    /// Lost to noise.
    pub dropped_noise: u64,
    /// Lost to a partition (at send or at delivery).
    pub dropped_partition: u64,
    /// Lost because their link already had too many in flight.
    pub dropped_overflow: u64,
    /// Extra copies made.
    pub duplicated: u64,
    /// Log entries carried by appends sent (a measure of replication work).
    pub entries_sent: u64,
}

/// The most messages in flight on one directed node-to-node link; beyond
/// it, new messages are dropped and counted (a bounded socket buffer).
pub const MAX_IN_FLIGHT_PER_LINK: u32 = 4096;

/// The network: noise, blocked links, and the messages in flight.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Net {
    /// Noise for messages sent from now on.
    pub noise: NetNoise,
    node_count: usize,
    /// `blocked[from]` has bit `to` set if node `from` cannot reach node `to`.
    blocked: Vec<u64>,
    /// Packets by id, shared between clones of the network (a duplicate
    /// shares its original's too).
    in_flight: BTreeMap<u64, Arc<Packet>>,
    in_flight_per_link: Vec<u32>,
    next_packet_id: u64,
    /// Counters.
    pub stats: NetStats,
}

impl Net {
    /// A network between `node_count` nodes (at most 64) and any clients.
    #[must_use]
    pub fn new(node_count: usize) -> Net {
        assert!(node_count <= 64, "at most 64 nodes");
        Net {
            noise: NetNoise::default(),
            node_count,
            blocked: vec![0; node_count],
            in_flight: BTreeMap::new(),
            in_flight_per_link: vec![0; node_count * node_count],
            next_packet_id: 0,
            stats: NetStats::default(),
        }
    }

    /// Whether `from` can reach `to` now. Clients are outside the cluster's
    /// partitions: they reach every node.
    #[must_use]
    pub fn can_reach(&self, from: Endpoint, to: Endpoint) -> bool {
        match (from, to) {
            (Endpoint::Node(f), Endpoint::Node(t)) => {
                self.blocked[f.index()] & (1 << t.index()) == 0
            }
            _ => true,
        }
    }

    /// Blocks the directed link `from -> to` between nodes.
    pub fn block(&mut self, from: NodeSlot, to: NodeSlot) {
        if from != to {
            self.blocked[from.index()] |= 1 << to.index();
        }
    }

    /// The nodes (a bit each) that `from` cannot reach.
    #[must_use]
    pub fn blocked_from(&self, from: NodeSlot) -> u64 {
        self.blocked[from.index()]
    }

    /// Removes every partition.
    pub fn heal(&mut self) {
        self.blocked.iter_mut().for_each(|row| *row = 0);
    }

    /// Whether any link is blocked.
    #[must_use]
    pub fn is_partitioned(&self) -> bool {
        self.blocked.iter().any(|row| *row != 0)
    }

    /// Blocked links as (from, to).
    #[must_use]
    pub fn blocked_links(&self) -> Vec<(NodeSlot, NodeSlot)> {
        let mut links = Vec::new();
        for (from, row) in NodeSlot::all(self.node_count).zip(&self.blocked) {
            for to in NodeSlot::all(self.node_count) {
                if row & (1 << to.index()) != 0 {
                    links.push((from, to));
                }
            }
        }
        links
    }

    fn link_index(&self, packet: &Packet) -> Option<usize> {
        match (packet.from, packet.to) {
            (Endpoint::Node(f), Endpoint::Node(t)) => Some(f.index() * self.node_count + t.index()),
            _ => None,
        }
    }

    /// Sends a packet; returns the (id, one-way delay) of each copy that is
    /// on its way (none if lost, two if duplicated).
    pub fn send(&mut self, packet: Packet, rng: &mut impl Rng) -> Vec<(u64, u64)> {
        self.stats.sent += 1;
        if let Some(Message {
            body: MessageBody::AppendEntries { entries, .. },
            ..
        }) = packet.payload.raft_message()
        {
            self.stats.entries_sent += entries.len() as u64;
        }
        if !self.can_reach(packet.from, packet.to) {
            self.stats.dropped_partition += 1;
            return Vec::new();
        }
        if self.noise.drop_probability > 0.0 && rng.random_bool(self.noise.drop_probability) {
            self.stats.dropped_noise += 1;
            return Vec::new();
        }
        let copies = if self.noise.duplicate_probability > 0.0
            && rng.random_bool(self.noise.duplicate_probability)
        {
            self.stats.duplicated += 1;
            2
        } else {
            1
        };
        let mut out = Vec::with_capacity(copies);
        let packet = Arc::new(packet);
        if copies == 2 {
            self.enqueue(Arc::clone(&packet), rng, &mut out);
        }
        self.enqueue(packet, rng, &mut out);
        out
    }

    /// Puts one copy on the wire unless its link is full.
    fn enqueue(&mut self, packet: Arc<Packet>, rng: &mut impl Rng, out: &mut Vec<(u64, u64)>) {
        if let Some(slot) = self.link_index(&packet) {
            if self.in_flight_per_link[slot] >= MAX_IN_FLIGHT_PER_LINK {
                self.stats.dropped_overflow += 1;
                return;
            }
            self.in_flight_per_link[slot] += 1;
        }
        let id = self.next_packet_id;
        self.next_packet_id += 1;
        self.in_flight.insert(id, packet);
        out.push((id, self.sample_delay(rng)));
    }

    fn sample_delay(&self, rng: &mut impl Rng) -> u64 {
        let NetNoise {
            delay_min_ns: low,
            delay_max_ns: high,
            ..
        } = self.noise;
        let base = if high > low {
            rng.random_range(low..=high)
        } else {
            low
        };
        if self.noise.tail_probability > 0.0 && rng.random_bool(self.noise.tail_probability) {
            base.max(high) * rng.random_range(2..=10)
        } else {
            base
        }
    }

    /// Takes packet `id` off the wire for delivery; `None` if it is blocked
    /// by a partition now (it is lost) or unknown.
    pub fn arrive(&mut self, id: u64) -> Option<Packet> {
        let packet = self.remove(id)?;
        if self.can_reach(packet.from, packet.to) {
            self.stats.delivered += 1;
            Some(packet)
        } else {
            self.stats.dropped_partition += 1;
            None
        }
    }

    /// Puts a second copy of in-flight packet `id` on the wire (a manual or
    /// explored duplication); returns the copy's (id, one-way delay), or
    /// `None` if `id` is not in flight or its link is full.
    pub fn duplicate(&mut self, id: u64, rng: &mut impl Rng) -> Option<(u64, u64)> {
        let copy = Arc::clone(self.in_flight.get(&id)?);
        let mut out = Vec::with_capacity(1);
        self.enqueue(copy, rng, &mut out);
        let sent = out.pop()?;
        self.stats.duplicated += 1;
        Some(sent)
    }

    /// Loses packet `id` (a manual or explored drop).
    pub fn lose(&mut self, id: u64) -> Option<Packet> {
        let packet = self.remove(id)?;
        self.stats.dropped_noise += 1;
        Some(packet)
    }

    fn remove(&mut self, id: u64) -> Option<Packet> {
        let packet = self.in_flight.remove(&id)?;
        if let Some(slot) = self.link_index(&packet) {
            self.in_flight_per_link[slot] -= 1;
        }
        Some(Arc::unwrap_or_clone(packet))
    }

    /// The packet `id`, if in flight.
    #[must_use]
    pub fn packet(&self, id: u64) -> Option<&Packet> {
        self.in_flight.get(&id).map(|p| &**p)
    }

    /// Every packet in flight, by id (ids grow in send order).
    pub fn in_flight(&self) -> impl Iterator<Item = (u64, &Packet)> {
        self.in_flight.iter().map(|(id, p)| (*id, &**p))
    }

    /// Feeds everything that decides the network's future into `state`
    /// (counters left out).
    pub fn hash_state(&self, state: &mut impl Hasher) {
        let noise = &self.noise;
        for probability in [
            noise.drop_probability,
            noise.duplicate_probability,
            noise.tail_probability,
        ] {
            probability.to_bits().hash(state);
        }
        noise.delay_min_ns.hash(state);
        noise.delay_max_ns.hash(state);
        self.blocked.hash(state);
        self.in_flight.hash(state);
        self.next_packet_id.hash(state);
    }

    /// How many packets are in flight.
    #[must_use]
    pub fn in_flight_count(&self) -> usize {
        self.in_flight.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn packet(from: usize, to: usize) -> Packet {
        Packet {
            from: Endpoint::Node(NodeSlot::new(from)),
            to: Endpoint::Node(NodeSlot::new(to)),
            payload: Payload::Request(Command {
                client: 0,
                seq: 0,
                op: crate::kv::Op::Get { key: 0 },
            }),
        }
    }

    #[test]
    fn partitions_block_at_send_and_at_delivery() {
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let mut net = Net::new(3);
        net.block(NodeSlot::new(0), NodeSlot::new(1));
        assert!(net.send(packet(0, 1), &mut rng).is_empty());
        let sent = net.send(packet(1, 0), &mut rng);
        assert_eq!(sent.len(), 1, "the cut is one-way");
        net.block(NodeSlot::new(1), NodeSlot::new(0));
        assert!(net.arrive(sent[0].0).is_none(), "blocked at delivery");
        assert_eq!(net.stats.dropped_partition, 2);
        net.heal();
        let sent = net.send(packet(0, 1), &mut rng);
        assert!(net.arrive(sent[0].0).is_some());
        assert_eq!(net.in_flight_count(), 0);
    }

    #[test]
    fn noise_drops_and_duplicates_at_about_the_configured_rates() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut net = Net::new(2);
        net.noise.drop_probability = 0.3;
        net.noise.duplicate_probability = 0.2;
        let mut copies = 0;
        for _ in 0..10_000 {
            for (id, delay) in net.send(packet(0, 1), &mut rng) {
                assert!((1_000_000..=5_000_000).contains(&delay));
                net.arrive(id);
                copies += 1;
            }
        }
        let dropped = net.stats.dropped_noise;
        assert!((2_700..3_300).contains(&dropped), "dropped {dropped}");
        assert!(copies > 8_000 && copies < 9_000, "copies {copies}");
    }

    #[test]
    fn a_full_link_drops_and_counts() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut net = Net::new(2);
        for _ in 0..MAX_IN_FLIGHT_PER_LINK + 5 {
            net.send(packet(0, 1), &mut rng);
        }
        assert_eq!(net.stats.dropped_overflow, 5);
        assert_eq!(net.in_flight_count(), MAX_IN_FLIGHT_PER_LINK as usize);
    }
}
