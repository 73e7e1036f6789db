//! State that outlives a call: a caught panic in a `Serialize` impl or a hook, a decode nested
//! in another's visitor, and decoding (and writing) from a thread-local's destructor.

use std::panic::{catch_unwind, AssertUnwindSafe};

use pypickle::{ClassRegistry, DeOptions, PickleBuffer, SerOptions, Serializer, Value};
use serde::{Deserialize, Serialize};

/// `f`'s panic, caught, without the default hook's message.
fn caught<T>(f: impl FnOnce() -> T) {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let r = catch_unwind(AssertUnwindSafe(f));
    std::panic::set_hook(hook);
    assert!(r.is_err(), "expected a panic");
}

struct Panics;

impl Serialize for Panics {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        panic!("a Serialize impl panics")
    }
}

/// `Some(Some(...Panics))`, `n` deep.
struct Wraps(usize);

impl Serialize for Wraps {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            0 => panic!("a Serialize impl panics"),
            n => s.serialize_some(&Wraps(n - 1)),
        }
    }
}

#[test]
fn a_dump_after_a_caught_panic_starts_clean() {
    // The `Some`s open when the panic unwound stayed counted: later dumps met max_depth.
    let mut ser = Serializer::new(Vec::new());
    // Twice 600 is past the limit (256 levels, 1024 wrappers), once is not.
    caught(|| ser.dump(&Wraps(600)));
    caught(|| ser.dump(&Wraps(600)));
    let v = Some(Some(Some(Some(Some(1)))));
    ser.dump(&v).unwrap();
    assert_eq!(ser.get_ref(), &pypickle::to_vec(&v).unwrap());
}

#[test]
fn a_variants_class_does_not_outlive_a_panic() {
    // The class of a registered newtype variant, set for its payload, was given to the next
    // dump's struct when the payload panicked.
    #[derive(Serialize, Deserialize)]
    struct Payload {
        x: i32,
    }
    #[derive(Serialize, Deserialize)]
    enum Shape {
        Circle(Payload),
    }
    /// Written as the payload once (the writer looks at its shape first), then panics.
    struct SecondTimePanics(std::cell::Cell<u32>);
    impl Serialize for SecondTimePanics {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            self.0.set(self.0.get() + 1);
            if self.0.get() >= 2 {
                panic!("a Serialize impl panics");
            }
            Payload { x: 1 }.serialize(s)
        }
    }
    #[derive(Serialize)]
    struct Wrapper(SecondTimePanics);
    #[derive(Serialize)]
    #[serde(rename = "Shape")]
    enum Panicking {
        Circle(Wrapper),
    }
    #[derive(Serialize)]
    struct Plain {
        a: i32,
    }
    let opts = SerOptions::new()
        .registry(ClassRegistry::new().variant::<Shape>("Circle", "geometry.Circle"));
    let mut ser = Serializer::new(Vec::new()).with_options(opts);
    let value = Panicking::Circle(Wrapper(SecondTimePanics(std::cell::Cell::new(0))));
    caught(|| ser.dump(&value));
    ser.dump(&Plain { a: 5 }).unwrap();
    let opts = DeOptions::new().record_unknown_globals(true);
    let got: Value = pypickle::from_slice_with(ser.get_ref(), &opts).unwrap();
    assert_eq!(got.to_string(), "{'a': 5}");
}

#[test]
fn buffers_of_a_pickle_a_panic_abandoned_are_not_handed_out() {
    let opts = SerOptions::new().protocol(5).out_of_band_buffers(true);
    let mut ser = Serializer::new(Vec::new()).with_options(opts);
    caught(|| ser.dump(&(PickleBuffer::new(vec![1u8, 2, 3]), Panics)));
    assert!(ser.take_buffers().is_empty());
    // and the next pickle's are its own
    ser.dump(&PickleBuffer::new(vec![4u8])).unwrap();
    assert_eq!(ser.take_buffers(), vec![vec![4u8]]);
}

#[test]
fn a_stream_whose_hook_panicked_is_broken() {
    // persistent_load panicked inside the first pickle; the next read went on from the middle
    // of it ("no MARK on the stack"), where a different tail could have read as a value.
    let opts = DeOptions::new().persistent_load(|_| panic!("a hook panics"));
    // pickle.dumps([1, 2]) with a persistent id before its items, then pickle.dumps(3)
    let mut input = b"\x80\x02]q\x00(X\x01\x00\x00\x00pQK\x01K\x02e.".to_vec();
    input.extend_from_slice(b"\x80\x02K\x03.");
    let mut de = pypickle::Deserializer::from_slice(&input).with_options(opts);
    caught(|| de.next_value::<Value>());
    let e = de.next_value::<Value>().unwrap_err();
    assert!(e.to_string().contains("stream"), "{e}");
}

