//! The sequential specification a history is judged against.

use std::fmt::Debug;
use std::hash::Hash;

/// A sequential object: its states, the operations it takes and what they
/// return. The checker asks whether the concurrent history could have come
/// from some order of single steps of this object that respects real time.
///
/// An operation whose outcome is unknown (a timeout, a crash) is stepped with
/// `output = None`: it took effect, with whatever result. Its return time is
/// infinite, so the search may also place it after every other operation,
/// which is the same as it never happening.
pub trait Model {
    /// The object's state. Equal states must behave alike: the memo table
    /// merges searches that reach the same (set of operations, state).
    type State: Clone + Eq + Hash + Debug;
    /// What an operation asks.
    type Input: Clone + Debug;
    /// What an operation returned.
    type Output: Clone + Debug + PartialEq;
    /// The part of the object an operation touches (P-compositionality:
    /// Horn & Kroening, FORTE 2015): a history is linearizable iff every
    /// part's sub-history is, so each is checked alone.
    type Key: Clone + Ord + Debug;

    /// The state before any operation.
    fn init(&self) -> Self::State;

    /// The state after `input` from `state`, if that step may return
    /// `output` (`None`: any output, the outcome is unknown); `None` if the
    /// step cannot return it.
    fn step(
        &self,
        state: &Self::State,
        input: &Self::Input,
        output: Option<&Self::Output>,
    ) -> Option<Self::State>;

    /// The part of the object `input` touches.
    fn key(&self, input: &Self::Input) -> Self::Key;

    /// Whether `input` never changes the state. Such an operation with an
    /// unknown outcome constrains nothing and is left out of the search.
    fn is_read_only(&self, input: &Self::Input) -> bool;

    /// Whether an operation that returned `output` shows the effect of
    /// `writer` (a read that returns the value it wrote). A counterexample
    /// is cut down without removing such writers, so the story it tells
    /// stays true: a read of 1 is never shown without the write of 1.
    fn observes(&self, output: &Self::Output, writer: &Self::Input) -> bool {
        let _ = (output, writer);
        false
    }

    /// `input` and, when known, its output, for people: `put(k1, 7)`, `get(k1) → [7]`.
    fn describe_operation(&self, input: &Self::Input, output: Option<&Self::Output>) -> String;

    /// A state, for people.
    fn describe_state(&self, state: &Self::State) -> String;
}
