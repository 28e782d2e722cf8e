//! Swarm testing: the seed chooses which fault kinds a run enables and how
//! hard each one hits, then a fault schedule within what Raft tolerates (at
//! most a minority of nodes impaired at once), ending with a heal.
//!
//! The schedule is a plain list of timed faults, made before the run from
//! its own random stream, so that it can be printed, exported as a scenario
//! and shrunk, while the noise streams stay fixed.

use std::fmt;

use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

use crate::cluster::RaftSettings;
use crate::membership::MembershipOp;
use crate::membership_plan::MembershipPlan;
use crate::net::NetNoise;
use crate::read_path::ReadPath;
use crate::slot::NodeSlot;
use crate::streams::{self, Concern};

mod resolver;

pub use resolver::Resolver;

/// The kinds of partition the nemesis knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum PartitionKind {
    /// Two groups that cannot talk; the smaller one is a minority.
    Symmetric,
    /// One node cut off from everyone.
    Isolate,
    /// One direction only: a node can send but not hear, or hear but not send.
    OneWay,
    /// Two minority halves that cannot talk, both reaching one bridge node.
    Bridge,
    /// A symmetric partition that comes and goes quickly, several times.
    Flapping,
}

/// The fault mix of one run: every derived setting, printed at start.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FaultMix {
    /// Network noise during the fault phase.
    pub noise: NetNoise,
    /// Partition kinds enabled (empty: none).
    pub partitions: Vec<PartitionKind>,
    /// Crash (and later restart) nodes.
    pub crashes: bool,
    /// Pause (and later resume) nodes.
    pub pauses: bool,
    /// Torn writes on crash.
    pub torn_writes: bool,
    /// Largest clock drift, as a fraction (0.2: clocks run 0.8x to 1.2x).
    pub clock_drift: f64,
    /// Mean gap between faults.
    pub fault_gap_ns: u64,
    /// Mean length of a fault.
    pub fault_length_ns: u64,
    /// Chance a crash, pause or cut is aimed at the leader of the moment.
    pub leader_bias: f64,
    /// Chance a crash waits for a node caught mid-write.
    pub mid_write_bias: f64,
    /// raft-core settings the seed picks (unless the user pinned them).
    pub raft: RaftSettings,
    /// Client operations per second per client.
    pub client_rate_per_s: f64,
    /// Disk fsync latency range.
    pub fsync_min_ns: u64,
    /// Disk fsync latency range, upper end.
    pub fsync_max_ns: u64,
    /// Cluster size (3, 4 or 5 voters: an even size catches quorum
    /// arithmetic that odd sizes forgive).
    pub nodes: usize,
    /// Hosts snapshot and compact once this many entries were applied
    /// since the last snapshot (`None`: never). Small values make a node
    /// that was down or cut off catch up by InstallSnapshot.
    #[serde(default)]
    pub snapshot_every_entries: Option<u64>,
    /// The membership changes and leader transfers the seed makes, if any
    /// (drawn from their own stream: [`MembershipPlan::for_seed`]).
    #[serde(default)]
    pub membership: Option<MembershipPlan>,
    /// How clients' gets are served (drawn from their own stream): by
    /// ReadIndex in half the seeds, by lease in three in ten (a round
    /// instead where CheckQuorum is off), through the log in the rest.
    #[serde(default)]
    pub reads: ReadPath,
}

