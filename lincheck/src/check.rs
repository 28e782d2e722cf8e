//! Checking a whole history: split it by key (P-compositionality), search
//! each part, and on a violation cut the failing part down to a small
//! sub-history that still fails, which is what a person needs to read.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::Model;
use crate::operation::{Operation, Outcome};
use crate::search::{PartVerdict, search_part};

/// The default bound on configurations (memo-table entries) one part may
/// explore. The table holds one (set of operations, state) per
/// configuration, so this bounds memory: about 70 bytes each, plus a bit per
/// operation of the part for the set (some 600 MB in all for a part of 1,500
/// operations), plus any heap the state holds.
pub const BUDGET_CONFIGURATIONS_DEFAULT: u64 = 2_000_000;

/// Parts longer than this are reported as found, without cutting them down
/// one operation at a time (each cut is a search of its own).
const MINIMIZE_OPERATIONS_MAX: usize = 400;

/// The configurations all the cutting-down searches together may explore.
const MINIMIZE_BUDGET_CONFIGURATIONS: u64 = 2_000_000;

/// The verdict on a history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Verdict {
    /// Every part has an order that fits the model and real time.
    Linearizable,
    /// Some part has none; the counterexample is a small failing sub-history.
    NotLinearizable(Counterexample),
    /// No part failed, but the budget ran out on at least one: not a pass.
    Unknown {
        /// How many parts ran out of budget.
        parts_exhausted: usize,
    },
}

/// A sub-history of one key that is not linearizable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Counterexample {
    /// The key, as the model's `Key` debug form.
    pub key: String,
    /// The operations of the sub-history: positions in the checked history,
    /// in invocation order.
    pub operations: Vec<usize>,
    /// How many operations the key had before cutting down.
    pub key_operations: usize,
    /// The longest linearizable prefix found: positions in the history, in
    /// the order they take effect.
    pub linearized: Vec<usize>,
    /// The operation that had to take effect next and could not.
    pub stuck: usize,
    /// The model's state after the prefix, described.
    pub state_after: String,
}

/// What a check did and found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The verdict.
    pub verdict: Verdict,
    /// Operations in the history.
    pub operations: usize,
    /// Operations searched (failed ones and unknown reads are left out).
    pub searched: usize,
    /// Parts (keys) searched.
    pub parts: usize,
    /// Configurations explored, over all parts.
    pub configurations: u64,
}

/// Checks `history` against `model`, exploring at most `budget` configurations
/// per part. Parts go smallest first, so the first failure found is the
/// smallest failing key; the search stops there.
pub fn check<M: Model>(
    model: &M,
    history: &[Operation<M::Input, M::Output>],
    budget: u64,
) -> Report {
    let parts = split(model, history);
    let mut report = Report {
        verdict: Verdict::Linearizable,
        operations: history.len(),
        searched: parts.iter().map(|(_, ops)| ops.len()).sum(),
        parts: parts.len(),
        configurations: 0,
    };
    let mut parts_exhausted = 0;
    for (key, ops) in &parts {
        let mut visited = 0;
        let verdict = search_positions(model, history, ops, &mut visited, budget);
        report.configurations += visited;
        match verdict {
            PartVerdict::Linearizable => {}
            PartVerdict::Exhausted => parts_exhausted += 1,
            PartVerdict::Not { longest, stuck } => {
                let counterexample = cut_down(model, history, key, ops, longest, stuck);
                report.verdict = Verdict::NotLinearizable(counterexample);
                return report;
            }
        }
    }
    if parts_exhausted > 0 {
        report.verdict = Verdict::Unknown { parts_exhausted };
    }
    report
}

/// The searched operations by key, smallest part first. Failed operations
/// never took effect, and an unknown read constrains nothing: both are left out.
fn split<M: Model>(
    model: &M,
    history: &[Operation<M::Input, M::Output>],
) -> Vec<(M::Key, Vec<usize>)> {
    let mut by_key: BTreeMap<M::Key, Vec<usize>> = BTreeMap::new();
    for (at, op) in history.iter().enumerate() {
        let left_out = match op.outcome {
            Outcome::Failed => true,
            Outcome::Unknown => model.is_read_only(&op.input),
            Outcome::Ok { .. } => false,
        };
        if !left_out {
            by_key.entry(model.key(&op.input)).or_default().push(at);
        }
    }
    let mut parts: Vec<_> = by_key.into_iter().collect();
    parts.sort_by_key(|(_, ops)| ops.len());
    parts
}

