//! The set of operations linearized so far, one bit per operation: half of a
//! memo-table key (Lowe, "Testing for linearizability", 2017).

/// A fixed-size set of operation positions, with a hash kept up to date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct BitSet {
    words: Box<[u64]>,
    /// Invariant: the XOR of `member_hash(at)` over the members (Zobrist
    /// hashing). Each insert or remove updates it in O(1), so the search
    /// hashes its memo key without reading the whole set, as Porcupine does.
    hash: u64,
}

impl BitSet {
    /// An empty set able to hold `0..len`.
    pub(crate) fn new(len: usize) -> BitSet {
        BitSet {
            words: vec![0; len.div_ceil(64)].into_boxed_slice(),
            hash: 0,
        }
    }

    pub(crate) fn insert(&mut self, at: usize) {
        let (word, bit) = (at / 64, 1 << (at % 64));
        // Toggling the hash is right only if the bit really changes.
        if self.words[word] & bit == 0 {
            self.words[word] |= bit;
            self.hash ^= member_hash(at);
        }
    }

    pub(crate) fn remove(&mut self, at: usize) {
        let (word, bit) = (at / 64, 1 << (at % 64));
        if self.words[word] & bit != 0 {
            self.words[word] &= !bit;
            self.hash ^= member_hash(at);
        }
    }

    #[cfg(test)]
    pub(crate) fn contains(&self, at: usize) -> bool {
        self.words[at / 64] & (1 << (at % 64)) != 0
    }

    /// The members, 64 to a word, lowest position in the lowest bit.
    pub(crate) fn words(&self) -> &[u64] {
        &self.words
    }

    /// A hash of the members: equal sets have equal hashes.
    pub(crate) fn hash(&self) -> u64 {
        self.hash
    }
}

/// The Zobrist constant of position `at`: SplitMix64's output function, so
/// the constants look random and independent without a table or a seed.
fn member_hash(at: usize) -> u64 {
    let mut z = (at as u64)
        .wrapping_add(1)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
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
        assert_eq!(set.hash(), other.hash());
    }

    #[test]
    fn the_hash_follows_the_members_whatever_the_path() {
        let mut set = BitSet::new(70);
        let empty = set.hash();
        set.insert(3);
        let three = set.hash();
        assert_ne!(three, empty);
        // Inserting a member twice or removing a non-member changes nothing.
        set.insert(3);
        set.remove(69);
        assert_eq!(set.hash(), three);
        set.insert(69);
        assert_ne!(set.hash(), three);
        set.remove(69);
        set.remove(3);
        assert_eq!(set.hash(), empty);
    }
}
