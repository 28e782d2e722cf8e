//! The search on one part of a history: Wing & Gong's backtracking over the
//! operations that may go next, with Lowe's memo table of (operations
//! linearized, state) so that no configuration is explored twice — the
//! algorithm of Porcupine (Athalye) and of Lowe's checkers.
//!
//! The history is a doubly linked list of call and return entries in time
//! order. Linearizing an operation unlinks its call and return ("lifts" it);
//! reaching a return entry means its operation had to take effect by then and
//! could not, so the search backtracks. Each step is O(1) in the list.

use crate::bitset::BitSet;
use crate::memo::Memo;
use crate::model::Model;
use crate::operation::Operation;

/// What the search of one part concluded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum PartVerdict {
    /// Some order of all the operations fits the model and real time.
    Linearizable,
    /// None does. `longest` is the longest linearizable prefix the search
    /// found (positions in the part, in order); `stuck` the operation that
    /// had to take effect next and could not.
    Not { longest: Vec<usize>, stuck: usize },
    /// The budget of configurations ran out first.
    Exhausted,
}

/// Sentinels at both ends of the entry list.
const HEAD: usize = 0;

struct Entry {
    /// Position of the operation in the part.
    op: usize,
    /// A call entry (else a return entry).
    call: bool,
    /// The matching return entry of a call.
    closes: usize,
    prev: usize,
    next: usize,
}

/// The entry list: `HEAD`, the entries in time order, a tail sentinel.
struct Entries {
    list: Vec<Entry>,
}

impl Entries {
    /// Calls before returns at equal times, so that operations touching in
    /// time count as concurrent (the lenient reading, as Porcupine's).
    fn new<I, O>(part: &[&Operation<I, O>]) -> Entries {
        let mut events: Vec<(u64, bool, usize)> = Vec::with_capacity(2 * part.len());
        for (at, op) in part.iter().enumerate() {
            events.push((op.invoked, false, at));
            events.push((op.returned(), true, at));
        }
        events.sort_unstable();
        let tail = events.len() + 1;
        let mut list = Vec::with_capacity(events.len() + 2);
        list.push(Entry {
            op: usize::MAX,
            call: false,
            closes: 0,
            prev: HEAD,
            next: 1,
        });
        let mut return_of = vec![0; part.len()];
        for (position, &(_, is_return, op)) in events.iter().enumerate() {
            let here = position + 1;
            if is_return {
                return_of[op] = here;
            }
            list.push(Entry {
                op,
                call: !is_return,
                closes: 0,
                prev: here - 1,
                next: here + 1,
            });
        }
        list.push(Entry {
            op: usize::MAX,
            call: false,
            closes: 0,
            prev: tail - 1,
            next: tail,
        });
        for entry in &mut list[1..tail] {
            if entry.call {
                entry.closes = return_of[entry.op];
            }
        }
        Entries { list }
    }

    fn first(&self) -> usize {
        self.list[HEAD].next
    }

    fn is_empty(&self) -> bool {
        self.first() == self.list.len() - 1
    }

    fn unlink(&mut self, at: usize) {
        let (prev, next) = (self.list[at].prev, self.list[at].next);
        self.list[prev].next = next;
        self.list[next].prev = prev;
    }

    fn relink(&mut self, at: usize) {
        let (prev, next) = (self.list[at].prev, self.list[at].next);
        self.list[prev].next = at;
        self.list[next].prev = at;
    }

    /// Takes a call and its return out of the list.
    fn lift(&mut self, call: usize) {
        self.unlink(call);
        self.unlink(self.list[call].closes);
    }

    /// Puts them back, in the reverse order of `lift`.
    fn unlift(&mut self, call: usize) {
        self.relink(self.list[call].closes);
        self.relink(call);
    }
}

/// Searches one part. `visited` counts the configurations explored, across
/// parts; the search stops when it would pass `budget`.
pub(crate) fn search_part<M: Model>(
    model: &M,
    part: &[&Operation<M::Input, M::Output>],
    visited: &mut u64,
    budget: u64,
) -> PartVerdict {
    let mut entries = Entries::new(part);
    let mut memo = Memo::new(part.len());
    let mut linearized = BitSet::new(part.len());
    let mut state = model.init();
    // The calls lifted so far, with the state before each.
    let mut stack: Vec<(usize, M::State)> = Vec::new();
    let mut longest: Option<(Vec<usize>, usize)> = None;
    let mut cursor = entries.first();
    while !entries.is_empty() {
        let entry = &entries.list[cursor];
        if entry.call {
            let op = part[entry.op];
            if let Some(next_state) = model.step(&state, &op.input, op.output()) {
                linearized.insert(entry.op);
                if memo.insert(&linearized, &next_state) {
                    *visited += 1;
                    if *visited > budget {
                        return PartVerdict::Exhausted;
                    }
                    stack.push((cursor, std::mem::replace(&mut state, next_state)));
                    entries.lift(cursor);
                    cursor = entries.first();
                    continue;
                }
                linearized.remove(entry.op);
            }
            cursor = entry.next;
        } else {
            // A return before its call was lifted: that operation could not
            // take effect in time on this path.
            if longest
                .as_ref()
                .is_none_or(|(prefix, _)| stack.len() > prefix.len())
            {
                let prefix = stack.iter().map(|(call, _)| entries.list[*call].op);
                longest = Some((prefix.collect(), entry.op));
            }
            let Some((call, previous)) = stack.pop() else {
                let (longest, stuck) = longest.expect("set on reaching this return");
                return PartVerdict::Not { longest, stuck };
            };
            state = previous;
            linearized.remove(entries.list[call].op);
            entries.unlift(call);
            cursor = entries.list[call].next;
        }
    }
    PartVerdict::Linearizable
}
