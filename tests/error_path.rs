//! Errors met while handing a pickle's values to `Deserialize` impls say where the value sat:
//! the list positions and dict keys from the root (`Error::path`, and the message's prefix).
//! The pickles are CPython's, made by python3 here; `from_value` of the same pickle read as a
//! `Value` must give the same path.

mod py_common;

use std::collections::{BTreeMap, HashMap};

use pypickle::{Category, DeOptions, Segment};
use serde::Deserialize;

/// `pickle.dumps(expr, protocol)`, run by python3 (`prelude` first).
fn dumps(prelude: &str, expr: &str, protocol: u8) -> Vec<u8> {
    py_common::unhex(
        py_common::python(&format!(
            "import pickle\n{prelude}\nprint(pickle.dumps({expr}, protocol={protocol}).hex())"
        ))
        .trim(),
    )
}

/// The error of reading `data` as `T`, and the same path when the pickle is read as a
/// `Value` first and then converted with `from_value`.
fn read_err<T: serde::de::DeserializeOwned + std::fmt::Debug>(
    data: &[u8],
    opts: &DeOptions,
) -> pypickle::Error {
    let e = pypickle::from_slice_with::<T>(data, opts).unwrap_err();
    let value: pypickle::Value = pypickle::from_slice_with(data, opts).unwrap();
    let v = pypickle::from_value::<T>(value).unwrap_err();
    assert_eq!(
        v.path().map(|p| p.to_string()),
        e.path().map(|p| p.to_string()),
        "from_value: {v}\nfrom_slice: {e}"
    );
    assert_eq!(segments(&v), segments(&e));
    e
}

fn err<T: serde::de::DeserializeOwned + std::fmt::Debug>(data: &[u8]) -> pypickle::Error {
    read_err::<T>(data, &DeOptions::new())
}

fn segments(e: &pypickle::Error) -> Vec<Segment> {
    e.path()
        .map(|p| p.segments().cloned().collect())
        .unwrap_or_default()
}

fn key(k: &str) -> Segment {
    Segment::Key(k.to_string())
}

