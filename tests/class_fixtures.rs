//! The committed class fixtures (`python_fixtures/classes.py`: instances of the classes in
//! `python_fixtures/classes/pypickle_classes.py`, pickled by CPython at every protocol): each
//! reads into its registered Rust type, and each kept as an inert `Value` writes back byte for
//! byte as CPython wrote it (but for keyword-only constructors at protocols 2-3), and as an
//! object CPython loads to the same repr.

mod class_common;

use std::collections::BTreeMap;
use std::path::Path;

use class_common::*;
use pypickle::{DeOptions, SerOptions, Value};

fn fixtures() -> Vec<(String, u8, Vec<u8>, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("python_fixtures/classes/data");
    let manifest = std::fs::read_to_string(dir.join("manifest.tsv")).expect("manifest.tsv");
    manifest
        .lines()
        .map(|line| {
            let (file, repr) = line.split_once('\t').expect("file<TAB>repr");
            let (name, rest) = file.split_once(".p").expect("name.pN.pkl");
            let proto = rest[..1].parse().expect("protocol digit");
            let bytes = std::fs::read(dir.join(file)).expect("fixture file");
            (name.to_string(), proto, bytes, repr.to_string())
        })
        .collect()
}

fn point() -> Point {
    Point { x: 1, y: -2 }
}

/// Where a typed value is read from: the pickle with options, or a `Value` (`from_value`).
enum Via<'a> {
    Slice(&'a [u8], &'a DeOptions),
    Value(&'a Value),
}

fn read<T: for<'de> serde::Deserialize<'de>>(via: &Via<'_>) -> Result<T, String> {
    match via {
        Via::Slice(b, o) => pypickle::from_slice_with(b, o).map_err(|e| e.to_string()),
        Via::Value(v) => pypickle::from_value((*v).clone()).map_err(|e| e.to_string()),
    }
}

/// Read the case `name` as its Rust type and compare with what CPython pickled.
fn check_typed(name: &str, bytes: &Via<'_>) -> Result<(), String> {
    fn same<T: PartialEq + std::fmt::Debug>(got: T, want: T) -> Result<(), String> {
        if got == want {
            Ok(())
        } else {
            Err(format!("got {got:?}, want {want:?}"))
        }
    }
    match name {
        "point" => same(read(bytes)?, point()),
        "person" => same(
            read(bytes)?,
            Person {
                name: "Ann".into(),
                age: 7,
                tags: vec!["a".into(), "b".into()],
                home: Some(point()),
            },
        ),
        "person_none" => same(
            read(bytes)?,
            Person {
                name: "Bo".into(),
                age: 0,
                tags: vec![],
                home: None,
            },
        ),
        "frozen" => same(
            read(bytes)?,
            Frozen {
                key: "k".into(),
                value: 0.5,
            },
        ),
        "slotted" => same(
            read(bytes)?,
            Slotted {
                a: 3,
                b: "x".into(),
            },
        ),
        "pair" => same(read(bytes)?, Pair(4, "y".into())),
        "reduced" => same(
            read(bytes)?,
            Reduced {
                a: 5,
                b: "r".into(),
            },
        ),
        "versioned" => same(read(bytes)?, Versioned(2, "p".into())),
        "color" => same(read(bytes)?, Color::Green),
        "mood" => same(read(bytes)?, Mood::Sad),
        "circle" => same(read(bytes)?, Shape::Circle { r: 1.5 }),
        "inner" => same(read(bytes)?, Inner { v: 9 }),
        "drawing" => same(
            read(bytes)?,
            Drawing {
                title: "d".into(),
                shapes: vec![Shape::Square { side: 2.0 }, Shape::Circle { r: 1.0 }],
                origin: point(),
            },
        ),
        "bag" => {
            // As a struct: its attributes; as a map: its items.
            same(read(bytes)?, Bag { label: "L".into() })?;
            let items: BTreeMap<String, i64> = read(bytes)?;
            same(
                items.clone(),
                BTreeMap::from([("x".into(), 1), ("y".into(), 2)]),
            )?;
            // As a container class: its items (its attribute is not read).
            same(read(bytes)?, BagItems(items))
        }
        "stack" => {
            same(read(bytes)?, Stack { label: "S".into() })?;
            same(read::<Vec<i64>>(bytes)?, vec![1, 2, 3])?;
            same(read(bytes)?, StackItems(vec![1, 2, 3]))
        }
        "kwonly" => same(read(bytes)?, KwOnly { a: 1, b: 2 }),
        "shared" => {
            let (a, b, c): (Point, Point, BTreeMap<String, Point>) = read(bytes)?;
            same((a, b, c["again"].clone()), (point(), point(), point()))
        }
        other => Err(format!("no Rust type for the fixture {other}")),
    }
}

