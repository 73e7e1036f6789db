//! Objects kept inertly in record mode survive a round trip through the pickler at every
//! protocol, however they were made (REDUCE, NEWOBJ, NEWOBJ_EX or its protocol 2-3 form
//! `copyreg.__newobj_ex__`, `copyreg._reconstructor`).

use pypickle::{DeOptions, Global, Made, Object, SerOptions, Value};

mod py_common;
use py_common::python;

fn object(made: Made, kwargs: Option<Value>) -> Value {
    Value::Object(Box::new(Object {
        class: Global {
            module: "mymod".into(),
            name: "Point".into(),
        },
        made,
        args: Value::Tuple(vec![Value::Int(1), Value::Str("two".into())]),
        kwargs,
        state: vec![Value::Dict(vec![(
            Value::Str("x".into()),
            Value::Float(1.5),
        )])],
        list_items: vec![],
        dict_items: vec![],
    }))
}

#[test]
fn inert_objects_round_trip_at_every_protocol() {
    let opts = DeOptions::new().record_unknown_globals(true);
    let kwargs = Some(Value::Dict(vec![(Value::Str("k".into()), Value::Int(3))]));
    let cases = [
        object(Made::Call, None),
        object(Made::New, None),
        object(Made::NewEx, kwargs),
    ];
    for proto in 0..=5 {
        for v in &cases {
            let bytes = pypickle::to_vec_with(v, &SerOptions::new().protocol(proto)).unwrap();
            let back: Value = pypickle::from_slice_with(&bytes, &opts)
                .unwrap_or_else(|e| panic!("protocol {proto}, {v}: {e}"));
            assert_eq!(&back, v, "protocol {proto}");
            // Still refused by default: the class is not on the allowlist.
            assert!(pypickle::from_slice::<Value>(&bytes).is_err());
        }
    }
}

#[test]
fn nested_classes_read_back_through_getattr_below_protocol_4() {
    // Protocols 0-3 write `module.Outer.Inner` as getattr(module.Outer, 'Inner'), as CPython does.
    let v = Value::Global(Box::new(Global {
        module: "mymod".into(),
        name: "Outer.Inner".into(),
    }));
    for proto in 0..=5 {
        let bytes = pypickle::to_vec_with(&v, &SerOptions::new().protocol(proto)).unwrap();
        let opts = DeOptions::new().allow_global("mymod", "*");
        let back: Value = pypickle::from_slice_with(&bytes, &opts)
            .unwrap_or_else(|e| panic!("protocol {proto}: {e}"));
        assert_eq!(back, v, "protocol {proto}");
        // The nested name is what the policy checks: allowing only the outer class is not enough.
        let outer_only = DeOptions::new().allow_global("mymod", "Outer");
        if proto < 4 {
            let e = pypickle::from_slice_with::<Value>(&bytes, &outer_only).unwrap_err();
            assert_eq!(e.refused_global(), Some(("mymod", "Outer.Inner")), "{e}");
        }
    }
}

#[test]
fn getattr_in_any_other_shape_is_refused() {
    use pypickle::Category;
    let opts = DeOptions::new().record_unknown_globals(true);
    let cases: [&[u8]; 4] = [
        // getattr(os, 'system'): os is refused before getattr is even reached.
        b"cbuiltins\ngetattr\n(cos\nsystem\nS'x'\ntR.",
        // getattr('abc', 'upper'): the first argument must be a class.
        b"cbuiltins\ngetattr\n(S'abc'\nS'upper'\ntR.",
        // getattr itself as a value.
        b"cbuiltins\ngetattr\n.",
        // getattr(mymod.C, 'f', None): three arguments.
        b"cbuiltins\ngetattr\n(cmymod\nC\nS'f'\nNtR.",
    ];
    for data in cases {
        let e = pypickle::from_slice_with::<Value>(data, &opts).unwrap_err();
        assert_eq!(e.category(), Category::Refused, "{e}");
    }
    // Python 2's name for it is mapped first and refused alike.
    let e = pypickle::from_slice_with::<Value>(b"c__builtin__\ngetattr\n.", &opts).unwrap_err();
    assert_eq!(e.category(), Category::Refused);
    // A builtin function reached through getattr is refused like the function itself.
    let e = pypickle::from_slice_with::<Value>(
        b"cbuiltins\ngetattr\n(cbuiltins\nstr\nS'join'\ntR.",
        &opts,
    )
    .unwrap_err();
    assert_eq!(e.refused_global(), Some(("builtins", "str.join")), "{e}");
}

/// `functools.partial(getattr(mymod.C, ctor_attr))` with a BUILD of `state` (`NEW` standing
/// for `getattr(mymod.C, '__new__')`; none if empty), then `call` (a REDUCE with its argument
/// tuple, or nothing to leave it uncalled): how protocols 2-3 write
/// `C.__new__(C, *args, **kwargs)`, in protocol 0 opcodes.
fn partial_pickle(ctor_attr: &str, state: &str, call: &str) -> Vec<u8> {
    let new = |attr: &str| format!("cbuiltins\ngetattr\n(cmymod\nC\nV{attr}\ntR");
    let build = if state.is_empty() { "" } else { "b" };
    format!(
        "cfunctools\npartial\n({}tR{state}{build}{call}.",
        new(ctor_attr),
        state = state.replace("NEW", &new("__new__")),
    )
    .into_bytes()
}

#[test]
fn keyword_only_constructors_read_from_functools_partial_as_newobj_ex() {
    let record = DeOptions::new().record_unknown_globals(true);
    let good = partial_pickle("__new__", "(NEW(cmymod\nC\nI1\nt(dVb\nI2\nsNt", ")R");
    let v: Value = pypickle::from_slice_with(&good, &record).unwrap();
    let Value::Object(o) = &v else {
        panic!("{v:?}")
    };
    assert_eq!(
        (o.class.module.as_str(), o.class.name.as_str()),
        ("mymod", "C")
    );
    assert_eq!(o.made, Made::NewEx);
    assert_eq!(o.args, Value::Tuple(vec![Value::Int(1)]));
    let kwargs = Value::Dict(vec![(Value::Str("b".into()), Value::Int(2))]);
    assert_eq!(o.kwargs, Some(kwargs));
    // A None keywords slot is an empty dict.
    let no_kw = partial_pickle("__new__", "(NEW(cmymod\nC\ntNNt", ")R");
    let v: Value = pypickle::from_slice_with(&no_kw, &record).unwrap();
    let Value::Object(o) = &v else {
        panic!("{v:?}")
    };
    assert_eq!(o.kwargs, Some(Value::Dict(vec![])));
    // By default the class itself is refused, as for any instance of it.
    let e = pypickle::from_slice::<Value>(&good).unwrap_err();
    assert_eq!(e.refused_global(), Some(("mymod", "C")), "{e}");
}

