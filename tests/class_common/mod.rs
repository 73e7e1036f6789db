//! CPython as the oracle for the class tests: `python_fixtures/class_oracle.py` with the
//! classes of `python_fixtures/classes/pypickle_classes.py`.
#![allow(dead_code)]

use std::io::Write;

use pypickle::ClassRegistry;
use serde::{Deserialize, Serialize};
use std::process::{Command, Stdio};

/// Run the oracle over `lines`, one output line per input line.
pub fn oracle(mode: &str, lines: &[String]) -> Vec<String> {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/python_fixtures/class_oracle.py"
    );
    let mut child = Command::new("python3")
        .arg(script)
        .arg(mode)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 must be installed: these tests compare with CPython");
    let mut input = child.stdin.take().unwrap();
    let text = lines.join("\n") + "\n";
    let writer = std::thread::spawn(move || input.write_all(text.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(out.status.success(), "class_oracle.py {mode} failed");
    let out = String::from_utf8(out.stdout).unwrap();
    let got: Vec<String> = out.lines().map(str::to_string).collect();
    assert_eq!(got.len(), lines.len(), "one output line per input: {out}");
    got
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub fn unhex(s: &str) -> Vec<u8> {
    assert!(!s.starts_with("ERR"), "CPython failed: {s}");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

// ---- Rust types for the classes of pypickle_classes.py, and their registry ----

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
pub struct Point {
    pub x: i64,
    pub y: i64,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
pub struct Person {
    pub name: String,
    pub age: u32,
    pub tags: Vec<String>,
    pub home: Option<Point>,
}

/// No fields, as `Empty`'s instances have no attributes; and a struct whose only field is
/// skipped when unset writes the same (`skip_serializing_if`).
#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
pub struct Empty {}

/// `@dataclass(frozen=True, slots=True)`: its state is the list of its field values. Not in
/// [`registry`]: a registry with such a class takes `to_vec` off its protocol 4-5 writer.
#[derive(Serialize, Deserialize, Debug, PartialEq, Eq, PartialOrd, Ord, Clone)]
pub struct FrozenSlots {
    pub label: String,
    pub size: i64,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
pub struct Frozen {
    pub key: String,
    pub value: f64,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
pub struct Slotted {
    pub a: i64,
    pub b: String,
}

/// `collections.namedtuple("Pair", "left right")`.
#[derive(Serialize, Deserialize, Debug, PartialEq, Eq, PartialOrd, Ord, Clone)]
pub struct Pair(pub i64, pub String);

/// A class whose `__reduce__` gives constructor arguments.
#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
pub struct Reduced {
    pub a: i64,
    pub b: String,
}

/// A class whose `__getstate__` returns a tuple.
#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
pub struct Versioned(pub u32, pub String);

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone, Copy)]
pub enum Color {
    Red,
    Green,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone, Copy)]
pub enum Mood {
    Happy,
    Sad,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
pub enum Shape {
    Circle { r: f64 },
    Square { side: f64 },
}

/// `Outer.Inner`, a nested class.
#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
pub struct Inner {
    pub v: i64,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
pub struct Drawing {
    pub title: String,
    pub shapes: Vec<Shape>,
    pub origin: Point,
}

pub const M: &str = "pypickle_classes";

pub fn registry() -> ClassRegistry {
    ClassRegistry::new()
        .class::<Point>("pypickle_classes.Point")
        .class::<Person>("pypickle_classes.Person")
        .frozen_dataclass::<Frozen>("pypickle_classes.Frozen")
        .class::<Empty>("pypickle_classes.Empty")
        .slots_class::<Slotted>("pypickle_classes.Slotted")
        .class::<Pair>("pypickle_classes.Pair")
        .class::<Reduced>("pypickle_classes.Reduced")
        .class::<Versioned>("pypickle_classes.Versioned")
        .class::<Inner>("pypickle_classes.Outer.Inner")
        .class::<Drawing>("pypickle_classes.Drawing")
        .class::<Bag>("pypickle_classes.Bag")
        .class::<Stack>("pypickle_classes.Stack")
        .container_class::<BagItems>("pypickle_classes.Bag")
        .container_class::<StackItems>("pypickle_classes.Stack")
        .class::<KwOnly>("pypickle_classes.KwOnly")
        .python_enum::<Color>("pypickle_classes.Color", [("Red", 1), ("Green", 2)])
        .python_enum::<Mood>(
            "pypickle_classes.Mood",
            [("Happy", "happy"), ("Sad", "sad")],
        )
        .variant::<Shape>("Circle", "pypickle_classes.Circle")
        .variant::<Shape>("Square", "pypickle_classes.Square")
        .class::<Count>("pypickle_classes.MyInt")
        .class::<Label>("pypickle_classes.MyStr")
        .class::<Ratio>("pypickle_classes.MyFloat")
        .class::<Span>("pypickle_classes.MyTuple")
        .variant::<Item>("At", "pypickle_classes.Point")
        .variant::<Item>("Counted", "pypickle_classes.MyInt")
        .variant::<Item>("Spanned", "pypickle_classes.MyTuple")
}

/// Newtype structs for subclasses of `int`, `str`, `float` and `tuple`.
#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
pub struct Count(pub i64);
#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
pub struct Label(pub String);
#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
pub struct Ratio(pub f64);
#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
pub struct Span(pub (i64, i64));

/// A struct not registered itself, which a newtype variant's class stands for.
#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
pub struct Spot {
    pub x: i64,
    pub y: i64,
}

/// Newtype variants registered for classes: a struct payload is the instance, a scalar or
/// tuple its constructor's argument.
#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
pub enum Item {
    At(Spot),
    Counted(i64),
    Spanned((i64, i64)),
}

/// A dict subclass with a `label` attribute.
#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
pub struct Bag {
    pub label: String,
}

/// A list subclass with a `label` attribute.
#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
pub struct Stack {
    pub label: String,
}

/// A dict subclass's items: `Bag` registered with `ClassRegistry::container_class`.
#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
pub struct BagItems(pub std::collections::BTreeMap<String, i64>);

/// A list subclass's items: `Stack` registered with `ClassRegistry::container_class`.
#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
pub struct StackItems(pub Vec<i64>);

/// Keyword-only constructor arguments (NEWOBJ_EX).
#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
pub struct KwOnly {
    pub a: i64,
    pub b: i64,
}