fn other(k: &str) -> Segment {
    Segment::OtherKey(k.to_string())
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Record {
    id: u64,
    tags: Vec<String>,
    by_id: HashMap<i64, f64>,
}

#[test]
fn a_wrong_value_deep_in_lists_and_structs_is_named_by_its_path_at_every_protocol() {
    let expr = "[{'id': 1, 'tags': ['a'], 'by_id': {}}, \
                {'id': 2, 'tags': ['b', 'c', 3], 'by_id': {7: 0.5}}]";
    for protocol in 0..=5 {
        let data = dumps("", expr, protocol);
        let e = err::<Vec<Record>>(&data);
        assert_eq!(e.category(), Category::Type, "{e}");
        assert_eq!(
            segments(&e),
            [Segment::Index(1), key("tags"), Segment::Index(2)]
        );
        assert_eq!(e.path().unwrap().to_string(), "[1].tags[2]");
        let message = e.to_string();
        assert!(
            message.starts_with("[1].tags[2]: invalid type: integer `3`, expected a string ("),
            "protocol {protocol}: {message}"
        );
        // The position is still the offending value's own.
        assert!(e.opcode_name().unwrap().starts_with("INT") || e.opcode_name() == Some("BININT1"));
        // The same from an io::Read.
        let e = pypickle::from_reader::<_, Vec<Record>>(&data[..]).unwrap_err();
        assert_eq!(e.path().unwrap().to_string(), "[1].tags[2]");
    }
}

#[test]
fn dict_keys_show_as_fields_subscripts_or_reprs() {
    // An int key.
    let data = dumps("", "[{'id': 1, 'tags': [], 'by_id': {7: 'x'}}]", 4);
    let e = err::<Vec<Record>>(&data);
    assert_eq!(segments(&e), [Segment::Index(0), key("by_id"), other("7")]);
    assert!(
        e.to_string()
            .starts_with("[0].by_id[7]: invalid type: string \"x\", expected f64"),
        "{e}"
    );

    // A str key that is no identifier is a subscript with Python's quoting.
    let data = dumps("", "{'full name': 'x', \"it's\\n\": 1.5}", 4);
    let e = err::<BTreeMap<String, f64>>(&data);
    assert_eq!(e.path().unwrap().to_string(), "['full name']");
    let e = err::<BTreeMap<String, String>>(&data);
    assert_eq!(e.path().unwrap().to_string(), "[\"it's\\n\"]");
    // Escaped in the message as well: the key cannot forge a line.
    assert!(!e.to_string().contains('\n'), "{e}");

    // A tuple key, as its repr; bytes and bool keys too.
    let data = dumps("", "{(1, 'a'): 300}", 4);
    let e = err::<HashMap<(i64, String), u8>>(&data);
    assert_eq!(segments(&e), [other("(1, 'a')")]);
    assert_eq!(e.path().unwrap().to_string(), "[(1, 'a')]");
    let data = dumps("", "{b'k\\x00': [1, None]}", 3);
    let e = err::<HashMap<serde_bytes::ByteBuf, Vec<u8>>>(&data);
    assert_eq!(e.path().unwrap().to_string(), "[b'k\\x00'][1]");
    let data = dumps("", "{True: 'x'}", 2);
    let e = err::<HashMap<bool, u8>>(&data);
    assert_eq!(e.path().unwrap().to_string(), "[True]");

    // A long key is cut to 60 characters.
    let data = dumps("", "{'k' * 100: 'x'}", 4);
    let e = err::<HashMap<String, u8>>(&data);
    assert_eq!(segments(&e), [key(&format!("{}…", "k".repeat(60)))]);

    // A key too large to show cheaply is named by its type.
    let data = dumps("", "{tuple(range(1000)): 'x'}", 4);
    let e = pypickle::from_slice::<HashMap<Vec<i64>, u8>>(&data).unwrap_err();
    assert_eq!(segments(&e), [other("<tuple>")]);
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Pair {
    pair: (u8, u8),
}

#[test]
fn an_error_of_a_container_itself_is_named_by_the_container_not_an_item() {
    // A struct missing a field: the path is the struct's.
    let data = dumps("", "{'a': [{'id': 1, 'tags': []}]}", 4);
    let e = err::<HashMap<String, Vec<Record>>>(&data);
    assert_eq!(e.path().unwrap().to_string(), "a[0]");
    assert!(
        e.to_string().starts_with("a[0]: missing field `by_id`"),
        "{e}"
    );

    // A tuple given a list too long: the visitor read two items, which were fine.
    let data = dumps("", "[{'pair': [1, 2]}, {'pair': [1, 2, 3]}]", 4);
    let e = err::<Vec<Pair>>(&data);
    assert_eq!(segments(&e), [Segment::Index(1), key("pair")]);

    // An unknown field is about the struct, and its message names the key.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Strict {
        id: u64,
    }
    let data = dumps("", "[{'id': 1}, {'id': 2, 'nmae': 'x'}]", 4);
    let e = err::<Vec<Strict>>(&data);
    assert_eq!(segments(&e), [Segment::Index(1)]);
    assert!(
        e.to_string().starts_with("[1]: unknown field `nmae`"),
        "{e}"
    );
}

#[test]
fn errors_about_the_root_or_the_pickle_itself_have_no_path() {
    let data = dumps("", "'x'", 4);
    let e = pypickle::from_slice::<u8>(&data).unwrap_err();
    assert!(e.path().is_none());
    assert!(e.to_string().starts_with("invalid type: string"), "{e}");
    let data = dumps("", "[1, 2]", 4);
    let e = pypickle::from_slice::<Vec<u8>>(&data[..data.len() - 3]).unwrap_err();
    assert_eq!(e.category(), Category::Truncated);
    assert!(e.path().is_none());
}

#[test]
fn limits_met_deep_inside_name_where() {
    // A shared list counted again at each reference runs out of the expansion budget at the
    // tenth reference.
    let data = dumps("x = list(range(100))", "{'rows': [x] * 10}", 4);
    let opts = DeOptions::new().max_expansion(500);
    let e = pypickle::from_slice_with::<HashMap<String, Vec<Vec<i64>>>>(&data, &opts).unwrap_err();
    assert_eq!(e.category(), Category::Limit, "{e}");
    let path = e.path().unwrap().to_string();
    assert!(path.starts_with("rows["), "{path}");
}

/// A path hundreds of levels deep shows its first and last 8 segments and counts the rest
/// (it named each one: an 800-character message; found by a trial). `segments` still gives
/// them all.
#[test]
fn a_path_hundreds_of_levels_deep_is_shortened_in_the_message() {
    #[derive(Deserialize, Debug)]
    struct L(#[allow(dead_code)] Vec<L>);
    let data = dumps("x = {'a b': 'z'}\nfor _ in range(200): x = [x]", "x", 4);
    let e = read_err::<L>(&data, &DeOptions::new());
    let ends = "[0]".repeat(8);
    assert_eq!(
        e.to_string(),
        format!("{ends}…184 levels…{ends}: invalid type: map, expected a sequence (EMPTY_DICT at offset 411)"),
    );
    assert_eq!(segments(&e), vec![Segment::Index(0); 200]);

    // Writing: a `Value` nested past `SerOptions::max_depth`.
    let mut v = pypickle::Value::Int(1);
    for _ in 0..300 {
        v = pypickle::Value::List(vec![v]);
    }
    let e = pypickle::to_vec(&v).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("{ends}…240 levels…{ends}: limit max_depth (256) exceeded")
    );
    assert_eq!(e.path().unwrap().segments().len(), 256);

    // Up to 24 segments, all are shown.
    let e = read_err::<L>(
        &dumps("x = 1\nfor _ in range(24): x = [x]", "x", 4),
        &DeOptions::new(),
    );
    assert!(
        e.to_string()
            .starts_with(&format!("{}: invalid type: int", "[0]".repeat(24))),
        "{e}"
    );
}

#[test]
fn an_objects_attributes_are_keys_of_the_path() {
    let prelude = "import types\nclass Point:\n    pass\n\
                   Point.__module__ = 'geo'\n\
                   p = Point(); p.x = 1; p.y = 'two'";
    let data = dumps(
        &format!("{prelude}\nimport sys; sys.modules['geo'] = types.ModuleType('geo'); sys.modules['geo'].Point = Point"),
        "[p]",
        4,
    );
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Point {
        x: i64,
        y: i64,
    }
    let opts = DeOptions::new().allow_global("geo", "Point");
    let e = read_err::<Vec<Point>>(&data, &opts);
    assert_eq!(segments(&e), [Segment::Index(0), key("y")], "{e}");
    assert!(
        e.to_string()
            .starts_with("[0].y: invalid type: string \"two\""),
        "{e}"
    );
}

#[test]
fn from_value_still_reads_every_kind_of_key_it_lends() {
    #[derive(Debug, Deserialize, PartialEq, Eq, Hash, PartialOrd, Ord)]
    enum Color {
        Red,
        Blue,
    }
    let data = dumps("", "{'Red': 1, 'Blue': 2}", 4);
    let value: pypickle::Value = pypickle::from_slice(&data).unwrap();
    let by_name: BTreeMap<String, i64> = pypickle::from_value(value.clone()).unwrap();
    assert_eq!(
        by_name,
        BTreeMap::from([("Blue".into(), 2), ("Red".into(), 1)])
    );
    let by_color: BTreeMap<Color, i64> = pypickle::from_value(value.clone()).unwrap();
    assert_eq!(
        by_color,
        BTreeMap::from([(Color::Blue, 2), (Color::Red, 1)])
    );
    let by_value: HashMap<pypickle::Value, i64> = pypickle::from_value(value.clone()).unwrap();
    assert_eq!(by_value[&pypickle::Value::Str("Red".into())], 1);
    let by_cow: BTreeMap<std::borrow::Cow<'static, str>, i64> =
        pypickle::from_value(value).unwrap();
    assert_eq!(by_cow.len(), 2);

    let data = dumps("", "{(1, 'a'): [1.5], 7: None}", 4);
    let value: pypickle::Value = pypickle::from_slice(&data).unwrap();
    let by_tuple: HashMap<pypickle::Value, Option<Vec<f64>>> = pypickle::from_value(value).unwrap();
    assert_eq!(by_tuple.len(), 2);

    // A key past what a path shows whole is cut: from a Value, its repr is at hand.
    let data = dumps("", "{tuple(range(1000)): 'x'}", 4);
    let value: pypickle::Value = pypickle::from_slice(&data).unwrap();
    let e = pypickle::from_value::<HashMap<Vec<i64>, u8>>(value).unwrap_err();
    let segments: [Segment; 1] = segments(&e).try_into().unwrap();
    let [Segment::OtherKey(repr)] = segments else {
        panic!("{e}")
    };
    assert!(repr.starts_with("(0, 1, 2, ") && repr.ends_with('…') && repr.chars().count() == 61);
}

/// A value whose `Serialize` fails, as serde's own does for a path that is not UTF-8.
#[derive(Debug)]
struct Bad;

impl serde::Serialize for Bad {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom("no form for this"))
    }
}

