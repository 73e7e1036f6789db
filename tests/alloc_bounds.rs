//! Hostile inputs cannot make the decoder allocate more than a small multiple of their own
//! size: a counting global allocator measures the peak of each decode.
//!
//! The bound checked here, and stated in the README: peak heap growth during a decode is at
//! most 128 times the input's length plus 305 MiB. The multiple: one value per input byte (a
//! run of DUP or NONE) is 24 bytes on the stack, up to three times that while the vector
//! doubles. The constant, 304 bytes for each of the `max_expansion` (2^20) values: 256 for a
//! value a shared-reference bomb may build before it is stopped (an object copied again and
//! again is the largest: its record, its class's name of up to 64 uncharged bytes, its
//! arguments; a list of a million references to one Enum member is such a pickle, and reads),
//! 32 for the bytes of strs and
//! bytes handed over again (one long str referenced over and over), and 8 (three times, while
//! the buffer doubles) for what calls may copy into the scratch buffer beyond the input's
//! length (`_codecs.encode` of one memoized str, again and again); plus 1 MiB for fixed tables
//! and the `io::Read` path's 64 KiB read steps.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use pypickle::{Category, DeOptions, Value};

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            let now = CURRENT.fetch_add(layout.size(), Relaxed) + layout.size();
            PEAK.fetch_max(now, Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        System.dealloc(p, layout);
        CURRENT.fetch_sub(layout.size(), Relaxed);
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Peak bytes allocated above the starting level while `f` runs.
fn peak_of(f: impl FnOnce()) -> usize {
    let base = CURRENT.load(Relaxed);
    PEAK.store(base, Relaxed);
    f();
    PEAK.load(Relaxed) - base
}

fn bound(input: &[u8]) -> usize {
    128 * input.len() + 304 * (1 << 20) + (1 << 20)
}

fn with_len(op: u8, len_bytes: &[u8]) -> Vec<u8> {
    let mut d = vec![0x80, 5, op];
    d.extend_from_slice(len_bytes);
    d.extend_from_slice(b"abc.");
    d
}

fn cases() -> Vec<(&'static str, Vec<u8>)> {
    let huge8 = (1u64 << 62).to_le_bytes();
    let mut cases: Vec<(&str, Vec<u8>)> = vec![
        ("BINBYTES8 claiming 2^62", with_len(0x8e, &huge8)),
        ("BINUNICODE8 claiming 2^62", with_len(0x8d, &huge8)),
        ("BYTEARRAY8 claiming 2^62", with_len(0x96, &huge8)),
        ("FRAME claiming 2^62", with_len(0x95, &huge8)),
        (
            "LONG4 claiming 2^31",
            with_len(0x8b, &0x7fff_ffffu32.to_le_bytes()),
        ),
        (
            "BINSTRING claiming 2^31",
            with_len(b'T', &0x7fff_ffffu32.to_le_bytes()),
        ),
        (
            "BINUNICODE claiming 2^32",
            with_len(b'X', &u32::MAX.to_le_bytes()),
        ),
        (
            "LONG_BINPUT 0xffffffff",
            b"\x80\x02Nr\xff\xff\xff\xffj\xff\xff\xff\xff.".to_vec(),
        ),
    ];
    let mut marks = vec![0x80, 2];
    marks.extend(std::iter::repeat(b'(').take(1 << 20));
    cases.push(("1 MiB of MARK", marks));
    let mut dups = vec![0x80, 2, b'N'];
    dups.extend(std::iter::repeat(b'2').take(1 << 20));
    dups.push(b'.');
    cases.push(("1 MiB of DUP", dups));
    let mut deep = vec![0x80, 2];
    deep.extend(std::iter::repeat(b']').take(100_000));
    deep.extend(std::iter::repeat(b'a').take(99_999));
    deep.push(b'.');
    cases.push(("100k-deep lists", deep));
    let mut laughs = vec![0x80, 2, b']', b'K', 1, b'a', b'q', 0];
    for level in 1..=30u8 {
        laughs.extend_from_slice(b"](");
        for _ in 0..10 {
            laughs.extend_from_slice(&[b'h', level - 1]);
        }
        laughs.extend_from_slice(&[b'e', b'q', level]);
    }
    laughs.push(b'.');
    cases.push(("10^30-leaf shared-reference bomb", laughs));
    // Copies made by calls, not shared references: tuple(l), list(l), set(l), frozenset(l)
    // and dict(d) of one memoized 10k-item container, 2000 times over (7 bytes each).
    for (callable, container) in [
        (&b"tuple"[..], &b"]"[..]),
        (b"list", b"]"),
        (b"set", b"]"),
        (b"frozenset", b"]"),
        (b"dict", b"}"),
    ] {
        let mut copies = b"\x80\x02c__builtin__\n".to_vec();
        copies.extend_from_slice(callable);
        copies.extend_from_slice(b"\nq\x00");
        copies.extend_from_slice(container);
        copies.push(b'(');
        for i in 0..10_000u32 {
            copies.push(b'J');
            copies.extend_from_slice(&i.to_le_bytes());
            if container == b"}" {
                copies.push(b'N');
            }
        }
        copies.extend_from_slice(if container == b"}" {
            b"uq\x01"
        } else {
            b"eq\x01"
        });
        for _ in 0..2000 {
            copies.extend_from_slice(b"h\x00h\x01\x85R0");
        }
        copies.extend_from_slice(b"N.");
        let name = match callable {
            b"tuple" => "2000 copies of a 10k-item list by tuple()",
            b"list" => "2000 copies of a 10k-item list by list()",
            b"set" => "2000 copies of a 10k-item list by set()",
            b"frozenset" => "2000 copies of a 10k-item list by frozenset()",
            _ => "2000 copies of a 10k-item dict by dict()",
        };
        cases.push((name, copies));
    }
    // One long str, bytes, bytearray or int, then a list of 20,000 references to it: Python
    // shares one object; a `Value` or `Vec<String>` would copy it each time (2 GB).
    let long = 100_000u64;
    for (name, head) in [
        (
            "20k references to a 100 kB str",
            [&[0x8d][..], &long.to_le_bytes()].concat(),
        ),
        (
            "20k references to 100 kB of bytes",
            [&[0x8e][..], &long.to_le_bytes()].concat(),
        ),
        (
            "20k references to a 100 kB bytearray",
            [&[0x96][..], &long.to_le_bytes()].concat(),
        ),
        (
            "20k references to a 100 kB int",
            [&[0x8b][..], &(long as u32).to_le_bytes()].concat(),
        ),
    ] {
        let mut d = vec![0x80, 5];
        d.extend_from_slice(&head);
        d.extend(std::iter::repeat(b'x').take(long as usize));
        d.extend_from_slice(b"\x94](");
        for _ in 0..20_000 {
            d.extend_from_slice(b"h\x00");
        }
        d.extend_from_slice(b"e.");
        cases.push((name, d));
    }
    // `_codecs.encode(s, 'latin1')` of one memoized non-ASCII str, called 20,000 times: each
    // call's bytes are new (2 GB).
    let text = "\u{e9}".repeat(50_000);
    let mut d = b"\x80\x04\x8c\x07_codecs\x94\x8c\x06encode\x94\x93\x94\x8d".to_vec();
    d.extend_from_slice(&(text.len() as u64).to_le_bytes());
    d.extend_from_slice(text.as_bytes());
    d.extend_from_slice(b"\x94\x8c\x06latin1\x94(");
    for _ in 0..20_000 {
        d.extend_from_slice(b"h\x02h\x03h\x04\x86R");
    }
    d.extend_from_slice(b"l.");
    cases.push(("20k latin-1 encodings of one 100 kB str", d));
    cases
}

/// A global of `len` bytes of name (module and name about half each) referenced 1024 times
/// in a tuple referenced 1024 times: a million copies of the name, for record mode.
fn global_bomb(len: usize) -> Vec<u8> {
    let module = "m".repeat(len / 2);
    let name = "N".repeat(len - len / 2);
    let mut d = b"\x80\x04".to_vec();
    for s in [&module, &name] {
        d.push(0x8c);
        d.push(s.len() as u8);
        d.extend_from_slice(s.as_bytes());
    }
    d.extend_from_slice(b"\x93\x94(");
    d.extend_from_slice(&b"h\x00".repeat(1024));
    d.extend_from_slice(b"t\x94(");
    d.extend_from_slice(&b"h\x01".repeat(1024));
    d.extend_from_slice(b"t.");
    d
}

/// An object (`class()`, a REDUCE) referenced 1024 times in a tuple referenced 1024 times.
fn object_bomb(global: &[u8]) -> Vec<u8> {
    let mut d = b"\x80\x04".to_vec();
    d.extend_from_slice(global);
    d.extend_from_slice(b")R\x94(");
    d.extend_from_slice(&b"h\x00".repeat(1024));
    d.extend_from_slice(b"t\x94(");
    d.extend_from_slice(&b"h\x01".repeat(1024));
    d.extend_from_slice(b"t.");
    d
}

// One test function: the counters are global, so cases must not run in parallel.
#[test]
fn hostile_inputs_stay_within_the_allocation_bound() {
    // Globals kept inertly (record mode) copy their names into every value that names them;
    // objects copied a million times: inert ones (record mode), and OrderedDicts (an allowed
    // class, default options). Each reads, or stops at the expansion limit.
    let record = DeOptions::new().record_unknown_globals(true);
    let plain = DeOptions::new();
    let mut copies: Vec<(String, Vec<u8>, &DeOptions)> =
        [2, 8, 16, 40, 48, 64, 65, 72, 96, 127, 255]
            .into_iter()
            .map(|len| {
                (
                    format!("a global of {len} bytes of name"),
                    global_bomb(len),
                    &record,
                )
            })
            .collect();
    let long = format!("c{}\n{}\n", "m".repeat(32), "N".repeat(32));
    copies.push((
        "inert objects".into(),
        object_bomb(long.as_bytes()),
        &record,
    ));
    copies.push((
        "inert objects of a short name".into(),
        object_bomb(b"cm\nN\n"),
        &record,
    ));
    copies.push((
        "OrderedDicts".into(),
        object_bomb(b"ccollections\nOrderedDict\n"),
        &plain,
    ));
    for (what, data, opts) in copies {
        let peak = peak_of(|| match pypickle::from_slice_with::<Value>(&data, opts) {
            Ok(_) => {}
            Err(e) => assert_eq!(e.limit(), Some(pypickle::Limit::Expansion), "{e}"),
        });
        assert!(
            peak <= bound(&data),
            "{what}: peak {peak} bytes for a {}-byte input",
            data.len()
        );
    }

    let opts = DeOptions::new();
    for (name, data) in cases() {
        let mut result = None;
        let peak = peak_of(|| result = Some(pypickle::from_slice_with::<Value>(&data, &opts)));
        assert!(
            peak <= bound(&data),
            "{name}: from_slice peak {peak} bytes for a {}-byte input",
            data.len()
        );
        match result.unwrap() {
            // Two of them are valid pickles of None (CPython loads them too); the rest must fail.
            Ok(v) => assert!(
                (name.starts_with("LONG_BINPUT") || name.ends_with("DUP")) && v.is_none(),
                "{name}: decoded"
            ),
            Err(e) => assert!(
                matches!(
                    e.category(),
                    Category::Truncated | Category::Limit | Category::Invalid
                ) || (name.ends_with("claiming 2^62") && e.category() == Category::Unsupported),
                "{name}: {e}"
            ),
        }
        let peak = peak_of(|| {
            let _ = pypickle::from_reader_with::<_, Value>(&data[..], &opts);
        });
        assert!(
            peak <= bound(&data),
            "{name}: from_reader peak {peak} bytes for a {}-byte input",
            data.len()
        );
        if name.starts_with("20k") {
            // Into types that own their strs and bytes too, refused at the expansion limit.
            let peak = peak_of(|| {
                let e = pypickle::from_slice_with::<Vec<String>>(&data, &opts).unwrap_err();
                assert!(
                    e.limit().is_some() || e.category() == Category::Type,
                    "{name}: {e}"
                );
                let e = pypickle::from_slice_with::<Vec<serde_bytes::ByteBuf>>(&data, &opts)
                    .unwrap_err();
                assert!(
                    e.limit().is_some() || e.category() == Category::Type,
                    "{name}: {e}"
                );
            });
            assert!(peak <= bound(&data), "{name}: typed peak {peak} bytes");
            let e = pypickle::from_slice_with::<Value>(&data, &opts).unwrap_err();
            assert_eq!(e.limit(), Some(pypickle::Limit::Expansion), "{name}: {e}");
        }
    }

    // One memoized dict of 8000 attributes BUILT into an object 8000 times, 3 bytes each, read
    // as a map of the attributes: the merged states are charged before they are gathered.
    let mut d = b"\x80\x04\x8c\x03mod\x8c\x01C\x93)\x81}q\x00(".to_vec();
    for i in 0..8000u16 {
        let key = format!("k{i}");
        d.extend_from_slice(&[0x8c, key.len() as u8]);
        d.extend_from_slice(key.as_bytes());
        d.extend_from_slice(b"M");
        d.extend_from_slice(&i.to_le_bytes());
    }
    d.extend_from_slice(b"u0");
    for _ in 0..8000 {
        d.extend_from_slice(b"h\x00b");
    }
    d.push(b'.');
    let record = DeOptions::new().record_unknown_globals(true);
    let peak = peak_of(|| {
        let e = pypickle::from_slice_with::<std::collections::HashMap<String, u16>>(&d, &record)
            .unwrap_err();
        assert_eq!(e.limit(), Some(pypickle::Limit::Expansion), "{e}");
        assert!(e.offset().is_some(), "{e}");
    });
    assert!(
        peak <= bound(&d),
        "repeated BUILD: typed peak {peak} bytes for a {}-byte input",
        d.len()
    );
}

/// A length the decoder refuses anyway (a str, bytes or bytearray of 64 GiB or more, a frame
/// past 1 TiB) is refused from a stream before its bytes are read: an endless stream of zeros
/// after such a claim was read and buffered until memory ran out (found by a hunt).
#[test]
fn lengths_refused_anyway_are_refused_before_reading() {
    /// Zeros, failing the test's read past 16 MiB.
    struct Zeros(u64);
    impl std::io::Read for Zeros {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            assert!(
                self.0 < 16 << 20,
                "read {} bytes of the claimed data",
                self.0
            );
            buf.fill(0);
            self.0 += buf.len() as u64;
            Ok(buf.len())
        }
    }
    for (head, what) in [
        (b"\x80\x04\x8e".to_vec(), "64 GiB or more"),
        (b"\x80\x04\x8d".to_vec(), "64 GiB or more"),
        (b"\x80\x05\x96".to_vec(), "64 GiB or more"),
        (b"\x80\x04\x95".to_vec(), "1 TiB or more"),
    ] {
        let claim = [head, (1u64 << 41).to_le_bytes().to_vec()].concat();
        let reader = std::io::Read::chain(&claim[..], Zeros(0));
        let e = pypickle::from_reader::<_, Value>(reader).unwrap_err();
        assert_eq!(e.category(), Category::Unsupported, "{e}");
        assert!(e.to_string().contains(what), "{e}");
        assert_eq!(e.offset(), Some(2), "{e}");
    }
}
