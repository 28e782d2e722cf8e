//! Leader transfer (Raft thesis §3.10): the leader brings the chosen voter's
//! log up to date, takes no proposals meanwhile, then tells it to start an
//! election at once (TimeoutNow). The target's vote requests say so, and
//! voters grant them even while they hold a lease on the old leader: the
//! old leader is the one asking. If the target has not taken over within
//! an election timeout, the transfer is aborted and proposals resume.

use crate::error::Error;
use crate::message::MessageBody;
use crate::raw_node::RawNode;
use crate::types::{NodeId, Role};

impl RawNode {
    /// Hands leadership to `to`: once its log matches the leader's, it is
    /// told to campaign now. Until it has taken over, or the transfer is
    /// aborted after an election timeout, proposals are refused with
    /// [`Error::LeaderTransferring`]. A second call replaces the target.
    ///
    /// # Errors
    ///
    /// [`Error::NotLeader`] on a follower; [`Error::InvalidTransfer`] for
    /// a transfer to this node itself, to a learner, or to a node that is
    /// not a voter of the configuration in force. None changes the node.
    pub fn transfer_leader(&mut self, to: NodeId) -> Result<(), Error> {
        if self.role != Role::Leader {
            return Err(Error::NotLeader {
                leader: self.leader,
            });
        }
        let invalid = |why: String| Err(Error::InvalidTransfer(why));
        let conf = self.confs.latest();
        if to == self.config.id {
            return invalid(format!("{to} leads already"));
        }
        if conf.learners.contains(&to) {
            return invalid(format!("{to} is a learner; learners cannot lead"));
        }
        if !conf.voters.contains(&to) {
            return invalid(format!("{to} is not a voter of the configuration"));
        }
        if self.lead_transferee == Some(to) {
            return Ok(());
        }
        self.lead_transferee = Some(to);
        // The transfer has one election timeout to finish (etcd resets the
        // same counter).
        self.election_elapsed_ticks = 0;
        self.maybe_send_timeout_now(to);
        Ok(())
    }

    /// The node a transfer is under way to, if one is.
    #[must_use]
    pub fn lead_transferee(&self) -> Option<NodeId> {
        self.lead_transferee
    }

    /// Ends a transfer that did not finish in time: proposals resume.
    pub(crate) fn abort_leader_transfer(&mut self) {
        self.lead_transferee = None;
    }

    /// Whether the leader takes proposals now.
    pub(crate) fn check_accepts_proposals(&self) -> Result<(), Error> {
        if self.role != Role::Leader {
            return Err(Error::NotLeader {
                leader: self.leader,
            });
        }
        if let Some(to) = self.lead_transferee {
            return Err(Error::LeaderTransferring { to });
        }
        Ok(())
    }

    /// If `to` is the transfer's target and holds the whole log, tell it
    /// to campaign; if it lags, send it what it misses.
    pub(crate) fn maybe_send_timeout_now(&mut self, to: NodeId) {
        if self.lead_transferee != Some(to) {
            return;
        }
        let caught_up = self
            .progress
            .get(&to)
            .is_some_and(|pr| pr.matched == self.log.last_index());
        if caught_up {
            self.send(to, MessageBody::TimeoutNow);
        } else {
            self.broadcast_append_to(to);
        }
    }

    /// TimeoutNow receiver: the leader chose this node; campaign at once,
    /// without a pre-vote (the leader vouches for the log), and with vote
    /// requests that override the voters' lease.
    pub(crate) fn on_timeout_now(&mut self, from: NodeId) -> Result<(), Error> {
        self.follow(from, "timeout-now")?;
        if self.is_promotable() {
            self.become_candidate(true);
        }
        Ok(())
    }
}
