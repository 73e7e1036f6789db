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