impl Default for Bad {
    fn default() -> Self {
        Bad
    }
}

impl<'de> Deserialize<'de> for Bad {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(d).map(|_| Bad)
    }
}

/// The error of writing `v` with `to_vec`, with the same path from `to_value`.
fn write_err<T: serde::Serialize>(v: &T) -> pypickle::Error {
    let e = pypickle::to_vec(v).unwrap_err();
    let value = pypickle::to_value(v).unwrap_err();
    assert_eq!(
        segments(&value),
        segments(&e),
        "to_value: {value}\nto_vec: {e}"
    );
    e
}

#[test]
fn writing_errors_name_where_the_value_is() {
    #[derive(serde::Serialize)]
    struct Entry {
        name: &'static str,
        extra: BTreeMap<&'static str, Bad>,
    }
    #[derive(serde::Serialize)]
    struct Wrapper {
        entries: Vec<Entry>,
    }
    let fine = || Entry {
        name: "a",
        extra: BTreeMap::new(),
    };
    let v = Wrapper {
        entries: vec![
            fine(),
            Entry {
                name: "b",
                extra: BTreeMap::from([("k", Bad)]),
            },
        ],
    };
    let e = write_err(&v);
    assert_eq!(
        segments(&e),
        [key("entries"), Segment::Index(1), key("extra"), key("k")]
    );
    assert_eq!(e.to_string(), "entries[1].extra.k: no form for this");
    // Every protocol, and a tuple's element and a map entry with an int key.
    for protocol in 0..=5 {
        let opts = pypickle::SerOptions::new().protocol(protocol);
        let e = pypickle::to_vec_with(&(1, vec![(2, Bad)]), &opts).unwrap_err();
        assert_eq!(
            e.path().unwrap().to_string(),
            "[1][0][1]",
            "protocol {protocol}"
        );
        let e = pypickle::to_vec_with(&[HashMap::from([(7, Bad)])], &opts).unwrap_err();
        assert_eq!(
            e.path().unwrap().to_string(),
            "[0][7]",
            "protocol {protocol}"
        );
    }

    // A set element Python cannot hash: its place in the set.
    #[derive(serde::Serialize)]
    struct Tags {
        #[serde(with = "pypickle::with::set")]
        tags: std::collections::BTreeSet<Vec<i32>>,
    }
    let e = write_err(&Tags {
        tags: [vec![], vec![1]].into(),
    });
    assert_eq!(segments(&e), [key("tags"), Segment::Index(0)], "{e}");

    // A key Python cannot hash: the map's place, not a place inside the key.
    let e = write_err(&HashMap::from([("m", BTreeMap::from([((1, vec![2]), 3)]))]));
    assert_eq!(segments(&e), [key("m")], "{e}");
}

