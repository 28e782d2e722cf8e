//! The settings of a simulated run that every run-driving command shares
//! (`raftsim --seed N`, `swarm`, `shrink`), with their documented limits:
//! each is checked when the arguments are parsed, so a value that cannot
//! work is a usage error (exit 2), never a run that hangs or a false
//! violation.

use clap::Args;
use sim::host::HostRuleBreaks;
use sim::read_path::ReadPath;
use sim::run::{RunOptions, event_bound};
use sim::units::{format_ns, parse_duration_ns};

/// The longest fault phase or healed phase: one hour of virtual time.
pub const MAX_PHASE_NS: u64 = 3_600_000_000_000;
/// The shortest healed phase: a correct cluster needs it to elect a leader
/// and finish its clients' operations (measured: 1 s already fails some
/// seeds of a correct raft-core; 3 s leaves room for slow clocks).
pub const MIN_HEAL_NS: u64 = 3_000_000_000;
/// The most client sessions (scenario files share the limit).
pub const MAX_CLIENTS: u64 = 64;

/// The cluster, timing and rule breaks of a run.
#[derive(Debug, Args, Clone)]
pub struct RunSettings {
    /// Pin the number of voting nodes (1 to 9); by default the seed
    /// chooses 3, 4 or 5.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=9))]
    pub nodes: Option<u64>,
    /// Number of client sessions (0 to 64).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(0..=MAX_CLIENTS))]
    pub clients: u64,
    /// Length of the fault phase, with a unit (e.g. 20s, 1m; at most 60m).
    #[arg(long, default_value = "20s", value_parser = fault_phase)]
    pub duration: u64,
    /// Length of the healed phase that must show progress (3s to 60m).
    #[arg(long, default_value = "10s", value_parser = heal_phase)]
    pub heal: u64,
    /// Pin raft-core's PreVote (true/false); by default the seed chooses.
    #[arg(long)]
    pub pre_vote: Option<bool>,
    /// Pin raft-core's CheckQuorum (true/false); by default the seed chooses.
    #[arg(long)]
    pub check_quorum: Option<bool>,
    /// Pin how often each host snapshots its state machine and compacts
    /// its log: every N applied entries (1 to 1000000), or `never`; by
    /// default the seed chooses (half the seeds never, the others every 3,
    /// 10, 30 or 100).
    #[arg(long, value_name = "N|never", value_parser = snapshot_every)]
    pub snapshot_every: Option<SnapshotEvery>,
    /// Pin whether the cluster's members change (on/off): on, the seed's
    /// membership plan runs (every node replaced one by one, a learner
    /// added and promoted, or two voters added and two removed at once,
    /// with leader transfers); by default the seed chooses (30% of seeds).
    #[arg(long, value_name = "on|off", value_parser = on_off)]
    pub membership: Option<bool>,
    /// Pin how clients' gets are served: index (ReadIndex), lease (the
    /// leader's lease; a round without CheckQuorum), log (an entry, like a
    /// write) or local (the contacted node's state: unsafe, to see the
    /// checker catch it); by default the seed chooses (index half the
    /// seeds, lease three in ten, log the rest).
    #[arg(long, value_name = "index|lease|log|local", value_parser = read_path)]
    pub reads: Option<ReadPath>,
    /// Pin the largest clock drift, in percent (0 to 90): each node's
    /// clock runs at a rate drawn from 1 ± that; by default the seed
    /// chooses (none in 7 seeds of 10, else up to 30%, within raft-core's
    /// lease allowance of 30%). Beyond the allowance lease reads may be
    /// stale: a documented hazard.
    #[arg(long, value_name = "PERCENT", value_parser = clap::value_parser!(u64).range(0..=90))]
    pub clock_drift: Option<u64>,
    /// Stop a run after N events and actions, as inconclusive (exit 3);
    /// default: 50,000 per simulated second of the run, at least 5 million.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_events: Option<u64>,
    /// Break a rule of Raft on purpose, to see the tool catch it
    /// (repeatable; one of skip-fsync, forget-vote-on-boot,
    /// trust-commit-on-boot, ignore-log-term-on-boot, mute-after-restart,
    /// panic-on-restart, local-reads, no-dedup, snapshot-without-sessions,
    /// compact-before-sync, commit-previous-term, vote-without-log-check,
    /// reset-vote-in-same-term, truncate-on-match, slow-elections,
    /// stall-after-lost-append, prev-index-only, commit-unverified,
    /// install-stale-snapshot, conf-change-before-commit,
    /// read-before-own-term-commit).
    #[arg(long = "break", value_name = "RULE", value_parser = rule_break)]
    pub breaks: Vec<String>,
    /// The Raft the nodes run: raft-core, or raft-rs (tikv's, through
    /// its adapter). What it cannot do the seed does not ask of it.
    #[arg(long, value_name = "NAME", default_value = "raft-core", value_parser = crate::sut_arg::parse_sut)]
    pub sut: sim::sut::Sut,
    #[command(flatten)]
    pub lincheck: LincheckSettings,
}

