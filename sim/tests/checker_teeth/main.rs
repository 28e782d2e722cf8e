//! The checkers have teeth: each is fed hand-built node views that break its
//! invariant and must name it, and the same history without the break must
//! pass (so a checker that fails everything does not pass these tests
//! either).

mod commit_agreement;
mod current_term_commit;
mod durability;
mod election_safety;
mod helpers;
mod leader_append_only;
mod leader_completeness;
mod log_matching;
mod monotonicity;
mod state_machine_safety;
mod wire;
