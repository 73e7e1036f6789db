//! The mapping's table, case by case, both ways, through JSON text; its errors and limits.

use serde_json::json;

use super::{from_json, from_json_with, to_json, to_json_with, ErrorKind, JsonOptions};
use crate::value::{BigInt, Complex, Global, Made, Object, Value};

/// Strict equality: `Value`'s `==` is Python's (`1 == 1.0 == True`, sets unordered), but
/// `Debug` shows every variant, float digits that read back bit for bit and the order.
fn same(a: &Value, b: &Value) -> bool {
    format!("{a:?}") == format!("{b:?}")
}

fn big(digits: &str) -> Value {
    Value::from(digits.parse::<BigInt>().unwrap())
}

fn s(text: &str) -> Value {
    Value::Str(text.to_string())
}

fn objects() -> JsonOptions {
    JsonOptions::new().objects(true)
}

/// `v` maps to `text` with `opts`, and `text` read back by serde_json and mapped back gives
/// `v` exactly.
fn check(v: Value, text: &str, opts: &JsonOptions) {
    let j = to_json_with(&v, opts).unwrap_or_else(|e| panic!("{v:?}: {e}"));
    let written = serde_json::to_string(&j).unwrap();
    assert_eq!(written, text, "JSON of {v:?}");
    let parsed: serde_json::Value = serde_json::from_str(&written).unwrap();
    let back = from_json_with(&parsed, opts).unwrap_or_else(|e| panic!("{text}: {e}"));
    assert!(same(&back, &v), "{text} read back as {back:?}, not {v:?}");
}

