//! The simulator's key-value store: each key holds a list; put replaces it,
//! append extends it, get reads it. Keys are independent, so a history is
//! checked one key at a time.

use serde::{Deserialize, Serialize};

use crate::model::Model;

/// An operation on the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum KvInput {
    /// Replace the key's list with one value.
    Put {
        /// Which key.
        key: u64,
        /// The value.
        value: u64,
    },
    /// Read the key's list.
    Get {
        /// Which key.
        key: u64,
    },
    /// Append a value to the key's list.
    Append {
        /// Which key.
        key: u64,
        /// The value.
        value: u64,
    },
}

/// What a store operation returned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum KvOutput {
    /// A put or append took effect.
    Written,
    /// A get saw this list.
    Read(Vec<u64>),
    /// An append took effect and returned the list it made (for stores whose
    /// append answers with the new value).
    Appended(Vec<u64>),
}

/// The store.
#[derive(Clone, Copy, Debug)]
pub struct KeyValue {
    /// How values are shown in reports (a store whose values encode their
    /// writer can say so).
    pub describe_value: fn(u64) -> String,
}

impl Default for KeyValue {
    fn default() -> KeyValue {
        KeyValue {
            describe_value: |value| value.to_string(),
        }
    }
}

impl Model for KeyValue {
    type State = Vec<u64>;
    type Input = KvInput;
    type Output = KvOutput;
    type Key = u64;

    fn init(&self) -> Vec<u64> {
        Vec::new()
    }

    fn step(
        &self,
        state: &Vec<u64>,
        input: &KvInput,
        output: Option<&KvOutput>,
    ) -> Option<Vec<u64>> {
        match (input, output) {
            (KvInput::Put { value, .. }, None | Some(KvOutput::Written)) => Some(vec![*value]),
            (KvInput::Append { value, .. }, None | Some(KvOutput::Written)) => {
                let mut next = state.clone();
                next.push(*value);
                Some(next)
            }
            (KvInput::Append { value, .. }, Some(KvOutput::Appended(made))) => {
                let fits = made.len() == state.len() + 1
                    && made.starts_with(state)
                    && made.last() == Some(value);
                fits.then(|| made.clone())
            }
            (KvInput::Get { .. }, None) => Some(state.clone()),
            (KvInput::Get { .. }, Some(KvOutput::Read(seen))) => {
                (seen == state).then(|| state.clone())
            }
            _ => None,
        }
    }

    fn key(&self, input: &KvInput) -> u64 {
        match input {
            KvInput::Put { key, .. } | KvInput::Get { key } | KvInput::Append { key, .. } => *key,
        }
    }

    fn observes(&self, output: &KvOutput, writer: &KvInput) -> bool {
        match (output, writer) {
            (
                KvOutput::Read(list) | KvOutput::Appended(list),
                KvInput::Put { value, .. } | KvInput::Append { value, .. },
            ) => list.contains(value),
            _ => false,
        }
    }

    fn is_read_only(&self, input: &KvInput) -> bool {
        matches!(input, KvInput::Get { .. })
    }

    fn describe_operation(&self, input: &KvInput, output: Option<&KvOutput>) -> String {
        let asked = match input {
            KvInput::Put { key, value } => {
                format!("put(k{key}, {})", (self.describe_value)(*value))
            }
            KvInput::Get { key } => format!("get(k{key})"),
            KvInput::Append { key, value } => {
                format!("append(k{key}, {})", (self.describe_value)(*value))
            }
        };
        match output {
            Some(KvOutput::Written) => format!("{asked} → ok"),
            Some(KvOutput::Read(list) | KvOutput::Appended(list)) => {
                format!("{asked} → {}", self.describe_list(list))
            }
            None => format!("{asked} → ?"),
        }
    }

    fn describe_state(&self, state: &Vec<u64>) -> String {
        self.describe_list(state)
    }
}

impl KeyValue {
    fn describe_list(&self, list: &[u64]) -> String {
        let items: Vec<String> = list.iter().map(|v| (self.describe_value)(*v)).collect();
        format!("[{}]", items.join(", "))
    }
}
