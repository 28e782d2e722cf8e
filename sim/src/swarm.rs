//! Swarm testing: the seed chooses which fault kinds a run enables and how
//! hard each one hits, then a fault schedule within what Raft tolerates (at
//! most a minority of nodes impaired at once), ending with a heal.
//!
//! The schedule is a plain list of timed faults, made before the run from
//! its own random stream, so that it can be printed, exported as a scenario
//! and shrunk, while the noise streams stay fixed.

use std::collections::BTreeSet;
use std::fmt;

use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

use crate::net::NetNoise;
use crate::streams::{self, Concern};
use crate::world::Action;

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
}

impl FaultMix {
    /// The mix seed `seed` picks: each fault kind on or off, each rate drawn.
    #[must_use]
    pub fn from_seed(seed: u64) -> FaultMix {
        let mut rng = streams::stream(seed, Concern::FaultMix);
        let mut noise = NetNoise::default();
        if rng.random_bool(0.5) {
            noise.drop_probability = rng.random_range(0.0..0.30);
        }
        if rng.random_bool(0.5) {
            noise.duplicate_probability = rng.random_range(0.0..0.20);
        }
        noise.delay_min_ns = rng.random_range(100_000..2_000_000);
        noise.delay_max_ns = noise.delay_min_ns + rng.random_range(0..20_000_000);
        if rng.random_bool(0.5) {
            noise.tail_probability = rng.random_range(0.0..0.05);
        }
        let all = [
            PartitionKind::Symmetric,
            PartitionKind::Isolate,
            PartitionKind::OneWay,
            PartitionKind::Bridge,
            PartitionKind::Flapping,
        ];
        let partitions = all.into_iter().filter(|_| rng.random_bool(0.4)).collect();
        FaultMix {
            noise,
            partitions,
            crashes: rng.random_bool(0.5),
            pauses: rng.random_bool(0.3),
            torn_writes: rng.random_bool(0.5),
            clock_drift: if rng.random_bool(0.3) {
                rng.random_range(0.0..0.3)
            } else {
                0.0
            },
            fault_gap_ns: rng.random_range(200_000_000..3_000_000_000),
            fault_length_ns: rng.random_range(200_000_000..4_000_000_000),
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
        }
    }
}

impl fmt::Display for FaultMix {
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
        write!(
            f,
            "  fault gap ~{} ms, fault length ~{} ms",
            self.fault_gap_ns / 1_000_000,
            self.fault_length_ns / 1_000_000
        )
    }
}

/// One timed step of a fault schedule (node indexes are 0-based).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Fault {
    /// Power loss.
    Crash(usize),
    /// Boot from disk.
    Restart(usize),
    /// Stop the process.
    Pause(usize),
    /// Continue it.
    Resume(usize),
    /// Only nodes in the same group can talk.
    Partition(Vec<Vec<usize>>),
    /// Messages from the first set to the second are lost.
    Cut(Vec<usize>, Vec<usize>),
    /// Remove every partition and cut.
    Heal,
    /// A node's clock speed.
    Skew(usize, f64),
    /// Network noise from now on.
    Noise(NetNoise),
    /// Torn writes on crash.
    Torn(bool),
    /// Clients start (true) or stop (false) issuing new operations.
    Workload(bool),
}

impl Fault {
    /// The world action(s) this step is.
    #[must_use]
    pub fn actions(&self) -> Vec<Action> {
        match self {
            Fault::Crash(n) => vec![Action::Crash(*n)],
            Fault::Restart(n) => vec![Action::Restart(*n)],
            Fault::Pause(n) => vec![Action::Pause(*n)],
            Fault::Resume(n) => vec![Action::Resume(*n)],
            Fault::Partition(groups) => {
                let mut links = Vec::new();
                for (i, a) in groups.iter().enumerate() {
                    for (j, b) in groups.iter().enumerate() {
                        if i != j {
                            for from in a {
                                links.extend(b.iter().map(|to| (*from, *to)));
                            }
                        }
                    }
                }
                vec![Action::Block(links)]
            }
            Fault::Cut(from, to) => {
                let links = from
                    .iter()
                    .flat_map(|f| to.iter().map(move |t| (*f, *t)))
                    .collect();
                vec![Action::Block(links)]
            }
            Fault::Heal => vec![Action::Heal],
            Fault::Skew(n, factor) => vec![Action::Skew {
                node: *n,
                factor: *factor,
            }],
            Fault::Noise(noise) => vec![Action::SetNoise(noise.clone())],
            Fault::Torn(on) => vec![Action::SetTorn(*on)],
            Fault::Workload(on) => vec![Action::SetWorkload(*on)],
        }
    }
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
    nodes: BTreeSet<usize>,
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
        let mut rng = streams::stream(seed, Concern::Nemesis);
        let mut steps = Vec::new();
        let at = |at_ns, fault| TimedFault { at_ns, fault };
        steps.push(at(0, Fault::Noise(mix.noise.clone())));
        if mix.torn_writes {
            steps.push(at(0, Fault::Torn(true)));
        }
        if mix.clock_drift > 0.0 {
            for n in 0..nodes {
                let factor = 1.0 + rng.random_range(-mix.clock_drift..=mix.clock_drift);
                steps.push(at(0, Fault::Skew(n, (factor * 1000.0).round() / 1000.0)));
            }
        }
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
        while !kinds.is_empty() && tolerance > 0 {
            t += gap(&mut rng, mix.fault_gap_ns);
            if t >= fault_end_ns {
                break;
            }
            active.retain(|a| a.until_ns > t);
            let impaired: BTreeSet<usize> = active.iter().flat_map(|a| a.nodes.clone()).collect();
            let room = tolerance.saturating_sub(impaired.len());
            if room == 0 {
                continue;
            }
            let length = gap(&mut rng, mix.fault_length_ns).max(1_000_000);
            let end = (t + length).min(fault_end_ns);
            let healthy: Vec<usize> = (0..nodes).filter(|n| !impaired.contains(n)).collect();
            match kinds[rng.random_range(0..kinds.len())] {
                kind @ (0 | 1) => {
                    let crash = kind == 0;
                    let node = healthy[rng.random_range(0..healthy.len())];
                    let (down, up) = if crash {
                        (Fault::Crash(node), Fault::Restart(node))
                    } else {
                        (Fault::Pause(node), Fault::Resume(node))
                    };
                    steps.push(at(t, down));
                    steps.push(at(end, up));
                    active.push(Active {
                        until_ns: end,
                        nodes: [node].into(),
                        network: false,
                    });
                }
                _ => {
                    if active.iter().any(|a| a.network) {
                        continue; // one partition at a time: `heal` ends them all
                    }
                    let kind = mix.partitions[rng.random_range(0..mix.partitions.len())];
                    let (faults, hurt) = partition(kind, nodes, &healthy, room, t, end, &mut rng);
                    steps.extend(faults);
                    active.push(Active {
                        until_ns: end,
                        nodes: hurt,
                        network: true,
                    });
                }
            }
        }
        // The heal: every fault undone, noise off, then clients wind down.
        let mut clean = mix.noise.clone();
        clean.drop_probability = 0.0;
        clean.duplicate_probability = 0.0;
        clean.tail_probability = 0.0;
        steps.push(at(fault_end_ns, Fault::Heal));
        steps.push(at(fault_end_ns, Fault::Noise(clean)));
        for n in 0..nodes {
            steps.push(at(fault_end_ns, Fault::Restart(n)));
            steps.push(at(fault_end_ns, Fault::Resume(n)));
        }
        steps.push(at(quiet_ns, Fault::Workload(false)));
        steps.sort_by_key(|s| s.at_ns);
        Schedule { steps }
    }
}

