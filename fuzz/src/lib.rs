//! Helpers shared by the fuzz targets: structural comparison of `Value`s, the globals a value
//! names, the policy's verdict on a name, and which encodes may legitimately fail.

use pypickle::{DeOptions, Error, Value, Verdict};

/// Record mode: unknown classes kept as inert objects (dangerous ones still refused), with an
/// expansion budget of 2^16 instead of the default 2^20: spending the default budget on a
/// DUP/TUPLE bomb takes about 0.3 s in a release build, over libFuzzer's 5 s timeout under the
/// sanitizers, so a timeout here would hide real hangs behind the budget. The limit itself is
/// exercised the same way.
pub fn record() -> DeOptions {
    DeOptions::new()
        .record_unknown_globals(true)
        .max_expansion(1 << 16)
}

/// Checks that hold for every error: `Display` works and the offset lies within the input.
pub fn check_error(e: &Error, input_len: usize) {
    let _ = e.to_string();
    let _ = (e.category(), e.limit(), e.opcode());
    if let Some(offset) = e.offset() {
        // An error may point at the end of the input (truncated), never beyond it.
        assert!(
            offset <= input_len as u64,
            "error offset {offset} beyond input of {input_len} bytes: {e}"
        );
    }
}

/// Floats equal bit for bit, or both NaN (a NaN's payload is not kept by every protocol: the
/// text form of protocol 0 writes `nan`).
fn same_f64(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

fn same_seq(a: &[Value], b: &[Value]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
}

fn same_pairs(a: &[(Value, Value)], b: &[(Value, Value)]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|((k1, v1), (k2, v2))| same(k1, k2) && same(v1, v2))
}

/// Structural equality: the same variants, in the same order, floats bit for bit (NaN equal to
/// NaN). Stricter than `Value`'s `==`, which is Python's (`1 == 1.0 == True`, order-blind
/// dicts and sets, NaN != NaN): a lossless round trip must give back exactly this.
pub fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::None, Value::None) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::BigInt(x), Value::BigInt(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => same_f64(*x, *y),
        (Value::Complex(x), Value::Complex(y)) => same_f64(x.re, y.re) && same_f64(x.im, y.im),
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::Bytes(x), Value::Bytes(y)) | (Value::ByteArray(x), Value::ByteArray(y)) => x == y,
        (Value::List(x), Value::List(y))
        | (Value::Tuple(x), Value::Tuple(y))
        | (Value::Set(x), Value::Set(y))
        | (Value::FrozenSet(x), Value::FrozenSet(y)) => same_seq(x, y),
        (Value::Dict(x), Value::Dict(y)) => same_pairs(x, y),
        (Value::Global(x), Value::Global(y)) => x == y,
        (Value::Object(x), Value::Object(y)) => {
            x.class == y.class
                && x.made == y.made
                && same(&x.args, &y.args)
                && match (&x.kwargs, &y.kwargs) {
                    (None, None) => true,
                    (Some(a), Some(b)) => same(a, b),
                    _ => false,
                }
                && same_seq(&x.state, &y.state)
                && same_seq(&x.list_items, &y.list_items)
                && same_pairs(&x.dict_items, &y.dict_items)
        }
        _ => false,
    }
}

/// Calls `f` on `v` and every value inside it (object arguments, state and items included).
pub fn walk<'a>(v: &'a Value, f: &mut dyn FnMut(&'a Value)) {
    f(v);
    match v {
        Value::List(xs) | Value::Tuple(xs) | Value::Set(xs) | Value::FrozenSet(xs) => {
            xs.iter().for_each(|x| walk(x, f))
        }
        Value::Dict(kv) => kv.iter().for_each(|(k, x)| {
            walk(k, f);
            walk(x, f)
        }),
        Value::Object(o) => {
            walk(&o.args, f);
            if let Some(kw) = &o.kwargs {
                walk(kw, f);
            }
            o.state.iter().for_each(|x| walk(x, f));
            o.list_items.iter().for_each(|x| walk(x, f));
            o.dict_items.iter().for_each(|(k, x)| {
                walk(k, f);
                walk(x, f)
            });
        }
        _ => {}
    }
}

/// Every `(module, name)` the value names: its globals and the classes of its objects.
pub fn globals(v: &Value) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    walk(v, &mut |x| match x {
        Value::Global(g) => out.push((g.module.as_str(), g.name.as_str())),
        Value::Object(o) => out.push((o.class.module.as_str(), o.class.name.as_str())),
        _ => {}
    });
    out
}

