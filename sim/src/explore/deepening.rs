//! Iterative deepening (`raftsim check --search deepening`): depth-first
//! searches to depth 1, then 2, and so on up to the depth bound, each from
//! scratch. The first violation is met in the first search deep enough to
//! hold one, so it is a shortest counterexample, as breadth-first search
//! finds; and memory is the depth-first search's (the visited set and one
//! path of states), not a breadth-first frontier of full states. The
//! price is time: every level is walked again by each deeper search (about
//! half as much again in all when each level is several times the last).
//! Stopped early, it has exhausted every depth below the one it was in.

use super::dfs;
use super::report::{Progress, Report, Sometimes};
use super::state::Model;
use super::visited::Key;

/// Iterative deepening of `model` up to its depth bound, keeping `K`-bit
/// fingerprints.
pub(crate) fn search<K: Key>(model: &Model, progress: &mut dyn FnMut(&Progress)) -> Report {
    let deepest = model.bounds.max_depth;
    let mut limit = deepest.min(1);
    // A property first met in the search to depth L is met at depth L (the
    // search to L - 1 met every transition above it): the least of each
    // search's depths is the property's least depth.
    let mut reached = Sometimes::default();
    loop {
        let mut bounds = model.bounds.clone();
        bounds.max_depth = limit;
        let at_limit = Model {
            bounds,
            renamings: model.renamings.clone(),
            cancelled: model.cancelled,
        };
        let mut report = dfs::search::<K>(&at_limit, progress);
        reached.merge(&report.sometimes);
        report.sometimes = reached.clone();
        // Every shallower search found nothing: a path found now is as
        // short as any.
        report.shortest = report.counterexample.is_some();
        let over = report.counterexample.is_some()
            || report.interrupted
            || report.nondeterminism.is_some()
            || report.cut_by_depth == 0
            || limit >= deepest;
        if over {
            return report;
        }
        limit += 1;
    }
}
