//! Membership changes (Raft thesis chapter 4): what a change says, how it
//! travels in a log entry, and the configuration it leads to. A change of
//! at most one voter takes effect at once (§4.1's single-server change);
//! any other goes through a joint configuration (§4.3), which a second,
//! empty change leaves.

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::types::{ConfState, NodeId};

/// One change to one node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ConfChangeSingle {
    /// The node votes (a new node, or a learner promoted).
    AddVoter(NodeId),
    /// The node receives the log without voting (thesis §4.2.1). A voter
    /// cannot be made a learner.
    AddLearner(NodeId),
    /// The node leaves the configuration.
    Remove(NodeId),
}

impl ConfChangeSingle {
    /// The node it changes.
    #[must_use]
    pub fn node(self) -> NodeId {
        match self {
            ConfChangeSingle::AddVoter(id)
            | ConfChangeSingle::AddLearner(id)
            | ConfChangeSingle::Remove(id) => id,
        }
    }
}

/// A membership change as one log entry: changes to enter a new
/// configuration, or none to leave a joint one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ConfChange {
    /// The changes, applied in order; empty: leave the joint configuration.
    pub changes: Vec<ConfChangeSingle>,
}

/// The first byte of an encoded change: the format's version.
const FORMAT_VERSION: u8 = 1;
/// The most changes one entry may carry.
pub const CHANGES_MAX: usize = 64;

impl ConfChange {
    /// The change as entry data: a version byte, a count, then per change a
    /// kind byte and the node id (little-endian). raft-core depends on no
    /// encoding crate, and the format is small enough to read at a glance.
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let mut bytes = vec![FORMAT_VERSION, self.changes.len() as u8];
        for change in &self.changes {
            let kind = match change {
                ConfChangeSingle::AddVoter(_) => 0,
                ConfChangeSingle::AddLearner(_) => 1,
                ConfChangeSingle::Remove(_) => 2,
            };
            bytes.push(kind);
            bytes.extend_from_slice(&change.node().0.to_le_bytes());
        }
        bytes
    }

    /// The change in entry data.
    ///
    /// # Errors
    ///
    /// [`Error::MalformedMessage`] naming what is wrong: another version, a
    /// count past [`CHANGES_MAX`] or not matching the length, an unknown
    /// kind, node 0.
    pub fn decode(bytes: &[u8]) -> Result<ConfChange, Error> {
        let bad = |why: String| Err(Error::MalformedMessage(format!("a conf change {why}")));
        let [version, count, rest @ ..] = bytes else {
            return bad(format!("of {} bytes, too short", bytes.len()));
        };
        if *version != FORMAT_VERSION {
            return bad(format!("of format {version}, not {FORMAT_VERSION}"));
        }
        let count = usize::from(*count);
        if count > CHANGES_MAX || rest.len() != count * 9 {
            return bad(format!(
                "that claims {count} changes in {} bytes",
                rest.len()
            ));
        }
        let mut changes = Vec::with_capacity(count);
        for chunk in rest.chunks_exact(9) {
            let id = NodeId(u64::from_le_bytes(chunk[1..].try_into().expect("8 bytes")));
            if id == NodeId(0) {
                return bad("naming node 0".into());
            }
            changes.push(match chunk[0] {
                0 => ConfChangeSingle::AddVoter(id),
                1 => ConfChangeSingle::AddLearner(id),
                2 => ConfChangeSingle::Remove(id),
                kind => return bad(format!("of unknown kind {kind}")),
            });
        }
        Ok(ConfChange { changes })
    }
}

