//! Resolving names: keys and values named in a scenario, and node sets (set
//! expressions, bound names, the single node a step needs).

use super::ast::{Atom, NodeSet, Party, SetExpr, SetOp, SetTerm};
use super::interp::{Interp, Stop};
use super::limits::KEYS_MAX;
use crate::kv::{ClientId, Key};
use crate::net::Endpoint;
use crate::slot::NodeSlot;
use std::collections::BTreeSet;

impl Interp<'_> {
    /// The key a scenario's name stands for: 0, 1, ... in the order names
    /// first appear, at most [`KEYS_MAX`] of them.
    pub(super) fn key(&mut self, name: &str) -> Result<Key, Stop> {
        if let Some(&key) = self.keys.get(name) {
            return Ok(key);
        }
        let key = Key::try_from(self.keys.len())
            .ok()
            .filter(|&key| u64::from(key) < KEYS_MAX)
            .ok_or_else(|| {
                Stop::Invalid(format!(
                    "key `{name}`: a scenario names at most {KEYS_MAX} distinct keys"
                ))
            })?;
        self.keys.insert(name.to_string(), key);
        Ok(key)
    }

    pub(super) fn value(&mut self, name: &str) -> u64 {
        let next = self.values.len() as u64 + 1;
        *self.values.entry(name.to_string()).or_insert(next)
    }

    pub(super) fn next_value(&mut self) -> u64 {
        let next = self.values.len() as u64 + 1;
        self.values.insert(format!("#{next}"), next);
        next
    }

    pub(super) fn one_node(
        &mut self,
        set: &NodeSet,
        line: &mut Vec<NodeSlot>,
    ) -> Result<NodeSlot, Stop> {
        let nodes = self.resolve(set, line)?;
        match nodes.len() {
            1 => Ok(*nodes.first().expect("one")),
            n => Err(Stop::Invalid(format!(
                "this step takes one node; the set has {n}"
            ))),
        }
    }

    /// Resolves one end of a message pick when its step runs.
    pub(super) fn resolve_end(
        &mut self,
        party: &Party,
        line: &mut Vec<NodeSlot>,
    ) -> Result<End, Stop> {
        Ok(match party {
            Party::Nodes(set) => End::Nodes(self.resolve(set, line)?),
            Party::Client(number) => {
                End::Client(ClientId::try_from(number - 1).unwrap_or(ClientId::MAX))
            }
        })
    }

    /// Resolves a set when its step runs, binds `as NAME`, and remembers
    /// its nodes for `rest` later on the same line.
    pub(super) fn resolve(
        &mut self,
        set: &NodeSet,
        line: &mut Vec<NodeSlot>,
    ) -> Result<BTreeSet<NodeSlot>, Stop> {
        let nodes = if set.expr.alone() == Some(&SetTerm::Writing) {
            [self.wait_for_writer()?].into()
        } else {
            self.eval(&set.expr, line)?
        };
        line.extend(nodes.iter().copied());
        if let Some(name) = &set.bind {
            self.names.insert(name.clone(), nodes.clone());
        }
        Ok(nodes)
    }

    /// Runs the world until an event leaves a running node with a write
    /// waiting for its fsync, and names that node (bounded: 10 virtual s).
    pub(super) fn wait_for_writer(&mut self) -> Result<NodeSlot, Stop> {
        let deadline = self.stepper.world.now_ns.saturating_add(10_000_000_000);
        loop {
            if let Some(node) = self.stepper.world.node_mid_write() {
                return Ok(node);
            }
            let waiting = !self.manual
                && self
                    .stepper
                    .world
                    .next_event_time()
                    .is_some_and(|t| t <= deadline);
            if !waiting || !self.step_event()? {
                return Err(Stop::Failed(
                    "`writing` found no node in the middle of a write".into(),
                    None,
                ));
            }
        }
    }

    /// Evaluates a set expression left to right in a loop (no recursion:
    /// an expression may chain tens of thousands of terms).
    pub(super) fn eval(
        &self,
        expr: &SetExpr,
        line: &[NodeSlot],
    ) -> Result<BTreeSet<NodeSlot>, Stop> {
        let mut out = self.eval_term(&expr.first, line)?;
        for (op, term) in &expr.rest {
            let nodes = self.eval_term(term, line)?;
            match op {
                SetOp::Union => out.extend(nodes),
                SetOp::Difference => out.retain(|n| !nodes.contains(n)),
            }
        }
        Ok(out)
    }

    /// One operand of `+` and `-`.
    fn eval_term(&self, term: &SetTerm, line: &[NodeSlot]) -> Result<BTreeSet<NodeSlot>, Stop> {
        let world = &self.stepper.world;
        let all = || world.present_nodes().collect::<BTreeSet<NodeSlot>>();
        // `majority` and `minority` are sizes of the configuration's voters
        // (every node, before any change), chosen among them.
        let voters: Vec<NodeSlot> = match world.conf_in_force() {
            Some(conf) => conf
                .voters
                .iter()
                .filter_map(|id| NodeSlot::of_id(*id))
                .collect(),
            None => all().into_iter().collect(),
        };
        let count = voters.len();
        Ok(match term {
            SetTerm::Nodes(atoms) => {
                let mut out = BTreeSet::new();
                for atom in atoms {
                    match atom {
                        Atom::Id(id) => out.extend(NodeSlot::of_number(*id)),
                        Atom::Name(name) => out.extend(self.named(name)?),
                    }
                }
                out
            }
            SetTerm::Name(name) => self.named(name)?,
            SetTerm::All => all(),
            SetTerm::Leader => {
                let leader = self.leader_node().ok_or_else(|| {
                    Stop::Failed("`leader` names no node: there is no leader".into(), None)
                })?;
                [leader].into()
            }
            SetTerm::Followers => {
                let leader = self.leader_node();
                all().into_iter().filter(|n| Some(*n) != leader).collect()
            }
            SetTerm::Rest => all().into_iter().filter(|n| !line.contains(n)).collect(),
            SetTerm::Majority => {
                let leader = self.leader_node();
                let mut out: BTreeSet<NodeSlot> = leader.into_iter().collect();
                let wanted = (count / 2 + 1).saturating_sub(out.len());
                out.extend(
                    voters
                        .iter()
                        .copied()
                        .filter(|n| Some(*n) != leader)
                        .take(wanted),
                );
                out
            }
            SetTerm::Minority => {
                let leader = self.leader_node();
                voters
                    .iter()
                    .copied()
                    .filter(|n| Some(*n) != leader)
                    .take(count.saturating_sub(1) / 2)
                    .collect()
            }
            SetTerm::Writing => {
                return Err(Stop::Invalid(
                    "`writing` stands alone, as a whole set".into(),
                ));
            }
        })
    }

    pub(super) fn named(&self, name: &str) -> Result<BTreeSet<NodeSlot>, Stop> {
        self.names.get(name).cloned().ok_or_else(|| {
            Stop::Invalid(format!(
                "`{name}` names no set (bind it first with `as {name}`)"
            ))
        })
    }
}

/// A node set as the scenario language writes it: `{1,3}`.
pub(super) fn names(nodes: &BTreeSet<NodeSlot>) -> String {
    let list: Vec<String> = nodes.iter().map(|n| n.number().to_string()).collect();
    format!("{{{}}}", list.join(","))
}

/// One end of a message pick, resolved: nodes, or a client session.
pub(super) enum End {
    /// These nodes.
    Nodes(BTreeSet<NodeSlot>),
    /// This client session.
    Client(ClientId),
}

impl End {
    /// Whether a packet's endpoint is this end.
    pub(super) fn accepts(&self, endpoint: Endpoint) -> bool {
        match (self, endpoint) {
            (End::Nodes(nodes), Endpoint::Node(n)) => nodes.contains(&n),
            (End::Client(c), Endpoint::Client(id)) => *c == id,
            _ => false,
        }
    }
}

impl std::fmt::Display for End {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            End::Nodes(nodes) => write!(f, "{}", names(nodes)),
            End::Client(c) => write!(f, "client {}", c + 1),
        }
    }
}
