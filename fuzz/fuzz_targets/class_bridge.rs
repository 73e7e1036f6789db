//! Registered Rust types read through a `ClassRegistry` (the object bridge,
//! `src/de/walk/object.rs`), with the `persistent_load` and `extension` hooks set
//! (`src/de/machine/hooks.rs`). The types are those of `python_fixtures/classes/`, so the seed
//! corpus reaches every shape CPython writes for them.
//!
//! Asserts, with and without record mode: `from_slice` and `from_reader` agree (both `Ok` with
//! the same value by `Debug`, or both `Err`); an error's offset lies in the input; a decoded
//! `Value` names no global the policy refuses (an extension code registered for `os.system`
//! stays refused; without record mode only registered or safe globals appear), except inside
//! what `persistent_load` returned, which is trusted by design and here never holds a global.
#![no_main]
// The fields are only read through `Debug`, which dead-code analysis ignores.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use pypickle::{ClassRegistry, DeOptions, PersistentId, Value, Verdict};
use pypickle_fuzz::{check_error, globals, verdict_of};
use serde::de::DeserializeOwned;
use serde::Deserialize;

#[derive(Deserialize, Debug)]
struct Point {
    x: i64,
    y: i64,
}

#[derive(Deserialize, Debug)]
struct Person {
    name: String,
    age: u32,
    tags: Vec<String>,
    home: Option<Point>,
}

#[derive(Deserialize, Debug)]
struct Slotted {
    a: i64,
    b: String,
}

#[derive(Deserialize, Debug)]
struct Pair(i64, String);

#[derive(Deserialize, Debug)]
struct Reduced {
    a: i64,
    b: String,
}

#[derive(Deserialize, Debug)]
struct Versioned(u32, String);

#[derive(Deserialize, Debug)]
enum Color {
    Red,
    Green,
}

#[derive(Deserialize, Debug)]
enum Mood {
    Happy,
    Sad,
}

#[derive(Deserialize, Debug)]
enum Shape {
    Circle { r: f64 },
    Square { side: f64 },
}

#[derive(Deserialize, Debug)]
struct Inner {
    v: i64,
}

#[derive(Deserialize, Debug)]
struct Drawing {
    title: String,
    shapes: Vec<Shape>,
    origin: Point,
}

#[derive(Deserialize, Debug)]
struct Bag {
    label: String,
}

#[derive(Deserialize, Debug)]
struct Stack {
    label: String,
}

#[derive(Deserialize, Debug)]
struct KwOnly {
    a: i64,
    b: i64,
}

/// Not a Python class: a plain dict holding instances, persistent ids and anything else.
#[derive(Deserialize, Debug)]
struct Mixed {
    #[serde(default)]
    points: Vec<Point>,
    #[serde(default)]
    colors: BTreeMap<String, Color>,
    #[serde(default)]
    blob: Option<PersistentId<Value>>,
    #[serde(default)]
    person: Option<Box<Person>>,
    #[serde(default)]
    rest: Option<Value>,
}

const M: &str = "pypickle_classes";

/// The registered names in `M`, and `Outer`, which protocols 0-3 name on the way to
/// `Outer.Inner` (the policy lets it through as a prefix of a registered name).
const REGISTERED: &[&str] = &[
    "Point",
    "MyInt",
    "MyTuple",
    "FrozenSlots",
    "Person",
    "Slotted",
    "Pair",
    "Reduced",
    "Versioned",
    "Outer",
    "Outer.Inner",
    "Drawing",
    "Bag",
    "Stack",
    "KwOnly",
    "Color",
    "Mood",
    "Circle",
    "Square",
];

fn registry() -> ClassRegistry {
    ClassRegistry::new()
        .class::<Point>("pypickle_classes.Point")
        .class::<Person>("pypickle_classes.Person")
        .slots_class::<Slotted>("pypickle_classes.Slotted")
        .class::<Pair>("pypickle_classes.Pair")
        .class::<Reduced>("pypickle_classes.Reduced")
        .class::<Versioned>("pypickle_classes.Versioned")
        .class::<Inner>("pypickle_classes.Outer.Inner")
        .class::<Drawing>("pypickle_classes.Drawing")
        .class::<Bag>("pypickle_classes.Bag")
        .class::<Stack>("pypickle_classes.Stack")
        .class::<KwOnly>("pypickle_classes.KwOnly")
        .python_enum::<Color>("pypickle_classes.Color", [("Red", 1), ("Green", 2)])
        .python_enum::<Mood>(
            "pypickle_classes.Mood",
            [("Happy", "happy"), ("Sad", "sad")],
        )
        .variant::<Shape>("Circle", "pypickle_classes.Circle")
        .variant::<Shape>("Square", "pypickle_classes.Square")
        .class::<Count>("pypickle_classes.MyInt")
        .class::<Span>("pypickle_classes.MyTuple")
        .class::<FrozenSlots>("pypickle_classes.FrozenSlots")
        .variant::<Item>("At", "pypickle_classes.Point")
        .variant::<Item>("Counted", "pypickle_classes.MyInt")
        .variant::<Item>("Spanned", "pypickle_classes.MyTuple")
}

