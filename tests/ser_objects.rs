//! Globals and class instances (`Value::Global`, `Value::Object`): read from CPython's pickle
//! with unknown globals recorded, written back: CPython loads the same object (same repr), we
//! read back the same `Value`, and the bytes are CPython's (REDUCE, NEWOBJ, `copy_reg`
//! `_reconstructor` at protocols 0-1, BUILD states, list and dict items, memoized globals).

mod ser_common;

use pypickle::{DeOptions, SerOptions, Value};
use ser_common::{first_difference, named_pickles, python_output, Python};

/// (name, protocol, pickle) written by CPython.
fn cpython_objects() -> Vec<(String, u8, Vec<u8>)> {
    let out = python_output(
        r#"
import pickle, struct, sys, collections, argparse, fractions, decimal, datetime
def nested(depth):
    # Objects inside every kind of container inside objects: what the writer writes
    # directly rather than through each part's Serialize.
    o = None
    for i in range(depth):
        o = collections.OrderedDict([
            ("i", i),
            ("in", (o, [argparse.Namespace(x=i)], {i: frozenset({i, (i, "k")})},
                    {i, -i}, bytearray(b"ab"), 2**70 + i, complex(1, i), fractions.Fraction(i, 7))),
        ])
    return o
objs = [
    ("nested objects", nested(40)),
    ("OrderedDict", collections.OrderedDict([("a", 1), ("b", [2])])),
    ("OrderedDict 1500", collections.OrderedDict((i, i) for i in range(1500))),
    ("deque", collections.deque([1, 2, 3])),
    ("deque maxlen", collections.deque(range(1200), maxlen=1500)),
    ("Counter", collections.Counter("abracadabra")),
    ("Namespace", argparse.Namespace(a=1, b="x")),
    ("Namespaces", [argparse.Namespace(a=i) for i in range(3)]),
    ("Fraction", fractions.Fraction(3, 4)),
    ("Decimal", decimal.Decimal("1.25")),
    ("date", datetime.date(2024, 2, 29)),
    ("globals", [collections.OrderedDict, argparse.Namespace, Ellipsis, NotImplemented]),
    ("nested class", [datetime.timezone.utc]),
]
for name, o in objs:
    for p in range(6):
        b = pickle.dumps(o, protocol=p)
        n = name.encode()
        sys.stdout.buffer.write(struct.pack("<H", len(n)) + n + struct.pack("<BI", p, len(b)) + b)
"#,
    );
    named_pickles(&out)
}

#[test]
fn objects_round_trip_through_cpython() {
    let opts = DeOptions::new().record_unknown_globals(true);
    let mut py = Python::start();
    let mut identical = 0;
    let mut differ = Vec::new();
    let all = cpython_objects();
    for (name, proto, pickle) in &all {
        let v: Value = pypickle::from_slice_with(pickle, &opts)
            .unwrap_or_else(|e| panic!("{name} p{proto}: {e}"));
        let ours = pypickle::to_vec_with(&v, &SerOptions::new().protocol(*proto))
            .unwrap_or_else(|e| panic!("{name} p{proto}: {e}"));
        let theirs = py.echo(*proto, pickle).unwrap();
        let echo = py
            .echo(*proto, &ours)
            .unwrap_or_else(|e| panic!("{name} p{proto}: CPython cannot load ours: {e}"));
        assert_eq!(echo.repr, theirs.repr, "{name} p{proto}");
        let back: Value = pypickle::from_slice_with(&ours, &opts).unwrap();
        assert_eq!(back, v, "{name} p{proto}");
        if ours == *pickle {
            identical += 1;
        } else {
            differ.push(format!(
                "{name} p{proto}: {}",
                first_difference(&ours, pickle)
            ));
        }
    }
    assert!(
        differ.is_empty(),
        "{identical} of {} byte-identical; differ:\n{}",
        all.len(),
        differ.join("\n")
    );
}