#[test]
fn an_error_inside_a_dict_key_is_the_dicts() {
    // The key's own places (a tuple's items) are not places in the data.
    let data = dumps("", "[{(1, 2): 3}, {(1, 'x'): 2}]", 4);
    let e = err::<Vec<HashMap<(u8, u8), u8>>>(&data);
    assert_eq!(segments(&e), [Segment::Index(1)], "{e}");
    let data = dumps("", "{'a': {(1, 'x'): 2}}", 4);
    let e = err::<HashMap<String, HashMap<(u8, u8), u8>>>(&data);
    assert_eq!(segments(&e), [key("a")], "{e}");
    let data = dumps("", "{(1, 'x'): 2}", 4);
    let e = err::<HashMap<(u8, u8), u8>>(&data);
    assert!(e.path().is_none(), "{e}");
}

#[derive(Debug, Deserialize, serde::Serialize)]
#[allow(dead_code)]
enum Shape {
    A(Vec<u8>),
    B { x: u8 },
    C(u8, u8),
}

#[test]
fn an_enum_given_as_name_and_payload_puts_the_name_in_the_path() {
    for (expr, path) in [
        ("[{'A': [1, 'x']}]", "[0].A[1]"),
        ("[{'B': {'x': 'no'}}]", "[0].B.x"),
        ("[{'C': (1, 'no')}]", "[0].C[1]"),
        ("[{'C': [1, 2]}, {'B': {'y': 1}}]", "[1].B"),
    ] {
        let data = dumps("", expr, 4);
        let e = err::<Vec<Shape>>(&data);
        assert_eq!(e.path().unwrap().to_string(), path, "{expr}: {e}");
    }
    let data = dumps("", "{'A': [1, 'x']}", 4);
    assert_eq!(err::<Shape>(&data).path().unwrap().to_string(), "A[1]");

    // And writing.
    #[derive(serde::Serialize)]
    enum Written {
        A(Vec<Bad>),
        B { x: Bad },
        C(u8, Bad),
        D(Bad),
    }
    for (v, path) in [
        (Written::A(vec![Bad]), "[0].A[0]"),
        (Written::B { x: Bad }, "[0].B.x"),
        (Written::C(1, Bad), "[0].C[1]"),
        (Written::D(Bad), "[0].D"),
    ] {
        let e = write_err(&[v]);
        assert_eq!(e.path().unwrap().to_string(), path, "{e}");
    }
}