impl ConfState {
    /// The configuration `change` leads to from this one (thesis §4.1,
    /// §4.3): with no changes, the joint configuration is left (the
    /// incoming voters alone vote); changes that alter at most one voter
    /// take effect at once; any other enters a joint configuration, the
    /// old voters outgoing.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfChange`] if the change cannot be made from here:
    /// a change while joint, leaving when not joint, making a voter a
    /// learner, removing a node that is not a member, a change that leaves
    /// no voter, more than [`CHANGES_MAX`] changes.
    pub fn changed_by(&self, change: &ConfChange) -> Result<ConfState, Error> {
        let invalid = |why: &str| Err(Error::InvalidConfChange(why.into()));
        if change.changes.is_empty() {
            if !self.is_joint() {
                return invalid("leaving a joint configuration that is not joint");
            }
            return Ok(ConfState {
                voters_outgoing: Default::default(),
                ..self.clone()
            });
        }
        if self.is_joint() {
            return invalid("a change while the configuration is joint (leave it first)");
        }
        if change.changes.len() > CHANGES_MAX {
            return invalid("more changes than one entry may carry");
        }
        let mut next = self.clone();
        for single in &change.changes {
            match *single {
                ConfChangeSingle::AddVoter(id) => {
                    next.learners.remove(&id);
                    next.voters.insert(id);
                }
                ConfChangeSingle::AddLearner(id) if next.voters.contains(&id) => {
                    return invalid("making a voter a learner");
                }
                ConfChangeSingle::AddLearner(id) => {
                    next.learners.insert(id);
                }
                ConfChangeSingle::Remove(id) if !next.contains(id) => {
                    return invalid("removing a node that is not a member");
                }
                ConfChangeSingle::Remove(id) => {
                    next.voters.remove(&id);
                    next.learners.remove(&id);
                }
            }
        }
        if next.voters.is_empty() {
            return invalid("a configuration with no voter");
        }
        let changed_voters = self.voters.symmetric_difference(&next.voters).count();
        if changed_voters > 1 {
            next.voters_outgoing = self.voters.clone();
        }
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn voters(ids: &[u64]) -> ConfState {
        ConfState::with_voters(ids.iter().map(|i| NodeId(*i)))
    }

    fn change(changes: &[ConfChangeSingle]) -> ConfChange {
        ConfChange {
            changes: changes.to_vec(),
        }
    }

    use ConfChangeSingle::{AddLearner, AddVoter, Remove};

    #[test]
    fn one_voter_changes_at_once_more_go_through_a_joint_configuration() {
        let three = voters(&[1, 2, 3]);
        let four = three.changed_by(&change(&[AddVoter(NodeId(4))])).unwrap();
        assert_eq!(four, voters(&[1, 2, 3, 4]), "a single server at once");
        let learner = three.changed_by(&change(&[AddLearner(NodeId(4))])).unwrap();
        assert!(!learner.is_joint(), "a learner changes no quorum");
        let swap = three
            .changed_by(&change(&[AddVoter(NodeId(4)), Remove(NodeId(1))]))
            .unwrap();
        assert!(swap.is_joint());
        assert_eq!(swap.voters, voters(&[2, 3, 4]).voters);
        assert_eq!(swap.voters_outgoing, three.voters);
        assert_eq!(
            swap.changed_by(&ConfChange::default()).unwrap(),
            voters(&[2, 3, 4]),
            "leaving keeps the incoming voters"
        );
        let promoted = learner.changed_by(&change(&[AddVoter(NodeId(4))])).unwrap();
        assert_eq!(promoted, voters(&[1, 2, 3, 4]), "a learner promoted");
    }

    #[test]
    fn impossible_changes_are_errors_that_name_the_rule() {
        let three = voters(&[1, 2, 3]);
        let joint = three
            .changed_by(&change(&[AddVoter(NodeId(4)), AddVoter(NodeId(5))]))
            .unwrap();
        for (from, what, says) in [
            (&joint, change(&[Remove(NodeId(2))]), "joint"),
            (&three, ConfChange::default(), "not joint"),
            (&three, change(&[AddLearner(NodeId(1))]), "voter a learner"),
            (&three, change(&[Remove(NodeId(9))]), "not a member"),
            (&voters(&[1]), change(&[Remove(NodeId(1))]), "no voter"),
        ] {
            match from.changed_by(&what) {
                Err(Error::InvalidConfChange(why)) => assert!(why.contains(says), "{why}"),
                other => panic!("{what:?} from {from:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn changes_round_trip_and_bad_bytes_are_errors() {
        let c = change(&[
            AddVoter(NodeId(4)),
            AddLearner(NodeId(5)),
            Remove(NodeId(1)),
        ]);
        assert_eq!(ConfChange::decode(&c.encode()), Ok(c));
        assert_eq!(
            ConfChange::decode(&ConfChange::default().encode()),
            Ok(ConfChange::default())
        );
        let mut wrong_kind = change(&[AddVoter(NodeId(4))]).encode();
        wrong_kind[2] = 7;
        for bytes in [
            vec![],
            vec![2, 0],
            vec![1, 1, 0],
            wrong_kind,
            vec![1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        ] {
            assert!(
                matches!(ConfChange::decode(&bytes), Err(Error::MalformedMessage(_))),
                "{bytes:?}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn decoding_any_bytes_never_panics_and_changes_round_trip(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40),
            picks in proptest::collection::vec((0u8..3, 1u64..10), 0..8),
        ) {
            let _ = ConfChange::decode(&bytes);
            let changes = picks
                .iter()
                .map(|(kind, id)| match kind {
                    0 => AddVoter(NodeId(*id)),
                    1 => AddLearner(NodeId(*id)),
                    _ => Remove(NodeId(*id)),
                })
                .collect();
            let c = ConfChange { changes };
            proptest::prop_assert_eq!(ConfChange::decode(&c.encode()), Ok(c));
        }
    }
}
