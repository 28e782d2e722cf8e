//! The trail: for every distinct state, in the order it was first met, the
//! ordinal of the state it was reached from and the index of the action
//! (in that state's enabled list). Six bytes a state, in fixed-size chunks
//! (no doubling slack). A path is rebuilt by following ordinals back to the
//! initial state (ordinal 0) and replaying the action indexes forward.
//!
//! The issue asked for a parent fingerprint per state; an ordinal does the
//! same job in four bytes instead of eight or sixteen, and needs no lookup
//! from fingerprint to state.

/// States per chunk.
const CHUNK: usize = 1 << 16;

/// The parent links of every distinct state.
#[derive(Debug, Default)]
pub(crate) struct Trail {
    parents: Vec<Vec<u32>>,
    actions: Vec<Vec<u16>>,
    len: usize,
}

/// The most states a trail holds (ordinals are 32-bit).
pub(crate) const MAX_STATES: usize = u32::MAX as usize;

impl Trail {
    /// A trail holding the initial state (ordinal 0).
    pub(crate) fn new() -> Trail {
        let mut trail = Trail::default();
        trail.push(0, 0);
        trail
    }

    /// Records a new state reached from `parent` by action `action`;
    /// returns its ordinal, or `None` once `MAX_STATES` are recorded.
    pub(crate) fn push(&mut self, parent: u32, action: u16) -> Option<u32> {
        if self.len >= MAX_STATES {
            return None;
        }
        if self.len % CHUNK == 0 {
            self.parents.push(Vec::with_capacity(CHUNK));
            self.actions.push(Vec::with_capacity(CHUNK));
        }
        let chunk = self.len / CHUNK;
        self.parents[chunk].push(parent);
        self.actions[chunk].push(action);
        self.len += 1;
        Some((self.len - 1) as u32)
    }

    /// The action indexes from the initial state to state `ordinal`.
    pub(crate) fn path_to(&self, mut ordinal: u32) -> Vec<u16> {
        let mut path = Vec::new();
        while ordinal != 0 {
            let at = ordinal as usize;
            path.push(self.actions[at / CHUNK][at % CHUNK]);
            ordinal = self.parents[at / CHUNK][at % CHUNK];
        }
        path.reverse();
        path
    }

    /// Bytes the trail holds.
    pub(crate) fn bytes(&self) -> usize {
        self.parents.len() * CHUNK * (size_of::<u32>() + size_of::<u16>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_parents_back_to_the_start() {
        let mut trail = Trail::new();
        let a = trail.push(0, 3).unwrap();
        let b = trail.push(0, 1).unwrap();
        let c = trail.push(a, 2).unwrap();
        for _ in 0..CHUNK {
            trail.push(b, 0);
        }
        let d = trail.push(c, 7).unwrap();
        assert_eq!(trail.path_to(0), Vec::<u16>::new());
        assert_eq!(trail.path_to(b), vec![1]);
        assert_eq!(trail.path_to(d), vec![3, 2, 7]);
    }
}
