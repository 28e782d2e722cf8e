//! A compare-and-set register, the model of Jepsen's etcd and Consul tests
//! (Knossos's `cas-register`): read, write, and cas, starting empty (nil).

use serde::{Deserialize, Serialize};

use crate::model::Model;

/// An operation on the register.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RegisterInput {
    /// Read the value.
    Read,
    /// Set the value.
    Write(i64),
    /// Set the value to `new` if it is `expected`.
    Cas {
        /// The value required.
        expected: i64,
        /// The value set.
        new: i64,
    },
}

/// What a register operation returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RegisterOutput {
    /// A read saw this value (`None`: never written).
    Read(Option<i64>),
    /// A write, or a cas that found its expected value, took effect.
    Ok,
}

/// The register.
#[derive(Clone, Copy, Debug, Default)]
pub struct Register;

impl Model for Register {
    type State = Option<i64>;
    type Input = RegisterInput;
    type Output = RegisterOutput;
    type Key = ();

    fn init(&self) -> Option<i64> {
        None
    }

    fn step(
        &self,
        state: &Option<i64>,
        input: &RegisterInput,
        output: Option<&RegisterOutput>,
    ) -> Option<Option<i64>> {
        match (input, output) {
            (RegisterInput::Read, None) => Some(*state),
            (RegisterInput::Read, Some(RegisterOutput::Read(seen))) => {
                (seen == state).then_some(*state)
            }
            (RegisterInput::Write(value), None | Some(RegisterOutput::Ok)) => Some(Some(*value)),
            // A cas of unknown outcome took effect only if it could.
            (RegisterInput::Cas { expected, new }, None) => Some(if *state == Some(*expected) {
                Some(*new)
            } else {
                *state
            }),
            (RegisterInput::Cas { expected, new }, Some(RegisterOutput::Ok)) => {
                (*state == Some(*expected)).then_some(Some(*new))
            }
            (RegisterInput::Read, Some(RegisterOutput::Ok))
            | (
                RegisterInput::Write(_) | RegisterInput::Cas { .. },
                Some(RegisterOutput::Read(_)),
            ) => None,
        }
    }

    fn key(&self, _input: &RegisterInput) {}

    fn observes(&self, output: &RegisterOutput, writer: &RegisterInput) -> bool {
        match (output, writer) {
            (
                RegisterOutput::Read(Some(seen)),
                RegisterInput::Write(value) | RegisterInput::Cas { new: value, .. },
            ) => seen == value,
            _ => false,
        }
    }

    fn is_read_only(&self, input: &RegisterInput) -> bool {
        matches!(input, RegisterInput::Read)
    }

    fn describe_operation(&self, input: &RegisterInput, output: Option<&RegisterOutput>) -> String {
        let asked = match input {
            RegisterInput::Read => "read".to_owned(),
            RegisterInput::Write(value) => format!("write({value})"),
            RegisterInput::Cas { expected, new } => format!("cas({expected} → {new})"),
        };
        match output {
            Some(RegisterOutput::Read(seen)) => format!("{asked} → {}", describe(*seen)),
            Some(RegisterOutput::Ok) => format!("{asked} → ok"),
            None => format!("{asked} → ?"),
        }
    }

    fn describe_state(&self, state: &Option<i64>) -> String {
        describe(*state)
    }
}

fn describe(value: Option<i64>) -> String {
    value.map_or_else(|| "nil".to_owned(), |v| v.to_string())
}
