//! Objects nested in objects (an `OrderedDict` in an `OrderedDict` ..., a `datetime` whose
//! tzinfo holds another) are printed, serialized into other formats and converted with
//! `from_value` without copying what is below each level: a counting global allocator
//! measures the bytes this thread allocates. Each level copied its contents before, so a 4 KB
//! pickle nested 250 deep around a million values took 8 GB and 20 s to print (found by a
//! hunt).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use pypickle::{DeOptions, Value};

struct Counting;

thread_local! {
    /// Bytes allocated on this thread (frees not subtracted).
    static ALLOCATED: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            let _ = ALLOCATED.try_with(|c| c.set(c.get() + layout.size()));
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        System.dealloc(p, layout);
    }
    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let q = System.realloc(p, layout, new_size);
        if !q.is_null() {
            let _ = ALLOCATED.try_with(|c| c.set(c.get() + new_size));
        }
        q
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// What `f` returns, and the bytes this thread allocated while it ran.
fn allocated<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let before = ALLOCATED.with(Cell::get);
    let t = f();
    (t, ALLOCATED.with(Cell::get) - before)
}

/// The innermost value: a list of `N` Nones.
const N: usize = 20_000;
const DEPTH: usize = 60;

/// A protocol 3 pickle of `open` and `close` around each other `DEPTH` times, around the list.
fn nested(open: &[u8], close: &[u8]) -> Vec<u8> {
    let mut p = b"\x80\x03".to_vec();
    for _ in 0..DEPTH {
        p.extend_from_slice(open);
    }
    p.extend_from_slice(b"](");
    p.extend(std::iter::repeat(b'N').take(N));
    p.push(b'e');
    for _ in 0..DEPTH {
        p.extend_from_slice(close);
    }
    p.push(b'.');
    p
}

/// The shapes: a name, what opens and what closes each level, and whether reading them needs
/// record mode (`record_unknown_globals`).
#[rustfmt::skip]
const SHAPES: &[(&str, &[u8], &[u8], bool)] = &[
    ("OrderedDict", b"ccollections\nOrderedDict\n)RU\x01a", b"s", false),
    ("Counter", b"ccollections\nCounter\n)RU\x01a", b"s", false),
    ("defaultdict", b"ccollections\ndefaultdict\n)RU\x01a", b"s", false),
    ("deque", b"ccollections\ndeque\n)R", b"a", false),
    ("Python 2 OrderedDict", b"ccollections\nOrderedDict\n(]](U\x01a", b"eatR", false),
    ("Python 2 deque", b"ccollections\ndeque\n(](", b"etR", false),
    ("SimpleNamespace", b"ctypes\nSimpleNamespace\n)R}U\x01a", b"sb", false),
    ("ValueError", b"cbuiltins\nValueError\n(U\x01a", b"tR", false),
    ("slice", b"cbuiltins\nslice\n(", b"tR", false),
    // datetime.datetime(2026, 11, 29, 0, 0) packed, its tzinfo a mymod.TZ made of the next.
    ("datetime", b"cdatetime\ndatetime\n(C\n\x07\xea\x0b\x1d\0\0\0\0\0\0cmymod\nTZ\n(", b"tRtR", true),
    ("an unknown object", b"cmymod\nBag\n)R", b"a", true),
    ("an unknown object with a tuple state", b"cmymod\nT\n)R(", b"tb", true),
];

/// The shapes' pickles, each with the options that read it.
fn shapes() -> impl Iterator<Item = (&'static str, Vec<u8>, DeOptions)> {
    SHAPES.iter().map(|&(name, open, close, record)| {
        let opts = DeOptions::new().record_unknown_globals(record);
        (name, nested(open, close), opts)
    })
}

#[test]
fn nested_objects_are_printed_without_copies() {
    for (name, pickle, opts) in shapes() {
        let v: Value = pypickle::from_slice_with(&pickle, &opts).unwrap();
        let (text, bytes) = allocated(|| v.to_string());
        assert!(
            text.matches("None").count() >= N,
            "{name}: {}",
            &text[..200]
        );
        // The text itself, grown by doubling, and a little for each level. Copies of each
        // level's contents took about DEPTH * N * 32 bytes (38 MB).
        assert!(
            bytes <= 4 * text.len() + (1 << 20),
            "{name}: {bytes} bytes allocated for {} bytes of text",
            text.len()
        );
    }
}

#[test]
fn nested_objects_go_into_other_formats_without_copies() {
    for (name, pickle, opts) in shapes() {
        let v: Value = pypickle::from_slice_with(&pickle, &opts).unwrap();
        let (json, bytes) = allocated(|| serde_json::to_string(&v).unwrap());
        // A datetime's plain form is its ISO text, which another class's tzinfo adds nothing
        // to.
        let items = if name == "datetime" { 0 } else { N };
        assert!(json.matches("null").count() >= items, "{name}");
        assert!(
            bytes <= 4 * json.len() + (1 << 20),
            "{name}: {bytes} bytes allocated for {} bytes of JSON",
            json.len()
        );
        let (back, bytes) = allocated(|| pypickle::from_value::<serde_json::Value>(v).unwrap());
        assert!(back.to_string().matches("null").count() >= items, "{name}");
        // The JSON value itself (a few words a value; more with serde_json's
        // `preserve_order`, which another crate may turn on): the object's parts are moved into
        // it, not copied at each level.
        assert!(
            bytes <= 400 * N + (DEPTH << 12),
            "{name}: {bytes} bytes allocated by from_value"
        );
    }
}

/// Read straight from the pickle into another format's value, nested collections and
/// namespaces are not built whole at each level to look for a plain form they do not have:
/// that was charged to `max_expansion`, and a pickle of 60 nested `OrderedDict`s around a list
/// of 20,000 failed (found by a review).
#[test]
fn nested_collections_read_into_another_formats_value() {
    for (name, pickle, opts) in shapes() {
        if !matches!(
            name,
            "OrderedDict"
                | "Counter"
                | "defaultdict"
                | "deque"
                | "Python 2 OrderedDict"
                | "Python 2 deque"
                | "SimpleNamespace"
        ) {
            continue;
        }
        let v: serde_json::Value =
            pypickle::from_slice_with(&pickle, &opts).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut inner = &v;
        for _ in 0..DEPTH {
            inner = match inner {
                serde_json::Value::Object(m) => &m["a"],
                serde_json::Value::Array(items) => &items[0],
                other => panic!("{name}: {other}"),
            };
        }
        assert_eq!(inner.as_array().map(Vec::len), Some(N), "{name}");
    }
}