#[test]
fn a_visitor_reading_on_after_an_error_gets_the_failed_items_index() {
    /// Reads every item, then reports the first error: the index is the failed item's.
    #[derive(Debug)]
    struct AllThenFirst;
    impl<'de> Deserialize<'de> for AllThenFirst {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> serde::de::Visitor<'de> for V {
                type Value = AllThenFirst;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("a list")
                }
                fn visit_seq<A: serde::de::SeqAccess<'de>>(
                    self,
                    mut seq: A,
                ) -> Result<AllThenFirst, A::Error> {
                    let mut first = None;
                    loop {
                        match seq.next_element::<u8>() {
                            Ok(Some(_)) => {}
                            Ok(None) => break,
                            Err(e) => {
                                first.get_or_insert(e);
                            }
                        }
                    }
                    first.map_or(Ok(AllThenFirst), Err)
                }
            }
            d.deserialize_seq(V)
        }
    }
    let data = dumps("", "[[1, 2], ['x', 2, 3, 4]]", 4);
    let e = err::<Vec<AllThenFirst>>(&data);
    assert_eq!(e.path().unwrap().to_string(), "[1][0]", "{e}");
}

#[test]
fn paths_are_escaped_on_their_own_and_long_keys_cost_what_is_shown() {
    use pypickle::Value;
    let key = Value::Global(Box::new(pypickle::Global {
        module: "geo".into(),
        name: "X\x1b[31m\u{202e}".into(),
    }));
    let dict = Value::Dict(vec![(key, Value::Str("x".into()))]);
    let e = pypickle::from_value::<HashMap<Value, u8>>(dict).unwrap_err();
    let path = e.path().unwrap().to_string();
    assert!(
        !path.contains('\x1b') && !path.contains('\u{202e}'),
        "{path:?}"
    );
    assert!(!e.to_string().contains('\x1b'), "{e}");

    // A 20 MB key: only the part shown is made.
    let big = Value::Dict(vec![(
        Value::Bytes(vec![0; 20_000_000]),
        Value::Str("x".into()),
    )]);
    let e = pypickle::from_value::<HashMap<serde_bytes::ByteBuf, u8>>(big).unwrap_err();
    let [Segment::OtherKey(repr)]: [Segment; 1] = segments(&e).try_into().unwrap() else {
        panic!("{e}")
    };
    assert!(
        repr.starts_with("b'\\x00\\x00") && repr.ends_with('…'),
        "{repr}"
    );
    assert_eq!(repr.chars().count(), 61);
}