#[test]
fn functools_partial_in_any_other_shape_is_refused() {
    use pypickle::Category;
    let record = DeOptions::new().record_unknown_globals(true);
    let partial = Some(("functools", "partial"));
    let state = "(NEW(cmymod\nC\nI1\ntNNt";
    let cases: [(&str, Vec<u8>); 6] = [
        (
            "called with arguments",
            partial_pickle("__new__", state, "(I1\ntR"),
        ),
        ("of another function", partial_pickle("f", state, ")R")),
        (
            "with a state naming another class",
            partial_pickle("__new__", "(NEW(cmymod\nD\nI1\ntNNt", ")R"),
        ),
        (
            "with instance attributes in its state",
            partial_pickle("__new__", "(NEW(cmymod\nC\ntN(dVx\nI1\nst", ")R"),
        ),
        ("without a state", partial_pickle("__new__", "", ")R")),
        ("never called", partial_pickle("__new__", state, "")),
    ];
    for (what, data) in cases {
        let e = pypickle::from_slice_with::<Value>(&data, &record).unwrap_err();
        assert_eq!(e.category(), Category::Refused, "{what}: {e}");
        assert_eq!(e.refused_global(), partial, "{what}: {e}");
    }
    // Left uncalled, it is reported where it was made: at its REDUCE.
    let data = partial_pickle("__new__", state, "");
    let e = pypickle::from_slice_with::<Value>(&data, &record).unwrap_err();
    let made = data.windows(2).position(|w| w == b"tR").unwrap() as u64;
    let made = data[made as usize + 2..]
        .windows(2)
        .position(|w| w == b"tR")
        .map(|p| made + 2 + p as u64 + 1)
        .unwrap();
    assert_eq!(
        (e.offset(), e.opcode_name()),
        (Some(made), Some("REDUCE")),
        "{e}"
    );
    // A class's __new__ as a value is the policy's to allow, as before: refused (a dunder
    // path) even when unknown globals are recorded, an inert reference when allowed by name.
    let bare = b"cbuiltins\ngetattr\n(cmymod\nC\nV__new__\ntR.";
    for opts in [DeOptions::new().allow_global("mymod", "C"), record.clone()] {
        let e = pypickle::from_slice_with::<Value>(bare, &opts).unwrap_err();
        assert_eq!(e.refused_global(), Some(("mymod", "C.__new__")), "{e}");
    }
    let by_name = DeOptions::new()
        .allow_global("mymod", "C")
        .allow_global("mymod", "C.__new__");
    let v: Value = pypickle::from_slice_with(bare, &by_name).unwrap();
    assert_eq!(
        v,
        Value::Global(Box::new(Global {
            module: "mymod".into(),
            name: "C.__new__".into()
        }))
    );
}

#[test]
fn dangerous_names_reached_through_another_modules_attribute_are_refused() {
    use pypickle::{scan, Verdict};
    // CPython resolves a protocol 4 dotted name attribute by attribute: `json.codecs.open` is
    // `codecs.open`, `gzip.io.open` is `open`, `fractions.operator.attrgetter` reaches anything.
    for (module, name) in [
        ("json", "codecs.open"),
        ("gzip", "io.open"),
        ("fractions", "operator.attrgetter"),
        ("dataclasses", "functools.partial"),
        ("pstats", "marshal.loads"),
        ("cgitb", "pydoc.pipepager"),
        ("dis", "types.FunctionType"),
        ("zipapp", "zipfile"),
        ("json", "builtins.eval"),
    ] {
        let mut data = vec![0x80, 4, 0x8c, module.len() as u8];
        data.extend(module.as_bytes());
        data.extend([0x8c, name.len() as u8]);
        data.extend(name.as_bytes());
        data.extend(b"\x93.");
        for opts in [
            DeOptions::new().record_unknown_globals(true),
            DeOptions::new().allow_global(module, "*"),
        ] {
            let e = pypickle::from_slice_with::<Value>(&data, &opts).unwrap_err();
            assert_eq!(e.refused_global(), Some((module, name)), "{e}");
        }
        let report = scan(&data);
        assert_eq!(report.verdict(), Verdict::Dangerous, "{module}.{name}");
        // Named one by one, it passes as an inert reference, like any dangerous name.
        let exact = DeOptions::new().allow_global(module, name);
        assert!(pypickle::from_slice_with::<Value>(&data, &exact).is_ok());
    }
}

#[test]
fn copyreg_reconstructor_needs_classes() {
    let opts = DeOptions::new().record_unknown_globals(true);
    let reconstruct =
        |cls: &str, base: &str| format!("ccopyreg\n_reconstructor\n({cls}{base}NtR.").into_bytes();
    // Not classes: Python's `object.__new__(X)` raises "X is not a type object".
    for cls in [
        "c_codecs\nencode\n",
        "ccopyreg\n_reconstructor\n",
        "cbuiltins\nEllipsis\n",
    ] {
        let e = pypickle::from_slice_with::<Value>(&reconstruct(cls, "cbuiltins\nobject\n"), &opts)
            .unwrap_err();
        assert!(
            e.to_string().contains("_reconstructor needs a class"),
            "{e}"
        );
    }
    // A builtin class is no class of its own (`object.__new__(list)` is refused too).
    let e = pypickle::from_slice_with::<Value>(
        &reconstruct("cbuiltins\nlist\n", "cbuiltins\nobject\n"),
        &opts,
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("_reconstructor needs a class"),
        "{e}"
    );
    // The base must be a class.
    for base in ["I5\n", "c_codecs\nencode\n"] {
        let e = pypickle::from_slice_with::<Value>(&reconstruct("cmymod\nC\n", base), &opts)
            .unwrap_err();
        assert!(e.to_string().contains("as its base"), "{e}");
    }
    // What CPython writes: a class with `object` or a builtin class as the base.
    for base in ["cbuiltins\nobject\n", "cbuiltins\nlist\n", "cmymod\nBase\n"] {
        let v = pypickle::from_slice_with::<Value>(&reconstruct("cmymod\nC\n", base), &opts);
        assert!(v.is_ok(), "{base}: {v:?}");
    }
}

#[test]
fn a_class_new_called_is_refused_by_name() {
    use pypickle::Category;
    // `cls.__new__(cls)` by REDUCE, as CPython writes `__reduce__` returning
    // `(C.__new__, (C,), state)`: object.__new__ is refused, and said so by name.
    let data = b"cbuiltins\ngetattr\n(cbuiltins\nobject\nS'__new__'\ntR(cmymod\nC\ntR.";
    let opts = DeOptions::new().allow_global("mymod", "*");
    let e = pypickle::from_slice_with::<Value>(data, &opts).unwrap_err();
    assert_eq!(e.category(), Category::Refused, "{e}");
    assert_eq!(
        e.refused_global(),
        Some(("builtins", "object.__new__")),
        "{e}"
    );
}