impl FaultMix {
    /// The mix seed `seed` picks: each fault kind on or off, each rate drawn.
    #[must_use]
    pub fn from_seed(seed: u64) -> FaultMix {
        let mut rng = streams::stream(seed, Concern::FaultMix);
        let mut noise = NetNoise::default();
        if rng.random_bool(0.5) {
            noise.drop_probability = percent_tenths(rng.random_range(0..300));
        }
        if rng.random_bool(0.5) {
            noise.duplicate_probability = percent_tenths(rng.random_range(0..200));
        }
        noise.delay_min_ns = rng.random_range(100_000..2_000_000);
        noise.delay_max_ns = noise.delay_min_ns + rng.random_range(0..20_000_000);
        if rng.random_bool(0.5) {
            noise.tail_probability = percent_tenths(rng.random_range(0..50));
        }
        let all = [
            PartitionKind::Symmetric,
            PartitionKind::Isolate,
            PartitionKind::OneWay,
            PartitionKind::Bridge,
            PartitionKind::Flapping,
        ];
        let partitions = all.into_iter().filter(|_| rng.random_bool(0.4)).collect();
        let election_ticks = rng.random_range(5..30);
        let raft = RaftSettings {
            pre_vote: rng.random_bool(0.7),
            check_quorum: rng.random_bool(0.7),
            election_ticks,
            heartbeat_ticks: rng.random_range(1..=(election_ticks / 3).max(1)),
            max_inflight_msgs: [1, 2, 8, 256][rng.random_range(0..4)],
            max_size_per_msg_bytes: [0, 300, 4096, 1 << 20][rng.random_range(0..4)],
            max_snapshot_chunk_bytes: 64 * 1024,
            lease_reads: false,
        };
        let mut snapshots = streams::stream(seed, Concern::Snapshots);
        let snapshot_every_entries = snapshots
            .random_bool(0.5)
            .then(|| [3, 10, 30, 100][snapshots.random_range(0..4)]);
        let mut raft = raft;
        raft.max_snapshot_chunk_bytes = [64, 1024, 64 * 1024][snapshots.random_range(0..3)];
        let fsync_min_ns = rng.random_range(50_000..1_000_000);
        let (membership_on, plan) = MembershipPlan::for_seed(seed);
        FaultMix {
            noise,
            partitions,
            crashes: rng.random_bool(0.6),
            pauses: rng.random_bool(0.3),
            torn_writes: rng.random_bool(0.5),
            clock_drift: if rng.random_bool(0.3) {
                rng.random_range(0.0..0.3)
            } else {
                0.0
            },
            fault_gap_ns: rng.random_range(100_000_000..2_000_000_000),
            fault_length_ns: rng.random_range(50_000_000..3_000_000_000),
            leader_bias: rng.random_range(0.3..0.9),
            mid_write_bias: rng.random_range(0.0..0.8),
            raft,
            client_rate_per_s: [5.0, 20.0, 100.0, 400.0][rng.random_range(0..4)],
            fsync_min_ns,
            fsync_max_ns: fsync_min_ns + rng.random_range(0..20_000_000),
            nodes: [3, 3, 4, 5, 5][rng.random_range(0..5)],
            snapshot_every_entries,
            membership: membership_on.then_some(plan),
            reads: reads_for_seed(seed),
        }
    }

    /// A mix with no faults at all.
    #[must_use]
    pub fn calm() -> FaultMix {
        FaultMix {
            noise: NetNoise::default(),
            partitions: Vec::new(),
            crashes: false,
            pauses: false,
            torn_writes: false,
            clock_drift: 0.0,
            fault_gap_ns: u64::MAX / 4,
            fault_length_ns: 0,
            leader_bias: 0.0,
            mid_write_bias: 0.0,
            raft: RaftSettings::default(),
            client_rate_per_s: 20.0,
            fsync_min_ns: 100_000,
            fsync_max_ns: 2_000_000,
            nodes: 3,
            snapshot_every_entries: None,
            membership: None,
            reads: ReadPath::default(),
        }
    }
}

/// The read path seed `seed` picks, from its own stream.
fn reads_for_seed(seed: u64) -> ReadPath {
    let mut rng = streams::stream(seed, Concern::Reads);
    match rng.random_range(0..10) {
        0..5 => ReadPath::Index,
        5..8 => ReadPath::Lease,
        _ => ReadPath::Log,
    }
}