/// A random gap around `mean_ns` (uniform in [mean/5, 2*mean)).
fn gap(rng: &mut impl Rng, mean_ns: u64) -> u64 {
    let low = mean_ns / 5;
    let high = mean_ns.saturating_mul(2).max(low + 1);
    rng.random_range(low..high)
}

/// The steps of one partition of `kind`, and the nodes it impairs.
fn partition(
    kind: PartitionKind,
    nodes: usize,
    healthy: &[usize],
    room: usize,
    start_ns: u64,
    end_ns: u64,
    rng: &mut impl Rng,
) -> (Vec<TimedFault>, BTreeSet<usize>) {
    let at = |at_ns, fault| TimedFault { at_ns, fault };
    let pick = |rng: &mut dyn FnMut(usize) -> usize, count: usize| -> Vec<usize> {
        let mut pool = healthy.to_vec();
        let mut out = Vec::new();
        for _ in 0..count.min(pool.len()) {
            out.push(pool.remove(rng(pool.len())));
        }
        out.sort_unstable();
        out
    };
    let mut draw = |len: usize| rng.random_range(0..len);
    let rest = |minority: &[usize]| -> Vec<usize> {
        (0..nodes).filter(|n| !minority.contains(n)).collect()
    };
    match kind {
        PartitionKind::Symmetric | PartitionKind::Flapping => {
            let size = 1 + draw(room);
            let minority = pick(&mut draw, size);
            let groups = vec![minority.clone(), rest(&minority)];
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
            steps.push(at(end_ns, Fault::Heal));
            (steps, minority.into_iter().collect())
        }
        PartitionKind::Isolate => {
            let node = pick(&mut draw, 1);
            let groups = vec![node.clone(), rest(&node)];
            let steps = vec![
                at(start_ns, Fault::Partition(groups)),
                at(end_ns, Fault::Heal),
            ];
            (steps, node.into_iter().collect())
        }
        PartitionKind::OneWay => {
            let node = pick(&mut draw, 1);
            let others = rest(&node);
            let cut = if draw(2) == 0 {
                Fault::Cut(node.clone(), others)
            } else {
                Fault::Cut(others, node.clone())
            };
            let steps = vec![at(start_ns, cut), at(end_ns, Fault::Heal)];
            (steps, node.into_iter().collect())
        }
        PartitionKind::Bridge => {
            // Halves A and B cannot talk; the bridge talks to both.
            let bridge = healthy[draw(healthy.len())];
            let mut others: Vec<usize> = (0..nodes).filter(|n| *n != bridge).collect();
            for i in (1..others.len()).rev() {
                let j = draw(i + 1);
                others.swap(i, j);
            }
            let half = others.len() / 2;
            let (a, b) = others.split_at(half);
            let (mut a, mut b) = (a.to_vec(), b.to_vec());
            a.sort_unstable();
            b.sort_unstable();
            let steps = vec![
                at(start_ns, Fault::Cut(a.clone(), b.clone())),
                at(start_ns, Fault::Cut(b.clone(), a.clone())),
                at(end_ns, Fault::Heal),
            ];
            let smaller = if a.len() <= b.len() { a } else { b };
            let hurt: BTreeSet<usize> = smaller.into_iter().take(room).collect();
            (steps, hurt)
        }
    }
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
            let mut down = BTreeSet::new();
            for step in &schedule.steps {
                match step.fault {
                    Fault::Crash(n) | Fault::Pause(n) => {
                        down.insert(n);
                    }
                    Fault::Restart(n) | Fault::Resume(n) => {
                        down.remove(&n);
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