#[test]
fn a_nested_class_allowed_by_its_exact_name_reads_at_every_protocol() {
    let v = Value::Global(Box::new(Global {
        module: "mymod".into(),
        name: "A.B.C".into(),
    }));
    let exact = DeOptions::new().allow_global("mymod", "A.B.C");
    for proto in 0..=5 {
        let bytes = pypickle::to_vec_with(&v, &SerOptions::new().protocol(proto)).unwrap();
        let back = pypickle::from_slice_with::<Value>(&bytes, &exact)
            .unwrap_or_else(|e| panic!("protocol {proto}: {e}"));
        assert_eq!(back, v, "protocol {proto}");
    }
    // Allowing the inner class lets its enclosing classes be named, not a sibling.
    let sibling = b"cmymod\nA.D\n.";
    assert!(pypickle::from_slice_with::<Value>(sibling, &exact).is_err());
    // Nor does it unlock a dangerous name that happens to enclose it.
    let opts = DeOptions::new().allow_global("os", "system.X");
    let e = pypickle::from_slice_with::<Value>(b"cos\nsystem\n.", &opts).unwrap_err();
    assert_eq!(e.refused_global(), Some(("os", "system")), "{e}");
}

#[test]
fn a_state_setter_whose_state_would_be_lost_is_refused() {
    // What CPython writes for `__reduce__` returning `(C, (), {'x': 1}, None, None, setter)`:
    // `setter(obj, state)` by REDUCE, its result thrown away by POP. Read inertly, the call
    // would do nothing and the state would vanish from `obj`.
    let pickles: [&[u8]; 3] = [
        b"cmymod\nC\np0\n(tRp1\ncmymod\nsetter\np2\ng1\n(dp3\nVx\np4\nI1\ns\x86R0.",
        b"\x80\x02cmymod\nC\nq\x00)Rq\x01cmymod\nsetter\nq\x02h\x01}q\x03X\x01\x00\x00\x00xq\x04K\x01s\x86R0.",
        b"\x80\x04\x95-\x00\x00\x00\x00\x00\x00\x00\x8c\x05mymod\x94\x8c\x01C\x94\x93\x94)R\x94h\x00\x8c\x06setter\x94\x93\x94h\x03}\x94\x8c\x01x\x94K\x01s\x86R0.",
    ];
    let opts = DeOptions::new().allow_global("mymod", "*");
    for data in pickles {
        let e = pypickle::from_slice_with::<Value>(data, &opts).unwrap_err();
        assert_eq!(e.refused_global(), Some(("mymod", "setter")), "{e}");
        assert!(e.to_string().contains("side effects"), "{e}");
    }
    // A call's result that stays in the pickle is kept as before; one popped later is not a
    // state setter's (CPython pops those right after their REDUCE).
    let kept = b"cmymod\nf\n(I1\ntR.";
    assert!(pypickle::from_slice_with::<Value>(kept, &opts).is_ok());
    let popped_later = b"cmymod\nf\n(I1\ntRp0\n0I2\n.";
    assert!(pypickle::from_slice_with::<Value>(popped_later, &opts).is_ok());
}

#[test]
fn a_constructor_whose_result_is_thrown_away_loses_nothing() {
    // `mymod.f(1, 'a')` then POP: given nothing it could change, the call is kept as before.
    let opts = DeOptions::new().allow_global("mymod", "*");
    let v = pypickle::from_slice_with::<Value>(b"cmymod\nf\n(I1\nVa\ntR0I2\n.", &opts).unwrap();
    assert_eq!(v, Value::Int(2));
}

/// Keyword arguments (NEWOBJ_EX) fill a struct or map when they are the only arguments;
/// reading positional arguments or a sequence from an object that got keywords too would lose
/// them, so that is an error, never a value without them. Keyword names must be strs, as
/// CPython requires. The same from the pickle and through `from_value`.
#[test]
fn keyword_arguments_are_read_or_refused_never_dropped() {
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Kw {
        #[serde(default)]
        a: i64,
        #[serde(default)]
        b: String,
    }
    let record = DeOptions::new().record_unknown_globals(true);
    // hmod.KW.__new__(KW, a=5, b='z'), as protocol 4 writes it.
    let only_kw = b"\x80\x04\x8c\x04hmod\x8c\x02KW\x93)}(\x8c\x01aK\x05\x8c\x01b\x8c\x01zu\x92.";
    let want = Kw {
        a: 5,
        b: "z".into(),
    };
    assert_eq!(
        pypickle::from_slice_with::<Kw>(only_kw, &record).unwrap(),
        want
    );
    let v: Value = pypickle::from_slice_with(only_kw, &record).unwrap();
    assert_eq!(pypickle::from_value::<Kw>(v.clone()).unwrap(), want);
    let map: std::collections::BTreeMap<String, Value> = pypickle::from_value(v).unwrap();
    assert_eq!(map.len(), 2);
    let e = pypickle::from_slice_with::<Vec<i64>>(only_kw, &record).unwrap_err();
    assert!(e.to_string().contains("keyword arguments"), "{e}");

    // KW.__new__(KW, 1, b='x'): positional and keyword.
    let both = b"\x80\x04\x8c\x04hmod\x8c\x02KW\x93K\x01\x85}\x8c\x01b\x8c\x01xs\x92.";
    for e in [
        pypickle::from_slice_with::<Kw>(both, &record).unwrap_err(),
        pypickle::from_slice_with::<(i64,)>(both, &record).unwrap_err(),
        pypickle::from_value::<Kw>(pypickle::from_slice_with(both, &record).unwrap()).unwrap_err(),
    ] {
        assert!(e.to_string().contains("made with keyword arguments"), "{e}");
    }

    // KW.__new__(KW, {'a': 1}, b=2) read as a map: the dict alone would leave `b` out.
    let dict_and_kw =
        b"\x80\x04\x8c\x04hmod\x8c\x02KW\x93}\x8c\x01aK\x01s\x85}\x8c\x01bK\x02s\x92.";
    let e =
        pypickle::from_slice_with::<std::collections::BTreeMap<String, i64>>(dict_and_kw, &record)
            .unwrap_err();
    assert!(e.to_string().contains("made with keyword arguments"), "{e}");

    let int_key = b"\x80\x04\x8c\x04hmod\x8c\x02KW\x93)}K\x01K\x02s\x92.";
    let e = pypickle::from_slice_with::<Value>(int_key, &record).unwrap_err();
    assert!(
        e.to_string().contains("keyword argument names must be str"),
        "{e}"
    );
    assert_eq!(e.opcode_name(), Some("NEWOBJ_EX"), "{e}");
}

/// One memoized dict of keyword arguments passed to NEWOBJ_EX call after call, 8 bytes each:
/// its keys, checked at each call, are charged as copies, so the reading stops at the
/// expansion limit instead of checking 20000 keys 20000 times.
#[test]
fn shared_keyword_arguments_are_charged_at_each_call() {
    let mut d = b"\x80\x04\x8c\x03mod\x8c\x01C\x93\x94)\x94}\x94(".to_vec();
    for i in 0..20_000u32 {
        let key = format!("k{i}");
        d.extend_from_slice(&[0x8c, key.len() as u8]);
        d.extend_from_slice(key.as_bytes());
        d.extend_from_slice(b"K\x01");
    }
    d.extend_from_slice(b"u0");
    for _ in 0..20_000 {
        d.extend_from_slice(b"h\x00h\x01h\x02\x920");
    }
    d.extend_from_slice(b"N.");
    let opts = DeOptions::new().record_unknown_globals(true);
    let e = pypickle::from_slice_with::<serde::de::IgnoredAny>(&d, &opts).unwrap_err();
    assert_eq!(e.limit(), Some(pypickle::Limit::Expansion), "{e}");
    assert_eq!(e.opcode_name(), Some("NEWOBJ_EX"), "{e}");
}

