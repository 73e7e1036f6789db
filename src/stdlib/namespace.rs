//! `types.SimpleNamespace`, the bag of attributes configs and test doubles are made of: pickled
//! by CPython as `SimpleNamespace()` and a BUILD of its `__dict__`. It stays an inert
//! [`Value::Object`] (read into a struct or map, its attributes are the fields); only its
//! `repr()` is known here.

use std::collections::hash_map::{Entry, HashMap};
use std::fmt::{self, Formatter};

use crate::value::{Made, Object, Value};

/// The attributes of `obj` if it is a namespace CPython loads: called (or made by `__new__`)
/// with no arguments, then any BUILDs of a dict, `None`, or a `(dict, slot dict)` pair, each
/// setting its attributes in turn (a name set again keeps its place and takes the new value,
/// as a dict's update does). Lent: a namespace inside another is printed without a copy.
pub(crate) fn attributes<'o>(obj: &'o Object) -> Option<Vec<(&'o Value, &'o Value)>> {
    let plain = matches!(obj.made, Made::Call | Made::New)
        && obj.kwargs.is_none()
        && obj.list_items.is_empty()
        && obj.dict_items.is_empty()
        && matches!(&obj.args, Value::Tuple(args) if args.is_empty());
    if !plain {
        return None;
    }
    let mut attrs: Vec<(&Value, &Value)> = Vec::new();
    // Where each name is in `attrs`: a namespace of many attributes is merged in linear time.
    let mut at: HashMap<&Value, usize> = HashMap::new();
    let mut set = |entries: &'o [(Value, Value)], names_only: bool| {
        for (key, value) in entries {
            if names_only && !matches!(key, Value::Str(_)) {
                return None;
            }
            match at.entry(key) {
                Entry::Occupied(i) => attrs[*i.get()].1 = value,
                Entry::Vacant(slot) => {
                    slot.insert(attrs.len());
                    attrs.push((key, value));
                }
            }
        }
        Some(())
    };
    for state in &obj.state {
        match state {
            Value::None => {}
            Value::Dict(entries) => set(entries, false)?,
            Value::Tuple(pair) => match pair.as_slice() {
                [dict, slots] => {
                    match dict {
                        Value::None => {}
                        Value::Dict(entries) => set(entries, false)?,
                        _ => return None,
                    }
                    match slots {
                        Value::None => {}
                        Value::Dict(entries) => set(entries, true)?,
                        _ => return None,
                    }
                }
                _ => return None,
            },
            _ => return None,
        }
    }
    Some(attrs)
}

/// `namespace(a=1, b='x')`, as CPython prints it: each attribute whose name is a non-empty str,
/// the name as it is (not quoted), in the dict's order.
pub(crate) fn repr(attrs: &[(&Value, &Value)], f: &mut Formatter<'_>) -> fmt::Result {
    f.write_str("namespace(")?;
    let mut first = true;
    for (key, value) in attrs {
        let Value::Str(name) = key else { continue };
        if name.is_empty() {
            continue;
        }
        if !first {
            f.write_str(", ")?;
        }
        first = false;
        f.write_str(name)?;
        write!(f, "={value}")?;
    }
    f.write_str(")")
}
