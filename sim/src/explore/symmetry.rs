//! Symmetry reduction over node permutations (an option, off by default).
//!
//! Raft treats its nodes alike: a state and the same state with nodes 1
//! and 2 renamed behave alike. With symmetry on, a state's fingerprint is
//! the least of its fingerprints under every renaming of the nodes, so one
//! state stands for up to n! renamed twins.
//!
//! A renamed fingerprint is computed without building the renamed state:
//! the hosts' protocol states ([`crate::host::HostProtocolState`], the same
//! values the plain fingerprint hashes) go through [`Relabel`], a serde
//! serializer that hashes what it is given with every raft-core `NodeId`
//! and every [`NodeSlot`] mapped by the renaming, wherever they sit (both
//! are found by their serde type names, [`NODE_ID`] and
//! [`NodeSlot::SERDE_NAME`], pinned by the tests below), and maps and node
//! sets hashed as multisets (renaming reorders their keys).
//!
//! **Sound only where the code does not break ties by node id.** raft-core
//! does not (it iterates peers in id order, which only orders the messages
//! it sends, and message order is not state). A Raft that, say, lets the
//! lowest id win a tie is not symmetric; a search with symmetry on could
//! then merge states that behave differently and miss a violation. Hence
//! off by default. Partial-order reduction is off when symmetry is on:
//! sleep sets name actions in one naming of the nodes, and the argument
//! that lets each state be expanded once (see `por`) is about states, not
//! their renamed twins.

use std::fmt;

use serde::Serialize;
use serde::ser::{self, Serializer};
use xxhash_rust::xxh3::Xxh3;

use crate::slot::NodeSlot;

/// The serde name of raft-core's node id.
const NODE_ID: &str = "NodeId";

/// Every permutation of `0..n`, the identity first (Heap's algorithm would
/// do; n is at most a handful, so a plain recursion is clearer).
pub(crate) fn permutations(n: usize) -> Vec<Vec<usize>> {
    fn extend(prefix: &mut Vec<usize>, n: usize, out: &mut Vec<Vec<usize>>) {
        if prefix.len() == n {
            out.push(prefix.clone());
            return;
        }
        for next in 0..n {
            if !prefix.contains(&next) {
                prefix.push(next);
                extend(prefix, n, out);
                prefix.pop();
            }
        }
    }
    let mut out = Vec::new();
    extend(&mut Vec::with_capacity(n), n, &mut out);
    out
}

/// The 128-bit hash of `value` with node ids renamed by `perm` (node index
/// `i` becomes `perm[i]`).
pub(crate) fn hash_relabeled(value: &impl Serialize, perm: &[usize]) -> u128 {
    let mut relabel = Relabel::new(perm);
    value.serialize(&mut relabel).expect("hashing never fails");
    relabel.hasher.digest128()
}

/// How the next integer is to be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Next {
    Plain,
    /// A raft `NodeId` (1-based; 0 is nobody).
    NodeId,
    /// A simulator's node slot (0-based).
    NodeSlot,
}

/// A serializer that hashes, renaming nodes.
pub(crate) struct Relabel<'p> {
    perm: &'p [usize],
    hasher: Xxh3,
    next: Next,
    /// The next sequence is a set (the fields of `ConfState`).
    next_seq_is_set: bool,
}

impl<'p> Relabel<'p> {
    fn new(perm: &'p [usize]) -> Relabel<'p> {
        Relabel {
            perm,
            hasher: Xxh3::new(),
            next: Next::Plain,
            next_seq_is_set: false,
        }
    }

    fn write_u64(&mut self, value: u64) {
        let value = match std::mem::replace(&mut self.next, Next::Plain) {
            Next::Plain => value,
            Next::NodeId => match NodeSlot::of_number(value) {
                Some(slot) => self
                    .perm
                    .get(slot.index())
                    .map_or(value, |p| NodeSlot::new(*p).number()),
                None => 0,
            },
            Next::NodeSlot => self.perm.get(value as usize).map_or(value, |p| *p as u64),
        };
        self.hasher.update(&value.to_le_bytes());
    }

    fn tag(&mut self, tag: u32) {
        self.hasher.update(&tag.to_le_bytes());
    }
}

/// The error type `serde` asks for; hashing never fails.
#[derive(Debug)]
pub(crate) struct NeverFails;

impl fmt::Display for NeverFails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("hashing failed")
    }
}

impl std::error::Error for NeverFails {}

impl ser::Error for NeverFails {
    fn custom<T: fmt::Display>(_: T) -> NeverFails {
        NeverFails
    }
}

