//! The resolved plan of a run: every setting it runs with, whether the
//! seed picked it or a flag pinned it, in one value. It is printed at the
//! start of a run (TigerBeetle's "one seed derives every setting, all printed
//! at start"), put in `--json` output and at the head of a trace file, so
//! that what is printed is what ran and a reader can reproduce the run.

use std::fmt;

use serde::Serialize;

use crate::membership_plan::MembershipKind;
use crate::run::RunOptions;
use crate::swarm::FaultMix;
use crate::units::format_ns;
use crate::world::ClusterSpec;

/// Everything a run runs with.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunPlan {
    /// The seed.
    pub seed: u64,
    /// The cluster as built: size, raft-core settings, clients, disks, and
    /// the rules broken on purpose (test only).
    pub cluster: ClusterSpec,
    /// The faults the seed enables and their strengths (with the settings a
    /// flag pinned shown as pinned, so that this and `cluster` agree).
    pub faults: FaultMix,
    /// Length of the fault phase.
    pub fault_ns: u64,
    /// Length of the healed phase that must show progress.
    pub heal_ns: u64,
    /// The event bound (reached: the run is inconclusive).
    pub max_events: u64,
    /// Whether the invariant checkers run.
    pub checkers: bool,
    /// The settings a flag pinned instead of the seed.
    pub pinned: Vec<&'static str>,
    /// The rules of Raft broken on purpose (`--break`).
    pub broken: Vec<&'static str>,
}

impl RunOptions {
    /// The plan this run runs with.
    #[must_use]
    pub fn plan(&self) -> RunPlan {
        let resolved = self.resolve();
        let cluster = resolved.spec;
        let mut faults = resolved.mix;
        faults.nodes = cluster.nodes;
        faults.raft.pre_vote = cluster.raft.pre_vote;
        faults.raft.check_quorum = cluster.raft.check_quorum;
        faults.snapshot_every_entries = cluster.snapshot_every_entries;
        let pinned = [
            ("nodes", self.nodes.is_some()),
            ("pre_vote", self.pre_vote.is_some()),
            ("check_quorum", self.check_quorum.is_some()),
            ("snapshot_every", self.snapshot_every.is_some()),
            ("membership", self.membership.is_some()),
            ("reads", self.reads.is_some()),
            ("clock_drift", self.clock_drift.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, pinned)| pinned.then_some(name))
        .collect();
        RunPlan {
            seed: self.seed,
            broken: cluster.rule_breaks.names(),
            cluster,
            faults,
            fault_ns: self.fault_ns,
            heal_ns: self.heal_ns,
            max_events: self.max_events,
            checkers: self.checkers,
            pinned,
        }
    }
}

impl RunPlan {
    fn pin(&self, name: &str) -> &'static str {
        if self.pinned.contains(&name) {
            " (pinned)"
        } else {
            ""
        }
    }
}

impl fmt::Display for RunPlan {
    /// The header of a run: a line of its shape, then a line per concern.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.cluster;
        let on = |b: bool| if b { "on" } else { "off" };
        writeln!(
            f,
            "raftsim: seed {}, {} nodes{}, {} clients, {} of faults then {} healed",
            self.seed,
            c.nodes,
            self.pin("nodes"),
            c.clients,
            format_ns(self.fault_ns),
            format_ns(self.heal_ns)
        )?;
        write!(f, "{}", self.faults)?;
        writeln!(
            f,
            "  raft{}: pre_vote {}{}, check_quorum {}{}, tick {}, election {} ticks, heartbeat {} ticks, inflight {}, {} bytes per append",
            if c.sut.is_raft_core() {
                String::new()
            } else {
                format!(" ({})", c.sut.name)
            },
            on(c.raft.pre_vote),
            self.pin("pre_vote"),
            on(c.raft.check_quorum),
            self.pin("check_quorum"),
            format_ns(c.tick_ns),
            c.raft.election_ticks,
            c.raft.heartbeat_ticks,
            c.raft.max_inflight_msgs,
            c.raft.max_size_per_msg_bytes
        )?;
        let lacking = c.sut.lacking();
        if !lacking.is_empty() {
            let features: Vec<&str> = lacking.iter().map(|f| f.describe()).collect();
            writeln!(
                f,
                "  not asked of {}, which lacks them: {}",
                c.sut.name,
                features.join("; ")
            )?;
        }
        match c.snapshot_every_entries {
            Some(every) => writeln!(
                f,
                "  snapshots: every {every} applied entries{}, sent in chunks of {} bytes",
                self.pin("snapshot_every"),
                c.raft.max_snapshot_chunk_bytes
            )?,
            None => writeln!(f, "  snapshots: never{}", self.pin("snapshot_every"))?,
        }
        match &self.faults.membership {
            Some(plan) => writeln!(
                f,
                "  membership: {}, {} leader transfers{} ({} spare nodes)",
                match plan.kind {
                    MembershipKind::ReplaceAll => "every node replaced one by one",
                    MembershipKind::Learner => "a learner added, promoted, a voter removed",
                    MembershipKind::Joint => "two voters added at once, two removed at once",
                    MembershipKind::TransfersOnly => "no change of members",
                },
                plan.transfers,
                self.pin("membership"),
                c.spares
            )?,
            None => writeln!(f, "  membership: fixed{}", self.pin("membership"))?,
        }
        writeln!(
            f,
            "  reads: {}{}{}",
            c.workload.reads,
            self.pin("reads"),
            if c.workload.reads == crate::read_path::ReadPath::Lease && !c.raft.check_quorum {
                " (without CheckQuorum: a round each)"
            } else {
                ""
            }
        )?;
        write!(
            f,
            "  clients: {} ops/s each; fsync {}..{} us; event bound {}",
            c.workload.rate_per_s,
            c.fsync_min_ns / 1000,
            c.fsync_max_ns / 1000,
            self.max_events
        )?;
        if !self.checkers {
            write!(f, "\n  checkers: OFF (invariants are not checked)")?;
        }
        if !self.broken.is_empty() {
            write!(f, "\n  rules broken on purpose: {}", self.broken.join(", "))?;
        }
        Ok(())
    }
}