/// `max_nodes` counts what calls and BUILD add, as it counts APPENDS: the arguments a NEWOBJ
/// copies from a memoized tuple, and each BUILD's state.
#[test]
fn calls_and_builds_count_against_max_nodes() {
    let opts = DeOptions::new().record_unknown_globals(true).max_nodes(100);
    // 50 NEWOBJs of one memoized 90-item tuple.
    let mut d = b"\x80\x04\x8c\x03mod\x8c\x01C\x93q\x00(".to_vec();
    d.extend(std::iter::repeat(b"K\x01".as_slice()).take(90).flatten());
    d.extend_from_slice(b"tq\x01(");
    for _ in 0..50 {
        d.extend_from_slice(b"h\x00h\x01\x81");
    }
    d.extend_from_slice(b"l.");
    let e = pypickle::from_slice_with::<Value>(&d, &opts).unwrap_err();
    assert_eq!(e.limit(), Some(pypickle::Limit::Nodes), "{e}");
    assert_eq!(e.opcode_name(), Some("NEWOBJ"), "{e}");
    // 1000 BUILDs of None onto one object.
    let mut d = b"\x80\x04\x8c\x03mod\x8c\x01C\x93)\x81".to_vec();
    for _ in 0..1000 {
        d.extend_from_slice(b"Nb");
    }
    d.push(b'.');
    let e = pypickle::from_slice_with::<Value>(&d, &opts).unwrap_err();
    assert_eq!(e.limit(), Some(pypickle::Limit::Nodes), "{e}");
    // Met by a BUILD, or by the next state pushed (values on the stack count too).
    assert!(
        matches!(e.opcode_name(), Some("BUILD" | "NONE")) && e.offset() < Some(230),
        "{e}"
    );
}

#[test]
fn sets_keep_objects_python_tells_apart() {
    // CPython never writes two equal items into a set's pickle; objects that look alike (two
    // exceptions, equal only to themselves; Decimal('NaN'), not even that) are two items.
    // They were merged into one (found by a review). But the same object twice (a set built
    // by a `__reduce__` from a list), bare or in tuples, is one item: Python's set finds an
    // object equal to itself.
    let text = python(
        "import pickle, decimal\n\
             e, n = ValueError('x'), decimal.Decimal('NaN')\n\
             t, nan = (e, 1), float('nan')\n\
             tn, fn = (e, nan), frozenset([e, nan])\n\
             n1, fn1 = (nan,), frozenset([nan])\n\
             def deep(x):\n\
             \x20   for _ in range(40): x = (x,)\n\
             \x20   return x\n\
             de, dn = deep(e), deep(nan)\n\
             class S:\n\
             \x20   def __init__(self, kind, items): self.kind, self.items = kind, items\n\
             \x20   def __reduce__(self): return (self.kind, (self.items,))\n\
             for p in range(6):\n\
             \x20   for v in ({ValueError('x'), ValueError('x')},\n\
             \x20             frozenset({decimal.Decimal('NaN'), decimal.Decimal('NaN')}),\n\
             \x20             {(ValueError('x'), 1), (ValueError('x'), 1)},\n\
             \x20             S(set, [e, e, ValueError('x')]), S(frozenset, [n, n]),\n\
             \x20             S(set, [t, t]), S(set, [t, tuple([e, 1]), (ValueError('x'), 1)]),\n\
             \x20             S(frozenset, [((e, 1), 2), ((e, 1), 2)]),\n\
             \x20             S(set, [(e, nan), (e, nan)]), S(set, [(e, (nan,)), (e, (nan,))]),\n\
             \x20             S(set, [(frozenset([e, 1]), 2), (frozenset([1, e]), 2)]),\n\
             \x20             S(set, [(S(frozenset, [e, e]),), (frozenset([e]),)]),\n\
             \x20             S(set, [tn, tn]), S(set, [fn, fn]), S(set, [deep(1), deep(1)]),\n\
             \x20             S(set, [deep(1), deep(1), e]),\n\
             \x20             S(set, [(e,), ()]), S(set, [(), (e,), (e,)]),\n\
             \x20             S(frozenset, [frozenset(), frozenset([e]), frozenset([e])]),\n\
             \x20             S(set, [n1, n1]), S(set, [fn1, fn1]), S(set, [de, de]),\n\
             \x20             S(set, [(e, n1), (e, n1)]), S(set, [dn, dn])):\n\
             \x20       b = pickle.dumps(v, p)\n\
             \x20       print(b.hex(), len(pickle.loads(b)))",
    );
    assert_eq!(text.lines().count(), 144);
    py_common::assert_set_lengths(&text);
}

/// A call that copies what it is given (`deque(l)`, `OrderedDict(l)`, `dict.__init__` under
/// `copyreg._reconstructor`, `**kwargs` of NEWOBJ_EX) does not see what the pickle later adds
/// to the memoized original, as CPython's does not; a class kept the original, and later
/// items showed through (found by a hunt). Each pickle is checked against python3 first.
#[test]
fn calls_that_copy_their_arguments_do_not_see_later_changes() {
    let cases: [(&[u8], &str, &str); 5] = [
        // deque([1]), then 2 appended to the list it was given
        (
            b"ccollections\ndeque\n(]p0\nI1\natRp1\n0g0\nI2\na0g1\n.",
            "deque([1])",
            "deque([1])",
        ),
        (
            b"ccollections\nUserList\n(]p0\nI1\natRp1\n0g0\nI2\na0g1\n.",
            "[1]",
            "collections.UserList([1])",
        ),
        (
            b"ccollections\nOrderedDict\n(]p0\n(S'a'\nI1\ntatRp1\n0g0\n(S'b'\nI2\nta0g1\n.",
            "OrderedDict([('a', 1)])",
            "OrderedDict([('a', 1)])",
        ),
        // _reconstructor(Bag, dict, d), then d['b'] = 2
        (
            b"ccopy_reg\n_reconstructor\n(chm\nBag\nc__builtin__\ndict\n(dp0\nVa\nI1\nstRp1\ng0\nVb\nI2\ns0g1\n.",
            "{'a': 1}",
            "hm.Bag(builtins.dict, {'a': 1})",
        ),
        // NEWOBJ_EX(KwOnly, (), kw), then kw['b'] = 99 and kw[1] = 2
        (
            &py_common::unhex(
                "80048c02686d8c064b774f6e6c7993297d94288c01614b018c01624b0275929468008c01624b\
                 63733068004b014b02733068012e",
            ),
            "{'a': 1, 'b': 2}",
            "hm.KwOnly(**{'a': 1, 'b': 2})",
        ),
    ];
    let opts = DeOptions::new()
        .allow_global("hm", "Bag")
        .allow_global("hm", "KwOnly")
        .allow_global("collections", "UserList");
    for (p, python_says, value) in cases {
        let script = format!(
            "import pickle, sys, types\n\
             hm = types.ModuleType('hm'); sys.modules['hm'] = hm\n\
             class Bag(dict): pass\n\
             class KwOnly:\n\
             \x20   def __new__(cls, *, a, b):\n\
             \x20       o = object.__new__(cls); o.a = a; o.b = b; return o\n\
             Bag.__module__ = KwOnly.__module__ = 'hm'; hm.Bag, hm.KwOnly = Bag, KwOnly\n\
             v = pickle.loads(bytes.fromhex('{}'))\n\
             print(repr(vars(v)) if isinstance(v, KwOnly) else repr(v))",
            py_common::hex(p)
        );
        assert_eq!(python(&script).trim(), python_says);
        let v: Value = pypickle::from_slice_with(p, &opts).unwrap();
        assert_eq!(v.to_string(), value);
    }
}

