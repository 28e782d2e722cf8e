//! `raftsim check`: the model checker. It explores the real raft-core code,
//! hosts, disks and checkers — the simulator's own `World` — exhaustively
//! within bounds, and rebuilds the first violation it finds as a manual
//! scenario that `raftsim scenario` replays.
//!
//! - **Abstract time.** No tick runs; timers are actions ("node 2's
//!   election timeout fires", "leader 1's heartbeat fires", "node 3's
//!   CheckQuorum timer fires"), so states do not multiply by tick counts.
//! - **Actions**: deliver any in-flight message (each distinct content
//!   once, in any order), drop or duplicate one (bounded), timers, crash
//!   and restart (bounded), client proposals (bounded), a node's pending
//!   write completing ([`step::Step`]).
//! - **Fingerprints** ([`state`]): hosts without their clocks and with the
//!   disk as recovery reads it, in-flight messages as a multiset, budget
//!   spent, and the history the checkers judge by; 64 bits kept in the
//!   visited set, or 128 with [`Options::fingerprint_128`].
//! - **Search**: breadth-first (a shortest counterexample), on one thread or
//!   several with the same counts ([`bfs`]); depth-first with a depth bound
//!   ([`dfs`]); seeded random walks ([`walk`]).
//! - **Memory**: the visited set holds fingerprints only ([`visited`]), the
//!   trail a parent ordinal and an action index per state ([`trail`]); full
//!   states live only in the frontier.

mod bfs;
mod bounds;
mod clients;
mod deepening;
mod dfs;
mod enabled;
mod ordered;
mod por;
mod presets;
mod report;
mod state;
mod step;
mod story;
mod symmetry;
mod trail;
mod visited;
mod walk;
mod walk_mix;

pub use bounds::{Bounds, CLIENT_OPS_MAX};
pub use presets::Preset;
pub use report::{Counterexample, Progress, Property, Report, Sometimes, scenario_text};
pub use step::{Pick, Step};
pub use story::describe_message;

use state::Model;

/// How the state space is searched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Search {
    /// Breadth-first: the first counterexample is a shortest one.
    BreadthFirst,
    /// Depth-first with the depth bound: little memory, any counterexample.
    DepthFirst,
    /// Depth-first to depth 1, 2, ... up to the bound: a shortest
    /// counterexample with depth-first memory, for more time.
    Deepening,
    /// Seeded random walks of up to the depth bound.
    RandomWalk {
        /// How many walks.
        walks: u64,
        /// The seed of the walks' choices.
        seed: u64,
        /// Swarm-style: each walk draws its own depth, budgets and weights
        /// per kind of action within the bounds (`walk_mix`), instead of
        /// choosing uniformly among the enabled actions to the depth bound.
        swarm: bool,
    },
}

/// How to search, as opposed to what ([`Bounds`]).
#[derive(Clone, Debug)]
pub struct Options {
    /// The search mode.
    pub search: Search,
    /// Worker threads for breadth-first search and random walks (1:
    /// single-threaded); the results are the same for any number.
    pub jobs: usize,
    /// Keep 128-bit fingerprints in the visited set instead of 64-bit: for
    /// runs past about 10^8 states, where 64-bit collisions (each one a
    /// state wrongly taken as visited) become likely.
    pub fingerprint_128: bool,
    /// Partial-order reduction by sleep sets (breadth-first search only):
    /// fewer transitions, the same states ([`por`]).
    pub partial_order: bool,
    /// Symmetry reduction: states that differ only by a renaming of the
    /// nodes are one state. Sound only for code that does not break ties
    /// by node id ([`symmetry`]); partial-order reduction is off with it.
    pub symmetry: bool,
    /// Keep every distinct state's fingerprint in the report (for tests
    /// that compare two searches; costs 16 bytes a state).
    pub record_fingerprints: bool,
    /// Asked between batches: true stops the search and reports what it
    /// reached, marked interrupted (the CLI's Ctrl-C).
    pub cancelled: fn() -> bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            search: Search::BreadthFirst,
            jobs: 1,
            fingerprint_128: false,
            partial_order: true,
            symmetry: false,
            record_fingerprints: false,
            cancelled: || false,
        }
    }
}

/// Searches the state space within `bounds` as `options` say; `progress`
/// is told how far the search got now and then.
pub fn check(bounds: &Bounds, options: &Options, mut progress: impl FnMut(&Progress)) -> Report {
    // Spares are not interchangeable with the bootstrap nodes (they never
    // ran): with spares the search runs without symmetry reduction.
    let renamings = if options.symmetry && bounds.spares == 0 && bounds.sut.capabilities.symmetry {
        symmetry::permutations(bounds.nodes)
    } else {
        Vec::new()
    };
    let model = Model {
        bounds: bounds.clone(),
        renamings,
        cancelled: options.cancelled,
    };
    let jobs = options.jobs.max(1);
    let progress: &mut dyn FnMut(&Progress) = &mut progress;
    let record = options.record_fingerprints;
    // Sleep sets are kept by action keys of one naming of the nodes; with
    // symmetry a state stands for its renamed twins too, so they do not mix.
    let reduce = options.partial_order && !options.symmetry;
    let mut report = match (options.search, options.fingerprint_128) {
        (Search::BreadthFirst, false) => bfs::search::<u64>(&model, jobs, reduce, record, progress),
        (Search::BreadthFirst, true) => bfs::search::<u128>(&model, jobs, reduce, record, progress),
        (Search::DepthFirst, false) => dfs::search::<u64>(&model, progress),
        (Search::DepthFirst, true) => dfs::search::<u128>(&model, progress),
        (Search::Deepening, false) => deepening::search::<u64>(&model, progress),
        (Search::Deepening, true) => deepening::search::<u128>(&model, progress),
        (Search::RandomWalk { walks, seed, swarm }, false) => {
            walk::search::<u64>(&model, (walks, seed, swarm), jobs, progress)
        }
        (Search::RandomWalk { walks, seed, swarm }, true) => {
            walk::search::<u128>(&model, (walks, seed, swarm), jobs, progress)
        }
    };
    report.sometimes.clients = bounds.max_client_ops > 0;
    report.sometimes.terms = bounds.max_term > 1;
    report.sometimes.snapshots = bounds.max_compactions > 0;
    report.sometimes.conf_changes = bounds.max_conf_changes > 0;
    report.sometimes.transfers = bounds.max_transfers > 0;
    report
}
