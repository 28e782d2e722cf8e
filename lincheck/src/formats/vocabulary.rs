//! How a model's operations are spelled as Jepsen events: the names of its
//! `f`s, and the values their invocations and completions carry. One
//! vocabulary serves both syntaxes; the syntax only decides how a key and a
//! value are written down.

use crate::model::Model;
use crate::models::kv::{KeyValue, KvInput, KvOutput};
use crate::models::register::{Register, RegisterInput, RegisterOutput};

use super::value::Value;

/// What an invocation says: which operation, on which key, with what value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    /// The operation's name (Jepsen's `:f`).
    pub f: &'static str,
    /// The key, for a keyed model.
    pub key: Option<u64>,
    /// The value (Jepsen's `:value`).
    pub value: Value,
}

/// A model whose operations can be read from and written as events.
///
/// Jepsen's conventions hold for every model: a completion's `f` repeats its
/// invocation's; only an `ok` completion's value is read, and only where
/// the operation returns something (a read); `fail` and `info` completions
/// repeat the invocation's value when written.
pub trait Vocabulary: Model {
    /// The model's name on the command line and in messages.
    const NAME: &'static str;
    /// Every `f` the model knows.
    const FUNCTIONS: &'static [&'static str];
    /// Whether every operation names a key (JSON lines: a `key` field; EDN:
    /// `:value [key value]`, Jepsen's `jepsen.independent`).
    const KEYED: bool;

    /// The input of an invocation of `f` (one of [`Self::FUNCTIONS`]) on
    /// `key` (present when [`Self::KEYED`]) with `value`.
    ///
    /// # Errors
    ///
    /// What the value should have been, when it is not.
    fn input(&self, f: &str, key: Option<u64>, value: &Value) -> Result<Self::Input, &'static str>;

    /// The output of an `ok` completion of `input` that carries `value`.
    ///
    /// # Errors
    ///
    /// What the value should have been, when it is not.
    fn output(&self, input: &Self::Input, value: &Value) -> Result<Self::Output, &'static str>;

    /// The invocation of `input`.
    fn call(&self, input: &Self::Input) -> Call;

    /// The value of an `ok` completion of `input` that returned `output`.
    ///
    /// # Errors
    ///
    /// What `input` returns, when `output` is not of that kind (a put that
    /// returned a list): no event says that.
    fn returned(&self, input: &Self::Input, output: &Self::Output) -> Result<Value, &'static str>;
}

impl Vocabulary for KeyValue {
    const NAME: &'static str = "kv";
    const FUNCTIONS: &'static [&'static str] = &["put", "get", "append"];
    const KEYED: bool = true;

    fn input(&self, f: &str, key: Option<u64>, value: &Value) -> Result<KvInput, &'static str> {
        let key = key.ok_or("given with a key")?;
        let written = || value.as_u64().ok_or("an integer from 0 to 2^64-1");
        match f {
            "put" => Ok(KvInput::Put {
                key,
                value: written()?,
            }),
            "append" => Ok(KvInput::Append {
                key,
                value: written()?,
            }),
            // Jepsen invokes a read with a nil value; whatever is there asks nothing.
            "get" => Ok(KvInput::Get { key }),
            // The readers check `f` against FUNCTIONS before they ask.
            _ => Err("that of an f the kv model knows"),
        }
    }

    fn output(&self, input: &KvInput, value: &Value) -> Result<KvOutput, &'static str> {
        match input {
            KvInput::Put { .. } => Ok(KvOutput::Written),
            // A key never written reads as nil in Jepsen's stores, as the
            // empty list in ours: the same state.
            KvInput::Get { .. } if *value == Value::Nil => Ok(KvOutput::Read(Vec::new())),
            KvInput::Get { .. } => value
                .as_u64_list()
                .map(KvOutput::Read)
                .ok_or("a list of integers (or nil for an empty key)"),
            // A store that answers an append with the list it made says so
            // with a list; Jepsen's convention repeats the appended value.
            KvInput::Append { .. } => Ok(value
                .as_u64_list()
                .map_or(KvOutput::Written, KvOutput::Appended)),
        }
    }

    fn call(&self, input: &KvInput) -> Call {
        let (f, key, value) = match *input {
            KvInput::Put { key, value } => ("put", key, Value::Int(value.into())),
            KvInput::Get { key } => ("get", key, Value::Nil),
            KvInput::Append { key, value } => ("append", key, Value::Int(value.into())),
        };
        Call {
            f,
            key: Some(key),
            value,
        }
    }

    fn returned(&self, input: &KvInput, output: &KvOutput) -> Result<Value, &'static str> {
        match (input, output) {
            (KvInput::Put { .. }, KvOutput::Written)
            | (KvInput::Append { .. }, KvOutput::Written) => Ok(self.call(input).value),
            (KvInput::Get { .. }, KvOutput::Read(list))
            | (KvInput::Append { .. }, KvOutput::Appended(list)) => Ok(Value::u64_list(list)),
            (KvInput::Put { .. }, _) => Err("a put returns nothing but ok"),
            (KvInput::Get { .. }, _) => Err("a get returns the list it read"),
            (KvInput::Append { .. }, _) => Err("an append returns ok or the list it made"),
        }
    }
}