/// An object Python never hashes (a `collections` container, a list or dict subclass) as a
/// dict key or set element is refused, as python3 refuses it and as the writer does (a
/// review: the reader took every object as hashable).
#[test]
fn objects_python_never_hashes_are_refused_as_keys() {
    let pickles: [&[u8]; 3] = [
        // {OrderedDict(): 1}
        b"\x80\x02}q\x00ccollections\nOrderedDict\nq\x01)Rq\x02K\x01s.",
        // {deque(): 1}, by NEWOBJ
        b"\x80\x02}q\x00ccollections\ndeque\nq\x01)\x81q\x02K\x01s.",
        // frozenset({defaultdict()})
        b"\x80\x04(\x8c\x0bcollections\x8c\x0bdefaultdict\x93)R\x91.",
    ];
    for p in pickles {
        let script = format!(
            "import pickle\n\
             try:\n    pickle.loads(bytes.fromhex('{}'))\n    print('loaded')\n\
             except TypeError as e:\n    print('TypeError')",
            py_common::hex(p)
        );
        assert_eq!(python(&script).trim(), "TypeError");
        let e = pypickle::from_slice::<Value>(p).unwrap_err();
        assert!(e.to_string().contains("unhashable type"), "{e}");
    }
}

/// A class with `__getnewargs_ex__` and no `__new__` of its own: protocols 2-3 write
/// `partial(object.__new__, cls, *args, **kwargs)`, since `cls.__new__` is `object.__new__`.
/// It reads as protocol 4's NEWOBJ_EX of the same object does (a hunt: it was refused).
#[test]
fn partial_of_object_new_reads_as_newobj_ex() {
    let script = "import pickle, sys, types\n\
        hm = types.ModuleType('hm'); sys.modules['hm'] = hm\n\
        class P:\n\
        \x20   def __init__(self, a, *, x): self.a, self.x = a, x\n\
        \x20   def __getnewargs_ex__(self): return ((self.a,), {'x': self.x})\n\
        class K:\n\
        \x20   def __init__(self, *, x): self.x = x\n\
        \x20   def __getnewargs_ex__(self): return ((), {'x': self.x})\n\
        P.__module__ = K.__module__ = 'hm'; hm.P, hm.K = P, K\n\
        for proto in (2, 3, 4):\n\
        \x20   for o in (P(7, x=1), K(x=[2])):\n\
        \x20       p = pickle.dumps(o, proto); back = pickle.loads(p)\n\
        \x20       print(proto, p.hex(), type(back).__name__, vars(back))";
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct K {
        x: Vec<i32>,
    }
    let opts = DeOptions::new()
        .allow_global("hm", "P")
        .registry(pypickle::ClassRegistry::new().class::<K>("hm.K"));
    let mut shown = Vec::new();
    for line in python(script).lines() {
        let [proto, hex, class, state] = line.splitn(4, ' ').collect::<Vec<_>>()[..] else {
            panic!("{line}");
        };
        let p = py_common::unhex(hex);
        if class == "P" {
            assert_eq!(state, "{'a': 7, 'x': 1}");
            let v: Value = pypickle::from_slice_with(&p, &opts).unwrap();
            shown.push(v.to_string());
        } else {
            let k: K = pypickle::from_slice_with(&p, &opts)
                .unwrap_or_else(|e| panic!("protocol {proto}: {e}"));
            assert_eq!(k, K { x: vec![2] }, "protocol {proto}");
        }
    }
    assert_eq!(
        shown,
        ["hm.P(7, **{'x': 1}, __setstate__={'a': 7, 'x': 1})"; 3]
    );
    // object.__new__ of a builtin or standard C type: CPython refuses it ("not safe"), and so
    // does the reader (a review: it read `set()`, `5`, `decimal.Decimal(**{})`).
    let script = "import pickle, functools, decimal, datetime\n\
        class R:\n\
        \x20   def __init__(self, *a): self.a = a\n\
        \x20   def __reduce__(self): return (functools.partial(object.__new__, *self.a), ())\n\
        for a in [(set,), (int, 5), (decimal.Decimal,), (datetime.date, 2020, 1, 1)]:\n\
        \x20   p = pickle.dumps(R(*a), 2)\n\
        \x20   try: pickle.loads(p); print('loaded')\n\
        \x20   except TypeError: print(p.hex())";
    let opts = DeOptions::new().allow_global("functools", "partial");
    for line in python(script).lines() {
        assert_ne!(line, "loaded");
        let p = py_common::unhex(line);
        assert!(
            pypickle::from_slice_with::<Value>(&p, &opts).is_err(),
            "{line}"
        );
    }
    // object itself: CPython makes an object(), and so does the reader.
    let script = script
        .replace(
            "except TypeError: print(p.hex())",
            "except TypeError: print('refused')",
        )
        .replace("print('loaded')", "print(p.hex())")
        .replace(
            "[(set,), (int, 5), (decimal.Decimal,), (datetime.date, 2020, 1, 1)]",
            "[(object,)]",
        );
    let line = python(&script);
    let v: Value = pypickle::from_slice_with(&py_common::unhex(line.trim()), &opts).unwrap();
    assert_eq!(v.to_string(), "builtins.object(**{})");
}

