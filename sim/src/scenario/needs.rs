//! What a scenario asks of the Raft under test: the first step that needs a
//! feature the implementation lacks ([`crate::sut::Capabilities`]), so that
//! the scenario is skipped with the reason rather than run half-way.

use super::ast::{Scenario, StepKind};
use crate::read_path::ReadPath;
use crate::sut::{Feature, Sut};

/// Why a scenario cannot run on an implementation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skip {
    /// `file:line:col` of the step.
    pub location: String,
    /// The step as written.
    pub line: String,
    /// What the implementation lacks.
    pub why: String,
}

impl std::fmt::Display for Skip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (at {}: `{}`)", self.why, self.location, self.line)
    }
}

/// The features `kind` needs: its verb's, and those its arguments ask for
/// (learners and snapshots on the `cluster` line, a `clients` line's read
/// path, ReadIndex by default).
fn features(kind: &StepKind) -> Vec<Feature> {
    let mut needs: Vec<Feature> = kind.verb().needs.into_iter().collect();
    match kind {
        StepKind::Cluster { options, .. } => {
            if options.learners.is_some_and(|n| n > 0) {
                needs.push(Feature::Membership);
            }
            if options.snapshot_every.is_some() {
                needs.push(Feature::Snapshots);
            }
        }
        StepKind::Clients { reads, .. } => {
            needs.extend(reads.unwrap_or(ReadPath::Index).needs());
        }
        _ => {}
    }
    needs
}

/// The first step of `scenario` that `sut` cannot run, and why (the
/// `cluster` line's, if the scenario scripts other implementations'
/// messages: `# runs on: NAME`).
#[must_use]
pub fn unsupported_step(scenario: &Scenario, sut: &Sut) -> Option<Skip> {
    if let Some(names) = &scenario.runs_on {
        if !names.iter().any(|name| name == sut.name) {
            let first = scenario.steps.first()?;
            return Some(Skip {
                location: format!("{}:{}:{}", scenario.file, first.span.line, first.span.col),
                line: first.text.clone(),
                why: format!(
                    "the scenario scripts the messages of {} (`# runs on:`), not of {}",
                    names.join(", "),
                    sut.name
                ),
            });
        }
    }
    scenario.steps.iter().find_map(|step| {
        let why = features(&step.kind)
            .into_iter()
            .find_map(|feature| sut.lacks(feature))?;
        Some(Skip {
            location: format!("{}:{}:{}", scenario.file, step.span.line, step.span.col),
            line: step.text.clone(),
            why,
        })
    })
}
