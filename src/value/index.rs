//! Indexing a [`Value`] by position or by dict key, and comparing it with plain Rust values.

use std::ops::Index;

use super::Value;

static NONE: Value = Value::None;

impl Index<usize> for Value {
    type Output = Value;

    /// The item at a position of a list or tuple (or under an int key of a dict), as
    /// [`Value::get`] finds it; `Value::None` when there is none, as `serde_json::Value` does,
    /// so chains never panic.
    fn index(&self, index: usize) -> &Value {
        match self {
            Value::List(items) | Value::Tuple(items) => items.get(index).unwrap_or(&NONE),
            _ => i64::try_from(index)
                .ok()
                .and_then(|i| self.get(i))
                .unwrap_or(&NONE),
        }
    }
}

impl Index<&str> for Value {
    type Output = Value;

    /// The value under a str key of a dict (or of an `OrderedDict` or other dict subclass);
    /// `Value::None` when there is none. An instance's attribute is [`Value::attr`]'s.
    fn index(&self, key: &str) -> &Value {
        self.get(key).unwrap_or(&NONE)
    }
}

impl Index<&Value> for Value {
    type Output = Value;

    /// The value under any key, as [`Value::get`] finds it; `Value::None` when there is none.
    fn index(&self, key: &Value) -> &Value {
        self.get_ref(key).unwrap_or(&NONE)
    }
}

impl PartialEq<&str> for Value {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == Some(*other)
    }
}

impl PartialEq<str> for Value {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == Some(other)
    }
}

impl PartialEq<i64> for Value {
    fn eq(&self, other: &i64) -> bool {
        *self == Value::Int(*other)
    }
}

impl PartialEq<f64> for Value {
    fn eq(&self, other: &f64) -> bool {
        *self == Value::Float(*other)
    }
}

impl PartialEq<bool> for Value {
    fn eq(&self, other: &bool) -> bool {
        *self == Value::Bool(*other)
    }
}