/// An instance's attributes are `Value::attr`'s, as `getattr` finds them in what its pickle
/// sets: the last BUILD state wins, a `__slots__` value after the `__dict__` one. Indexing an
/// `OrderedDict`, `defaultdict`, `Counter` or `deque` reads its items, as `obj[key]` does in
/// Python. Both gave `None` (found by a new user's trial: `v["name"]` of a class instance).
#[test]
fn attributes_and_the_items_of_dict_and_list_subclasses_are_reachable() {
    let out = python(
        r#"
import collections, pickle, sys, types
m = types.ModuleType("shop"); sys.modules["shop"] = m
class Customer:
    def __init__(self): self.name = "Ann"; self.tier = 1
class Slotted:
    __slots__ = ("a", "__dict__")
    def __init__(self): self.a = "slot"; self.b = "dict"
class Cart(dict):
    pass
class Lines(list):
    pass
for c in (Customer, Slotted, Cart, Lines):
    c.__module__ = "shop"; setattr(m, c.__name__, c)
s = Slotted()
values = [Customer(), s, collections.OrderedDict(a=1, b=2),
          collections.defaultdict(list, {"k": [3]}), collections.Counter("aab"),
          collections.deque([7, 8]), Cart(x=5), Lines([4, 6])]
for p in range(6):
    # Protocols 0-1 cannot pickle a __slots__ class without a __getstate__.
    print(pickle.dumps(values[:1] + [s if p >= 2 else None] + values[2:], p).hex())
"#,
    );
    let opts = DeOptions::new().record_unknown_globals(true);
    for (proto, line) in out.lines().enumerate() {
        let v: Value = pypickle::from_slice_with(&py_common::unhex(line), &opts).unwrap();
        let why = format!("protocol {proto}: {v}");
        assert_eq!(v[0].attr("name"), Some(&Value::from("Ann")), "{why}");
        assert_eq!(v[0].attr("tier"), Some(&Value::from(1)), "{why}");
        assert_eq!(v[0].attr("nope"), None, "{why}");
        assert_eq!(v[0]["name"], Value::None, "{why}");
        if proto >= 2 {
            assert_eq!(v[1].attr("a"), Some(&Value::from("slot")), "{why}");
            assert_eq!(v[1].attr("b"), Some(&Value::from("dict")), "{why}");
        }
        assert_eq!(v[2]["b"], Value::from(2), "{why}");
        assert_eq!(v[3]["k"][0], Value::from(3), "{why}");
        assert_eq!(v[4]["a"], Value::from(2), "{why}");
        assert_eq!(v[5][1], Value::from(8), "{why}");
        assert_eq!(v[5].get(2), None, "{why}");
        assert_eq!(v[2].attr("b"), None, "{why}");
        // Plain subclasses: `copyreg._reconstructor(cls, dict, {...})` at protocols 0-1.
        assert_eq!(v[6]["x"], Value::from(5), "{why}");
        assert_eq!(v[7][1], Value::from(6), "{why}");
        // `get_mut` reaches each of them too (it reached no object's items: found by a hunt).
        let keys: [(usize, Value); 8] = [
            (2, "b".into()),
            (3, "k".into()),
            (4, "a".into()),
            (4, "z".into()),
            (5, 1.into()),
            (6, "x".into()),
            (7, 1.into()),
            (7, 2.into()),
        ];
        for (i, key) in keys {
            assert!(get_mut_reaches_what_get_reaches(&v[i], key), "{why}");
        }
    }
    assert_eq!(out.lines().count(), 6);
}

/// Whether `v.get_mut(key)` finds what `v.get(key)` finds, and changes it in place.
fn get_mut_reaches_what_get_reaches(v: &Value, key: Value) -> bool {
    let want = v.get(key.clone()).cloned();
    let mut w = v.clone();
    let Some(slot) = w.get_mut(key.clone()) else {
        return want.is_none();
    };
    if Some(&*slot) != want.as_ref() {
        return false;
    }
    *slot = Value::from("changed");
    w.get(key) == Some(&Value::from("changed"))
}

/// Python 2's `OrderedDict` and `deque` are made from their items (`OrderedDict([['a', 1],
/// ...])`, `deque([7, 8], maxlen)`): indexing reaches them there, as the typed readers do. It
/// gave `None` (found by a review).
#[test]
fn python2_collections_made_from_their_items_are_indexed_by_them() {
    // Python 2.7.18's pickle.dumps([OrderedDict([('a', 1), ('b', 2)]), deque([7, 8]),
    // deque([9], 3)], p) at protocols 0 and 2.
    let pickles: [&[u8]; 2] = [
        b"(lp0\nccollections\nOrderedDict\np1\n((lp2\n(lp3\nS'a'\np4\naI1\naa(lp5\nS'b'\np6\naI2\naatp7\nRp8\naccollections\ndeque\np9\n((lp10\nI7\naI8\natp11\nRp12\nag9\n((lp13\nI9\naI3\ntp14\nRp15\na.",
        b"\x80\x02]q\x00(ccollections\nOrderedDict\nq\x01]q\x02(]q\x03(U\x01aq\x04K\x01e]q\x05(U\x01bq\x06K\x02ee\x85q\x07Rq\x08ccollections\ndeque\nq\t]q\n(K\x07K\x08e\x85q\x0bRq\x0ch\t]q\rK\taK\x03\x86q\x0eRq\x0fe.",
    ];
    let opts = DeOptions::new().py2_strings(pypickle::Py2Strings::Latin1);
    for data in pickles {
        let v: Value = pypickle::from_slice_with(data, &opts).unwrap();
        assert_eq!(v[0]["a"], Value::from(1), "{v}");
        assert_eq!(v[0]["b"], Value::from(2), "{v}");
        assert_eq!(v[0].get("c"), None, "{v}");
        assert_eq!(v[1][1], Value::from(8), "{v}");
        assert_eq!(v[2][0], Value::from(9), "{v}");
        assert_eq!(v[2].get(1), None, "{v}");
        let keys: [(usize, Value); 4] = [
            (0, "a".into()),
            (0, "b".into()),
            (1, 1.into()),
            (2, 0.into()),
        ];
        for (i, key) in keys {
            assert!(get_mut_reaches_what_get_reaches(&v[i], key), "{v}");
        }
    }
}

/// A Python 2 `str` subclass's instance (`{}` for a state at protocol 2) reads as its str the
/// way the request reads a Python 2 str: bytes asked with Latin-1 strings are the bytes the
/// pickle holds, a `char` asked with `Py2Strings::Bytes` the one char. They were the text's
/// UTF-8, an error, and at protocol 2 no str at all (found by a review).
#[test]
fn a_python2_str_subclass_reads_as_its_request_reads_a_python2_str() {
    // Python 2.7.18's pickle.dumps([S('\xe9'), S('x')], p) for `class S(str)`, protocols 0, 2.
    let pickles: [&[u8]; 2] = [
        b"(lp0\nccopy_reg\n_reconstructor\np1\n(csite_\nS\np2\nc__builtin__\nstr\np3\nS'\\xe9'\np4\ntp5\nRp6\nag1\n(g2\ng3\nS'x'\np7\ntp8\nRp9\na.",
        b"\x80\x02]q\x00(csite_\nS\nq\x01U\x01\xe9q\x02\x85q\x03\x81q\x04}q\x05bh\x01U\x01xq\x06\x85q\x07\x81q\x08}q\tbe.",
    ];
    use pypickle::Py2Strings;
    for (proto, data) in pickles.into_iter().enumerate() {
        let latin1 = DeOptions::new()
            .record_unknown_globals(true)
            .py2_strings(Py2Strings::Latin1);
        let (raw, x): (serde_bytes::ByteBuf, String) =
            pypickle::from_slice_with(data, &latin1).unwrap_or_else(|e| panic!("{proto}: {e}"));
        assert_eq!((raw.as_slice(), x.as_str()), (&[0xe9][..], "x"), "{proto}");
        let (e, x): (String, char) = pypickle::from_slice_with(data, &latin1).unwrap();
        assert_eq!((e.as_str(), x), ("é", 'x'), "{proto}");
        let bytes = DeOptions::new()
            .record_unknown_globals(true)
            .py2_strings(Py2Strings::Bytes);
        let (_, x): (serde_bytes::ByteBuf, char) =
            pypickle::from_slice_with(data, &bytes).unwrap_or_else(|e| panic!("{proto}: {e}"));
        assert_eq!(x, 'x', "{proto}");
        // From a `Value`, the same.
        let v: Value = pypickle::from_slice_with(data, &latin1).unwrap();
        let (e, x): (String, char) = pypickle::from_value(v).unwrap();
        assert_eq!((e.as_str(), x), ("é", 'x'), "{proto}");
    }
}