#[test]
fn writing_paths_hold_at_every_protocol_for_frozensets_newtypes_and_objects() {
    use pypickle::{SerOptions, Value};
    let frozen = Value::FrozenSet(vec![Value::Int(1), Value::Int(2), Value::List(vec![])]);
    #[derive(serde::Serialize, Deserialize)]
    struct Wrapped(#[serde(skip_deserializing)] Vec<Bad>);
    let registry = pypickle::ClassRegistry::new().class::<Wrapped>("geo.Wrapped");
    for protocol in 0..=5 {
        let opts = SerOptions::new().protocol(protocol);
        let e = pypickle::to_vec_with(&[&frozen], &opts).unwrap_err();
        assert_eq!(
            e.path().unwrap().to_string(),
            "[0][2]",
            "protocol {protocol}: {e}"
        );
        // A registered newtype's one argument is the newtype itself.
        let opts = opts.registry(registry.clone());
        let e = pypickle::to_vec_with(&[Wrapped(vec![Bad])], &opts).unwrap_err();
        assert_eq!(
            e.path().unwrap().to_string(),
            "[0][0]",
            "protocol {protocol}: {e}"
        );
    }
    let e = pypickle::to_value(&[&frozen]).unwrap_err();
    assert_eq!(e.path().unwrap().to_string(), "[0][2]");

    // An object's error is the object's: the parts of the tuple that stands for it in
    // `Value`'s serde form are not places in the data.
    let data = dumps(
        "import types, sys\nclass P: pass\nP.__module__ = 'geo'\n\
         sys.modules['geo'] = types.ModuleType('geo'); sys.modules['geo'].P = P\n\
         p = P(); p.a = 1",
        "[p]",
        4,
    );
    let opts = DeOptions::new().allow_global("geo", "P");
    let mut value: Value = pypickle::from_slice_with(&data, &opts).unwrap();
    let Value::List(items) = &mut value else {
        panic!()
    };
    let Value::Object(o) = &mut items[0] else {
        panic!()
    };
    o.state = vec![Value::Dict(vec![(
        Value::from("a"),
        Value::Set(vec![Value::Int(5), Value::List(vec![])]),
    )])];
    let e = write_err(&value);
    assert_eq!(e.path().unwrap().to_string(), "[0]", "{e}");
}

#[test]
fn an_error_of_the_output_itself_names_no_place() {
    struct Full(usize);
    impl std::io::Write for Full {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            if self.0 + b.len() > 100_000 {
                return Err(std::io::Error::other("disk full"));
            }
            self.0 += b.len();
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let rows: Vec<BTreeMap<String, Vec<u32>>> = (0..20_000)
        .map(|i| BTreeMap::from([(format!("row{i}"), vec![i; 3])]))
        .collect();
    for protocol in [0, 2, 4, 5] {
        let opts = pypickle::SerOptions::new().protocol(protocol);
        let e = pypickle::to_writer_with(Full(0), &rows, &opts).unwrap_err();
        assert_eq!(e.category(), Category::Io, "{e}");
        assert!(e.path().is_none(), "protocol {protocol}: {e}");
    }
}
