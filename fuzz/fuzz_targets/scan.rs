//! `pypickle::scan` on any bytes.
//!
//! Asserts: it never panics, its `Display` works, its error (if any) points inside the input;
//! and whenever `from_slice::<Value>` in record mode decodes the input, every global the
//! decoded value names (its globals and its objects' classes) is among scan's findings under
//! the same module and name, and scan finds the input to be exactly one complete pickle with
//! no error, and none of the named findings is dangerous. A global the decoder met but dropped (popped, or consumed by a REDUCE that builds
//! a set or bytes) is not in the value, so it cannot be checked from here.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pypickle::Value;
use pypickle_fuzz::{check_error, globals, record};

fuzz_target!(|data: &[u8]| {
    let report = pypickle::scan(data);
    let _ = report.to_string();
    let _ = report.verdict();
    if let Some(e) = &report.error {
        check_error(e, data.len());
    }
    for g in &report.globals {
        assert!(
            g.offset() < data.len() as u64,
            "finding beyond the input: {g}"
        );
    }
    let Ok(v) = pypickle::from_slice_with::<Value>(data, &record()) else {
        return;
    };
    assert!(
        report.error.is_none() && report.pickles == 1,
        "the reader decoded {v:?}, but scan says:\n{report}"
    );
    for (module, name) in globals(&v) {
        assert!(
            report
                .globals
                .iter()
                .any(|g| g.module() == module && g.name() == name),
            "the reader met {module}.{name}, scan did not report it:\n{report}"
        );
    }
    // The reader ran every opcode scan saw and refuses dangerous globals even in record mode, so
    // a finding with a known name cannot be dangerous. (A STACK_GLOBAL of unknown operands,
    // with an empty name, is judged dangerous for hiding what it names: not checked.)
    // A getattr handed to a call is dangerous to scan (CPython would hand it over); record
    // mode calls nothing, and drops it unless it ends up in the value (which it refuses).
    // And scan does not model `functools.partial(cls.__new__)` called with no arguments, which
    // the reader takes as `cls.__new__(cls, *args, **kwargs)` (how protocols 2-3 write
    // keyword-only constructors): it judges the partial and `cls.__new__` dangerous, as
    // picklescan and fickling do.
    let holds_getattr = globals(&v).contains(&("builtins", "getattr"));
    for g in &report.globals {
        let handed_over = (g.module(), g.name()) == ("builtins", "getattr") && !holds_getattr;
        let partial_shape =
            (g.module(), g.name()) == ("functools", "partial") || g.name().ends_with(".__new__");
        if !g.module().is_empty() && !g.name().is_empty() && !handed_over && !partial_shape {
            assert!(
                g.verdict() != pypickle::Verdict::Dangerous,
                "the reader decoded {v:?} but scan found {g}:\n{report}"
            );
        }
    }
});