/// `Object::attr` applies BUILD states in order, as Python does: a later state sets an
/// attribute again, and a state's slots half after its dict half.
#[test]
fn the_last_state_that_sets_an_attribute_wins() {
    let d = |k: &str, v: i64| Value::Dict(vec![(Value::from(k), Value::from(v))]);
    let Value::Object(mut o) = object(Made::New, None) else {
        unreachable!()
    };
    o.state = vec![
        d("x", 1),
        d("y", 2),
        Value::Tuple(vec![d("x", 3), d("x", 4)]),
    ];
    assert_eq!(o.attr("x"), Some(&Value::from(4)));
    assert_eq!(o.attr("y"), Some(&Value::from(2)));
    o.state.pop();
    assert_eq!(o.attr("x"), Some(&Value::from(1)));
    o.state.push(Value::Tuple(vec![Value::None, d("y", 5)]));
    assert_eq!(o.attr("y"), Some(&Value::from(5)));
}

/// A `str` asked of an instance made from one str alone (a `str` subclass such as Django's
/// `SafeString`, an unregistered `Enum` member with a str value) is that str, and `bytes` of one
/// made from bytes those bytes, at every protocol; an instance with attributes of its own
/// besides is still no string. Such a cache entry's text was "invalid type: sequence, expected
/// a string" (found by a new user's trial).
#[test]
fn an_instance_made_from_one_str_reads_as_that_str() {
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Fragment {
        html: String,
        status: String,
        #[serde(with = "serde_bytes")]
        raw: Vec<u8>,
    }
    let out = python(
        r#"
import enum, pickle, sys, types
m = types.ModuleType("site"); sys.modules["site_"] = m
class SafeString(str):
    __slots__ = ()
class Status(enum.Enum):
    ACTIVE = "active"
class Blob(bytes):
    pass
class Noted(str):
    pass
for c in (SafeString, Status, Blob, Noted):
    c.__module__ = "site_"; setattr(m, c.__name__, c)
noted = Noted("x"); noted.note = 1
for p in range(6):
    print(pickle.dumps({"html": SafeString("<b>hi</b>"), "status": Status.ACTIVE,
                        "raw": Blob(b"\x00\xff")}, p).hex(),
          pickle.dumps({"html": noted, "status": "s", "raw": b""}, p).hex())
"#,
    );
    let opts = DeOptions::new().record_unknown_globals(true);
    for (proto, line) in out.lines().enumerate() {
        let (good, noted) = line.split_once(' ').unwrap();
        let f: Fragment = pypickle::from_slice_with(&py_common::unhex(good), &opts)
            .unwrap_or_else(|e| panic!("protocol {proto}: {e}"));
        assert_eq!(
            f,
            Fragment {
                html: "<b>hi</b>".into(),
                status: "active".into(),
                raw: vec![0, 0xff],
            },
            "protocol {proto}"
        );
        // `from_value` reads the same.
        let v: Value = pypickle::from_slice_with(&py_common::unhex(good), &opts).unwrap();
        assert_eq!(
            pypickle::from_value::<Fragment>(v).unwrap(),
            f,
            "protocol {proto}"
        );
        let e = pypickle::from_slice_with::<Fragment>(&py_common::unhex(noted), &opts).unwrap_err();
        assert!(e.to_string().starts_with("html: "), "protocol {proto}: {e}");
        let v: Value = pypickle::from_slice_with(&py_common::unhex(noted), &opts).unwrap();
        assert!(
            pypickle::from_value::<Fragment>(v).is_err(),
            "protocol {proto}"
        );
    }
    assert_eq!(out.lines().count(), 6);
}

/// A number asked of an instance made from one number alone (an `int` or `float` subclass, a
/// member of an `IntEnum` or `IntFlag` that is not registered) is that number, at every
/// protocol, from the pickle and from a `Value`, range checked as any; an instance with
/// attributes of its own besides is still no number. Asked of an instance that stands for no
/// number or text, the error names its class and how to read it, not "invalid type: sequence".
#[test]
fn an_instance_made_from_one_number_reads_as_that_number() {
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Job {
        priority: u8,
        perms: u32,
        big: i128,
        weight: f64,
        ratio: f32,
    }
    let out = python(
        r#"
import enum, pickle, sys, types
m = types.ModuleType("site_"); sys.modules["site_"] = m
class Priority(enum.IntEnum):
    HIGH = 3
class Perm(enum.IntFlag):
    R = 4
    W = 2
class Big(int):
    pass
class Weight(float):
    pass
class Noted(int):
    pass
class Color(enum.Enum):
    RED = (1, 2)
for c in (Priority, Perm, Big, Weight, Noted, Color):
    c.__module__ = "site_"; setattr(m, c.__name__, c)
noted = Noted(1); noted.note = 1
for p in range(6):
    job = {"priority": Priority.HIGH, "perms": Perm.R | Perm.W, "big": Big(-2**100),
           "weight": Weight(0.25), "ratio": Weight(1.5)}
    print(pickle.dumps(job, p).hex(),
          pickle.dumps(dict(job, priority=noted), p).hex(),
          pickle.dumps(dict(job, ratio=Weight(1e300)), p).hex(),
          pickle.dumps(dict(job, priority=Color.RED), p).hex())
"#,
    );
    let opts = DeOptions::new().record_unknown_globals(true);
    let expected = Job {
        priority: 3,
        perms: 6,
        big: -(1i128 << 100),
        weight: 0.25,
        ratio: 1.5,
    };
    for (proto, line) in out.lines().enumerate() {
        let pickles: Vec<Vec<u8>> = line.split(' ').map(py_common::unhex).collect();
        let [good, noted, huge, color] = &pickles[..] else {
            panic!("{line}")
        };
        let job: Job = pypickle::from_slice_with(good, &opts)
            .unwrap_or_else(|e| panic!("protocol {proto}: {e}"));
        assert_eq!(job, expected, "protocol {proto}");
        let v: Value = pypickle::from_slice_with(good, &opts).unwrap();
        assert_eq!(
            pypickle::from_value::<Job>(v).unwrap(),
            expected,
            "protocol {proto}"
        );
        // Out of range, or with attributes of its own: an error at the field, either way.
        for (field, bytes) in [("priority", noted), ("ratio", huge)] {
            let e = pypickle::from_slice_with::<Job>(bytes, &opts).unwrap_err();
            let v: Value = pypickle::from_slice_with(bytes, &opts).unwrap();
            let e2 = pypickle::from_value::<Job>(v).unwrap_err();
            for e in [e.to_string(), e2.to_string()] {
                assert!(e.starts_with(field), "protocol {proto}: {e}");
            }
        }
        let e = pypickle::from_slice_with::<Job>(color, &opts).unwrap_err();
        let v: Value = pypickle::from_slice_with(color, &opts).unwrap();
        let e2 = pypickle::from_value::<Job>(v).unwrap_err();
        for e in [e.to_string(), e2.to_string()] {
            assert!(
                e.contains("an instance of site_.Color made from one tuple, expected u8")
                    && e.contains("ClassRegistry::python_enum"),
                "protocol {proto}: {e}"
            );
        }
    }
    assert_eq!(out.lines().count(), 6);
}

