//! Built-in exception instances, pickled by CPython as `ExcClass(*args)` and, when the instance
//! has attributes, a BUILD of its `__dict__`. They stay inert [`Value::Object`]s; only their
//! `repr()` is known here.

use std::fmt::{self, Formatter};

use crate::value::{Made, Object, Value};

/// The built-in exception and warning classes of CPython 3.11 (plus 3.13's
/// `PythonFinalizationError`, and `EnvironmentError` and `IOError`, the names `OSError` kept
/// from Python 2), sorted.
const EXCEPTIONS: &[&str] = &[
    "ArithmeticError",
    "AssertionError",
    "AttributeError",
    "BaseException",
    "BaseExceptionGroup",
    "BlockingIOError",
    "BrokenPipeError",
    "BufferError",
    "BytesWarning",
    "ChildProcessError",
    "ConnectionAbortedError",
    "ConnectionError",
    "ConnectionRefusedError",
    "ConnectionResetError",
    "DeprecationWarning",
    "EOFError",
    "EncodingWarning",
    "EnvironmentError",
    "Exception",
    "ExceptionGroup",
    "FileExistsError",
    "FileNotFoundError",
    "FloatingPointError",
    "FutureWarning",
    "GeneratorExit",
    "IOError",
    "ImportError",
    "ImportWarning",
    "IndentationError",
    "IndexError",
    "InterruptedError",
    "IsADirectoryError",
    "KeyError",
    "KeyboardInterrupt",
    "LookupError",
    "MemoryError",
    "ModuleNotFoundError",
    "NameError",
    "NotADirectoryError",
    "NotImplementedError",
    "OSError",
    "OverflowError",
    "PendingDeprecationWarning",
    "PermissionError",
    "ProcessLookupError",
    "PythonFinalizationError",
    "RecursionError",
    "ReferenceError",
    "ResourceWarning",
    "RuntimeError",
    "RuntimeWarning",
    "StopAsyncIteration",
    "StopIteration",
    "SyntaxError",
    "SyntaxWarning",
    "SystemError",
    "SystemExit",
    "TabError",
    "TimeoutError",
    "TypeError",
    "UnboundLocalError",
    "UnicodeDecodeError",
    "UnicodeEncodeError",
    "UnicodeError",
    "UnicodeTranslateError",
    "UnicodeWarning",
    "UserWarning",
    "ValueError",
    "Warning",
    "ZeroDivisionError",
];

/// `OSError` and its subclasses, whose constructor keeps only `(errno, strerror)` in `args`
/// when given a filename among three to five arguments.
const OS_ERRORS: &[&str] = &[
    "BlockingIOError",
    "BrokenPipeError",
    "ChildProcessError",
    "ConnectionAbortedError",
    "ConnectionError",
    "ConnectionRefusedError",
    "ConnectionResetError",
    "FileExistsError",
    "FileNotFoundError",
    "InterruptedError",
    "IsADirectoryError",
    "NotADirectoryError",
    "OSError",
    "PermissionError",
    "ProcessLookupError",
    "TimeoutError",
];

/// The subclass `OSError(errno, strerror, ...)` makes for `errno`, with Linux's errno numbers
/// (pickles of `FileNotFoundError` and friends at protocols 0-2 name `OSError`, their Python 2
/// name, and rely on this).
fn os_error_subclass(errno: i64) -> Option<&'static str> {
    Some(match errno {
        11 | 114 | 115 => "BlockingIOError",
        10 => "ChildProcessError",
        32 | 108 => "BrokenPipeError",
        103 => "ConnectionAbortedError",
        111 => "ConnectionRefusedError",
        104 => "ConnectionResetError",
        17 => "FileExistsError",
        2 => "FileNotFoundError",
        21 => "IsADirectoryError",
        20 => "NotADirectoryError",
        4 => "InterruptedError",
        1 | 13 => "PermissionError",
        3 => "ProcessLookupError",
        110 => "TimeoutError",
        _ => return None,
    })
}

/// Whether `builtins.name` is a built-in exception class.
pub(crate) fn is_exception(name: &str) -> bool {
    EXCEPTIONS.binary_search(&name).is_ok()
}

/// `Some(())` if `obj` is an exception in the shape CPython pickles: `cls(*args)`, maybe one
/// BUILD of its attributes.
pub(crate) fn check(obj: &Object) -> Option<()> {
    let plain = matches!(obj.made, Made::Call | Made::New)
        && obj.kwargs.is_none()
        && obj.list_items.is_empty()
        && obj.dict_items.is_empty()
        && obj.state.len() <= 1
        && matches!(obj.args, Value::Tuple(_))
        && matches!(
            obj.attr("args"),
            None | Some(Value::Tuple(_) | Value::List(_))
        );
    plain.then_some(())
}

/// `ValueError('x')`, `KeyError()`, `OSError(2, 'x')`: the class name and `args`, as
/// `BaseException.__repr__` prints them (other attributes set by BUILD are not shown). A BUILD
/// that sets `args` itself, as Python 2.4 and older pickled an exception (`INST`, then the
/// state `{'args': ('x',)}`), sets what is shown.
pub(crate) fn repr(obj: &Object, f: &mut Formatter<'_>) -> fmt::Result {
    let Value::Tuple(args) = &obj.args else {
        return Err(fmt::Error);
    };
    let mut name = match obj.class.name.as_str() {
        // Python 3's names for the same class.
        "EnvironmentError" | "IOError" => "OSError",
        other => other,
    };
    if name == "OSError" && (2..=5).contains(&args.len()) {
        if let Some(sub) = args[0].as_i64().and_then(os_error_subclass) {
            name = sub;
        }
    }
    // A filename (the third argument, unless None, or for BlockingIOError a number: the
    // characters written) leaves only (errno, strerror) in args.
    let filename = match args.get(2) {
        None | Some(Value::None) => false,
        Some(
            Value::Int(_) | Value::BigInt(_) | Value::Float(_) | Value::Bool(_) | Value::Complex(_),
        ) => name != "BlockingIOError",
        Some(_) => true,
    };
    let args = match obj.attr("args") {
        Some(Value::Tuple(set) | Value::List(set)) => &set[..],
        _ if OS_ERRORS.contains(&name) && args.len() <= 5 && filename => &args[..2],
        _ => &args[..],
    };
    f.write_str(name)?;
    match args {
        [one] => write!(f, "({one})"),
        _ => crate::value::display::write_tuple(f, args),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted() {
        assert!(EXCEPTIONS.windows(2).all(|w| w[0] < w[1]));
        assert!(OS_ERRORS.iter().all(|n| is_exception(n)));
        assert!(!is_exception("eval"));
    }
}
