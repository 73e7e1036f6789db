//! What the decoder keeps between calls on a thread (its buffers, for the next pickle) does
//! not grow with the number of calls: a counting global allocator measures the heap after
//! many decodes and after as many again. One test, so that no other test's allocations run
//! in between.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering::Relaxed};

use pypickle::Value;

struct Counting;

static CURRENT: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            CURRENT.fetch_add(layout.size() as isize, Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        System.dealloc(p, layout);
        CURRENT.fetch_sub(layout.size() as isize, Relaxed);
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
    let before = CURRENT.load(Relaxed);
    for _ in 0..n {
        f();
    }
    CURRENT.load(Relaxed) - before
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
