//! Breadth-first search, level by level, on one thread or several, with
//! sleep sets when partial-order reduction is on ([`super::por`]).
//!
//! Single-threaded BFS meets states in order of depth, so the first
//! violation it meets is at the least depth: a shortest counterexample.
//! The parallel search keeps that guarantee and gives the same counts: each
//! level is cut into batches in order; worker threads expand batches
//! (rebuild, apply every action, check, fingerprint — the costly part) as
//! they come free, while one thread merges the results in batch order
//! (visited-set inserts and trail pushes — cheap), overlapping the workers.
//! The merge sees children in exactly the order the single-threaded search
//! generates them, so it keeps the same states, records the same parents
//! and stops at the same first violation.
//!
//! The frontier holds no full states: a waiting state is its parent (shared
//! by every sibling) and the action that leads to it, and is rebuilt when
//! its turn comes (the code is deterministic, so the rebuilt state is the
//! state that was fingerprinted; a rebuild that fails to apply is hidden
//! nondeterminism and is reported). Memory then goes to one level of
//! parents, not to the next, larger, level; states at the depth bound are
//! never queued at all. The price is applying each distinct state's action
//! twice.

use std::collections::VecDeque;
use std::ops::ControlFlow;
use std::sync::{Arc, Mutex};

use super::ordered;
use super::por::{self, Sleep};
use super::report::{Progress, Report, Sometimes, SometimesBits};
use super::state::{Fingerprint, Model, State};
use super::step::Step;
use super::trail::Trail;
use super::visited::{Key, Visited};
use crate::checker::Violation;

/// States a worker expands at a time (and the merge takes at a time).
const BATCH: usize = 256;

/// A state waiting to be expanded: rebuilt from its parent by one action.
struct Node {
    /// The state it is reached from (the initial state for the root).
    parent: Arc<State>,
    /// The action from `parent`; `None` for the initial state itself.
    step: Option<Step>,
    /// Its ordinal in the trail (its path).
    ordinal: u32,
    /// The actions not to take from it (partial-order reduction).
    sleep: Sleep,
}

/// A successor of a state, as the merge needs it (the state itself is not
/// kept: it is rebuilt if it is queued).
struct Child {
    fingerprint: Fingerprint,
    action: u16,
    step: Step,
    expandable: bool,
    bits: SometimesBits,
    sleep: Sleep,
}

/// Everything one state's expansion produced, in action order; it stops at
/// the first action that breaks an invariant.
struct Expansion {
    /// The expanded state's ordinal in the trail.
    ordinal: u32,
    /// The expanded state, shared by the children that are queued.
    state: Arc<State>,
    children: Vec<Child>,
    violation: Option<(u16, Violation)>,
    /// The rebuilt state did not come out as it was generated.
    diverged: Option<String>,
}

/// Rebuilds `node`'s state from its parent.
fn rebuild(model: &Model, node: &Node) -> Result<Arc<State>, String> {
    let Some(step) = node.step else {
        return Ok(Arc::clone(&node.parent));
    };
    let mut state = (*node.parent).clone();
    match model.apply(&mut state, step) {
        Ok(()) => Ok(Arc::new(state)),
        Err(violation) => Err(format!(
            "rebuilding a queued state, `{}` broke {} though it did not when the state was \
             first generated",
            step.scenario_line(),
            violation.invariant
        )),
    }
}