/// Newtype structs for `int` and `tuple` subclasses.
#[derive(Deserialize, Debug)]
#[allow(dead_code)]
struct Count(i64);
#[derive(Deserialize, Debug)]
#[allow(dead_code)]
struct Span((i64, i64));

/// A frozen `@dataclass(slots=True)`: its state is the list of its fields.
#[derive(Deserialize, Debug)]
#[allow(dead_code)]
struct FrozenSlots {
    name: String,
    n: i64,
}

/// Newtype variants registered for classes: the payload is the instance, or its argument.
#[derive(Deserialize, Debug)]
#[allow(dead_code)]
enum Item {
    At(Point),
    Counted(i64),
    Spanned((i64, i64)),
}

/// A `persistent_load` that returns plain data for some ids and fails for others.
fn load(pid: &Value) -> Result<Value, String> {
    match pid {
        Value::Int(n) if n % 3 == 0 => Err(format!("no object {n}")),
        Value::Int(_) | Value::Str(_) | Value::Bytes(_) => Ok(Value::List(vec![pid.clone()])),
        Value::Tuple(items) => Ok(Value::Tuple(items.iter().rev().cloned().collect())),
        Value::None => Ok(Value::Dict(vec![(Value::from("x"), Value::Int(1))])),
        _ => Err(format!("unknown persistent id {pid}")),
    }
}

fn options(record: bool) -> DeOptions {
    DeOptions::new()
        .registry(registry())
        .record_unknown_globals(record)
        .persistent_load(load)
        .extension(1, M, "Point")
        .extension(2, M, "Circle")
        .extension(3, "os", "system")
        .extension(0x1234, "somewhere", "Unregistered")
        .extension(0x7fff_ffff, "builtins", "set")
}

fn check<T: DeserializeOwned + Debug>(data: &[u8], opts: &DeOptions) -> Option<T> {
    let slice = pypickle::from_slice_with::<T>(data, opts);
    let reader = pypickle::from_reader_with::<_, T>(data, opts);
    match (slice, reader) {
        (Ok(a), Ok(b)) => {
            assert_eq!(
                format!("{a:?}"),
                format!("{b:?}"),
                "from_slice vs from_reader"
            );
            Some(a)
        }
        (Err(a), Err(b)) => {
            check_error(&a, data.len());
            check_error(&b, data.len());
            None
        }
        (a, b) => panic!("from_slice gave {a:?}, from_reader {b:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    static OPTIONS: OnceLock<[DeOptions; 2]> = OnceLock::new();
    let [plain, record] = OPTIONS.get_or_init(|| [options(false), options(true)]);
    for (opts, worst) in [(plain, Verdict::Safe), (record, Verdict::Unknown)] {
        if let Some(v) = check::<Value>(data, opts) {
            for (module, name) in globals(&v) {
                let verdict = verdict_of(module, name);
                assert!(
                    (module == M && REGISTERED.contains(&name)) || verdict <= worst,
                    "decoded value names {module}.{name}, which the policy judges {verdict}"
                );
            }
        }
        check::<Drawing>(data, opts);
        check::<Person>(data, opts);
        check::<Vec<Shape>>(data, opts);
        check::<(Slotted, Pair, Reduced, Versioned)>(data, opts);
        check::<Inner>(data, opts);
        check::<Bag>(data, opts);
        check::<Stack>(data, opts);
        check::<KwOnly>(data, opts);
        check::<Vec<(Color, Mood)>>(data, opts);
        check::<Mixed>(data, opts);
        check::<Vec<Item>>(data, opts);
        check::<(Count, Span, FrozenSlots)>(data, opts);
    }
});
