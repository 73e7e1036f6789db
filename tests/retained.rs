//! What the decoder keeps between calls on a thread (its buffers, for the next pickle) does
//! not grow with the number of calls: a counting global allocator measures the heap this
//! thread holds after many decodes and after as many again. Only this thread's allocations
//! count: the test harness's main thread allocates while a test runs, whenever a loaded
//! machine schedules it (it made this test fail now and then, 900 bytes "held").

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use pypickle::Value;

struct Counting;

thread_local! {
    /// Bytes allocated less bytes freed on this thread.
    static CURRENT: Cell<isize> = const { Cell::new(0) };
}

/// Add `n` to this thread's count (nothing while the thread's locals are being destroyed).
fn count(n: isize) {
    let _ = CURRENT.try_with(|c| c.set(c.get() + n));
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            count(layout.size() as isize);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        System.dealloc(p, layout);
        count(-(layout.size() as isize));
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn fixture(name: &str) -> Vec<u8> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/python_fixtures/");
    std::fs::read(format!("{path}{name}")).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Heap bytes held after `n` more runs of `f` than before them.
fn growth(n: usize, f: &dyn Fn()) -> isize {
    let before = CURRENT.with(Cell::get);
    for _ in 0..n {
        f();
    }
    CURRENT.with(Cell::get) - before
}

#[test]
fn repeated_decodes_hold_no_more_memory() {
    let joblib = fixture("joblib/bool.joblib");
    let many = fixture("joblib/big_endian_int64.joblib");
    type Case<'a> = (&'static str, Box<dyn Fn() + 'a>);
    let cases: [Case; 4] = [
        // Each joblib array used to leave 24 bytes in the thread's machine, for good.
        (
            "joblib::from_slice",
            Box::new(|| drop(pypickle::joblib::from_slice::<Value>(&joblib).unwrap())),
        ),
        (
            "joblib::from_reader",
            Box::new(|| drop(pypickle::joblib::from_reader::<_, Value>(&many[..]).unwrap())),
        ),
        (
            "from_slice",
            Box::new(|| drop(pypickle::from_slice::<Value>(&fixture_pickle()).unwrap())),
        ),
        (
            "Deserializer",
            Box::new(|| {
                let two = [fixture_pickle(), fixture_pickle()].concat();
                let mut de = pypickle::Deserializer::from_slice(&two);
                while let Some(v) = de.next_value::<Value>().unwrap() {
                    drop(v);
                }
            }),
        ),
    ];
    for (name, f) in &cases {
        // The first runs size the thread's buffers; after them, no more is held.
        growth(50, f);
        let g = growth(5_000, f);
        assert!(
            g <= 0,
            "{name}: {g} more bytes held after 5000 more decodes"
        );
    }
}

/// A pickle with a few containers and memo entries: `{'a': [1, 2], 'b': ('x', b'y')}`.
fn fixture_pickle() -> Vec<u8> {
    pypickle::to_vec(&pypickle::pickle_value!({"a": [1, 2], "b": ("x", b"y")})).unwrap()
}