fn expand(model: &Model, node: &Node, reduce: bool) -> Expansion {
    let parent = match rebuild(model, node) {
        Ok(state) => state,
        Err(why) => {
            return Expansion {
                ordinal: node.ordinal,
                state: Arc::clone(&node.parent),
                children: Vec::new(),
                violation: None,
                diverged: Some(why),
            };
        }
    };
    let steps = model.enabled_keyed(&parent);
    let before = Sometimes::before(&parent);
    let mut children = Vec::with_capacity(steps.len());
    // Actions already taken from here that may sleep in later siblings.
    let mut taken: Sleep = Vec::new();
    for (index, (step, key)) in steps.iter().enumerate() {
        let action = u16::try_from(index)
            .expect("within 16 bits: the CLI refuses bounds past `Bounds::check_capacity`");
        if node.sleep.iter().any(|(k, _)| k == key) {
            continue;
        }
        let mut state = (*parent).clone();
        if let Err(violation) = model.apply(&mut state, *step) {
            return Expansion {
                ordinal: node.ordinal,
                state: parent,
                children,
                violation: Some((action, violation)),
                diverged: None,
            };
        }
        let sleep: Sleep = if reduce {
            let sleep = node
                .sleep
                .iter()
                .chain(&taken)
                .filter(|(_, asleep)| por::independent(asleep, step))
                .copied()
                .collect();
            if state.message_count() <= parent.message_count() {
                taken.push((*key, *step));
            }
            sleep
        } else {
            Vec::new()
        };
        children.push(Child {
            bits: Sometimes::seen(&before, &state),
            fingerprint: model.fingerprint(&state),
            expandable: model.expandable(&state),
            action,
            step: *step,
            sleep,
        });
    }
    Expansion {
        ordinal: node.ordinal,
        state: parent,
        children,
        violation: None,
        diverged: None,
    }
}

/// The search's running totals and tables.
struct Search<K: Key> {
    report: Report,
    visited: Visited<K>,
    trail: Trail,
    fingerprints: Option<Vec<u128>>,
    /// States at this depth are checked, never expanded.
    max_depth: u32,
}

impl<K: Key> Search<K> {
    fn memory(&self) -> u64 {
        (self.visited.bytes() + self.trail.bytes()) as u64
    }

    /// Takes `child` of `parent` into the next level if it is new, with the
    /// sleep set of the path that met it first (see `por` for why that is
    /// enough). Children at the depth bound are counted, never queued.
    fn merge(
        &mut self,
        parent: (&Arc<State>, u32),
        child: Child,
        depth: u32,
        next: &mut VecDeque<Node>,
    ) {
        self.report.generated_states += 1;
        self.report.sometimes.note(child.bits, depth);
        if !self.visited.insert(child.fingerprint) {
            return;
        }
        self.report.distinct_states += 1;
        if let Some(all) = &mut self.fingerprints {
            all.push(child.fingerprint);
        }
        if !child.expandable {
            return;
        }
        if depth >= self.max_depth {
            self.report.cut_by_depth += 1;
            return;
        }
        // A full trail ends the search's reach, reported, not a panic.
        let Some(ordinal) = self.trail.push(parent.1, child.action) else {
            self.report.cut_by_capacity += 1;
            return;
        };
        next.push_back(Node {
            parent: Arc::clone(parent.0),
            step: Some(child.step),
            ordinal,
            sleep: child.sleep,
        });
    }
}

