//! Forking a raft-rs node: its `RawNode` cannot be cloned, so the node
//! records what it was asked (bounded) and a fork replays it from the
//! node's boot. Deterministic (see the parent module), the replay reaches
//! the same state.

use raft::eraftpb;
use raft_core::{LogIndex, NodeId};
use sim::sut::{NodeReady, RaftNode};

use super::RaftRsNode;

/// The most inputs a node records to be forked by replay (see
/// [`RaftRsNode::clone_node`]); past it the node cannot be forked. The
/// model checker's paths are far shorter; a long random run never forks.
const REPLAY_INPUTS_MAX: usize = 200_000;

/// What a node was asked to do, kept to fork it by replay.
#[derive(Clone, Debug)]
pub(super) enum Input {
    Tick,
    Step(eraftpb::Message),
    Propose(Vec<u8>),
    TransferLeader(NodeId),
    ReadIndex(u64),
    Campaign,
    Heartbeat,
    CheckQuorum,
    Compact(LogIndex, Vec<u8>),
    Ready,
    Advance,
    TakeMessages,
    TakeReadStates,
}

impl RaftRsNode {
    pub(super) fn record(&mut self, input: Input) {
        if let Some(inputs) = self.inputs.as_mut() {
            if inputs.len() < REPLAY_INPUTS_MAX {
                inputs.push(input);
            } else {
                self.inputs = None;
            }
        }
    }

    fn replay(&mut self, input: Input) {
        match input {
            Input::Tick => self.tick(),
            Input::Step(message) => {
                let _ = self.step_decoded(message);
            }
            Input::Propose(data) => {
                let _ = self.propose(data);
            }
            Input::TransferLeader(to) => {
                let _ = self.transfer_leader(to);
            }
            Input::ReadIndex(context) => {
                let _ = self.read_index(context);
            }
            Input::Campaign => self.campaign(),
            Input::Heartbeat => self.heartbeat_timeout(),
            Input::CheckQuorum => self.check_quorum_timeout(),
            Input::Compact(index, data) => {
                let _ = self.compact(index, data);
            }
            Input::Ready => {
                let _ = self.ready();
            }
            Input::Advance => self.advance(NodeReady::default()),
            Input::TakeMessages => {
                let _ = self.take_messages();
            }
            Input::TakeReadStates => {
                let _ = self.take_read_states();
            }
        }
    }

    /// A copy, rebuilt from the node's boot and every input since.
    ///
    /// # Panics
    /// If the node took more inputs than it records.
    pub(super) fn fork(&self) -> RaftRsNode {
        let inputs = self.inputs.as_ref().unwrap_or_else(|| {
            panic!(
                "a raft-rs node forks by replaying its inputs, and this one took more than {REPLAY_INPUTS_MAX}"
            )
        });
        let (config, restored) = self.boot.clone();
        let mut copy = RaftRsNode::new(&config, &restored).expect("it was built from these once");
        for input in inputs {
            copy.replay(input.clone());
        }
        copy
    }
}
