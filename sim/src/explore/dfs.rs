//! Depth-first search with a depth bound: memory for one path of states
//! (plus the visited set), for bounds whose breadth-first frontier would
//! not fit. The first violation it meets is not always a shortest one.
//!
//! With a depth bound, a state first met deep (where its successors were
//! cut) may be met again nearer the start; the visited set keeps the least
//! depth each state was met at and explores a state again when it is met
//! at a lesser one, so that every state within the bound is reached.

use super::report::{Progress, Report};
use super::state::{Model, State};
use super::step::Step;
use super::visited::{Key, Visited};

/// A state on the current path, with its enabled actions and the next to try.
struct Frame {
    state: State,
    steps: Vec<Step>,
    next: usize,
}

/// Generated states between two progress reports.
const PROGRESS_EVERY: u64 = 4096;

/// Depth-first search of `model`, keeping `K`-bit fingerprints.
pub(crate) fn search<K: Key>(model: &Model, progress: &mut dyn FnMut(&Progress)) -> Report {
    let max_depth = model.bounds.max_depth.min(u32::from(u16::MAX));
    let mut report = Report::empty(false);
    let mut visited: Visited<K, u16> = Visited::new();
    let start = model.initial();
    visited.insert_with(model.fingerprint(&start), 0, |_| true);
    report.distinct_states = 1;
    report.generated_states = 1;
    let mut stack = Vec::new();
    // The action indexes of the path: one fewer than the frames.
    let mut path: Vec<u16> = Vec::new();
    if max_depth > 0 && model.expandable(&start) {
        stack.push(Frame {
            steps: model.enabled(&start),
            state: start,
            next: 0,
        });
    } else if model.expandable(&start) {
        report.cut_by_depth = 1;
    }
    while !stack.is_empty() {
        let depth = stack.len() as u32;
        let top = stack.last_mut().expect("the stack is not empty");
        let Some(&step) = top.steps.get(top.next) else {
            stack.pop();
            path.pop();
            continue;
        };
        let index = u16::try_from(top.next).expect("fewer than 65536 enabled actions");
        top.next += 1;
        let mut child = top.state.clone();
        if let Err(violation) = report.take(model, &mut child, step, depth) {
            path.push(index);
            report.visited_bytes = visited.bytes() as u64;
            report.found(model, &path, violation);
            return report;
        }
        let known = visited.len();
        let at = depth as u16;
        let fresh = visited.insert_with(model.fingerprint(&child), at, |seen| seen <= at);
        report.distinct_states += (visited.len() - known) as u64;
        if fresh && model.expandable(&child) {
            if depth < max_depth {
                path.push(index);
                stack.push(Frame {
                    steps: model.enabled(&child),
                    state: child,
                    next: 0,
                });
            } else {
                report.cut_by_depth += 1;
            }
        }
        if report.generated_states % PROGRESS_EVERY == 0 {
            progress(&Progress {
                generated: report.generated_states,
                distinct: report.distinct_states,
                depth,
                queue: stack.len() as u64,
                visited_bytes: visited.bytes() as u64,
            });
            if (model.cancelled)() {
                report.interrupted = true;
                break;
            }
        }
    }
    report.visited_bytes = visited.bytes() as u64;
    report
}