impl fmt::Display for FaultMix {
    /// The faults, a line per kind (the cluster's settings are the plan's
    /// to print: see [`crate::plan::RunPlan`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = &self.noise;
        writeln!(
            f,
            "  network: drop {:.1}%, duplicate {:.1}%, delay {}..{} us, long tail {:.1}%",
            n.drop_probability * 100.0,
            n.duplicate_probability * 100.0,
            n.delay_min_ns / 1000,
            n.delay_max_ns / 1000,
            n.tail_probability * 100.0
        )?;
        let kinds: Vec<String> = self.partitions.iter().map(|k| format!("{k:?}")).collect();
        writeln!(
            f,
            "  partitions: {}",
            if kinds.is_empty() {
                "off".to_string()
            } else {
                kinds.join(", ")
            }
        )?;
        let on = |b: bool| if b { "on" } else { "off" };
        writeln!(
            f,
            "  crashes: {}, pauses: {}, torn writes: {}, clock drift: {:.0}%",
            on(self.crashes),
            on(self.pauses),
            on(self.torn_writes),
            self.clock_drift * 100.0
        )?;
        writeln!(
            f,
            "  fault gap ~{} ms, fault length ~{} ms, aimed at the leader {:.0}%, crashes mid-write {:.0}%",
            self.fault_gap_ns / 1_000_000,
            self.fault_length_ns / 1_000_000,
            self.leader_bias * 100.0,
            self.mid_write_bias * 100.0
        )?;
        Ok(())
    }
}

/// Which node a fault hits: a fixed one, whoever leads when the fault
/// strikes (most bugs hide behind a leader's failure), or the node an earlier
/// fault hit (remembered under a name).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Who {
    /// A fixed node.
    Node(NodeSlot),
    /// The leader when the fault strikes (or, with none, the first live node).
    Leader,
    /// The node an earlier fault named.
    Named(u32),
}

/// One timed step of a fault schedule. Faults
/// that pick a node also name it, so a later step can undo them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Fault {
    /// Power loss.
    Crash(Who, u32),
    /// Power loss of the first node seen with a write waiting for its fsync
    /// (right after it sent what it may send before the write is durable).
    CrashMidWrite(u32),
    /// Boot from disk.
    Restart(Who),
    /// Stop the process.
    Pause(Who, u32),
    /// Continue it.
    Resume(Who),
    /// Cut every link to and from a node.
    Isolate(Who, u32),
    /// The node can hear but not send (`true`), or send but not hear.
    OneWay(Who, u32, bool),
    /// Only nodes in the same group can talk.
    Partition(Vec<Vec<NodeSlot>>),
    /// Messages from the first set to the second are lost.
    Cut(Vec<NodeSlot>, Vec<NodeSlot>),
    /// Remove every partition and cut.
    Heal,
    /// A node's clock speed.
    Skew(NodeSlot, f64),
    /// Network noise from now on.
    Noise(NetNoise),
    /// Torn writes on crash.
    Torn(bool),
    /// Clients start (true) or stop (false) issuing new operations.
    Workload(bool),
    /// The operator asks for a membership change (retried until done).
    Membership(MembershipOp),
    /// The operator asks the leader to hand over to one of its other
    /// voters, picked by `pick` when the transfer strikes, and remembered
    /// under `name`.
    TransferLeader {
        /// Which voter (modulo their number).
        pick: u32,
        /// The name the target is remembered under.
        name: u32,
    },
}

/// A fault at a virtual time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimedFault {
    /// When.
    pub at_ns: u64,
    /// What.
    pub fault: Fault,
}

/// The whole fault schedule of a run, sorted by time.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Schedule {
    /// The steps, in time order (ties keep list order).
    pub steps: Vec<TimedFault>,
}

/// An impairment in force: which nodes it takes out of the majority, until when.
struct Active {
    until_ns: u64,
    nodes: usize,
    network: bool,
}

