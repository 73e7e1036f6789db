//! Writing a numpy array copies its data once, into the pickle or into the buffer handed out
//! of band; it copied it into a `Value` first, and that again. A counting global allocator
//! measures what this thread allocates while an array is written.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use pypickle::numpy::NdArray;
use pypickle::SerOptions;

struct Counting;

thread_local! {
    /// Bytes allocated less bytes freed on this thread, and the most that has been.
    static CURRENT: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            let _ = CURRENT.try_with(|c| {
                c.set(c.get().wrapping_add(layout.size() as isize));
                let _ = PEAK.try_with(|p| p.set(p.get().max(c.get())));
            });
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        System.dealloc(p, layout);
        let _ = CURRENT.try_with(|c| c.set(c.get().wrapping_sub(layout.size() as isize)));
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// The most heap this thread held while `f` ran, above what it held before, and what `f`
/// returned.
fn peak_of<T>(f: impl FnOnce() -> T) -> (usize, T) {
    let before = CURRENT.with(Cell::get);
    PEAK.with(|p| p.set(before));
    let out = f();
    ((PEAK.with(Cell::get) - before) as usize, out)
}

/// Room for what is not the data: the pickle's opcodes, the dtype and shape, the
/// serializer's buffers.
const SLACK: usize = 64 << 10;

#[test]
fn an_array_is_copied_once() {
    const N: usize = 1 << 21; // 16 MiB of f64
    let a = NdArray::from_vec(vec![N / 4, 4], (0..N).map(|i| i as f64).collect()).unwrap();
    let data = 8 * N;
    for proto in 3..=5u8 {
        let opts = SerOptions::new().protocol(proto);
        let (peak, pickle) = peak_of(|| pypickle::to_vec_with(&a, &opts).unwrap());
        assert!(pickle.len() > data, "in band");
        assert!(
            peak <= data + SLACK,
            "protocol {proto}: {peak} bytes for {data}"
        );
    }
    // At protocols 1 and 2 bytes are text (`_codecs.encode(s, 'latin1')`): the pickle, and a
    // str of up to twice the data's size (UTF-8) on the way. (Protocol 0 escapes the text,
    // to several times the data's size.)
    for proto in 1..=2u8 {
        let opts = SerOptions::new().protocol(proto);
        let (peak, _) = peak_of(|| pypickle::to_vec_with(&a, &opts).unwrap());
        assert!(
            peak <= 4 * data,
            "protocol {proto}: {peak} bytes for {data}"
        );
    }
    // Out of band: the buffer is the copy, and the pickle small.
    let opts = SerOptions::new().protocol(5);
    let (peak, (pickle, buffers)) = peak_of(|| pypickle::to_vec_with_buffers(&a, &opts).unwrap());
    assert_eq!((pickle.len() < 200, buffers.len()), (true, 1));
    assert!(peak <= data + SLACK, "out of band: {peak} bytes for {data}");
}
