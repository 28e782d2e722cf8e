//! Independent random streams, one per concern, all derived from the run's
//! seed (DESIGN.md, determinism rule 1): removing one fault does not
//! reshuffle the noise of the others, which is what lets a failing run shrink.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The concerns that draw randomness, each from its own stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Concern {
    /// Which faults this seed enables and how often (swarm testing).
    FaultMix,
    /// When and where faults strike.
    Nemesis,
    /// Per-message fate: drop, duplicate, delay.
    Network,
    /// Disk latencies and torn writes.
    Disk,
    /// What clients do and when.
    Clients,
    /// Whether and how often hosts snapshot (drawn apart from the fault
    /// mix, so that adding the knob left every other draw as it was).
    Snapshots,
    /// Whether and how the cluster's members change, and when (drawn apart
    /// from the fault mix, as `Snapshots` is).
    Membership,
    /// How clients' reads are served (drawn apart from the fault mix, as
    /// `Snapshots` is).
    Reads,
    /// Node `n`'s election jitter seed and clock drift.
    Node(u64),
    /// The model checker's random walk number `n` (`raftsim check --search walk`).
    Walk(u64),
}

impl Concern {
    fn tag(self) -> u64 {
        match self {
            Concern::FaultMix => 1,
            Concern::Nemesis => 2,
            Concern::Network => 3,
            Concern::Disk => 4,
            Concern::Clients => 5,
            Concern::Snapshots => 6,
            Concern::Membership => 7,
            Concern::Reads => 8,
            Concern::Node(n) => 0x100 + n,
            Concern::Walk(n) => (1 << 40) + n,
        }
    }
}

/// The stream for `concern` in the run seeded by `seed`.
#[must_use]
pub fn stream(seed: u64, concern: Concern) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(mix(seed, concern.tag()))
}

/// A stream shared copy-on-write between clones of a world: a clone costs
/// a reference count, and the generator's 300 bytes are copied only when a
/// clone first draws from it. (The model checker forks worlds by the
/// million and, with fixed latencies, never draws.) `&mut SharedRng` is a
/// `rand::Rng` through `DerefMut`.
#[derive(Clone, Debug)]
pub struct SharedRng(Arc<ChaCha8Rng>);

impl SharedRng {
    /// The stream for `concern` in the run seeded by `seed`.
    #[must_use]
    pub fn new(seed: u64, concern: Concern) -> SharedRng {
        SharedRng(Arc::new(stream(seed, concern)))
    }
}

impl Deref for SharedRng {
    type Target = ChaCha8Rng;
    fn deref(&self) -> &ChaCha8Rng {
        &self.0
    }
}

impl DerefMut for SharedRng {
    fn deref_mut(&mut self) -> &mut ChaCha8Rng {
        Arc::make_mut(&mut self.0)
    }
}

/// A 64-bit seed for `concern` (for code that keeps its own generator, such
/// as raft-core's election jitter).
#[must_use]
pub fn seed_for(seed: u64, concern: Concern) -> u64 {
    mix(seed, concern.tag())
}

/// SplitMix64's finalizer over the pair: well spread, stable forever.
fn mix(seed: u64, tag: u64) -> u64 {
    let mut z = seed ^ tag.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn streams_are_reproducible_and_independent() {
        let a = stream(42, Concern::Network).next_u64();
        assert_eq!(a, stream(42, Concern::Network).next_u64());
        assert_ne!(a, stream(42, Concern::Disk).next_u64());
        assert_ne!(a, stream(43, Concern::Network).next_u64());
    }
}
