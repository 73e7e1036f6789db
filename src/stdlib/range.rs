//! `range` and `slice`, pickled by CPython as `range(start, stop, step)` and
//! `slice(start, stop, step)` (`__builtin__.xrange` in Python 2 pickles).

use std::fmt::{self, Display, Formatter};

use super::{call_args, call_object, int_arg, invalid, via_value};
use crate::error::Error;
use crate::value::{Object, Value};

const RANGE: &str = "range";
const SLICE: &str = "slice";

/// A `range` whose bounds fit `i64`.
///
/// ```
/// use pypickle::stdlib::Range;
/// assert_eq!(Range::new(0, 10, 1)?.to_string(), "range(0, 10)");
/// assert_eq!(Range::new(10, 0, -3)?.to_string(), "range(10, 0, -3)");
/// assert!(Range::new(0, 1, 0).is_err());
/// # Ok::<(), pypickle::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Range {
    /// The first value.
    pub start: i64,
    /// The end, excluded.
    pub stop: i64,
    /// The step, never zero.
    pub step: i64,
}

impl Range {
    /// `range(start, stop, step)`; an error for a zero step.
    pub fn new(start: i64, stop: i64, step: i64) -> Result<Range, Error> {
        if step == 0 {
            return Err(invalid(RANGE, "step must not be zero"));
        }
        Ok(Range { start, stop, step })
    }

    /// The values, as Python iterates them (none for a zero step, which no Python range has).
    pub fn iter(&self) -> impl Iterator<Item = i64> {
        let r = *self;
        let mut next = (r.step != 0).then_some(r.start);
        std::iter::from_fn(move || {
            let v = next?;
            let inside = if r.step > 0 { v < r.stop } else { v > r.stop };
            if !inside {
                next = None;
                return None;
            }
            next = v.checked_add(r.step);
            Some(v)
        })
    }

    /// An error for a range Python cannot make (its fields are public): one with a zero step.
    fn writable(&self) -> Result<(), Error> {
        if self.step == 0 {
            return Err(invalid(
                RANGE,
                format_args!("{self} cannot be written: Python's range refuses a zero step"),
            ));
        }
        Ok(())
    }

    pub(crate) fn from_object(obj: &Object) -> Result<Range, Error> {
        let args = call_args(obj, RANGE)?;
        let int = |i: usize, name| int_arg(&args[i], RANGE, name);
        match args.len() {
            1 => Range::new(0, int(0, "stop")?, 1),
            2 => Range::new(int(0, "start")?, int(1, "stop")?, 1),
            3 => Range::new(int(0, "start")?, int(1, "stop")?, int(2, "step")?),
            _ => Err(invalid(RANGE, "expected (start, stop, step)")),
        }
    }
}

impl From<Range> for Value {
    /// `range(start, stop, step)`, as CPython writes it.
    fn from(r: Range) -> Value {
        Value::Object(Box::new(call_object(
            "builtins",
            "range",
            vec![r.start.into(), r.stop.into(), r.step.into()],
        )))
    }
}

impl Display for Range {
    /// `range(0, 10)`, `range(0, 10, 2)`
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if self.step == 1 {
            write!(f, "range({}, {})", self.start, self.stop)
        } else {
            write!(f, "range({}, {}, {})", self.start, self.stop, self.step)
        }
    }
}

via_value!(Range, "builtins", "range", check: Range::writable);

/// A `slice`: any three values, usually ints or `None`. Python hashes a slice from 3.12 on
/// only: written as a dict key or set element, it loads in Python 3.12+, and earlier ones
/// raise `TypeError: unhashable type: 'slice'`.
///
/// ```
/// use pypickle::{stdlib::Slice, Value};
/// let s = Slice::new(Value::Int(1), Value::None, Value::Int(2));
/// assert_eq!(s.to_string(), "slice(1, None, 2)");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Slice {
    /// `start`
    pub start: Value,
    /// `stop`
    pub stop: Value,
    /// `step`
    pub step: Value,
}

impl Slice {
    /// `slice(start, stop, step)`.
    pub fn new(start: Value, stop: Value, step: Value) -> Slice {
        Slice { start, stop, step }
    }

    pub(crate) fn from_object(obj: &Object) -> Result<Slice, Error> {
        let [start, stop, step] = Slice::lent(obj)?.map(Value::clone);
        Ok(Slice { start, stop, step })
    }

    /// A `slice`'s start, stop and step, lent (`None` for those it was not given).
    pub(crate) fn lent(obj: &Object) -> Result<[&Value; 3], Error> {
        static NONE: Value = Value::None;
        Ok(match call_args(obj, SLICE)? {
            [stop] => [&NONE, stop, &NONE],
            [start, stop] => [start, stop, &NONE],
            [start, stop, step] => [start, stop, step],
            _ => return Err(invalid(SLICE, "expected (start, stop, step)")),
        })
    }
}

impl From<Slice> for Value {
    /// `slice(start, stop, step)`, as CPython writes it.
    fn from(s: Slice) -> Value {
        Value::Object(Box::new(call_object(
            "builtins",
            "slice",
            vec![s.start, s.stop, s.step],
        )))
    }
}

impl Display for Slice {
    /// `slice(1, None, 2)`
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "slice({}, {}, {})", self.start, self.stop, self.step)
    }
}

via_value!(Slice, "builtins", "slice");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iterates_like_python() {
        let v = |a, b, c| Range::new(a, b, c).unwrap().iter().collect::<Vec<_>>();
        assert_eq!(v(0, 5, 2), [0, 2, 4]);
        assert_eq!(v(5, 0, -2), [5, 3, 1]);
        assert_eq!(v(0, 0, 1), Vec::<i64>::new());
        assert_eq!(v(i64::MAX - 1, i64::MAX, 5), [i64::MAX - 1]);
    }
}
