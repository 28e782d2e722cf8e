//! Random walks: for bounds too large to exhaust, many seeded walks from
//! the initial state, each choosing uniformly among the enabled actions
//! until the depth bound (or a state with nothing enabled). Walk `i` draws
//! from its own stream, derived from the seed and `i`, so the same seed
//! walks the same paths on any number of threads: workers take chunks of
//! walks as they come free and one thread merges the chunks in order. A
//! visited set counts the distinct states met, for coverage; it prunes
//! nothing. The violation reported is the one of the lowest-numbered walk
//! that met one.

use std::ops::ControlFlow;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::ordered;
use super::report::{Progress, Report};
use super::state::{Fingerprint, Model, State};
use super::visited::{Key, Visited};
use super::walk_mix::WalkMix;
use crate::checker::Violation;
use crate::streams::{Concern, seed_for};

/// Walks a worker takes at a time.
const CHUNK: u64 = 64;

/// What a chunk of walks met, for the merge.
struct Chunk {
    /// The tally of the chunk's steps (counts and sometimes-properties).
    tally: Report,
    /// Every state met, in order.
    fingerprints: Vec<Fingerprint>,
    /// The first walk of the chunk that broke an invariant: its path.
    violation: Option<(Vec<u16>, Violation)>,
}

impl Chunk {
    fn new() -> Chunk {
        Chunk {
            tally: Report::empty(false),
            fingerprints: Vec::new(),
            violation: None,
        }
    }
}

/// Walks `walks` (a range of walk numbers) from `start`; with `swarm`,
/// each walk first draws its own shape ([`WalkMix`]).
fn walk_chunk(
    model: &Model,
    start: &State,
    seed: u64,
    swarm: bool,
    walks: std::ops::Range<u64>,
) -> Chunk {
    let mut chunk = Chunk::new();
    for walk in walks {
        let mut rng = ChaCha8Rng::seed_from_u64(seed_for(seed, Concern::Walk(walk)));
        let mix = swarm.then(|| WalkMix::draw(&model.bounds, &mut rng));
        let max_depth = mix.as_ref().map_or(model.bounds.max_depth, |m| m.max_depth);
        let mut state = start.clone();
        let mut path: Vec<u16> = Vec::new();
        for depth in 1..=max_depth {
            if !model.expandable(&state) {
                break;
            }
            let steps = model.enabled(&state);
            if steps.is_empty() {
                break;
            }
            let index = match &mix {
                Some(mix) => match mix.choose(&state, &steps, &mut rng) {
                    Some(index) => index,
                    None => break,
                },
                None => rng.random_range(0..steps.len()),
            };
            path.push(u16::try_from(index).expect("fewer than 65536 enabled actions"));
            if let Err(violation) = chunk.tally.take(model, &mut state, steps[index], depth) {
                chunk.violation = Some((path, violation));
                return chunk;
            }
            chunk.fingerprints.push(model.fingerprint(&state));
        }
    }
    chunk
}

/// `walks` random walks of `model` from `seed` on `jobs` threads (each of
/// its own drawn shape with `swarm`), keeping `K`-bit fingerprints.
pub(crate) fn search<K: Key>(
    model: &Model,
    (walks, seed, swarm): (u64, u64, bool),
    jobs: usize,
    progress: &mut dyn FnMut(&Progress),
) -> Report {
    let mut report = Report::empty(false);
    let mut visited: Visited<K> = Visited::new();
    let start = model.initial();
    visited.insert(model.fingerprint(&start));
    report.distinct_states = 1;
    report.generated_states = 1;
    let chunks = usize::try_from(walks.div_ceil(CHUNK)).expect("walk chunks fit in memory");
    let range = |chunk: usize| chunk as u64 * CHUNK..((chunk as u64 + 1) * CHUNK).min(walks);
    let merge = |index: usize, chunk: Chunk| {
        report.generated_states += chunk.tally.generated_states;
        report.depth = report.depth.max(chunk.tally.depth);
        report.sometimes.merge(&chunk.tally.sometimes);
        for fingerprint in chunk.fingerprints {
            report.distinct_states += u64::from(visited.insert(fingerprint));
        }
        if let Some((path, violation)) = chunk.violation {
            report.visited_bytes = visited.bytes() as u64;
            report.found(model, &path, violation);
            return ControlFlow::Break(());
        }
        progress(&Progress {
            generated: report.generated_states,
            distinct: report.distinct_states,
            depth: report.depth,
            queue: walks - range(index).end,
            visited_bytes: visited.bytes() as u64,
        });
        if (model.cancelled)() {
            report.interrupted = true;
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    };
    let walked = ordered::in_order(
        jobs,
        chunks,
        |index| walk_chunk(model, &start, seed, swarm, range(index)),
        merge,
    );
    if walked.is_continue() {
        report.visited_bytes = visited.bytes() as u64;
    }
    report
}