/// A sequence, struct or map being hashed: in order, or (for maps and sets)
/// as a multiset — a sum of each element's own hash. (The multiset variant
/// is large, a whole hasher for the entry in progress; it lives on the stack
/// for one container, and boxing it would allocate per map entry.)
#[allow(clippy::large_enum_variant)]
pub(crate) enum Compound<'a, 'p> {
    Ordered(&'a mut Relabel<'p>),
    Multiset {
        parent: &'a mut Relabel<'p>,
        sum: u128,
        count: u64,
        entry: Option<Relabel<'p>>,
    },
    /// A struct whose fields are sets (`ConfState`).
    SetFields(&'a mut Relabel<'p>),
}

impl<'p> Compound<'_, 'p> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), NeverFails> {
        match self {
            Compound::Ordered(parent) | Compound::SetFields(parent) => {
                value.serialize(&mut **parent)
            }
            Compound::Multiset {
                parent, sum, count, ..
            } => {
                let mut one = Relabel::new(parent.perm);
                value.serialize(&mut one)?;
                *sum = sum.wrapping_add(one.hasher.digest128());
                *count += 1;
                Ok(())
            }
        }
    }

    fn key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), NeverFails> {
        match self {
            Compound::Multiset { parent, entry, .. } => {
                let mut one = Relabel::new(parent.perm);
                key.serialize(&mut one)?;
                *entry = Some(one);
                Ok(())
            }
            Compound::Ordered(parent) | Compound::SetFields(parent) => key.serialize(&mut **parent),
        }
    }

    fn value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), NeverFails> {
        match self {
            Compound::Multiset {
                entry, sum, count, ..
            } => {
                let mut one = entry.take().expect("a map value follows its key");
                value.serialize(&mut one)?;
                *sum = sum.wrapping_add(one.hasher.digest128());
                *count += 1;
                Ok(())
            }
            Compound::Ordered(parent) | Compound::SetFields(parent) => {
                value.serialize(&mut **parent)
            }
        }
    }

    fn field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), NeverFails> {
        if let Compound::SetFields(parent) = self {
            parent.next_seq_is_set = true;
        }
        self.element(value)
    }

    fn finish(self) -> Result<(), NeverFails> {
        if let Compound::Multiset {
            parent, sum, count, ..
        } = self
        {
            parent.hasher.update(&sum.to_le_bytes());
            parent.hasher.update(&count.to_le_bytes());
        }
        Ok(())
    }
}

/// The compound traits whose elements come without a name.
macro_rules! elements {
    ($($trait:ident :: $method:ident),*) => {$(
        impl ser::$trait for Compound<'_, '_> {
            type Ok = ();
            type Error = NeverFails;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), NeverFails> {
                self.element(value)
            }
            fn end(self) -> Result<(), NeverFails> {
                self.finish()
            }
        }
    )*};
}

elements!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

/// The compound traits whose fields are named (the names are not hashed:
/// a struct's fields come in a fixed order).
macro_rules! fields {
    ($($trait:ident),*) => {$(
        impl ser::$trait for Compound<'_, '_> {
            type Ok = ();
            type Error = NeverFails;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                _: &'static str,
                value: &T,
            ) -> Result<(), NeverFails> {
                self.field(value)
            }
            fn end(self) -> Result<(), NeverFails> {
                self.finish()
            }
        }
    )*};
}

fields!(SerializeStruct, SerializeStructVariant);

impl ser::SerializeMap for Compound<'_, '_> {
    type Ok = ();
    type Error = NeverFails;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), NeverFails> {
        self.key(key)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), NeverFails> {
        self.value(value)
    }
    fn end(self) -> Result<(), NeverFails> {
        self.finish()
    }
}

impl<'a, 'p> Serializer for &'a mut Relabel<'p> {
    type Ok = ();
    type Error = NeverFails;
    type SerializeSeq = Compound<'a, 'p>;
    type SerializeTuple = Compound<'a, 'p>;
    type SerializeTupleStruct = Compound<'a, 'p>;
    type SerializeTupleVariant = Compound<'a, 'p>;
    type SerializeMap = Compound<'a, 'p>;
    type SerializeStruct = Compound<'a, 'p>;
    type SerializeStructVariant = Compound<'a, 'p>;

