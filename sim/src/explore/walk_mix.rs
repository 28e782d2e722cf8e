//! Swarm-style walks (`raftsim check --search swarm`): each walk draws its
//! own shape from its stream before it starts, as the simulator's swarm
//! draws a fault mix per seed (and as swarm testing, Groce et al. 2012,
//! argues): how deep it goes, how much of each budget it may spend, and how
//! strongly it favours each kind of action. One run then covers many
//! shapes of the space: walks that never drop a message and crash twice,
//! walks that do little but elect, walks that deliver in bursts. A walk
//! still chooses among the model's enabled actions, so its path replays
//! like any other.

use rand::{Rng, RngExt};

use super::bounds::Bounds;
use super::state::State;
use super::step::Step;

/// The kinds of action a walk weighs separately.
const KINDS: usize = 12;

/// The kinds of a client's steps (new operations, timers), drawn last and
/// only when the bounds allow clients, so that walks without clients draw
/// what they drew before clients existed.
const CLIENT_KINDS: std::ops::Range<usize> = 9..11;

/// Partitions (isolate, heal), drawn last for the same reason.
const PARTITION: usize = 11;

/// The weights a kind may draw (0 turns it off for the walk; deliveries
/// are never off).
const WEIGHTS: [u32; 4] = [0, 1, 4, 16];

/// One walk's shape, drawn within the bounds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct WalkMix {
    /// Actions at most.
    pub(crate) max_depth: u32,
    max_drops: u32,
    max_dups: u32,
    max_crashes: u32,
    max_proposals: u32,
    max_client_ops: u32,
    max_client_retries: u32,
    max_partitions: u32,
    /// By kind (see [`kind`]).
    weights: [u32; KINDS],
}

impl WalkMix {
    /// A shape drawn from `rng` within `bounds`.
    pub(crate) fn draw(bounds: &Bounds, rng: &mut impl Rng) -> WalkMix {
        let mut budget = |most: u32| rng.random_range(0..=most);
        let (max_drops, max_dups) = (budget(bounds.max_drops), budget(bounds.max_dups));
        let (max_crashes, max_proposals) =
            (budget(bounds.max_crashes), budget(bounds.max_proposals));
        let mut weights = [0; KINDS];
        for (kind, weight) in weights[..CLIENT_KINDS.start].iter_mut().enumerate() {
            let floor = usize::from(kind == DELIVER);
            *weight = WEIGHTS[rng.random_range(floor..WEIGHTS.len())];
        }
        let shallowest = (bounds.max_depth / 4).max(1).min(bounds.max_depth);
        let max_depth = rng.random_range(shallowest..=bounds.max_depth);
        let (mut max_client_ops, mut max_client_retries) = (0, 0);
        if bounds.max_client_ops > 0 {
            max_client_ops = rng.random_range(1..=bounds.max_client_ops);
            max_client_retries = rng.random_range(0..=bounds.max_client_retries);
            for weight in &mut weights[CLIENT_KINDS] {
                *weight = WEIGHTS[rng.random_range(1..WEIGHTS.len())];
            }
        }
        let mut max_partitions = 0;
        if bounds.max_partitions > 0 {
            max_partitions = rng.random_range(1..=bounds.max_partitions);
            weights[PARTITION] = WEIGHTS[rng.random_range(1..WEIGHTS.len())];
        }
        WalkMix {
            max_depth,
            max_partitions,
            max_drops,
            max_dups,
            max_crashes,
            max_proposals,
            max_client_ops,
            max_client_retries,
            weights,
        }
    }

    /// The index of the action to take among `steps` (enabled in `state`),
    /// or `None` if the walk's shape allows none of them.
    pub(crate) fn choose(
        &self,
        state: &State,
        steps: &[Step],
        rng: &mut impl Rng,
    ) -> Option<usize> {
        let weight = |step: &Step| {
            let spent = &state.spent;
            let within = match step {
                Step::Drop(_) => spent.drops < self.max_drops,
                Step::Duplicate(_) => spent.dups < self.max_dups,
                Step::Crash(..) => spent.crashes < self.max_crashes,
                Step::Propose(_) => spent.proposals < self.max_proposals,
                Step::Submit(..) => spent.client_ops < self.max_client_ops,
                Step::WakeClient(_) => spent.client_retries < self.max_client_retries,
                Step::Isolate(_) => spent.partitions < self.max_partitions,
                _ => true,
            };
            if within { self.weights[kind(step)] } else { 0 }
        };
        let total: u64 = steps.iter().map(|s| u64::from(weight(s))).sum();
        if total == 0 {
            return None;
        }
        let mut at = rng.random_range(0..total);
        steps.iter().position(|step| {
            let w = u64::from(weight(step));
            if at < w {
                true
            } else {
                at -= w;
                false
            }
        })
    }
}

/// Deliveries, the one kind no walk turns off.
const DELIVER: usize = 0;

/// The kind a step is weighed as.
fn kind(step: &Step) -> usize {
    match step {
        Step::Deliver(_) => DELIVER,
        Step::Drop(_) => 1,
        Step::Duplicate(_) => 2,
        Step::Campaign(_) => 3,
        Step::Heartbeat(_) | Step::CheckQuorum(_) | Step::Compact(_) => 4,
        Step::Persist(_) => 5,
        Step::Crash(..) => 6,
        Step::Restart(_) => 7,
        Step::Propose(_) => 8,
        Step::Submit(..) => 9,
        Step::WakeClient(_) => 10,
        // Weighed as a delivery: it is many of them.
        Step::Stabilize => DELIVER,
        Step::Isolate(_) | Step::Heal => PARTITION,
        // Rare operator actions, weighed as the rarest faults are.
        Step::Reconfigure(_) | Step::TransferLeader(_) => PARTITION,
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;

    #[test]
    fn drawn_shapes_stay_within_the_bounds_and_differ() {
        let bounds = Bounds {
            max_depth: 40,
            max_crashes: 2,
            ..Bounds::default()
        };
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let shapes: Vec<WalkMix> = (0..200).map(|_| WalkMix::draw(&bounds, &mut rng)).collect();
        for shape in &shapes {
            assert!((10..=40).contains(&shape.max_depth), "{shape:?}");
            assert!(shape.max_crashes <= 2 && shape.max_drops <= 1, "{shape:?}");
            assert!(shape.weights[DELIVER] > 0, "{shape:?}");
        }
        let distinct: std::collections::BTreeSet<_> =
            shapes.iter().map(|s| (s.max_depth, s.weights)).collect();
        assert!(distinct.len() > 150, "{}", distinct.len());
        assert!(shapes.iter().any(|s| s.max_crashes == 0));
        assert!(shapes.iter().any(|s| s.weights[6] == 0));
    }
}