/// Searches the operations at `positions` of `history`; the verdict's
/// positions are translated back to history positions.
fn search_positions<M: Model>(
    model: &M,
    history: &[Operation<M::Input, M::Output>],
    positions: &[usize],
    visited: &mut u64,
    budget: u64,
) -> PartVerdict {
    let part: Vec<_> = positions.iter().map(|&at| &history[at]).collect();
    match search_part(model, &part, visited, budget) {
        PartVerdict::Not { longest, stuck } => PartVerdict::Not {
            longest: longest.into_iter().map(|at| positions[at]).collect(),
            stuck: positions[stuck],
        },
        other => other,
    }
}

/// Cuts a failing part down: first to the operations invoked before the
/// stuck one returned, then one operation at a time (latest first) while the
/// rest still fails. Every cut is verified by a search, so the result fails
/// for sure; a cut whose search runs out of budget is not taken.
fn cut_down<M: Model>(
    model: &M,
    history: &[Operation<M::Input, M::Output>],
    key: &M::Key,
    ops: &[usize],
    longest: Vec<usize>,
    stuck: usize,
) -> Counterexample {
    let mut current = ops.to_vec();
    let mut found = (longest, stuck);
    let mut visited = 0;
    let mut try_cut =
        |candidate: Vec<usize>, current: &mut Vec<usize>, found: &mut (Vec<usize>, usize)| {
            let left = MINIMIZE_BUDGET_CONFIGURATIONS.saturating_sub(visited);
            let mut used = 0;
            let verdict = search_positions(model, history, &candidate, &mut used, left);
            visited += used;
            if let PartVerdict::Not { longest, stuck } = verdict {
                *current = candidate;
                *found = (longest, stuck);
            }
        };
    let deadline = history[found.1].returned();
    let before: Vec<usize> = current
        .iter()
        .copied()
        .filter(|&at| history[at].invoked <= deadline)
        .collect();
    let before = with_observed(model, history, &current, before);
    if before.len() < current.len() {
        try_cut(before, &mut current, &mut found);
    }
    if current.len() <= MINIMIZE_OPERATIONS_MAX {
        let mut at = current.len();
        while at > 0 {
            at -= 1;
            let mut candidate = current.clone();
            let removed = candidate.remove(at);
            if is_observed(model, history, &candidate, removed) {
                continue;
            }
            try_cut(candidate, &mut current, &mut found);
        }
    }
    let (linearized, stuck) = found;
    let mut state = model.init();
    for &at in &linearized {
        let op = &history[at];
        state = model
            .step(&state, &op.input, op.output())
            .expect("the prefix the search linearized replays");
    }
    Counterexample {
        key: format!("{key:?}"),
        operations: current,
        key_operations: ops.len(),
        linearized,
        stuck,
        state_after: model.describe_state(&state),
    }
}

/// Whether an operation at `kept` positions saw the effect of `writer`.
fn is_observed<M: Model>(
    model: &M,
    history: &[Operation<M::Input, M::Output>],
    kept: &[usize],
    writer: usize,
) -> bool {
    kept.iter().any(|&at| {
        history[at]
            .output()
            .is_some_and(|output| model.observes(output, &history[writer].input))
    })
}

/// `kept`, plus every operation of `all` that something kept observed
/// (repeated, since an append's answer may observe another append).
fn with_observed<M: Model>(
    model: &M,
    history: &[Operation<M::Input, M::Output>],
    all: &[usize],
    mut kept: Vec<usize>,
) -> Vec<usize> {
    loop {
        let missing: Vec<usize> = all
            .iter()
            .copied()
            .filter(|at| !kept.contains(at) && is_observed(model, history, &kept, *at))
            .collect();
        if missing.is_empty() {
            // Positions in the history, so their order is invocation order.
            kept.sort_unstable();
            return kept;
        }
        kept.extend(missing);
    }
}