impl Vocabulary for Register {
    const NAME: &'static str = "register";
    const FUNCTIONS: &'static [&'static str] = &["read", "write", "cas"];
    const KEYED: bool = false;

    fn input(
        &self,
        f: &str,
        _key: Option<u64>,
        value: &Value,
    ) -> Result<RegisterInput, &'static str> {
        match f {
            // Jepsen invokes a read with a nil value; whatever is there asks nothing.
            "read" => Ok(RegisterInput::Read),
            "write" => value
                .as_i64()
                .map(RegisterInput::Write)
                .ok_or("a 64-bit signed integer"),
            "cas" => value
                .as_i64_pair()
                .map(|(expected, new)| RegisterInput::Cas { expected, new })
                .ok_or("[expected new], two 64-bit signed integers"),
            // The readers check `f` against FUNCTIONS before they ask.
            _ => Err("that of an f the register model knows"),
        }
    }

    fn output(&self, input: &RegisterInput, value: &Value) -> Result<RegisterOutput, &'static str> {
        match (input, value) {
            (RegisterInput::Read, Value::Nil) => Ok(RegisterOutput::Read(None)),
            (RegisterInput::Read, _) => value
                .as_i64()
                .map(|seen| RegisterOutput::Read(Some(seen)))
                .ok_or("nil or a 64-bit signed integer"),
            (RegisterInput::Write(_) | RegisterInput::Cas { .. }, _) => Ok(RegisterOutput::Ok),
        }
    }

    fn call(&self, input: &RegisterInput) -> Call {
        let value = match *input {
            RegisterInput::Read => Value::Nil,
            RegisterInput::Write(value) => Value::Int(value.into()),
            RegisterInput::Cas { expected, new } => {
                Value::List(vec![Value::Int(expected.into()), Value::Int(new.into())])
            }
        };
        let f = match input {
            RegisterInput::Read => "read",
            RegisterInput::Write(_) => "write",
            RegisterInput::Cas { .. } => "cas",
        };
        Call {
            f,
            key: None,
            value,
        }
    }

    fn returned(
        &self,
        input: &RegisterInput,
        output: &RegisterOutput,
    ) -> Result<Value, &'static str> {
        match (input, output) {
            (RegisterInput::Read, RegisterOutput::Read(seen)) => {
                Ok(seen.map_or(Value::Nil, |seen| Value::Int(seen.into())))
            }
            (RegisterInput::Write(_) | RegisterInput::Cas { .. }, RegisterOutput::Ok) => {
                Ok(self.call(input).value)
            }
            (RegisterInput::Read, RegisterOutput::Ok) => Err("a read returns the value it read"),
            (_, RegisterOutput::Read(_)) => Err("a write or cas returns nothing but ok"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nil_get_is_the_empty_list() {
        let get = KvInput::Get { key: 1 };
        assert_eq!(
            KeyValue::default().output(&get, &Value::Nil),
            Ok(KvOutput::Read(Vec::new()))
        );
        assert!(KeyValue::default().output(&get, &Value::Int(3)).is_err());
    }

    #[test]
    fn an_append_that_returns_a_list_made_that_list() {
        let append = KvInput::Append { key: 1, value: 9 };
        let made = Value::u64_list(&[7, 9]);
        assert_eq!(
            KeyValue::default().output(&append, &made),
            Ok(KvOutput::Appended(vec![7, 9]))
        );
        assert_eq!(
            KeyValue::default().output(&append, &Value::Int(9)),
            Ok(KvOutput::Written)
        );
    }

    #[test]
    fn a_cas_needs_exactly_two_integers() {
        let pair = |items: Vec<Value>| Register.input("cas", None, &Value::List(items));
        assert_eq!(
            pair(vec![Value::Int(1), Value::Int(2)]),
            Ok(RegisterInput::Cas {
                expected: 1,
                new: 2
            })
        );
        assert!(pair(vec![Value::Int(1)]).is_err());
        assert!(pair(vec![Value::Int(1), Value::Nil]).is_err());
        assert!(Register.input("cas", None, &Value::Int(1)).is_err());
    }

    #[test]
    fn an_output_of_the_wrong_kind_cannot_be_written() {
        let put = KvInput::Put { key: 1, value: 2 };
        assert!(
            KeyValue::default()
                .returned(&put, &KvOutput::Read(vec![2]))
                .is_err()
        );
        assert!(
            Register
                .returned(&RegisterInput::Read, &RegisterOutput::Ok)
                .is_err()
        );
        assert!(
            Register
                .returned(&RegisterInput::Write(1), &RegisterOutput::Read(None))
                .is_err()
        );
    }
}