impl Schedule {
    /// The schedule for `mix` on `nodes` nodes: faults during `[0,
    /// fault_end_ns)`, then everything healed at `fault_end_ns`, and clients
    /// stopped at `quiet_ns` so pending operations can finish.
    #[must_use]
    pub fn generate(
        mix: &FaultMix,
        seed: u64,
        nodes: usize,
        fault_end_ns: u64,
        quiet_ns: u64,
    ) -> Schedule {
        // One stream, drawn in this order: the opening skews, then the faults.
        let mut rng = streams::stream(seed, Concern::Nemesis);
        let mut steps = opening(mix, nodes, &mut rng);
        steps.extend(faults(mix, nodes, fault_end_ns, &mut rng));
        let mut spares = 0;
        if let Some(plan) = &mix.membership {
            steps.extend(plan.steps(seed, nodes, fault_end_ns));
            spares = plan.spares(nodes);
        }
        steps.extend(closing(mix, nodes + spares, fault_end_ns, quiet_ns));
        steps.sort_by_key(|s| s.at_ns);
        Schedule { steps }
    }
}

/// What holds from time 0: the noise, torn writes, each node's clock rate.
fn opening(mix: &FaultMix, nodes: usize, rng: &mut impl Rng) -> Vec<TimedFault> {
    let at = |at_ns, fault| TimedFault { at_ns, fault };
    let mut steps = vec![at(0, Fault::Noise(mix.noise.clone()))];
    if mix.torn_writes {
        steps.push(at(0, Fault::Torn(true)));
    }
    if mix.clock_drift > 0.0 {
        for n in 0..nodes {
            let factor = 1.0 + rng.random_range(-mix.clock_drift..=mix.clock_drift);
            let factor = (factor * 1000.0).round() / 1000.0;
            steps.push(at(0, Fault::Skew(NodeSlot::new(n), factor)));
        }
    }
    steps
}

/// The faults of `[0, fault_end_ns)`: each strikes after a random gap and
/// lasts a random length, and together they never take out more nodes than
/// a majority can lose (so a correct cluster keeps a quorum of reachable,
/// running nodes; §5.2's liveness needs one).
fn faults(mix: &FaultMix, nodes: usize, fault_end_ns: u64, rng: &mut impl Rng) -> Vec<TimedFault> {
    let at = |at_ns, fault| TimedFault { at_ns, fault };
    let mut steps = Vec::new();
    let tolerance = nodes.saturating_sub(1) / 2;
    let mut kinds: Vec<u8> = Vec::new();
    if mix.crashes {
        kinds.push(0);
    }
    if mix.pauses {
        kinds.push(1);
    }
    if !mix.partitions.is_empty() {
        kinds.push(2);
    }
    let mut active: Vec<Active> = Vec::new();
    let mut t = 0u64;
    let mut next_name = 0u32;
    while !kinds.is_empty() && tolerance > 0 {
        t += gap(rng, mix.fault_gap_ns);
        if t >= fault_end_ns {
            break;
        }
        active.retain(|a| a.until_ns > t);
        // Counted, not by identity: a fault aimed at "the leader" is
        // resolved only when it strikes.
        let impaired: usize = active.iter().map(|a| a.nodes).sum();
        let room = tolerance.saturating_sub(impaired);
        if room == 0 {
            continue;
        }
        let length = gap(rng, mix.fault_length_ns).max(1_000_000);
        let end = (t + length).min(fault_end_ns);
        let who = if rng.random_bool(mix.leader_bias) {
            Who::Leader
        } else {
            Who::Node(NodeSlot::new(rng.random_range(0..nodes)))
        };
        let name = next_name;
        next_name += 1;
        match kinds[rng.random_range(0..kinds.len())] {
            kind @ (0 | 1) => {
                let (down, up) = if kind == 0 {
                    crash_and_restart(who, name, mix, rng)
                } else {
                    (Fault::Pause(who, name), Fault::Resume(Who::Named(name)))
                };
                steps.push(at(t, down));
                steps.push(at(end, up));
                active.push(Active {
                    until_ns: end,
                    nodes: 1,
                    network: false,
                });
            }
            _ => {
                if active.iter().any(|a| a.network) {
                    continue; // one partition at a time: `heal` ends them all
                }
                let kind = mix.partitions[rng.random_range(0..mix.partitions.len())];
                let shape = Shape {
                    nodes,
                    room,
                    who,
                    name,
                    start_ns: t,
                    end_ns: end,
                };
                let (faults, hurt) = partition(kind, &shape, rng);
                steps.extend(faults);
                active.push(Active {
                    until_ns: end,
                    nodes: hurt,
                    network: true,
                });
            }
        }
    }
    steps
}