/// Keyword arguments are written only by NEWOBJ_EX: an object made otherwise that holds them
/// is refused, not written without them (found by a hunt of the CLI's from-json).
#[test]
fn keyword_arguments_of_an_object_not_made_by_newobj_ex_are_refused() {
    use pypickle::{Global, Made, Object};
    let object = |made: Made, kwargs: Option<Value>| {
        Value::Object(Box::new(Object {
            class: Global {
                module: "mymod".into(),
                name: "Thing".into(),
            },
            made,
            args: Value::Tuple(vec![Value::Int(1)]),
            kwargs,
            state: vec![],
            list_items: vec![],
            dict_items: vec![],
        }))
    };
    let kw = || {
        Some(Value::Dict(vec![(
            Value::from("verbose"),
            Value::Bool(true),
        )]))
    };
    for made in [Made::Call, Made::New] {
        for proto in 0..=5 {
            let opts = SerOptions::new().protocol(proto);
            let e = pypickle::to_vec_with(&object(made, kw()), &opts).unwrap_err();
            assert!(e.to_string().contains("keyword arguments"), "{e}");
            // Empty keywords lose nothing.
            let empty = object(made, Some(Value::Dict(vec![])));
            assert!(pypickle::to_vec_with(&empty, &opts).is_ok());
        }
    }
    let opts = DeOptions::new().allow_global("mymod", "Thing");
    let bytes = pypickle::to_vec(&object(Made::NewEx, kw())).unwrap();
    let back: Value = pypickle::from_slice_with(&bytes, &opts).unwrap();
    assert_eq!(back, object(Made::NewEx, kw()));
}

/// `cls.__new__(cls, *args, **kwargs)` below protocol 4 is CPython's `functools.partial`
/// form byte for byte at protocols 2-3, its function written once and referred back to, empty
/// keywords included (as CPython's `__reduce__` may give them); CPython loads it at 0-3.
#[test]
fn keyword_argument_objects_below_protocol_4_are_cpythons_partial_form() {
    let class = r#"
import copyreg, pickle, sys
class K:
    def __new__(cls, *args, **kwargs):
        o = object.__new__(cls)
        o.made = (args, kwargs)
        return o
    def __reduce__(self):
        return (copyreg.__newobj_ex__, (K, self.made[0], self.made[1]))
    def __repr__(self):
        return "K%r" % (self.made,)
"#;
    let cases = [
        "K.__new__(K, 1)",
        "K.__new__(K, 1, 'x', b=2)",
        "K.__new__(K, a=[1])",
    ];
    let dump = format!(
        "{class}\nfor o in [{}]:\n    for p in (2, 3):\n        b = pickle.dumps(o, p)\n        \
         sys.stdout.buffer.write(bytes([p]) + len(b).to_bytes(4, 'little') + b)",
        cases.join(", ")
    );
    let out = python_output(&dump);
    let opts = DeOptions::new().record_unknown_globals(true);
    let mut rest = &out[..];
    let mut loads = Vec::new();
    while !rest.is_empty() {
        let proto = rest[0];
        let len = u32::from_le_bytes(rest[1..5].try_into().unwrap()) as usize;
        let theirs = &rest[5..5 + len];
        rest = &rest[5 + len..];
        let v: Value = pypickle::from_slice_with(theirs, &opts).unwrap();
        let ours = pypickle::to_vec_with(&v, &SerOptions::new().protocol(proto)).unwrap();
        assert!(
            ours == theirs,
            "p{proto} {v}: {}",
            first_difference(&ours, theirs)
        );
        for p in 0..=3 {
            let ours = pypickle::to_vec_with(&v, &SerOptions::new().protocol(p)).unwrap();
            let back: Value = pypickle::from_slice_with(&ours, &opts).unwrap();
            assert_eq!(back, v, "p{p}");
            loads.push((theirs.to_vec(), ours));
        }
    }
    assert_eq!(loads.len(), cases.len() * 2 * 4);
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let pairs: Vec<String> = loads
        .iter()
        .map(|(t, o)| format!("('{}', '{}')", hex(t), hex(o)))
        .collect();
    let check = format!(
        "{class}\nfor t, o in [{}]:\n    a, b = pickle.loads(bytes.fromhex(t)), pickle.loads(bytes.fromhex(o))\n    \
         assert type(b) is K and repr(a) == repr(b), (a, b)\nprint('ok')",
        pairs.join(", ")
    );
    assert_eq!(python_output(&check), b"ok\n");
}
