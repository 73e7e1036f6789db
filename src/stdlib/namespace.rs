//! `types.SimpleNamespace`, the bag of attributes configs and test doubles are made of: pickled
//! by CPython as `SimpleNamespace()` and a BUILD of its `__dict__`. It stays an inert
//! [`Value::Object`] (read into a struct or map, its attributes are the fields); only its
//! `repr()` is known here.

use std::fmt::{self, Formatter};

use crate::value::{Made, Object, Value};

/// The attributes of `obj` if it is a namespace in the shape CPython pickles: called with no
/// arguments, then at most one BUILD of a dict.
pub(crate) fn attributes(obj: &Object) -> Option<&[(Value, Value)]> {
    let plain = matches!(obj.made, Made::Call | Made::New)
        && obj.kwargs.is_none()
        && obj.list_items.is_empty()
        && obj.dict_items.is_empty()
        && matches!(&obj.args, Value::Tuple(args) if args.is_empty());
    match (plain, obj.state.as_slice()) {
        (true, []) => Some(&[]),
        (true, [Value::Dict(attrs)]) => Some(attrs),
        _ => None,
    }
}

/// `namespace(a=1, b='x')`, as CPython prints it: each attribute whose name is a non-empty str,
/// the name as it is (not quoted), in the dict's order.
pub(crate) fn repr(attrs: &[(Value, Value)], f: &mut Formatter<'_>) -> fmt::Result {
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
