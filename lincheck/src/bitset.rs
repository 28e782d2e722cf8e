//! The set of operations linearized so far, one bit per operation: half of a
//! memo-table key (Lowe, "Testing for linearizability", 2017).

/// A fixed-size set of operation positions.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct BitSet {
    words: Box<[u64]>,
}

impl BitSet {
    /// An empty set able to hold `0..len`.
    pub(crate) fn new(len: usize) -> BitSet {
        BitSet {
            words: vec![0; len.div_ceil(64)].into_boxed_slice(),
        }
    }

    pub(crate) fn insert(&mut self, at: usize) {
        self.words[at / 64] |= 1 << (at % 64);
    }

    pub(crate) fn remove(&mut self, at: usize) {
        self.words[at / 64] &= !(1 << (at % 64));
    }

    #[cfg(test)]
    pub(crate) fn contains(&self, at: usize) -> bool {
        self.words[at / 64] & (1 << (at % 64)) != 0
    }
}

#[cfg(test)]
mod tests {
    use super::BitSet;

    #[test]
    fn insert_and_remove_touch_only_their_bit() {
        let mut set = BitSet::new(130);
        set.insert(0);
        set.insert(64);
        set.insert(129);
        assert!(set.contains(0) && set.contains(64) && set.contains(129));
        assert!(!set.contains(1) && !set.contains(63) && !set.contains(128));
        set.remove(64);
        assert!(!set.contains(64) && set.contains(129));
        let mut other = BitSet::new(130);
        other.insert(129);
        other.insert(0);
        assert_eq!(
            set, other,
            "equal sets compare equal whatever the order of inserts"
        );
    }
}