#[test]
fn a_visitor_may_decode_a_nested_pickle() {
    // pickle.dumps(pickle.dumps(x)): a visitor decodes the inner pickle while the outer one
    // is being read, borrowing from both inputs.
    struct Inner<'a>(Vec<&'a str>);
    impl<'de: 'a, 'a> Deserialize<'de> for Inner<'a> {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let bytes: &'a [u8] = serde_bytes::deserialize(d)?;
            pypickle::from_slice(bytes)
                .map(Inner)
                .map_err(serde::de::Error::custom)
        }
    }
    #[derive(Deserialize)]
    struct Outer<'a> {
        name: &'a str,
        inner: Inner<'a>,
        again: Value,
    }
    let inner = pypickle::to_vec(&["x", "y"]).unwrap();
    let outer = pypickle::to_vec(&Value::Dict(vec![
        (Value::from("name"), Value::from("n")),
        (Value::from("inner"), Value::Bytes(inner)),
        (Value::from("again"), pypickle::pickle_value!([1, (2, 3)])),
    ]))
    .unwrap();
    let got: Outer = pypickle::from_slice(&outer).unwrap();
    assert_eq!((got.name, &got.inner.0[..]), ("n", &["x", "y"][..]));
    assert_eq!(got.again.to_string(), "[1, (2, 3)]");
}

/// Decodes, in every way that keeps thread-local state, when dropped.
struct DecodesOnDrop(std::sync::mpsc::Sender<Vec<String>>);

impl Drop for DecodesOnDrop {
    fn drop(&mut self) {
        let pickle = pypickle::to_vec(&pypickle::pickle_value!((1, {"a": [2]}))).unwrap();
        let mut out = vec![
            pypickle::from_slice::<i32>(b"K\x05.").unwrap().to_string(),
            pypickle::from_slice::<Value>(&pickle).unwrap().to_string(),
            pypickle::from_reader::<_, Value>(&pickle[..])
                .unwrap()
                .to_string(),
        ];
        let mut de = pypickle::Deserializer::from_slice(&pickle);
        out.push(de.next_value::<Value>().unwrap().unwrap().to_string());
        let v: Value =
            pypickle::from_value(pypickle::from_slice::<Value>(&pickle).unwrap()).unwrap();
        out.push(v.to_string());
        // a stdlib conversion that fails (its error's category is taken back through a
        // thread-local, which may be gone here: then the error is a `Custom` one, not a panic)
        let e = pypickle::from_value::<pypickle::stdlib::Uuid>(Value::Int(1));
        out.push(format!("error: {}", e.is_err()));
        // sets compared in another order (matched by hash, which keeps hashes in a
        // thread-local), and a set hashed
        out.push(format!("equal: {}", sets(1, 2) == sets(2, 1)));
        let _ = std::hash::BuildHasher::hash_one(
            &std::collections::hash_map::RandomState::new(),
            sets(1, 2),
        );
        // a numpy array written (its head passes through a thread-local), in band and out
        out.push(format!("array: {}", array_round_trips()));
        self.0.send(out).unwrap();
    }
}

/// Whether a numpy array, written in band and out of band, reads back the same.
fn array_round_trips() -> bool {
    use pypickle::numpy::NdArray;
    let a = NdArray::from_vec(vec![2], vec![1.5f64, -2.0]).unwrap();
    let in_band = pypickle::to_vec(&a).unwrap();
    let (pickle, buffers) =
        pypickle::to_vec_with_buffers(&a, &SerOptions::new().protocol(5)).unwrap();
    let lent: Vec<&[u8]> = buffers.iter().map(Vec::as_slice).collect();
    let out_of_band: NdArray =
        pypickle::from_slice_with_buffers(&pickle, &lent, &DeOptions::new()).unwrap();
    pypickle::from_slice::<NdArray>(&in_band).unwrap() == a && out_of_band == a
}

/// `frozenset({frozenset({a}), frozenset({b})})`, its items in that order.
fn sets(a: i64, b: i64) -> Value {
    let one = |i| Value::FrozenSet(vec![Value::Int(i)]);
    Value::FrozenSet(vec![one(a), one(b)])
}

thread_local! {
    static DECODES_ON_DROP: std::cell::RefCell<Option<DecodesOnDrop>> =
        const { std::cell::RefCell::new(None) };
}

#[test]
fn a_thread_locals_destructor_may_decode() {
    // The crate's own thread-locals, made after this one, are destroyed first: using them
    // from its destructor panicked, which aborts the process there.
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        DECODES_ON_DROP.with(|d| *d.borrow_mut() = Some(DecodesOnDrop(send)));
        let pickle = pypickle::to_vec(&pypickle::pickle_value!([1, 2])).unwrap();
        let _: Value = pypickle::from_slice(&pickle).unwrap();
        let _: Value = pypickle::from_value(Value::Int(1)).unwrap();
        let _ = pypickle::from_value::<pypickle::stdlib::Uuid>(Value::Int(1));
        assert_eq!(sets(1, 2), sets(2, 1));
        assert!(array_round_trips());
    })
    .join()
    .unwrap();
    let got = receive.recv().unwrap();
    assert_eq!(
        got,
        [
            "5",
            "(1, {'a': [2]})",
            "(1, {'a': [2]})",
            "(1, {'a': [2]})",
            "(1, {'a': [2]})",
            "error: true",
            "equal: true",
            "array: true"
        ]
    );
}

#[test]
fn a_value_written_after_a_panic_in_dump_is_a_pickle_of_its_own() {
    // The values written with `value.serialize(&mut ser)` after a dump's value panicked were
    // taken for parts of the abandoned pickle: Ok, and nothing written.
    let mut ser = Serializer::new(Vec::new());
    caught(|| ser.dump(&(vec![1, 2], Panics)));
    for _ in 0..3 {
        "hello".serialize(&mut ser).unwrap();
    }
    assert_eq!(
        ser.into_inner(),
        pypickle::to_vec("hello").unwrap().repeat(3)
    );
}
