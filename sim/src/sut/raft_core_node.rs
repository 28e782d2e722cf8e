//! raft-core behind [`RaftNode`]: every call passes straight through to
//! its `RawNode`.

use raft_core::{
    ConfChange, ConfState, Config, Error, LogIndex, NodeId, RawNode, ReadState, Ready, Restored,
    Role, SnapshotMeta, Term,
};

use super::{LogView, NodeProtocolState, NodeReady, RaftNode, WireMessage};

/// Builds a raft-core node (see [`super::Sut::RAFT_CORE`]).
///
/// # Errors
/// raft-core refuses the settings or what the disk held.
pub fn build(config: Config, restored: Restored) -> Result<Box<dyn RaftNode>, Error> {
    Ok(Box::new(CoreNode {
        raw: RawNode::new(config, restored)?,
        outstanding: None,
    }))
}

/// A raft-core node and its outstanding `Ready`.
#[derive(Clone, Debug)]
pub struct CoreNode {
    raw: RawNode,
    /// The outstanding `Ready`, its contents handed to the host: what
    /// `advance` gives back to raft-core (which checks its number).
    outstanding: Option<Ready>,
}

impl CoreNode {
    /// The raft-core node.
    #[must_use]
    pub fn raw(&self) -> &RawNode {
        &self.raw
    }
}

fn on_the_wire(messages: Vec<raft_core::Message>) -> Vec<WireMessage> {
    messages.into_iter().map(WireMessage::Core).collect()
}

impl RaftNode for CoreNode {
    fn tick(&mut self) {
        self.raw.tick();
    }

    fn step(&mut self, message: WireMessage) -> Result<(), Error> {
        match message {
            WireMessage::Core(message) => self.raw.step(message),
            WireMessage::Foreign(foreign) => Err(Error::MalformedMessage(format!(
                "a {} in another implementation's encoding",
                foreign.seen.body.kind_name()
            ))),
        }
    }

    fn propose(&mut self, data: Vec<u8>) -> Result<LogIndex, Error> {
        self.raw.propose(data)
    }

    fn propose_conf_change(&mut self, change: &ConfChange) -> Result<LogIndex, Error> {
        self.raw.propose_conf_change(change)
    }

    fn conf_change_allowed(&self, change: &ConfChange) -> Result<(), Error> {
        self.raw.conf_change_allowed(change)
    }

    fn transfer_leader(&mut self, to: NodeId) -> Result<(), Error> {
        self.raw.transfer_leader(to)
    }

    fn read_index(&mut self, context: u64) -> Result<(), Error> {
        self.raw.read_index(context)
    }

    fn campaign(&mut self) {
        self.raw.campaign();
    }

    fn heartbeat_timeout(&mut self) {
        self.raw.heartbeat_timeout();
    }

    fn check_quorum_timeout(&mut self) {
        self.raw.check_quorum_timeout();
    }

    fn compact(&mut self, index: LogIndex, data: Vec<u8>) -> Result<(), Error> {
        self.raw.compact(index, data).map(|_| ())
    }

    fn has_ready(&self) -> bool {
        self.raw.has_ready()
    }

    fn ready(&mut self) -> NodeReady {
        let mut ready = self.raw.ready();
        let handed = NodeReady {
            soft_state: ready.soft_state.take(),
            hard_state: ready.hard_state.take(),
            snapshot: ready.snapshot.take(),
            entries: std::mem::take(&mut ready.entries),
            committed_entries: std::mem::take(&mut ready.committed_entries),
            messages: on_the_wire(std::mem::take(&mut ready.messages)),
            messages_after_persist: on_the_wire(std::mem::take(&mut ready.messages_after_persist)),
            must_sync: ready.must_sync,
            read_states: std::mem::take(&mut ready.read_states),
        };
        self.outstanding = Some(ready);
        handed
    }

    fn advance(&mut self, _ready: NodeReady) {
        let ready = self
            .outstanding
            .take()
            .expect("advance() with no Ready outstanding");
        self.raw.advance(ready);
    }

    fn take_messages(&mut self) -> Vec<WireMessage> {
        on_the_wire(self.raw.take_messages())
    }

    fn take_read_states(&mut self) -> Vec<ReadState> {
        self.raw.take_read_states()
    }

    fn id(&self) -> NodeId {
        self.raw.id()
    }

    fn role(&self) -> Role {
        self.raw.role()
    }

    fn term(&self) -> Term {
        self.raw.term()
    }

    fn vote(&self) -> Option<NodeId> {
        self.raw.vote()
    }

    fn leader(&self) -> Option<NodeId> {
        self.raw.leader()
    }

    fn log(&self) -> LogView<'_> {
        let log = self.raw.log();
        LogView {
            snapshot: log.snapshot(),
            entries: log.entries(),
            committed: log.committed(),
            applied: log.applied(),
        }
    }

    fn conf(&self) -> &ConfState {
        self.raw.conf()
    }

    fn conf_at(&self, index: LogIndex) -> &ConfState {
        self.raw.conf_at(index)
    }

    fn matched_indexes(&self) -> Vec<(NodeId, LogIndex)> {
        self.raw.matched_indexes().collect()
    }

    fn snapshot_meta(&self, index: LogIndex) -> Option<SnapshotMeta> {
        self.raw.snapshot_meta(index)
    }

    fn in_lease(&self) -> bool {
        self.raw.in_lease()
    }

    fn lead_transferee(&self) -> Option<NodeId> {
        self.raw.lead_transferee()
    }

    fn protocol_state(&self) -> NodeProtocolState<'_> {
        NodeProtocolState::Core(self.raw.protocol_state())
    }

    fn clone_node(&self) -> Box<dyn RaftNode> {
        Box::new(self.clone())
    }

    fn hash_everything(&self, mut state: &mut dyn std::hash::Hasher) {
        std::hash::Hash::hash(&self.raw, &mut state);
    }
}
