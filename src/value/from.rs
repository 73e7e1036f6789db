//! `From` conversions into [`Value`].

use super::{BigInt, Complex, Value};

macro_rules! from_small_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Value {
                Value::Int(i64::from(v))
            }
        }
    )*};
}
from_small_int!(i8, i16, i32, i64, u8, u16, u32);

macro_rules! from_wide_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Value {
                match i64::try_from(v) {
                    Ok(i) => Value::Int(i),
                    Err(_) => Value::BigInt(BigInt::from(v)),
                }
            }
        }
    )*};
}
from_wide_int!(u64, i128, u128, usize, isize);

impl From<BigInt> for Value {
    fn from(v: BigInt) -> Value {
        Value::from_big(v)
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Value {
        Value::Bool(v)
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Value {
        Value::Float(v)
    }
}

impl From<f32> for Value {
    fn from(v: f32) -> Value {
        Value::Float(f64::from(v))
    }
}

impl From<Complex> for Value {
    fn from(v: Complex) -> Value {
        Value::Complex(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Str(v.to_string())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Str(v)
    }
}

impl From<char> for Value {
    fn from(v: char) -> Value {
        Value::Str(v.to_string())
    }
}

impl From<&[u8]> for Value {
    /// `bytes`
    fn from(v: &[u8]) -> Value {
        Value::Bytes(v.to_vec())
    }
}

impl<const N: usize> From<&[u8; N]> for Value {
    /// `bytes`
    fn from(v: &[u8; N]) -> Value {
        Value::Bytes(v.to_vec())
    }
}

impl From<()> for Value {
    /// `None`
    fn from(_: ()) -> Value {
        Value::None
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    /// `None`, or the value.
    fn from(v: Option<T>) -> Value {
        match v {
            Some(v) => v.into(),
            None => Value::None,
        }
    }
}

impl From<&String> for Value {
    /// `str`
    fn from(v: &String) -> Value {
        Value::Str(v.clone())
    }
}

impl Default for Value {
    /// `None`
    fn default() -> Value {
        Value::None
    }
}

impl<K: Into<Value>, V: Into<Value>> From<std::collections::BTreeMap<K, V>> for Value {
    /// A `dict`, in key order.
    fn from(m: std::collections::BTreeMap<K, V>) -> Value {
        m.into_iter().collect()
    }
}

impl<K: Into<Value>, V: Into<Value>, S> From<std::collections::HashMap<K, V, S>> for Value {
    /// A `dict`, in the map's iteration order.
    fn from(m: std::collections::HashMap<K, V, S>) -> Value {
        m.into_iter().collect()
    }
}

impl<T: Into<Value>> From<Vec<T>> for Value {
    /// A `list` (a `Vec<u8>` too: `Value::Bytes(v)`, or `Value::from(&v[..])`, makes
    /// `bytes`).
    fn from(v: Vec<T>) -> Value {
        Value::List(v.into_iter().map(Into::into).collect())
    }
}

impl<T: Into<Value>> FromIterator<T> for Value {
    /// A `list`.
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Value {
        Value::List(iter.into_iter().map(Into::into).collect())
    }
}

impl<K: Into<Value>, V: Into<Value>> FromIterator<(K, V)> for Value {
    /// A `dict`.
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Value {
        Value::Dict(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, HashMap};

    #[test]
    fn maps_strings_and_ints_convert_as_a_user_expects() {
        let name = String::from("ada");
        assert_eq!(Value::from(&name), Value::Str("ada".into()));
        assert_eq!(Value::default(), Value::None);
        let m: BTreeMap<&str, i32> = [("b", 2), ("a", 1)].into();
        assert_eq!(Value::from(m).to_string(), "{'a': 1, 'b': 2}");
        let h: HashMap<i64, bool> = [(7, true)].into();
        assert_eq!(Value::from(h).to_string(), "{7: True}");
        // An integer literal beyond i32 compares as an i64 (more `PartialEq` integer types
        // would make it an i32 and this a compile error; a review found it).
        assert!(Value::Int(5_000_000_000) == 5_000_000_000);
        // A Vec<u8> is a list of ints; a slice of bytes is bytes.
        assert_eq!(Value::from(vec![1u8]).to_string(), "[1]");
        assert_eq!(Value::from(&[1u8][..]).to_string(), "b'\\x01'");
    }
}