#[test]
fn plain_json_values_map_to_themselves() {
    let o = JsonOptions::new();
    check(Value::None, "null", &o);
    check(Value::Bool(true), "true", &o);
    check(Value::Bool(false), "false", &o);
    check(Value::Int(0), "0", &o);
    check(Value::Int(-1), "-1", &o);
    check(Value::Int(i64::MIN), "-9223372036854775808", &o);
    check(Value::Int(i64::MAX), "9223372036854775807", &o);
    check(big("9223372036854775808"), "9223372036854775808", &o);
    check(Value::from(u64::MAX), "18446744073709551615", &o);
    check(Value::Float(1.0), "1.0", &o);
    check(Value::Float(-0.0), "-0.0", &o);
    check(Value::Float(0.1), "0.1", &o);
    check(Value::Float(-2.5), "-2.5", &o);
    check(Value::Float(1e16), "1e+16", &o);
    check(Value::Float(1e-7), "1e-7", &o);
    check(Value::Float(5e-324), "5e-324", &o);
    check(Value::Float(f64::MAX), "1.7976931348623157e+308", &o);
    check(
        Value::Float(123456789012345678.0),
        "1.2345678901234568e+17",
        &o,
    );
    check(s(""), r#""""#, &o);
    check(s("é\n\u{10ffff}\"\\"), "\"é\\n\u{10ffff}\\\"\\\\\"", &o);
    check(s("$tuple"), r#""$tuple""#, &o);
    check(Value::List(vec![]), "[]", &o);
    check(
        Value::List(vec![Value::Int(1), s("a"), Value::List(vec![Value::None])]),
        r#"[1,"a",[null]]"#,
        &o,
    );
    check(Value::Dict(vec![]), "{}", &o);
    check(
        Value::Dict(vec![(s("b"), Value::Int(1)), (s("a"), Value::Float(2.0))]),
        r#"{"b":1,"a":2.0}"#,
        &o,
    );
    // Several keys, one of them starting with '$': not a tag, so a plain object.
    check(
        Value::Dict(vec![(s("$x"), Value::Int(1)), (s("y"), Value::Int(2))]),
        r#"{"$x":1,"y":2}"#,
        &o,
    );
    check(Value::Dict(vec![(s("x"), Value::Int(1))]), r#"{"x":1}"#, &o);
}

#[test]
fn other_values_are_tagged() {
    let o = JsonOptions::new();
    check(
        big("18446744073709551616"),
        r#"{"$int":"18446744073709551616"}"#,
        &o,
    );
    check(
        big("-9223372036854775809"),
        r#"{"$int":"-9223372036854775809"}"#,
        &o,
    );
    let huge = format!("-{}", "9".repeat(400));
    check(big(&huge), &format!(r#"{{"$int":"{huge}"}}"#), &o);
    check(Value::Float(f64::NAN), r#"{"$float":"nan"}"#, &o);
    check(Value::Float(f64::INFINITY), r#"{"$float":"inf"}"#, &o);
    check(Value::Float(f64::NEG_INFINITY), r#"{"$float":"-inf"}"#, &o);
    check(
        Value::Complex(Complex { re: 1.0, im: -2.0 }),
        r#"{"$complex":[1.0,-2.0]}"#,
        &o,
    );
    check(
        Value::Complex(Complex {
            re: f64::INFINITY,
            im: f64::NAN,
        }),
        r#"{"$complex":[{"$float":"inf"},{"$float":"nan"}]}"#,
        &o,
    );
    check(Value::Bytes(vec![]), r#"{"$bytes":""}"#, &o);
    check(Value::Bytes(vec![0, 0xff]), r#"{"$bytes":"AP8="}"#, &o);
    check(
        Value::ByteArray(b"abc".to_vec()),
        r#"{"$bytearray":"YWJj"}"#,
        &o,
    );
    check(Value::Tuple(vec![]), r#"{"$tuple":[]}"#, &o);
    check(
        Value::Tuple(vec![Value::Int(1), Value::Tuple(vec![Value::None])]),
        r#"{"$tuple":[1,{"$tuple":[null]}]}"#,
        &o,
    );
    check(Value::Set(vec![]), r#"{"$set":[]}"#, &o);
    check(
        Value::Set(vec![Value::Int(3), Value::Int(1)]),
        r#"{"$set":[3,1]}"#,
        &o,
    );
    check(
        Value::FrozenSet(vec![s("a")]),
        r#"{"$frozenset":["a"]}"#,
        &o,
    );
}

#[test]
fn dicts_that_are_not_plain_objects_are_pairs() {
    let o = JsonOptions::new();
    check(
        Value::Dict(vec![
            (Value::Int(1), s("one")),
            (Value::None, Value::Int(2)),
        ]),
        r#"{"$dict":[[1,"one"],[null,2]]}"#,
        &o,
    );
    // A str key beside a non-str one.
    check(
        Value::Dict(vec![(s("a"), Value::Int(1)), (Value::Int(1), s("a"))]),
        r#"{"$dict":[["a",1],[1,"a"]]}"#,
        &o,
    );
    // The only key starts with '$': it would read back as a tag.
    check(
        Value::Dict(vec![(s("$tuple"), Value::List(vec![]))]),
        r#"{"$dict":[["$tuple",[]]]}"#,
        &o,
    );
    check(
        Value::Dict(vec![(s("$"), Value::Int(1))]),
        r#"{"$dict":[["$",1]]}"#,
        &o,
    );
    // A key twice (a pickle may say so): a JSON object would keep one.
    check(
        Value::Dict(vec![(s("a"), Value::Int(1)), (s("a"), Value::Int(2))]),
        r#"{"$dict":[["a",1],["a",2]]}"#,
        &o,
    );
    check(
        Value::Dict(vec![(
            Value::Tuple(vec![Value::Int(1), Value::Bool(true)]),
            Value::Dict(vec![(Value::Float(1.5), Value::None)]),
        )]),
        r#"{"$dict":[[{"$tuple":[1,true]},{"$dict":[[1.5,null]]}]]}"#,
        &o,
    );
}

fn sample_object() -> Object {
    Object {
        class: Global {
            module: "geometry".into(),
            name: "Point".into(),
        },
        made: Made::New,
        args: Value::Tuple(vec![]),
        kwargs: None,
        state: vec![Value::Dict(vec![
            (s("x"), Value::Int(1)),
            (s("y"), Value::Int(2)),
        ])],
        list_items: vec![],
        dict_items: vec![],
    }
}

#[test]
fn globals_and_objects_map_only_when_asked() {
    let g = Value::Global(Box::new(Global {
        module: "collections".into(),
        name: "OrderedDict".into(),
    }));
    check(
        g.clone(),
        r#"{"$global":["collections","OrderedDict"]}"#,
        &objects(),
    );
    let obj = Value::Object(Box::new(sample_object()));
    check(
        obj.clone(),
        r#"{"$object":{"class":["geometry","Point"],"made":"new","args":{"$tuple":[]},"state":[{"x":1,"y":2}]}}"#,
        &objects(),
    );
    let full = Object {
        made: Made::NewEx,
        args: Value::Tuple(vec![Value::Int(1)]),
        kwargs: Some(Value::Dict(vec![(s("k"), Value::Float(f64::NAN))])),
        list_items: vec![Value::Bytes(vec![1])],
        dict_items: vec![(Value::Int(1), Value::Int(2))],
        ..sample_object()
    };
    check(
        Value::Object(Box::new(full)),
        r#"{"$object":{"class":["geometry","Point"],"made":"new_ex","args":{"$tuple":[1]},"kwargs":{"k":{"$float":"nan"}},"state":[{"x":1,"y":2}],"list_items":[{"$bytes":"AQ=="}],"dict_items":[[1,2]]}}"#,
        &objects(),
    );
    for made in ["call", "reconstructor"] {
        let j = json!({"$object": {"class": ["m", "C"], "made": made, "args": {"$tuple": []}}});
        let v = from_json_with(&j, &objects()).unwrap();
        assert_eq!(to_json_with(&v, &objects()).unwrap(), j);
    }

    // Refused by default, in both directions, with where.
    let nested = Value::List(vec![Value::Int(1), Value::Dict(vec![(s("k"), g)])]);
    let e = to_json(&nested).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Refused);
    assert_eq!(e.pointer(), "/1/k");
    assert!(e.to_string().contains("collections.OrderedDict"), "{e}");
    let e = to_json(&obj).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Refused);
    assert!(e.to_string().contains("geometry.Point"), "{e}");
    for j in [
        json!([{"$global": ["os", "system"]}]),
        json!([{"$object": {"class": ["m", "C"], "made": "new", "args": {"$tuple": []}}}]),
    ] {
        let e = from_json(&j).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Refused, "{j}");
        assert!(e.pointer().starts_with("/0/$"), "{}", e.pointer());
    }
}

#[test]
fn lenient_forms_read_as_the_value_they_name() {
    // Hand-written JSON: an int spelled as a tag, integral complex parts.
    assert!(same(
        &from_json(&json!({"$int": "5"})).unwrap(),
        &Value::Int(5)
    ));
    assert!(same(
        &from_json(&json!({"$int": "-18446744073709551617"})).unwrap(),
        &big("-18446744073709551617")
    ));
    // The hex literal ints past 4300 digits are written as, at any size.
    assert!(same(
        &from_json(&json!({"$int": "-0x10000000000000001"})).unwrap(),
        &big("-18446744073709551617")
    ));
    assert!(same(
        &from_json(&json!({"$complex": [1, 2]})).unwrap(),
        &Value::Complex(Complex { re: 1.0, im: 2.0 })
    ));
    // serde_json's `json!` keeps an object's order.
    assert_eq!(
        from_json(&json!({"z": 1, "a": 2})).unwrap().to_string(),
        "{'z': 1, 'a': 2}"
    );
}

#[test]
fn malformed_forms_are_errors_that_say_where() {
    let cases = [
        (json!({"$nope": 1}), "/$nope", "unknown tag"),
        (json!([{"$Tuple": []}]), "/0/$Tuple", "unknown tag"),
        (json!({"$tuple": 1}), "/$tuple", "expected an array"),
        (json!({"$set": {"a": 1}}), "/$set", "expected an array"),
        (json!({"$bytes": "Zg"}), "/$bytes", "multiple of 4"),
        (json!({"$bytes": "Zh=="}), "/$bytes", "non-canonical"),
        (
            json!({"$bytearray": [1, 2]}),
            "/$bytearray",
            "base64 string",
        ),
        (json!({"$int": 5}), "/$int", "decimal digits"),
        (json!({"$int": "0x1g"}), "/$int", "invalid integer"),
        (json!({"$int": ""}), "/$int", "invalid integer"),
        (json!({"$int": "1".repeat(4301)}), "/$int", "at most 4300"),
        (
            json!({"$float": "1.5"}),
            "/$float",
            "finite floats are JSON numbers",
        ),
        (json!({"$float": "NaN"}), "/$float", "not \"nan\""),
        (json!({"$float": 1.5}), "/$float", "expected"),
        (json!({"$complex": [1.0]}), "/$complex", "[real, imag]"),
        (json!({"$complex": [1.0, "x"]}), "/$complex/1", "a float"),
        (
            json!({"$complex": [{"$float": "1"}, 0]}),
            "/$complex/0/$float",
            "not \"nan\"",
        ),
        (json!({"$dict": [[1]]}), "/$dict/0", "pair"),
        (json!({"$dict": [1]}), "/$dict/0", "pair"),
        (json!({"$dict": {"a": 1}}), "/$dict", "pairs"),
        (
            json!({"k": [{"$dict": [[{"$x": 1}, 2]]}]}),
            "/k/0/$dict/0/0/$x",
            "unknown tag",
        ),
        // What Python cannot hash, as a key or element (the writer refused it later, in
        // terms of Rust types, without a pointer).
        (
            json!({"$dict": [[[1], 2]]}),
            "/$dict/0/0",
            "a list cannot be a dict key",
        ),
        (
            json!({"$set": [1, {"$dict": []}]}),
            "/$set/1",
            "a dict cannot be a set element",
        ),
        (
            json!({"$frozenset": [{"$tuple": [1, [2]]}]}),
            "/$frozenset/0",
            "a list cannot be a set element",
        ),
    ];
    for (j, pointer, words) in cases {
        let e = from_json_with(&j, &objects()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Invalid, "{j}");
        assert_eq!(e.pointer(), pointer, "{j}: {e}");
        assert!(e.to_string().contains(words), "{j}: {e}");
    }
    let objs = [
        (json!({"$global": ["os"]}), "/$global", "[module, name]"),
        (
            json!({"$global": "os.system"}),
            "/$global",
            "[module, name]",
        ),
        (
            json!({"$global": ["os", 1]}),
            "/$global/1",
            "qualified name",
        ),
        (json!({"$object": []}), "/$object", "object of fields"),
        (
            json!({"$object": {"made": "new", "args": {"$tuple": []}}}),
            "/$object",
            "missing field \"class\"",
        ),
        (
            json!({"$object": {"class": ["m", "C"], "made": "make", "args": {"$tuple": []}}}),
            "/$object/made",
            "unknown \"made\"",
        ),
        (
            json!({"$object": {"class": ["m", "C"], "made": "new"}}),
            "/$object",
            "missing field \"args\"",
        ),
        (
            json!({"$object": {"class": ["m", "C"], "made": "new", "args": {"$tuple": []}, "extra": 1}}),
            "/$object",
            "unknown field \"extra\"",
        ),
        (
            json!({"$object": {"class": ["m", "C"], "made": "new", "args": {"$tuple": []}, "state": {}}}),
            "/$object/state",
            "expected an array",
        ),
        (
            json!({"$object": {"class": ["m", "C"], "made": "new", "args": {"$tuple": []}, "dict_items": [[1, {"$q": 0}]]}}),
            "/$object/dict_items/0/1/$q",
            "unknown tag",
        ),
    ];
    for (j, pointer, words) in objs {
        let e = from_json_with(&j, &objects()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Invalid, "{j}");
        assert_eq!(e.pointer(), pointer, "{j}: {e}");
        assert!(e.to_string().contains(words), "{j}: {e}");
    }
}

#[test]
fn pointers_escape_slash_and_tilde() {
    let v = Value::Dict(vec![(
        s("a/b~c"),
        Value::List(vec![Value::Global(Box::new(Global {
            module: "m".into(),
            name: "n".into(),
        }))]),
    )]);
    let e = to_json(&v).unwrap_err();
    assert_eq!(e.pointer(), "/a~1b~0c/0");
    assert!(
        e.to_string().ends_with("(at JSON pointer \"/a~1b~0c/0\")"),
        "{e}"
    );
}

/// A value nested `n` JSON levels deep by lists, tuples or non-str-keyed dicts.
fn nested(levels: usize, wrap: fn(Value) -> Value, per: usize) -> Value {
    let mut v = Value::Int(1);
    for _ in 0..levels / per {
        v = wrap(v);
    }
    v
}

#[test]
fn nesting_is_limited_to_what_serde_json_parses() {
    let list = |v| Value::List(vec![v]);
    let tuple = |v| Value::Tuple(vec![v]);
    let dict = |v| Value::Dict(vec![(Value::Int(0), v)]);
    for (wrap, per) in [(list as fn(Value) -> Value, 1), (tuple, 2), (dict, 3)] {
        let deepest = 127 / per * per;
        let ok = nested(deepest, wrap, per);
        let j = to_json(&ok).unwrap();
        let text = serde_json::to_string(&j).unwrap();
        let parsed: serde_json::Value = serde_json::from_str(&text).expect("serde_json reads it");
        assert!(same(&from_json(&parsed).unwrap(), &ok));

        let too_deep = nested(deepest + per, wrap, per);
        let e = to_json(&too_deep).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Depth, "{e}");
    }
    // 128 levels of JSON arrays: serde_json refuses to parse it, and from_json too.
    let mut j = json!(1);
    for _ in 0..128 {
        j = json!([j]);
    }
    assert!(serde_json::from_str::<serde_json::Value>(&j.to_string()).is_err());
    assert_eq!(from_json(&j).unwrap_err().kind(), ErrorKind::Depth);
    // Deeper on request, both ways (on a thread with room for debug builds' frames).
    std::thread::Builder::new()
        .stack_size(16 << 20)
        .spawn(|| {
            let deep = nested(400, |v| Value::List(vec![v]), 1);
            let opts = JsonOptions::new().max_depth(500);
            let j = to_json_with(&deep, &opts).unwrap();
            assert!(same(&from_json_with(&j, &opts).unwrap(), &deep));
            let shallower = JsonOptions::new().max_depth(399);
            assert_eq!(
                from_json_with(&j, &shallower).unwrap_err().kind(),
                ErrorKind::Depth
            );
        })
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn every_float_reads_back_bit_for_bit() {
    // xorshift64: bit patterns all over the range, subnormals and huge exponents included.
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..20_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let f = f64::from_bits(x);
        let v = Value::Float(f);
        let text = serde_json::to_string(&to_json(&v).unwrap()).unwrap();
        let back = from_json(&serde_json::from_str(&text).unwrap()).unwrap();
        match back {
            // A NaN's sign and payload too (Python sees the sign with `math.copysign`).
            Value::Float(g) => assert!(
                f.to_bits() == g.to_bits(),
                "{f:e} ({:016x}) came back as {g:e} ({:016x}) through {text}",
                f.to_bits(),
                g.to_bits()
            ),
            other => panic!("{f:e} came back as {other:?} through {text}"),
        }
    }
    for (bits, text) in [
        (0x7ff8_0000_0000_0000u64, r#"{"$float":"nan"}"#),
        (0xfff8_0000_0000_0000, r#"{"$float":"-nan"}"#),
        (
            0x7ff0_0000_0000_0001,
            r#"{"$float":"nan:7ff0000000000001"}"#,
        ),
    ] {
        let v = Value::Float(f64::from_bits(bits));
        assert_eq!(to_json(&v).unwrap().to_string(), text);
        let back = from_json(&serde_json::from_str(text).unwrap()).unwrap();
        assert!(
            matches!(back, Value::Float(g) if g.to_bits() == bits),
            "{text}"
        );
    }
    for bad in [
        "nan:",
        "nan:7ff0000000000000",
        "nan:xyz",
        "nan:07ff8000000000000",
    ] {
        let j = json!({ "$float": bad });
        assert_eq!(
            from_json(&j).unwrap_err().kind(),
            ErrorKind::Invalid,
            "{bad}"
        );
    }
}

/// An object's class array is one level of JSON, counted when writing as when reading: an
/// object whose args are not deeper than it, at the limit, was written one level too deep.
#[test]
fn an_objects_class_counts_as_a_level() {
    let mut o = sample_object();
    o.args = Value::None;
    o.kwargs = None;
    o.state = vec![];
    let object = Value::Object(Box::new(o));
    let opts = objects();
    let fits = |levels: usize| {
        let v = (0..levels).fold(object.clone(), |v, _| Value::List(vec![v]));
        to_json_with(&v, &opts).map(|j| (j, v))
    };
    // The deepest that is written reads back.
    let deepest = (0..200).take_while(|&n| fits(n).is_ok()).last().unwrap();
    let (j, v) = fits(deepest).unwrap();
    let text = serde_json::to_string(&j).unwrap();
    let parsed: serde_json::Value = serde_json::from_str(&text).expect("serde_json reads it");
    assert!(same(&from_json_with(&parsed, &opts).unwrap(), &v));
}

/// With serde_json's `arbitrary_precision` (the `cli` feature turns it on, and any crate of a
/// build can), serde_json hands numbers to a `Value` as one-entry maps of their text: read as
/// Python's `json.loads` reads the numbers, big ints exact. They were dicts, and every
/// standard library type read through serde_json failed ("expected a datetime.timedelta,
/// found a dict").
#[cfg(feature = "cli")]
#[test]
fn arbitrary_precision_numbers_read_as_numbers() {
    let v: Value =
        serde_json::from_str("[1, -7, 123456789012345678901234567890, 2.5, 1e300, -0, {\"a\": 3}]")
            .unwrap();
    assert_eq!(
        v.to_string(),
        "[1, -7, 123456789012345678901234567890, 2.5, 1e+300, -0.0, {'a': 3}]"
    );
    // Only a one-entry map of a JSON number's text is a number: anything else with that key
    // stays the dict it is (found by a review).
    let key = "$serde_json::private::Number";
    for (json, repr) in [
        (
            format!("{{\"{key}\": \"NaN\"}}"),
            format!("{{'{key}': 'NaN'}}"),
        ),
        (
            format!("{{\"{key}\": \"007\"}}"),
            format!("{{'{key}': '007'}}"),
        ),
        (
            format!("{{\"{key}\": \"+5\"}}"),
            format!("{{'{key}': '+5'}}"),
        ),
        (
            format!("{{\"{key}\": \"5\", \"b\": 1}}"),
            format!("{{'{key}': '5', 'b': 1}}"),
        ),
        (format!("{{\"{key}\": \"-1.5e3\"}}"), "-1500.0".to_string()),
    ] {
        let v: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v.to_string(), repr, "{json}");
    }
}

/// A complex's part past a float's range is an error, as a float alone is: it was NaN with
/// `arbitrary_precision` on (found by a review).
#[cfg(feature = "cli")]
#[test]
fn a_complex_part_past_a_floats_range_is_an_error() {
    let j: serde_json::Value = serde_json::from_str(r#"{"$complex": [1e400, 0]}"#).unwrap();
    let e = from_json(&j).unwrap_err().to_string();
    assert!(e.contains("beyond a float's range"), "{e}");
    let j: serde_json::Value = serde_json::from_str(r#"{"$complex": [1.5, -2]}"#).unwrap();
    assert_eq!(from_json(&j).unwrap().to_string(), "(1.5-2j)");
}

/// A long unknown tag is quoted cut short in the error (found by a hunt: it was quoted whole);
/// the JSON pointer still names the key in full, as it locates it.
#[test]
fn a_long_unknown_tag_is_cut_in_the_message() {
    let xs = "x".repeat(5000);
    let mut doc = serde_json::Map::new();
    doc.insert(format!("${xs}"), json!(1));
    let e = from_json(&serde_json::Value::Object(doc)).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("unknown tag \"$xxx"), "{}", &msg[..80]);
    assert_eq!(msg.matches(&xs).count(), 1, "{}", msg.len());
    assert_eq!(e.pointer(), format!("/${xs}"));
}
