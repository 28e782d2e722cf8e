//! An event's value, whatever the syntax it was read from: JSON and EDN
//! spell `nil`, integers and lists differently, but a model's operations
//! only ever need those three.

use std::fmt;

/// The `value` (or EDN `[key value]` part) of one event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// JSON `null`, EDN `nil`, or no value at all.
    Nil,
    /// An integer. Wide enough for every `u64` and every `i64`, so a value
    /// of either model is read without a cast that could wrap.
    Int(i128),
    /// A JSON array, an EDN vector or list.
    List(Vec<Value>),
    /// Anything else (a string, a keyword such as Jepsen's `:timed-out`, a
    /// float, a map), kept as written for error messages. No operation
    /// accepts one, but a `fail` or `info` completion may carry one, since
    /// their values are never read.
    Other(String),
}

impl Value {
    /// The value as a `u64`, if it is an integer in range.
    #[must_use]
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Int(n) => u64::try_from(*n).ok(),
            _ => None,
        }
    }

    /// The value as an `i64`, if it is an integer in range.
    #[must_use]
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(n) => i64::try_from(*n).ok(),
            _ => None,
        }
    }

    /// The value as a list of `u64`, if it is a list of integers in range.
    #[must_use]
    pub fn as_u64_list(&self) -> Option<Vec<u64>> {
        match self {
            Value::List(items) => items.iter().map(Value::as_u64).collect(),
            _ => None,
        }
    }

    /// The value as a pair of `i64`, if it is a list of exactly two
    /// integers in range.
    #[must_use]
    pub fn as_i64_pair(&self) -> Option<(i64, i64)> {
        match self {
            Value::List(items) => match items.as_slice() {
                [first, second] => Some((first.as_i64()?, second.as_i64()?)),
                _ => None,
            },
            _ => None,
        }
    }

    /// A list of `u64`.
    #[must_use]
    pub fn u64_list(items: &[u64]) -> Value {
        Value::List(items.iter().map(|&n| Value::Int(n.into())).collect())
    }
}

/// `nil`, `7`, `[1, 2]`: the same in messages whatever the syntax read.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Nil => write!(f, "nil"),
            Value::Int(n) => write!(f, "{n}"),
            Value::List(items) => {
                write!(f, "[")?;
                for (at, item) in items.iter().enumerate() {
                    if at > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{item}")?;
                }
                write!(f, "]")
            }
            Value::Other(text) => write!(f, "{text}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Value;

    #[test]
    fn integers_out_of_range_are_refused_not_wrapped() {
        assert_eq!(Value::Int(-1).as_u64(), None);
        assert_eq!(Value::Int(i128::from(u64::MAX)).as_u64(), Some(u64::MAX));
        assert_eq!(Value::Int(i128::from(u64::MAX)).as_i64(), None);
        assert_eq!(Value::Int(-5).as_i64(), Some(-5));
        assert_eq!(
            Value::List(vec![Value::Int(1), Value::Int(-1)]).as_u64_list(),
            None
        );
        assert_eq!(Value::Nil.as_i64_pair(), None);
        assert_eq!(Value::List(vec![Value::Int(3)]).as_i64_pair(), None);
        assert_eq!(
            Value::List(vec![Value::Int(3), Value::Int(-4)]).as_i64_pair(),
            Some((3, -4))
        );
    }

    #[test]
    fn values_display_alike_whatever_the_syntax() {
        let value = Value::List(vec![Value::Int(7), Value::Nil, Value::Other(":x".into())]);
        assert_eq!(value.to_string(), "[7, nil, :x]");
    }
}