/// A crash of `who` (or, by the mix's bias, of the node the last step left
/// mid-write) and the restart of the same node.
fn crash_and_restart(who: Who, name: u32, mix: &FaultMix, rng: &mut impl Rng) -> (Fault, Fault) {
    let down = if rng.random_bool(mix.mid_write_bias) {
        Fault::CrashMidWrite(name)
    } else {
        Fault::Crash(who, name)
    };
    (down, Fault::Restart(Who::Named(name)))
}

/// The heal at `fault_end_ns`: every fault undone, noise off; then the
/// clients wind down at `quiet_ns`.
fn closing(mix: &FaultMix, nodes: usize, fault_end_ns: u64, quiet_ns: u64) -> Vec<TimedFault> {
    let at = |at_ns, fault| TimedFault { at_ns, fault };
    let mut clean = mix.noise.clone();
    clean.drop_probability = 0.0;
    clean.duplicate_probability = 0.0;
    clean.tail_probability = 0.0;
    let mut steps = vec![
        at(fault_end_ns, Fault::Heal),
        at(fault_end_ns, Fault::Noise(clean)),
    ];
    for n in NodeSlot::all(nodes) {
        steps.push(at(fault_end_ns, Fault::Restart(Who::Node(n))));
        steps.push(at(fault_end_ns, Fault::Resume(Who::Node(n))));
    }
    steps.push(at(quiet_ns, Fault::Workload(false)));
    steps
}

/// A probability of `tenths` tenths of a percent, computed exactly as a
/// scenario file's `P%` is parsed, so an exported run replays bit for bit.
fn percent_tenths(tenths: u32) -> f64 {
    (f64::from(tenths) / 10.0) / 100.0
}

/// A random gap around `mean_ns` (uniform in [mean/5, 2*mean)).
fn gap(rng: &mut impl Rng, mean_ns: u64) -> u64 {
    let low = mean_ns / 5;
    let high = mean_ns.saturating_mul(2).max(low + 1);
    rng.random_range(low..high)
}

/// Where and when a partition strikes.
struct Shape {
    nodes: usize,
    /// How many more nodes may be impaired.
    room: usize,
    who: Who,
    name: u32,
    start_ns: u64,
    end_ns: u64,
}