/// The linearizability checker's settings, shared by every command that
/// runs a simulated cluster.
#[derive(Debug, Args, Clone, Default)]
pub struct LincheckSettings {
    /// Do not check at the end of the run that what clients saw is
    /// linearizable (`expect linearizable` in a scenario still checks).
    #[arg(long)]
    pub no_lincheck: bool,
    /// The linearizability checker's budget: configurations explored per
    /// key before the verdict is "unknown" (exit 3).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub lincheck_budget: Option<u64>,
}

impl LincheckSettings {
    /// The budget per key, or `None` when the end-of-run check is off.
    pub fn budget(&self) -> Option<u64> {
        (!self.no_lincheck).then(|| {
            self.lincheck_budget
                .unwrap_or(lincheck::BUDGET_CONFIGURATIONS_DEFAULT)
        })
    }

    /// The flags that differ from the defaults, to repeat in a replay command.
    pub fn replay_flags(&self) -> String {
        let mut flags = String::new();
        if self.no_lincheck {
            flags += " --no-lincheck";
        }
        if let Some(budget) = self.lincheck_budget {
            flags += &format!(" --lincheck-budget {budget}");
        }
        flags
    }
}

fn fault_phase(text: &str) -> Result<u64, String> {
    let ns = parse_duration_ns(text)?;
    if ns > MAX_PHASE_NS {
        return Err(format!("at most 60m ({})", format_ns(MAX_PHASE_NS)));
    }
    Ok(ns)
}

fn heal_phase(text: &str) -> Result<u64, String> {
    let ns = fault_phase(text)?;
    if ns < MIN_HEAL_NS {
        return Err(format!(
            "at least {}: a correct cluster needs that long after the faults to elect a leader \
             and finish its clients' operations",
            format_ns(MIN_HEAL_NS)
        ));
    }
    Ok(ns)
}

/// Parses a `--break` rule name (see `sim::host::HostRuleBreaks::NAMES`).
pub fn rule_break(name: &str) -> Result<String, String> {
    if HostRuleBreaks::default().set(name) {
        Ok(name.to_string())
    } else {
        Err(format!(
            "no rule named `{name}`; one of: {}",
            HostRuleBreaks::NAMES.join(", ")
        ))
    }
}

/// The rules named by `--break` flags, all broken.
pub fn rule_breaks(names: &[String]) -> HostRuleBreaks {
    let mut breaks = HostRuleBreaks::default();
    for name in names {
        breaks.set(name);
    }
    breaks
}

impl RunSettings {
    /// Refuses pins the Raft under test cannot honour (a usage error).
    pub fn check_sut(&self) -> Result<(), String> {
        let raft_breaks = rule_breaks(&self.breaks).raft != raft_core::RuleBreaks::default();
        crate::sut_arg::refuse_pins(
            &self.sut,
            self.membership,
            self.reads,
            self.snapshot_every.is_some_and(|every| every.0.is_some()),
            raft_breaks,
        )
    }