    fn serialize_bool(self, v: bool) -> Result<(), NeverFails> {
        self.write_u64(u64::from(v));
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), NeverFails> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i16(self, v: i16) -> Result<(), NeverFails> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i32(self, v: i32) -> Result<(), NeverFails> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i64(self, v: i64) -> Result<(), NeverFails> {
        self.write_u64(v as u64);
        Ok(())
    }
    fn serialize_u8(self, v: u8) -> Result<(), NeverFails> {
        self.write_u64(u64::from(v));
        Ok(())
    }
    fn serialize_u16(self, v: u16) -> Result<(), NeverFails> {
        self.write_u64(u64::from(v));
        Ok(())
    }
    fn serialize_u32(self, v: u32) -> Result<(), NeverFails> {
        self.write_u64(u64::from(v));
        Ok(())
    }
    fn serialize_u64(self, v: u64) -> Result<(), NeverFails> {
        self.write_u64(v);
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Result<(), NeverFails> {
        self.write_u64(u64::from(v.to_bits()));
        Ok(())
    }
    fn serialize_f64(self, v: f64) -> Result<(), NeverFails> {
        self.write_u64(v.to_bits());
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), NeverFails> {
        self.write_u64(u64::from(v));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), NeverFails> {
        self.serialize_bytes(v.as_bytes())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), NeverFails> {
        self.hasher.update(v);
        self.write_u64(v.len() as u64);
        Ok(())
    }
    fn serialize_none(self) -> Result<(), NeverFails> {
        self.tag(0);
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), NeverFails> {
        self.tag(1);
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), NeverFails> {
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), NeverFails> {
        Ok(())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        index: u32,
        _: &'static str,
    ) -> Result<(), NeverFails> {
        self.tag(index);
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<(), NeverFails> {
        if name == NODE_ID {
            self.next = Next::NodeId;
        } else if name == NodeSlot::SERDE_NAME {
            self.next = Next::NodeSlot;
        }
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        index: u32,
        _: &'static str,
        value: &T,
    ) -> Result<(), NeverFails> {
        self.tag(index);
        value.serialize(self)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Compound<'a, 'p>, NeverFails> {
        if std::mem::take(&mut self.next_seq_is_set) {
            return Ok(Compound::Multiset {
                parent: self,
                sum: 0,
                count: 0,
                entry: None,
            });
        }
        self.tag(0x5E9);
        Ok(Compound::Ordered(self))
    }
    fn serialize_tuple(self, _: usize) -> Result<Compound<'a, 'p>, NeverFails> {
        Ok(Compound::Ordered(self))
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Compound<'a, 'p>, NeverFails> {
        Ok(Compound::Ordered(self))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        index: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Compound<'a, 'p>, NeverFails> {
        self.tag(index);
        Ok(Compound::Ordered(self))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Compound<'a, 'p>, NeverFails> {
        Ok(Compound::Multiset {
            parent: self,
            sum: 0,
            count: 0,
            entry: None,
        })
    }
    fn serialize_struct(
        self,
        name: &'static str,
        _: usize,
    ) -> Result<Compound<'a, 'p>, NeverFails> {
        if name == "ConfState" {
            return Ok(Compound::SetFields(self));
        }
        Ok(Compound::Ordered(self))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        index: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Compound<'a, 'p>, NeverFails> {
        self.tag(index);
        Ok(Compound::Ordered(self))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use raft_core::{ConfState, NodeId};

    use super::*;
    use crate::net::Endpoint;

    #[test]
    fn permutations_of_three_are_six_and_start_with_the_identity() {
        let all = permutations(3);
        assert_eq!(all.len(), 6);
        assert_eq!(all[0], vec![0, 1, 2]);
        let distinct: BTreeSet<_> = all.iter().collect();
        assert_eq!(distinct.len(), 6);
    }

    #[test]
    fn renaming_maps_ids_and_indexes_and_keeps_everything_else() {
        let swap = [1, 0, 2];
        let identity = [0, 1, 2];
        // NodeId(1) renamed to NodeId(2) hashes as NodeId(2) does.
        assert_eq!(
            hash_relabeled(&NodeId(1), &swap),
            hash_relabeled(&NodeId(2), &identity)
        );
        let slot = NodeSlot::new;
        assert_eq!(
            hash_relabeled(&Endpoint::Node(slot(0)), &swap),
            hash_relabeled(&Endpoint::Node(slot(1)), &identity)
        );
        // A slot anywhere (here a client's redirect) is renamed too.
        let redirect = |leader| crate::net::ReplyOutcome::NotLeader {
            leader: Some(slot(leader)),
        };
        assert_eq!(
            hash_relabeled(&redirect(0), &swap),
            hash_relabeled(&redirect(1), &identity)
        );
        assert_ne!(
            hash_relabeled(&redirect(0), &identity),
            hash_relabeled(&redirect(1), &identity)
        );
        assert_eq!(
            hash_relabeled(&NodeId(0), &swap),
            hash_relabeled(&NodeId(0), &identity)
        );
        // Plain numbers are not renamed.
        assert_eq!(
            hash_relabeled(&1u64, &swap),
            hash_relabeled(&1u64, &identity)
        );
        assert_ne!(
            hash_relabeled(&1u64, &identity),
            hash_relabeled(&2u64, &identity)
        );
        // A map keyed by node ids is the renamed map, whatever order
        // renaming puts its keys in.
        let map: BTreeMap<NodeId, u8> = [(NodeId(1), 7), (NodeId(2), 9)].into();
        let renamed: BTreeMap<NodeId, u8> = [(NodeId(2), 7), (NodeId(1), 9)].into();
        assert_eq!(
            hash_relabeled(&map, &swap),
            hash_relabeled(&renamed, &identity)
        );
        assert_ne!(
            hash_relabeled(&map, &identity),
            hash_relabeled(&renamed, &identity)
        );
        // So is a configuration's voter set.
        let conf = ConfState::with_voters([NodeId(1), NodeId(3)]);
        let renamed = ConfState::with_voters([NodeId(2), NodeId(3)]);
        assert_eq!(
            hash_relabeled(&conf, &swap),
            hash_relabeled(&renamed, &identity)
        );
        // A sequence keeps its order.
        assert_ne!(
            hash_relabeled(&vec![1u64, 2], &identity),
            hash_relabeled(&vec![2u64, 1], &identity)
        );
    }
}

#[cfg(test)]
mod search_tests {
    use super::permutations;
    use crate::explore::state::Model;
    use crate::explore::{Bounds, Options, Report, bfs, check};
    use crate::host::HostRuleBreaks;

    fn plain(bounds: &Bounds) -> Report {
        let options = Options {
            partial_order: false,
            ..Options::default()
        };
        check(bounds, &options, |_| {})
    }

    fn symmetric(bounds: &Bounds) -> Report {
        let options = Options {
            symmetry: true,
            ..Options::default()
        };
        check(bounds, &options, |_| {})
    }

    fn cases() -> Vec<Bounds> {
        vec![
            Bounds {
                max_proposals: 1,
                max_msgs: 4,
                ..Bounds::small(3, 2, 9)
            },
            Bounds {
                max_crashes: 1,
                max_drops: 1,
                ..Bounds::small(3, 2, 7)
            },
            Bounds {
                pre_vote: true,
                check_quorum: true,
                ..Bounds::small(3, 2, 8)
            },
        ]
    }

    /// Through the renaming serializer with only the identity, states are
    /// told apart exactly as the plain fingerprint tells them: the
    /// serialized view misses nothing the hashed one covers.
    #[test]
    fn the_identity_renaming_tells_states_apart_as_the_plain_fingerprint_does() {
        for bounds in cases() {
            let model = Model {
                bounds: bounds.clone(),
                renamings: vec![(0..bounds.nodes).collect()],
                cancelled: || false,
            };
            let renamed = bfs::search::<u128>(&model, 1, false, false, &mut |_| {});
            let plain = plain(&bounds);
            assert_eq!(renamed.distinct_states, plain.distinct_states, "{bounds:?}");
            assert_eq!(
                renamed.generated_states, plain.generated_states,
                "{bounds:?}"
            );
        }
    }

    #[test]
    fn symmetry_merges_renamed_twins_and_finds_the_same_violations() {
        for bounds in cases() {
            let (full, reduced) = (plain(&bounds), symmetric(&bounds));
            let orbits = permutations(bounds.nodes).len() as u64;
            assert!(reduced.distinct_states < full.distinct_states, "{bounds:?}");
            assert!(
                reduced.distinct_states * orbits >= full.distinct_states,
                "no state stands for more than {orbits} twins: {bounds:?}"
            );
            assert_eq!(reduced.sometimes, full.sometimes, "{bounds:?}");
        }
        for breaks in [
            HostRuleBreaks {
                skip_fsync: true,
                ..HostRuleBreaks::default()
            },
            HostRuleBreaks {
                forget_vote_on_boot: true,
                ..HostRuleBreaks::default()
            },
        ] {
            let bounds = Bounds {
                max_crashes: 1,
                rule_breaks: breaks,
                ..Bounds::small(3, 2, 10)
            };
            let found = |report: Report| {
                let found = report.counterexample.expect("caught");
                (found.violation.invariant, found.steps.len())
            };
            assert_eq!(
                found(plain(&bounds)),
                found(symmetric(&bounds)),
                "{breaks:?}"
            );
        }
    }
}
