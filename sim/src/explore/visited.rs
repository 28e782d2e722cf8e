//! The visited set: fingerprints only, in one flat open-addressing table
//! (linear probing), so a visited state costs its 8 or 16 bytes divided by
//! the load factor — no per-entry allocation, no pointers. The table grows
//! by half when it is 7/8 full, so its load stays between 7/12 and 7/8.
//!
//! Fingerprints are uniform hashes already: the slot is the fingerprint
//! scaled to the table's size (a multiply and a shift), no rehashing. The
//! zero key marks an empty slot; a fingerprint of zero is stored as one (a
//! collision of chance 2^-64 more, as good as any other).

/// A fingerprint as the table keeps it: 64 or 128 bits.
pub(crate) trait Key: Copy + Eq + Default + Send + Sync + 'static {
    /// The key of a 128-bit fingerprint (never zero).
    fn of(fingerprint: u128) -> Self;
    /// 64 uniform bits of the key, to place it.
    fn spread(self) -> u64;
    /// Whether this is the empty marker.
    fn is_empty(self) -> bool;
}

impl Key for u64 {
    fn of(fingerprint: u128) -> u64 {
        (fingerprint as u64).max(1)
    }
    fn spread(self) -> u64 {
        self
    }
    fn is_empty(self) -> bool {
        self == 0
    }
}

impl Key for u128 {
    fn of(fingerprint: u128) -> u128 {
        fingerprint.max(1)
    }
    fn spread(self) -> u64 {
        self as u64
    }
    fn is_empty(self) -> bool {
        self == 0
    }
}

/// The smallest table.
const MIN_CAPACITY: usize = 1024;

/// A set of fingerprints, each with a small value (`()` for none: then the
/// table holds keys only).
#[derive(Debug)]
pub(crate) struct Visited<K: Key, V: Copy + Default = ()> {
    keys: Vec<K>,
    values: Vec<V>,
    len: usize,
}

impl<K: Key, V: Copy + Default> Visited<K, V> {
    pub(crate) fn new() -> Visited<K, V> {
        Visited {
            keys: vec![K::default(); MIN_CAPACITY],
            values: vec![V::default(); MIN_CAPACITY],
            len: 0,
        }
    }

    /// How many fingerprints are in the set.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Bytes the table holds.
    pub(crate) fn bytes(&self) -> usize {
        self.keys.capacity() * size_of::<K>() + self.values.capacity() * size_of::<V>()
    }

    fn home(&self, key: K) -> usize {
        // Lemire's range reduction: uniform over 0..capacity.
        ((u128::from(key.spread()) * self.keys.len() as u128) >> 64) as usize
    }

    /// The slot of `key`: where it is, or the empty slot where it would go.
    fn slot(&self, key: K) -> usize {
        let capacity = self.keys.len();
        let mut at = self.home(key);
        loop {
            let here = self.keys[at];
            if here == key || here.is_empty() {
                return at;
            }
            at += 1;
            if at == capacity {
                at = 0;
            }
        }
    }

    /// Inserts `fingerprint` with `value` unless `keep(old value)` says to
    /// keep what is there. Returns whether the set changed (the fingerprint
    /// was new, or its value was replaced).
    pub(crate) fn insert_with(
        &mut self,
        fingerprint: u128,
        value: V,
        keep: impl FnOnce(V) -> bool,
    ) -> bool {
        let key = K::of(fingerprint);
        let at = self.slot(key);
        if !self.keys[at].is_empty() {
            if keep(self.values[at]) {
                return false;
            }
            self.values[at] = value;
            return true;
        }
        self.keys[at] = key;
        self.values[at] = value;
        self.len += 1;
        if self.len * 8 >= self.keys.len() * 7 {
            self.grow();
        }
        true
    }

    /// Inserts `fingerprint`; returns whether it was new.
    pub(crate) fn insert(&mut self, fingerprint: u128) -> bool {
        self.insert_with(fingerprint, V::default(), |_| true)
    }

    /// The value stored with `fingerprint`, if it is in the set.
    #[cfg(test)]
    pub(crate) fn get(&self, fingerprint: u128) -> Option<V> {
        let at = self.slot(K::of(fingerprint));
        (!self.keys[at].is_empty()).then(|| self.values[at])
    }

    fn grow(&mut self) {
        let capacity = self.keys.len() + self.keys.len() / 2;
        let keys = std::mem::replace(&mut self.keys, vec![K::default(); capacity]);
        let values = std::mem::replace(&mut self.values, vec![V::default(); capacity]);
        for (key, value) in keys.into_iter().zip(values) {
            if !key.is_empty() {
                let at = self.slot(key);
                self.keys[at] = key;
                self.values[at] = value;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_what_was_inserted_across_growth() {
        let mut set: Visited<u64> = Visited::new();
        let fingerprint = |i: u64| u128::from(i.wrapping_mul(0x9E37_79B9_7F4A_7C15)) << 3 | 5;
        for i in 0..100_000 {
            assert!(set.insert(fingerprint(i)), "{i} is new");
        }
        for i in 0..100_000 {
            assert!(!set.insert(fingerprint(i)), "{i} is known");
        }
        assert_eq!(set.len(), 100_000);
        assert!(set.get(fingerprint(100_001)).is_none());
        let per_state = set.bytes() as f64 / set.len() as f64;
        assert!(
            (8.0 / 0.875..=8.0 / 0.58).contains(&per_state),
            "{per_state}"
        );
    }

    #[test]
    fn zero_is_a_fingerprint_like_any_other() {
        let mut set: Visited<u128> = Visited::new();
        assert!(set.insert(0));
        assert!(!set.insert(0));
        assert!(set.insert(2));
        assert_eq!(set.len(), 2);
    }

    #[test]
    fn values_are_kept_or_replaced_as_asked() {
        let mut set: Visited<u64, u16> = Visited::new();
        assert!(set.insert_with(7, 5, |_| true));
        assert!(
            !set.insert_with(7, 9, |old| old <= 9),
            "a deeper visit is kept out"
        );
        assert!(
            set.insert_with(7, 3, |old| old <= 3),
            "a shallower visit replaces"
        );
        assert_eq!(set.get(7), Some(3));
    }

    #[test]
    fn wide_keys_tell_apart_what_narrow_keys_merge() {
        let (a, b) = (1u128 << 64 | 9, 2u128 << 64 | 9);
        let mut narrow: Visited<u64> = Visited::new();
        assert!(narrow.insert(a));
        assert!(!narrow.insert(b), "the low 64 bits agree");
        let mut wide: Visited<u128> = Visited::new();
        assert!(wide.insert(a));
        assert!(wide.insert(b));
    }
}