    /// The run options for `seed`.
    pub fn options(&self, seed: u64) -> RunOptions {
        let mut options = RunOptions::new(seed);
        options.nodes = self.nodes.map(|n| n as usize);
        options.spec.clients = self.clients as usize;
        options.pre_vote = self.pre_vote;
        options.check_quorum = self.check_quorum;
        options.snapshot_every = self.snapshot_every.map(|every| every.0);
        options.membership = self.membership;
        options.reads = self.reads;
        options.clock_drift = self.clock_drift.map(|percent| percent as f64 / 100.0);
        options.fault_ns = self.duration;
        options.heal_ns = self.heal;
        options.max_events = self
            .max_events
            .unwrap_or_else(|| event_bound(self.duration + self.heal));
        options.spec.rule_breaks = rule_breaks(&self.breaks);
        options.spec.sut = self.sut;
        options.lincheck_budget = self.lincheck.budget();
        options
    }

    /// The flags that differ from the defaults, to repeat in a replay command.
    pub fn replay_flags(&self) -> String {
        let mut flags = String::new();
        if let Some(nodes) = self.nodes {
            flags += &format!(" --nodes {nodes}");
        }
        if self.clients != 2 {
            flags += &format!(" --clients {}", self.clients);
        }
        if self.duration != 20_000_000_000 {
            flags += &format!(" --duration {}ns", self.duration);
        }
        if self.heal != 10_000_000_000 {
            flags += &format!(" --heal {}ns", self.heal);
        }
        if let Some(on) = self.pre_vote {
            flags += &format!(" --pre-vote {on}");
        }
        if let Some(on) = self.check_quorum {
            flags += &format!(" --check-quorum {on}");
        }
        if let Some(every) = self.snapshot_every {
            flags += &format!(" --snapshot-every {every}");
        }
        if let Some(on) = self.membership {
            flags += &format!(" --membership {}", if on { "on" } else { "off" });
        }
        if let Some(path) = self.reads {
            flags += &format!(" --reads {path}");
        }
        if let Some(percent) = self.clock_drift {
            flags += &format!(" --clock-drift {percent}");
        }
        if let Some(events) = self.max_events {
            flags += &format!(" --max-events {events}");
        }
        for rule in &self.breaks {
            flags += &format!(" --break {rule}");
        }
        if !self.sut.is_raft_core() {
            flags += &format!(" --sut {}", self.sut.name);
        }
        flags += &self.lincheck.replay_flags();
        flags
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_have_limits() {
        assert_eq!(fault_phase("60m"), Ok(MAX_PHASE_NS));
        assert!(fault_phase("3601s").is_err());
        assert!(fault_phase("10000000000s").is_err());
        assert_eq!(fault_phase("0s"), Ok(0));
        assert!(heal_phase("0s").unwrap_err().contains("at least 3.000s"));
        assert!(heal_phase("2999ms").is_err());
        assert_eq!(heal_phase("3s"), Ok(MIN_HEAL_NS));
    }

    #[test]
    fn unknown_rules_are_refused_with_the_list() {
        assert_eq!(rule_break("skip-fsync"), Ok("skip-fsync".into()));
        let err = rule_break("nope").unwrap_err();
        assert!(err.contains("skip-fsync") && err.contains("truncate-on-match"));
    }
}

/// `--reads`: a read path's name.
fn read_path(text: &str) -> Result<ReadPath, String> {
    text.parse()
}

/// `--membership`: on or off.
fn on_off(text: &str) -> Result<bool, String> {
    match text {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(format!("`{text}` is not `on` or `off`")),
    }
}

/// `--snapshot-every`: entries between snapshots, or never.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SnapshotEvery(pub Option<u64>);

impl std::fmt::Display for SnapshotEvery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(every) => write!(f, "{every}"),
            None => f.write_str("never"),
        }
    }
}

fn snapshot_every(text: &str) -> Result<SnapshotEvery, String> {
    if text == "never" {
        return Ok(SnapshotEvery(None));
    }
    match text.parse::<u64>() {
        Ok(every @ 1..=1_000_000) => Ok(SnapshotEvery(Some(every))),
        _ => Err(format!(
            "`{text}` is not a number of entries from 1 to 1000000, nor `never`"
        )),
    }
}