/// Breadth-first search of `model` on `jobs` threads, keeping `K`-bit
/// fingerprints, with sleep sets if `reduce`.
pub(crate) fn search<K: Key>(
    model: &Model,
    jobs: usize,
    reduce: bool,
    record_fingerprints: bool,
    progress: &mut dyn FnMut(&Progress),
) -> Report {
    let mut search: Search<K> = Search {
        report: Report::empty(true),
        visited: Visited::new(),
        trail: Trail::new(),
        fingerprints: record_fingerprints.then(Vec::new),
        max_depth: model.bounds.max_depth,
    };
    let start = model.initial();
    let root = model.fingerprint(&start);
    search.visited.insert(root);
    if let Some(all) = &mut search.fingerprints {
        all.push(root);
    }
    search.report.distinct_states = 1;
    search.report.generated_states = 1;
    let mut level = VecDeque::new();
    if !model.expandable(&start) {
        // Nothing to expand.
    } else if model.bounds.max_depth == 0 {
        search.report.cut_by_depth = 1;
    } else {
        level.push_back(Node {
            parent: Arc::new(start),
            step: None,
            ordinal: 0,
            sleep: Vec::new(),
        });
    }
    let mut depth = 0;
    while !level.is_empty() {
        search.report.depth = depth;
        let mut next = VecDeque::new();
        let (batches, left) = batches(&mut level);
        let mut level_run = LevelRun {
            search: &mut search,
            model,
            depth,
            next: &mut next,
            progress,
            left,
        };
        let finished = ordered::in_order(
            jobs,
            batches.len(),
            |index| -> Vec<Expansion> {
                let batch = batches[index]
                    .lock()
                    .expect("the lock is held only to take the batch: never poisoned")
                    .take()
                    .expect("each batch is expanded once");
                batch.iter().map(|n| expand(model, n, reduce)).collect()
            },
            |_, expansions| level_run.merge_batch(expansions),
        );
        if finished.is_break() {
            return search.finish();
        }
        level = next;
        depth += 1;
    }
    search.report.visited_bytes = search.memory();
    search.finish()
}

/// The level cut into batches, and how many states they hold. Each batch is
/// taken by the worker that expands it and dropped there, so a parent state
/// is freed as soon as its last child is expanded, not at the end of the
/// level (the peak of memory is the states kept for the next level, no
/// longer those of the previous one as well).
fn batches(level: &mut VecDeque<Node>) -> (Vec<Mutex<Option<Vec<Node>>>>, usize) {
    let mut batches = Vec::with_capacity(level.len().div_ceil(BATCH));
    let mut left = 0;
    while !level.is_empty() {
        let batch: Vec<Node> = level.drain(..BATCH.min(level.len())).collect();
        left += batch.len();
        batches.push(Mutex::new(Some(batch)));
    }
    (batches, left)
}

/// The merge of one level, batch after batch in order.
struct LevelRun<'a, K: Key> {
    search: &'a mut Search<K>,
    model: &'a Model,
    depth: u32,
    next: &'a mut VecDeque<Node>,
    progress: &'a mut dyn FnMut(&Progress),
    /// States of the level not merged yet.
    left: usize,
}

impl<K: Key> LevelRun<'_, K> {
    /// Merges the expansions of `batch`; breaks once the search is over (a
    /// violation, or a rebuild that diverged).
    fn merge_batch(&mut self, expansions: Vec<Expansion>) -> ControlFlow<()> {
        let search = &mut *self.search;
        let depth = self.depth;
        let merged = expansions.len();
        for expansion in expansions {
            if let Some(why) = expansion.diverged {
                search.report.nondeterminism = Some(why);
                search.report.visited_bytes = search.memory();
                return ControlFlow::Break(());
            }
            for child in expansion.children {
                search.report.depth = depth + 1;
                search.merge(
                    (&expansion.state, expansion.ordinal),
                    child,
                    depth + 1,
                    self.next,
                );
            }
            if let Some((action, violation)) = expansion.violation {
                search.report.generated_states += 1;
                search.report.depth = depth + 1;
                let mut path = search.trail.path_to(expansion.ordinal);
                path.push(action);
                search.report.visited_bytes = search.memory();
                search.report.found(self.model, &path, violation);
                return ControlFlow::Break(());
            }
        }
        self.left -= merged;
        (self.progress)(&Progress {
            generated: search.report.generated_states,
            distinct: search.report.distinct_states,
            depth: depth + 1,
            queue: (self.left + self.next.len()) as u64,
            visited_bytes: search.memory(),
        });
        if (self.model.cancelled)() {
            search.report.interrupted = true;
            search.report.visited_bytes = search.memory();
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }
}

impl<K: Key> Search<K> {
    fn finish(mut self) -> Report {
        self.report.fingerprints = self.fingerprints.take().unwrap_or_default();
        self.report
    }
}
