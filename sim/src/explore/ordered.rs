//! Work in parallel, results in order: `count` pieces of work are done by
//! `jobs` worker threads as they come free, while the calling thread takes
//! the results in piece order (a result that arrives early waits for those
//! before it). What the caller does with the results is therefore the same
//! for any number of threads, which is how the parallel searches give the
//! counts, order and counterexample of a single-threaded one.

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

/// Runs `work(i)` for `i` in `0..count` on `jobs` threads (on the calling
/// thread alone if `jobs` is 1) and hands each result to `take(i, result)`
/// in order of `i`; stops handing out work once `take` breaks.
pub(crate) fn in_order<T: Send>(
    jobs: usize,
    count: usize,
    work: impl Fn(usize) -> T + Sync,
    mut take: impl FnMut(usize, T) -> ControlFlow<()>,
) -> ControlFlow<()> {
    if jobs <= 1 || count < 2 {
        return (0..count).try_for_each(|index| take(index, work(index)));
    }
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let (results, arrivals) = mpsc::channel::<(usize, T)>();
        for _ in 0..jobs {
            let results = results.clone();
            let (next, stop, work) = (&next, &stop, &work);
            scope.spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    if index >= count || results.send((index, work(index))).is_err() {
                        return;
                    }
                }
            });
        }
        drop(results);
        let mut early = BTreeMap::new();
        let mut wanted = 0;
        for (index, result) in arrivals {
            early.insert(index, result);
            while let Some(result) = early.remove(&wanted) {
                if take(wanted, result).is_break() {
                    stop.store(true, Ordering::Relaxed);
                    return ControlFlow::Break(());
                }
                wanted += 1;
            }
        }
        assert_eq!(wanted, count, "every piece of work was done and taken");
        ControlFlow::Continue(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_in_order_and_stop_when_asked() {
        for jobs in [1, 2, 5] {
            let mut seen = Vec::new();
            let finished = in_order(
                jobs,
                100,
                |i| i * i,
                |i, square| {
                    assert_eq!(square, i * i);
                    seen.push(i);
                    ControlFlow::Continue(())
                },
            );
            assert!(finished.is_continue());
            assert_eq!(seen, (0..100).collect::<Vec<_>>(), "jobs {jobs}");
            let mut taken = 0;
            let stopped = in_order(
                jobs,
                100,
                |i| i,
                |i, _| {
                    taken += 1;
                    if i == 10 {
                        ControlFlow::Break(())
                    } else {
                        ControlFlow::Continue(())
                    }
                },
            );
            assert!(stopped.is_break());
            assert_eq!(taken, 11, "jobs {jobs}: nothing is taken after the break");
        }
    }
}
