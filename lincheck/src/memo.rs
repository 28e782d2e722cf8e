//! Lowe's memo table: the configurations (set of operations linearized,
//! state) the search has reached, so that none is explored twice.
//!
//! The search asks about every candidate step, and most answers are "seen
//! before", so that question must be cheap: the key's hash comes from the
//! set's running Zobrist hash and the state's hash (no pass over the set),
//! and nothing is cloned unless the configuration is new. Sets are stored
//! back to back in one vector instead of one allocation each.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher};

use xxhash_rust::xxh3::Xxh3Builder;

use crate::bitset::BitSet;

/// The configurations reached.
pub(crate) struct Memo<S> {
    words_per_set: usize,
    /// The sets of the configurations in `first`, `words_per_set` words
    /// each, in the order they were added.
    sets: Vec<u64>,
    /// Configuration hash → the configuration first added with it: its
    /// state and the row of its set in `sets`.
    first: HashMap<u64, (S, usize), BuildHasherDefault<AlreadyHashed>>,
    /// Configurations whose hash a different one took first. A 64-bit
    /// collision almost never happens, but when it does the verdict must
    /// not depend on luck.
    collided: HashSet<(Box<[u64]>, S), Xxh3Builder>,
    state_hasher: Xxh3Builder,
    /// Every hash is 0, to test the collision path.
    #[cfg(test)]
    all_collide: bool,
}

impl<S: Clone + Eq + Hash> Memo<S> {
    /// An empty table for sets of `0..operations`.
    pub(crate) fn new(operations: usize) -> Memo<S> {
        Memo {
            words_per_set: BitSet::new(operations).words().len(),
            sets: Vec::new(),
            first: HashMap::default(),
            collided: HashSet::default(),
            state_hasher: Xxh3Builder::new(),
            #[cfg(test)]
            all_collide: false,
        }
    }

    /// Adds the configuration (`set`, `state`); false if it was there.
    pub(crate) fn insert(&mut self, set: &BitSet, state: &S) -> bool {
        let hash = self.hash(set, state);
        match self.first.entry(hash) {
            Entry::Vacant(slot) => {
                let row = self.sets.len() / self.words_per_set.max(1);
                self.sets.extend_from_slice(set.words());
                slot.insert((state.clone(), row));
                true
            }
            Entry::Occupied(slot) => {
                let (seen_state, row) = slot.get();
                let start = row * self.words_per_set;
                let seen_set = &self.sets[start..start + self.words_per_set];
                if seen_state == state && seen_set == set.words() {
                    return false;
                }
                self.collided.insert((set.words().into(), state.clone()))
            }
        }
    }

    fn hash(&self, set: &BitSet, state: &S) -> u64 {
        #[cfg(test)]
        if self.all_collide {
            return 0;
        }
        set.hash() ^ self.state_hasher.hash_one(state)
    }
}

/// A hasher for keys that are hashes already: it passes the `u64` through.
#[derive(Debug, Default)]
struct AlreadyHashed(u64);

impl Hasher for AlreadyHashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `u64` keys come here (`write_u64`); fold anything else in
        // rather than lose it.
        for &byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(byte);
        }
    }

    fn write_u64(&mut self, hash: u64) {
        self.0 = hash;
    }
}

#[cfg(test)]
mod tests {
    use super::Memo;
    use crate::bitset::BitSet;

    /// Adds every (set, state) for sets of 3 operations and states 0..3,
    /// twice, and expects each to be new exactly once.
    fn each_configuration_is_new_once(memo: &mut Memo<u8>) {
        for round in 0..2 {
            for members in 0..8_usize {
                for state in 0..3_u8 {
                    let mut set = BitSet::new(3);
                    (0..3)
                        .filter(|at| members & (1 << at) != 0)
                        .for_each(|at| set.insert(at));
                    assert_eq!(memo.insert(&set, &state), round == 0, "{members:b} {state}");
                }
            }
        }
    }

    #[test]
    fn a_configuration_is_new_only_the_first_time() {
        each_configuration_is_new_once(&mut Memo::new(3));
    }

    #[test]
    fn colliding_hashes_never_merge_different_configurations() {
        let mut memo = Memo::new(3);
        memo.all_collide = true;
        each_configuration_is_new_once(&mut memo);
    }

    #[test]
    fn sets_of_no_operations_are_stored_too() {
        let mut memo = Memo::new(0);
        assert!(memo.insert(&BitSet::new(0), &1_u8));
        assert!(!memo.insert(&BitSet::new(0), &1_u8));
        assert!(memo.insert(&BitSet::new(0), &2_u8));
    }
}