/// The steps of one partition of `kind`, and how many nodes it impairs.
fn partition(kind: PartitionKind, shape: &Shape, rng: &mut impl Rng) -> (Vec<TimedFault>, usize) {
    let at = |at_ns, fault| TimedFault { at_ns, fault };
    let Shape {
        nodes,
        room,
        who,
        name,
        start_ns,
        end_ns,
    } = *shape;
    let heal = at(end_ns, Fault::Heal);
    match kind {
        PartitionKind::Symmetric | PartitionKind::Flapping => {
            let size = 1 + rng.random_range(0..room);
            let mut pool: Vec<usize> = (0..nodes).collect();
            let mut minority: Vec<usize> = (0..size)
                .map(|_| pool.remove(rng.random_range(0..pool.len())))
                .collect();
            minority.sort_unstable();
            let groups = vec![slots(minority), slots(pool)];
            let mut steps = Vec::new();
            if kind == PartitionKind::Flapping {
                // On and off every ~1/8 of the window.
                let slice = ((end_ns - start_ns) / 8).max(1_000_000);
                let mut t = start_ns;
                let mut on = true;
                while t < end_ns {
                    let fault = if on {
                        Fault::Partition(groups.clone())
                    } else {
                        Fault::Heal
                    };
                    steps.push(at(t, fault));
                    on = !on;
                    t += slice;
                }
            } else {
                steps.push(at(start_ns, Fault::Partition(groups)));
            }
            steps.push(heal);
            (steps, size)
        }
        PartitionKind::Isolate => (vec![at(start_ns, Fault::Isolate(who, name)), heal], 1),
        PartitionKind::OneWay => {
            let fault = Fault::OneWay(who, name, rng.random_bool(0.5));
            (vec![at(start_ns, fault), heal], 1)
        }
        PartitionKind::Bridge => {
            // Halves A and B cannot talk; the bridge talks to both.
            let bridge = rng.random_range(0..nodes);
            let mut others: Vec<usize> = (0..nodes).filter(|n| *n != bridge).collect();
            for i in (1..others.len()).rev() {
                others.swap(i, rng.random_range(0..=i));
            }
            let (a, b) = others.split_at(others.len() / 2);
            let (mut a, mut b) = (slots(a.to_vec()), slots(b.to_vec()));
            a.sort_unstable();
            b.sort_unstable();
            let hurt = a.len().min(b.len()).min(room);
            let steps = vec![
                at(start_ns, Fault::Cut(a.clone(), b.clone())),
                at(start_ns, Fault::Cut(b, a)),
                heal,
            ];
            (steps, hurt)
        }
    }
}

/// Node indexes drawn by the schedule's random stream, as slots.
fn slots(indexes: Vec<usize>) -> Vec<NodeSlot> {
    indexes.into_iter().map(NodeSlot::new).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_mix_and_schedule() {
        for seed in 0..20 {
            let mix = FaultMix::from_seed(seed);
            assert_eq!(mix, FaultMix::from_seed(seed));
            let a = Schedule::generate(&mix, seed, 5, 20_000_000_000, 25_000_000_000);
            let b = Schedule::generate(&mix, seed, 5, 20_000_000_000, 25_000_000_000);
            assert_eq!(a, b);
        }
    }

    #[test]
    fn at_most_a_minority_is_crashed_or_paused_at_once() {
        for seed in 0..200 {
            let mut mix = FaultMix::from_seed(seed);
            mix.crashes = true;
            let schedule = Schedule::generate(&mix, seed, 5, 20_000_000_000, 25_000_000_000);
            let mut down = std::collections::BTreeSet::new();
            for step in &schedule.steps {
                match step.fault {
                    Fault::Crash(_, name) | Fault::Pause(_, name) | Fault::CrashMidWrite(name) => {
                        down.insert(name);
                    }
                    Fault::Restart(Who::Named(name)) | Fault::Resume(Who::Named(name)) => {
                        down.remove(&name);
                    }
                    _ => {}
                }
                assert!(down.len() <= 2, "seed {seed}: {down:?} down at once");
            }
            assert!(down.is_empty(), "everything restarts at the heal");
        }
    }

    #[test]
    fn seeds_enable_different_fault_kinds() {
        let mixes: Vec<FaultMix> = (0..50).map(FaultMix::from_seed).collect();
        assert!(mixes.iter().any(|m| m.crashes) && mixes.iter().any(|m| !m.crashes));
        assert!(mixes.iter().any(|m| m.noise.drop_probability > 0.0));
        assert!(
            mixes
                .iter()
                .any(|m| m.partitions.contains(&PartitionKind::Bridge))
        );
        assert!(mixes.iter().all(|m| m.noise.drop_probability < 0.30));
    }
}
