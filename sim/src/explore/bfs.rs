//! Breadth-first search, level by level, on one thread or several.
//!
//! Single-threaded BFS meets states in order of depth, so the first
//! violation it meets is at the least depth: a shortest counterexample.
//! The parallel search keeps that guarantee and gives the same counts: each
//! level is cut into batches in order; worker threads expand a batch's
//! states (clone, apply, check, fingerprint — the costly part), and one
//! thread merges the results in the batch's order (visited-set inserts and
//! trail pushes — cheap). The merge sees children in exactly the order the
//! single-threaded search generates them, so it keeps the same states,
//! records the same parents and stops at the same first violation.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::report::{Progress, Report, Sometimes, SometimesBits};
use super::state::{Fingerprint, Model, State};
use super::trail::Trail;
use super::visited::{Key, Visited};
use crate::checker::Violation;

/// States expanded between two merges (per worker thread).
const BATCH_PER_JOB: usize = 512;

/// A state waiting to be expanded, with its ordinal in the trail.
struct Node {
    state: State,
    ordinal: u32,
}

/// A successor of a state.
struct Child {
    state: State,
    fingerprint: Fingerprint,
    action: u16,
    bits: SometimesBits,
}

/// Everything one state's expansion produced, in action order; it stops at
/// the first action that breaks an invariant.
struct Expansion {
    children: Vec<Child>,
    violation: Option<(u16, Violation)>,
}

fn expand(model: &Model, parent: &State) -> Expansion {
    let steps = model.enabled(parent);
    let before = Sometimes::before(parent);
    let mut children = Vec::with_capacity(steps.len());
    for (index, step) in steps.into_iter().enumerate() {
        let action = u16::try_from(index).expect("fewer than 65536 enabled actions");
        let mut state = parent.clone();
        if let Err(violation) = model.apply(&mut state, step) {
            return Expansion {
                children,
                violation: Some((action, violation)),
            };
        }
        children.push(Child {
            bits: Sometimes::seen(&before, &state),
            fingerprint: model.fingerprint(&state),
            state,
            action,
        });
    }
    Expansion {
        children,
        violation: None,
    }
}

/// Expands every state of `batch`, on `jobs` threads; results in order.
fn expand_batch(model: &Model, batch: &[Node], jobs: usize) -> Vec<Expansion> {
    if jobs <= 1 || batch.len() < 2 {
        return batch.iter().map(|n| expand(model, &n.state)).collect();
    }
    // More parts than threads, handed out as threads come free, so that a
    // slow part does not hold the others up.
    let size = batch.len().div_ceil(jobs * 8).max(1);
    let parts: Vec<&[Node]> = batch.chunks(size).collect();
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, Vec<Expansion>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..jobs)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let part = next.fetch_add(1, Ordering::Relaxed);
                        let Some(nodes) = parts.get(part) else {
                            return mine;
                        };
                        let expansions = nodes.iter().map(|n| expand(model, &n.state)).collect();
                        mine.push((part, expansions));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| worker.join().expect("an explorer thread panicked"))
            .collect()
    });
    done.sort_unstable_by_key(|(part, _)| *part);
    done.into_iter().flat_map(|(_, e)| e).collect()
}

/// Breadth-first search of `model` on `jobs` threads, keeping `K`-bit
/// fingerprints.
pub(crate) fn search<K: Key>(
    model: &Model,
    jobs: usize,
    progress: &mut dyn FnMut(&Progress),
) -> Report {
    let mut report = Report::empty(true);
    let mut visited: Visited<K> = Visited::new();
    let mut trail = Trail::new();
    let start = model.initial();
    visited.insert(model.fingerprint(&start));
    report.distinct_states = 1;
    report.generated_states = 1;
    let mut level = VecDeque::from([Node {
        state: start,
        ordinal: 0,
    }]);
    let mut depth = 0;
    let max_depth = model.bounds.max_depth;
    let batch_size = BATCH_PER_JOB * jobs.max(1);
    while !level.is_empty() {
        report.depth = depth;
        if depth >= max_depth {
            report.cut_by_depth =
                level.iter().filter(|n| model.expandable(&n.state)).count() as u64;
            break;
        }
        let mut next = VecDeque::new();
        while !level.is_empty() {
            let take = batch_size.min(level.len());
            let batch: Vec<Node> = level
                .drain(..take)
                .filter(|n| model.expandable(&n.state))
                .collect();
            let expansions = expand_batch(model, &batch, jobs);
            for (parent, expansion) in batch.iter().zip(expansions) {
                for child in expansion.children {
                    report.generated_states += 1;
                    report.sometimes.note(child.bits, depth + 1);
                    if visited.insert(child.fingerprint) {
                        let ordinal = trail
                            .push(parent.ordinal, child.action)
                            .expect("fewer than 2^32 distinct states");
                        report.distinct_states += 1;
                        next.push_back(Node {
                            state: child.state,
                            ordinal,
                        });
                    }
                }
                if let Some((action, violation)) = expansion.violation {
                    report.generated_states += 1;
                    report.depth = depth + 1;
                    let mut path = trail.path_to(parent.ordinal);
                    path.push(action);
                    report.visited_bytes = (visited.bytes() + trail.bytes()) as u64;
                    report.found(model, &path, violation);
                    return report;
                }
            }
            progress(&Progress {
                generated: report.generated_states,
                distinct: report.distinct_states,
                depth: depth + 1,
                queue: (level.len() + next.len()) as u64,
                visited_bytes: (visited.bytes() + trail.bytes()) as u64,
            });
        }
        level = next;
        depth += 1;
    }
    report.visited_bytes = (visited.bytes() + trail.bytes()) as u64;
    report
}
