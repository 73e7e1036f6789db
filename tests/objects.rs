//! Objects kept inertly in record mode survive a round trip through the pickler at every
//! protocol, however they were made (REDUCE, NEWOBJ, NEWOBJ_EX or its protocol 2-3 form
//! `copyreg.__newobj_ex__`, `copyreg._reconstructor`).

use pypickle::{DeOptions, Global, Made, Object, SerOptions, Value};

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