/// How many values `v` holds, counting every one inside it.
pub fn count(v: &Value) -> usize {
    let mut n = 0;
    walk(v, &mut |_| n += 1);
    n
}

/// Whether `v` holds a NaN (in a float or a complex number).
pub fn has_nan(v: &Value) -> bool {
    let mut nan = false;
    walk(v, &mut |x| match x {
        Value::Float(f) if f.is_nan() => nan = true,
        Value::Complex(c) if c.re.is_nan() || c.im.is_nan() => nan = true,
        _ => {}
    });
    nan
}

/// The policy's verdict on `module.name`, asked through the public `scan` of a protocol 4
/// pickle naming it with STACK_GLOBAL (at protocol 4 no Python 2 name is mapped).
pub fn verdict_of(module: &str, name: &str) -> Verdict {
    let mut p = vec![0x80, 4];
    for s in [module, name] {
        p.push(0x8d); // BINUNICODE8
        p.extend_from_slice(&(s.len() as u64).to_le_bytes());
        p.extend_from_slice(s.as_bytes());
    }
    p.extend_from_slice(b"\x93.");
    let report = pypickle::scan(&p);
    assert!(report.error.is_none(), "{report}");
    assert_eq!(report.globals.len(), 1, "{report}");
    report.globals[0].verdict()
}

/// Python cannot hash it: as a dict key or set element the serializer refuses it.
fn unhashable(v: &Value) -> bool {
    match v {
        Value::List(_) | Value::Dict(_) | Value::Set(_) | Value::ByteArray(_) => true,
        Value::Tuple(xs) | Value::FrozenSet(xs) => xs.iter().any(unhashable),
        // Objects the writer takes for never hashable (`value::object_unhashable`): items
        // appended or set on one mean a list or dict subclass, and the standard library's
        // containers, its arrays and numpy's are never hashable. The reader takes any object
        // as a key; Python decides when it loads.
        Value::Object(o) => {
            !o.list_items.is_empty()
                || !o.dict_items.is_empty()
                || matches!(
                    (o.class.module.as_str(), o.class.name.as_str()),
                    ("collections", _) | ("types", "SimpleNamespace") | ("array", _)
                )
                || o.class.module.starts_with("numpy")
                || matches!(o.made, pypickle::Made::Reconstructor)
        }
        _ => false,
    }
}

/// Whether writing `v` at `proto` may fail, as documented: a dict key or set element Python
/// cannot hash, or a global that protocol cannot name (a non-ASCII name below protocol 3, an
/// empty or newline-holding name or dotted part below protocol 4, where GLOBAL is a text line
/// and a dotted name is written through `getattr`). Values decoded from the fuzzer's inputs are
/// far below the 4 GiB a str or bytes needs for the other documented refusal.
pub fn encode_may_fail(v: &Value, proto: u8) -> bool {
    let mut fail = false;
    walk(v, &mut |x| match x {
        Value::Dict(kv) => fail |= kv.iter().any(|(k, _)| unhashable(k)),
        Value::Set(xs) | Value::FrozenSet(xs) => fail |= xs.iter().any(unhashable),
        Value::Object(o) => {
            fail |= o.dict_items.iter().any(|(k, _)| unhashable(k));
            fail |= global_may_fail(&o.class.module, &o.class.name, proto);
            // Written through copyreg.__newobj__ / __newobj_ex__ / _reconstructor as a tuple
            // (class, *args): the class is a global too.
        }
        Value::Global(g) => fail |= global_may_fail(&g.module, &g.name, proto),
        _ => {}
    });
    fail
}

fn global_may_fail(module: &str, name: &str, proto: u8) -> bool {
    if module.is_empty() || name.is_empty() {
        return true;
    }
    if proto < 3 && !(module.is_ascii() && name.is_ascii()) {
        return true;
    }
    proto < 4
        && (module.contains('\n') || name.split('.').any(|p| p.is_empty() || p.contains('\n')))
}

/// Whether the reader maps the global `module.name` to another name when a protocol 0-2
/// pickle names it (a Python 2 name, with `fix_imports`), asked through `scan`'s `original()`.
/// Such a name written by the serializer at protocols 0-2 reads back as the other one, which
/// may be a built-in the reader evaluates (`__builtin__.bytearray` is `builtins.bytearray`).
pub fn py2_mapped(module: &str, name: &str) -> bool {
    if module.contains('\n') || name.contains('\n') {
        return false;
    }
    let p = format!("c{module}\n{name}\n.");
    let report = pypickle::scan(p.as_bytes());
    report.globals.iter().any(|g| g.original().is_some())
}
