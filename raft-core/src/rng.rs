//! The node's own seeded generator for election jitter.
//!
//! Architecture invariant: raft-core draws randomness only from this value,
//! which lives in the node's state, so a cloned node makes the same draws and
//! the explorer's fingerprint covers the generator too.

use serde::{Deserialize, Serialize};

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, and good enough for
/// spreading election timeouts. Not for anything cryptographic.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct JitterRng {
    state: u64,
}

impl JitterRng {
    /// A generator seeded from `seed` and the node id, so that nodes given
    /// the same seed still draw different timeouts.
    pub fn new(seed: u64, node_id: u64) -> JitterRng {
        JitterRng {
            state: seed ^ node_id.wrapping_mul(0x9E37_79B9_7F4A_7C15),
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `[low, low + span)`; `span` must be positive.
    pub fn in_range(&mut self, low: u64, span: u64) -> u64 {
        assert!(span > 0, "empty range");
        // Lemire's multiply-shift: no modulo bias worth speaking of here.
        low + ((u128::from(self.next_u64()) * u128::from(span)) >> 64) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_stay_in_range_and_cover_it() {
        let mut rng = JitterRng::new(7, 1);
        let mut seen = [false; 10];
        for _ in 0..1000 {
            let v = rng.in_range(10, 10);
            assert!((10..20).contains(&v));
            seen[(v - 10) as usize] = true;
        }
        assert!(seen.iter().all(|s| *s), "every value of the range is drawn");
    }

    #[test]
    fn same_seed_same_draws_and_ids_differ() {
        let draws = |seed, id| {
            let mut rng = JitterRng::new(seed, id);
            (0..8).map(|_| rng.next_u64()).collect::<Vec<_>>()
        };
        assert_eq!(draws(1, 2), draws(1, 2));
        assert_ne!(draws(1, 2), draws(1, 3));
    }
}