/// Asked for what it was not made from, an instance made from one argument is an error naming
/// its class, from the pickle and from a `Value`: bytes of `MyInt(5)` were `[5]` (its
/// arguments as a sequence), and an `f32` or `i128` of a `str` subclass said "invalid type:
/// sequence". A `str` `Enum` member's value is no variant name without the registry: `from_value`
/// took `Mode('B')` (member `A`) as variant `B` (both found by a review).
#[test]
fn an_instance_asked_for_what_it_was_not_made_from_names_its_class() {
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    enum Mode {
        A,
        B,
    }
    let out = python(
        r#"
import enum, pickle, sys, types
m = types.ModuleType("site_"); sys.modules["site_"] = m
class MyInt(int):
    pass
class MyStr(str):
    pass
class Mode(enum.Enum):
    A = "B"
    B = "A"
for c in (MyInt, MyStr, Mode):
    c.__module__ = "site_"; setattr(m, c.__name__, c)
for p in range(6):
    print(" ".join(pickle.dumps(x, p).hex() for x in (MyInt(5), MyStr("x"), Mode.A)))
"#,
    );
    let opts = DeOptions::new().record_unknown_globals(true);
    fn both<T: serde::de::DeserializeOwned + std::fmt::Debug>(
        bytes: &[u8],
        opts: &DeOptions,
    ) -> [String; 2] {
        let v: Value = pypickle::from_slice_with(bytes, opts).unwrap();
        [
            pypickle::from_slice_with::<T>(bytes, opts)
                .unwrap_err()
                .to_string(),
            pypickle::from_value::<T>(v).unwrap_err().to_string(),
        ]
    }
    for (proto, line) in out.lines().enumerate() {
        let pickles: Vec<Vec<u8>> = line.split(' ').map(py_common::unhex).collect();
        let [my_int, my_str, mode] = &pickles[..] else {
            panic!("{line}")
        };
        for e in both::<serde_bytes::ByteBuf>(my_int, &opts) {
            assert!(
                e.starts_with(
                    "invalid type: an instance of site_.MyInt made from one int, expected"
                ),
                "protocol {proto}: {e}"
            );
        }
        for e in both::<f32>(my_str, &opts)
            .into_iter()
            .chain(both::<i128>(my_str, &opts))
            .chain(both::<u128>(my_str, &opts))
        {
            assert!(
                e.starts_with(
                    "invalid type: an instance of site_.MyStr made from one str, expected"
                ),
                "protocol {proto}: {e}"
            );
        }
        for e in both::<Mode>(mode, &opts) {
            assert!(e.contains("site_.Mode"), "protocol {proto}: {e}");
        }
        let reg = pypickle::ClassRegistry::new()
            .python_enum::<Mode>("site_.Mode", [("A", "B"), ("B", "A")]);
        let opts = opts.clone().registry(reg);
        let v: Value = pypickle::from_slice_with(mode, &opts).unwrap();
        let got = pypickle::from_value_with::<Mode>(v, &opts).unwrap();
        assert!(matches!(got, Mode::A), "protocol {proto}: {got:?}");
    }
    assert_eq!(out.lines().count(), 6);
}

/// Through serde's buffering (`#[serde(flatten)]`, an untagged enum) an instance made from one
/// str or number alone is that str or number too, from the pickle and from a `Value`: a
/// Django `SafeString` in a flattened struct was "invalid type: sequence, expected a string"
/// (found by a review).
#[test]
fn an_instance_made_from_one_scalar_is_that_scalar_through_serdes_buffering() {
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Extra {
        html: String,
        level: u8,
    }
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Page {
        n: i64,
        #[serde(flatten)]
        extra: Extra,
    }
    #[derive(serde::Deserialize, Debug, PartialEq)]
    #[serde(untagged)]
    enum Field {
        N(i64),
        S(String),
    }
    let out = python(
        r#"
import enum, pickle, sys, types
m = types.ModuleType("site_"); sys.modules["site_"] = m
class SafeString(str):
    pass
class Level(enum.IntEnum):
    HIGH = 3
for c in (SafeString, Level):
    c.__module__ = "site_"; setattr(m, c.__name__, c)
for p in range(6):
    print(pickle.dumps({"n": 1, "html": SafeString("<b>"), "level": Level.HIGH}, p).hex(),
          pickle.dumps([SafeString("x"), Level.HIGH], p).hex())
"#,
    );
    let opts = DeOptions::new().record_unknown_globals(true);
    let page = Page {
        n: 1,
        extra: Extra {
            html: "<b>".into(),
            level: 3,
        },
    };
    let fields = vec![Field::S("x".into()), Field::N(3)];
    for (proto, line) in out.lines().enumerate() {
        let (a, b) = line.split_once(' ').unwrap();
        let (a, b) = (py_common::unhex(a), py_common::unhex(b));
        let got: Page =
            pypickle::from_slice_with(&a, &opts).unwrap_or_else(|e| panic!("{proto}: {e}"));
        assert_eq!(got, page, "protocol {proto}");
        let got: Vec<Field> =
            pypickle::from_slice_with(&b, &opts).unwrap_or_else(|e| panic!("{proto}: {e}"));
        assert_eq!(got, fields, "protocol {proto}");
        let v: Value = pypickle::from_slice_with(&a, &opts).unwrap();
        assert_eq!(pypickle::from_value::<Page>(v).unwrap(), page, "{proto}");
        let v: Value = pypickle::from_slice_with(&b, &opts).unwrap();
        assert_eq!(pypickle::from_value::<Vec<Field>>(v).unwrap(), fields);
    }
    assert_eq!(out.lines().count(), 6);
}