#[test]
fn class_fixtures_read_into_registered_types() {
    let opts = DeOptions::new().registry(registry());
    let mut failures = Vec::new();
    let all = fixtures();
    assert!(all.len() > 90, "{} fixtures", all.len());
    for (name, proto, bytes, _) in &all {
        if let Err(e) = check_typed(name, &Via::Slice(bytes, &opts)) {
            failures.push(format!("{name} p{proto}: {e}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn class_fixtures_kept_as_values_convert_with_from_value() {
    // from_value has no registry: classes that stand for enum variants need one.
    let record = DeOptions::new().record_unknown_globals(true);
    let mut failures = Vec::new();
    for (name, proto, bytes, _) in fixtures() {
        if ["color", "mood", "circle", "drawing"].contains(&name.as_str()) {
            continue;
        }
        let v: Value = pypickle::from_slice_with(&bytes, &record).unwrap();
        if let Err(e) = check_typed(&name, &Via::Value(&v)) {
            failures.push(format!("{name} p{proto}: {e}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn class_fixtures_kept_as_values_write_back_byte_for_byte() {
    let record = DeOptions::new().record_unknown_globals(true);
    let mut failures = Vec::new();
    for (name, proto, bytes, _) in fixtures() {
        let v: Value = match pypickle::from_slice_with(&bytes, &record) {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!("{name} p{proto}: {e}"));
                continue;
            }
        };
        let again = pypickle::to_vec_with(&v, &SerOptions::new().protocol(proto)).unwrap();
        // Shared objects: a Value holds copies, so the memo references CPython wrote become
        // copies too (CPython would load them as equal, distinct objects). Keyword-only
        // constructors at protocols 2-3 (CPython's `functools.partial(cls.__new__, cls,
        // *args, **kwargs)`) come back byte for byte like the rest.
        if again != bytes && name != "shared" {
            failures.push(format!(
                "{name} p{proto}: written back differently:\n  ours   {}\n  theirs {}",
                hex(&again),
                hex(&bytes)
            ));
        }
        // And the same value again, read back.
        let back: Value = pypickle::from_slice_with(&again, &record).unwrap();
        if back != v {
            failures.push(format!("{name} p{proto}: {back} != {v}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn class_fixtures_kept_as_values_write_back_as_objects_cpython_loads_alike() {
    let record = DeOptions::new().record_unknown_globals(true);
    let (mut ours, mut wanted) = (Vec::new(), Vec::new());
    for (name, proto, bytes, repr) in fixtures() {
        let v: Value = pypickle::from_slice_with(&bytes, &record).unwrap();
        let again = pypickle::to_vec_with(&v, &SerOptions::new().protocol(proto)).unwrap();
        ours.push(hex(&again));
        wanted.push((format!("{name} p{proto}"), repr));
    }
    for (got, (which, want)) in oracle("loads", &ours).iter().zip(wanted) {
        assert_eq!(got, &want, "CPython loading ours, {which}");
    }
}

#[test]
fn class_fixtures_are_refused_without_registration() {
    for (name, proto, bytes, _) in fixtures() {
        let e = pypickle::from_slice::<Value>(&bytes).unwrap_err();
        let (module, _) = e
            .refused_global()
            .unwrap_or_else(|| panic!("{name} p{proto}: {e}"));
        assert_eq!(module, M, "{name} p{proto}: {e}");
    }
}

/// What Python 2 wrote for an old-style class instance, `Point(1, -2)`: INST (protocol 0) and
/// OBJ (1). CPython 3 loads both as Point(x=1, y=-2).
const POINT_INST: &[u8] = b"(ipypickle_classes\nPoint\n(dp0\nVx\nI1\nsVy\nI-2\nsb.";
const POINT_OBJ: &[u8] =
    b"(cpypickle_classes\nPoint\no}(X\x01\x00\x00\x00xK\x01X\x01\x00\x00\x00yJ\xfe\xff\xff\xffub.";

#[test]
fn inst_and_obj_instances_read_into_structs() {
    let opts = DeOptions::new().registry(registry());
    for data in [POINT_INST, POINT_OBJ] {
        let p: Point = pypickle::from_slice_with(data, &opts).unwrap();
        assert_eq!(p, point());
        let e = pypickle::from_slice::<Point>(data).unwrap_err();
        assert_eq!(e.refused_global(), Some((M, "Point")), "{e}");
    }
    let e = pypickle::from_slice::<Point>(POINT_INST).unwrap_err();
    assert_eq!(e.opcode_name(), Some("INST"));
    assert_eq!(e.offset(), Some(1));
}

#[test]
fn inst_and_obj_instances_kept_as_values_write_back_without_running_init() {
    // Given no arguments, CPython makes the instance with `Point.__new__(Point)` and sets its
    // state: `Point.__init__(self, x, y)` never runs. Written back, it must not run either.
    let record = DeOptions::new().record_unknown_globals(true);
    let mut ours = Vec::new();
    for data in [POINT_INST, POINT_OBJ] {
        let v: Value = pypickle::from_slice_with(data, &record).unwrap();
        assert_eq!(
            v.to_string(),
            "pypickle_classes.Point(__setstate__={'x': 1, 'y': -2})"
        );
        for proto in 0..=5 {
            let again = pypickle::to_vec_with(&v, &SerOptions::new().protocol(proto)).unwrap();
            ours.push(hex(&again));
        }
    }
    for (i, got) in oracle("loads", &ours).iter().enumerate() {
        assert_eq!(got, "Point(x=1, y=-2)", "CPython loading ours, case {i}");
    }
}
