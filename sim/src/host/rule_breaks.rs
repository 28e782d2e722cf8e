//! Test-only rule breaking: switches that make a host cut a corner, so
//! tests show the checkers catch a server that does (never set outside tests
//! or `--break`).

use serde::{Deserialize, Serialize};

/// Rules a host can be told to break, for tests only: they show that the
/// checkers catch a server that cuts corners (never set outside tests).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct HostRuleBreaks {
    /// Answer without waiting for the fsync (writes stay in the page cache).
    pub skip_fsync: bool,
    /// Forget the vote when booting from disk.
    pub forget_vote_on_boot: bool,
    /// Boot with the commit index the meta file holds even past the end of
    /// the log that survived (a torn tail): recovery trusts a hint it must
    /// clamp.
    pub trust_commit_on_boot: bool,
    /// Boot with the hard state the meta file holds even when the log
    /// that survived holds a later term (a torn crash kept an entry's
    /// record and lost the hard state's): recovery does not reconcile its
    /// two files, and raft-core refuses the state it is handed.
    pub ignore_log_term_on_boot: bool,
    /// Panic when booting again after a crash (an internal assertion that
    /// fails): shows that a panic in the code under test is reported as a
    /// violation with its location and a replay.
    pub panic_on_restart: bool,
    /// After a restart, ignore client requests (the client listener is not
    /// set up again): a liveness bug, operations hang while it leads.
    pub mute_after_restart: bool,
    /// A leader answers a get from its own state machine, without the log
    /// or a heartbeat round: a deposed leader that has not heard of its
    /// successor serves stale reads (the etcd 0.4 bug Jepsen found).
    pub local_reads: bool,
    /// Apply every committed command, retries included: the session table
    /// no longer deduplicates (Raft thesis §6.3), so a retried append whose
    /// first attempt also committed is applied twice.
    pub no_dedup: bool,
    /// A snapshot of the store leaves out the client session table: a node
    /// restored from it applies a retried request again (the MIT 6.824
    /// lab 3B rule broken).
    pub snapshot_without_sessions: bool,
    /// The host writes its snapshot in place and compacts the log without
    /// waiting for the fsync (no temporary file, no rename): a crash before
    /// the write is durable leaves a log whose start is gone and no
    /// snapshot to stand for it.
    pub compact_before_sync: bool,
    /// Rules raft-core itself breaks (see `raft_core::RuleBreaks`).
    pub raft: raft_core::RuleBreaks,
}

impl HostRuleBreaks {
    /// Every rule that can be broken, by its command-line name
    /// (`--break NAME`).
    pub const NAMES: &[&str] = &[
        "skip-fsync",
        "forget-vote-on-boot",
        "trust-commit-on-boot",
        "ignore-log-term-on-boot",
        "mute-after-restart",
        "panic-on-restart",
        "local-reads",
        "no-dedup",
        "snapshot-without-sessions",
        "compact-before-sync",
        "commit-previous-term",
        "vote-without-log-check",
        "reset-vote-in-same-term",
        "truncate-on-match",
        "slow-elections",
        "stall-after-lost-append",
        "prev-index-only",
        "commit-unverified",
        "install-stale-snapshot",
        "conf-change-before-commit",
        "read-before-own-term-commit",
    ];

    /// Turns on the rule named `name` (one of [`HostRuleBreaks::NAMES`]); false
    /// if there is no such rule.
    pub fn set(&mut self, name: &str) -> bool {
        let flag = match name {
            "skip-fsync" => &mut self.skip_fsync,
            "forget-vote-on-boot" => &mut self.forget_vote_on_boot,
            "trust-commit-on-boot" => &mut self.trust_commit_on_boot,
            "ignore-log-term-on-boot" => &mut self.ignore_log_term_on_boot,
            "mute-after-restart" => &mut self.mute_after_restart,
            "panic-on-restart" => &mut self.panic_on_restart,
            "local-reads" => &mut self.local_reads,
            "no-dedup" => &mut self.no_dedup,
            "snapshot-without-sessions" => &mut self.snapshot_without_sessions,
            "compact-before-sync" => &mut self.compact_before_sync,
            "commit-previous-term" => &mut self.raft.commit_previous_term,
            "vote-without-log-check" => &mut self.raft.vote_without_log_check,
            "reset-vote-in-same-term" => &mut self.raft.reset_vote_in_same_term,
            "truncate-on-match" => &mut self.raft.truncate_on_match,
            "slow-elections" => &mut self.raft.slow_elections,
            "stall-after-lost-append" => &mut self.raft.stall_after_lost_append,
            "prev-index-only" => &mut self.raft.prev_index_only,
            "commit-unverified" => &mut self.raft.commit_unverified,
            "install-stale-snapshot" => &mut self.raft.install_stale_snapshot,
            "conf-change-before-commit" => &mut self.raft.conf_change_before_commit,
            "read-before-own-term-commit" => &mut self.raft.read_before_own_term_commit,
            _ => return false,
        };
        *flag = true;
        true
    }

    /// The names of the rules broken, in [`HostRuleBreaks::NAMES`] order.
    #[must_use]
    pub fn names(&self) -> Vec<&'static str> {
        HostRuleBreaks::NAMES
            .iter()
            .copied()
            .filter(|name| {
                let mut with = *self;
                with.set(name);
                with == *self
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_break_has_a_name_that_round_trips() {
        for name in HostRuleBreaks::NAMES {
            let mut breaks = HostRuleBreaks::default();
            assert!(breaks.set(name), "{name}");
            assert_ne!(
                breaks,
                HostRuleBreaks::default(),
                "{name} turns something on"
            );
            assert_eq!(breaks.names(), vec![*name]);
        }
        assert!(!HostRuleBreaks::default().set("no-such-rule"));
        assert!(HostRuleBreaks::default().names().is_empty());
    }
}
