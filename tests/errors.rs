//! Bad and hostile input: every one is a clean `Err` that says what, where and which opcode,
//! never a panic, a hang, a stack overflow or an allocation the input cannot justify.

use pypickle::{Category, DeOptions, Limit, Value};

fn err(data: &[u8]) -> pypickle::Error {
    let e = pypickle::from_slice::<Value>(data).expect_err("must fail");
    // The reader path fails the same way.
    let e2 = pypickle::from_reader::<_, Value>(data).expect_err("from_reader must fail");
    assert_eq!(e.category(), e2.category(), "{e} vs {e2}");
    e
}

fn err_with(data: &[u8], opts: &DeOptions) -> pypickle::Error {
    pypickle::from_slice_with::<Value>(data, opts).expect_err("must fail")
}

#[test]
fn truncated_argument_names_opcode_offset_and_counts() {
    let e = err(b"\x80\x04X\x03\x00\x00\x00a");
    assert_eq!(
        e.to_string(),
        "truncated BINUNICODE at offset 2: 3 bytes needed, 1 left"
    );
    assert_eq!(e.category(), Category::Truncated);
    assert_eq!(e.offset(), Some(2));
    assert_eq!(e.opcode_name(), Some("BINUNICODE"));
}

#[test]
fn missing_stop_empty_input_and_trailing_bytes() {
    assert_eq!(
        err(b"N").to_string(),
        "input ended without a STOP opcode at offset 1"
    );
    assert_eq!(err(b"").to_string(), "empty input: no pickle to read");
    let e = pypickle::from_slice::<Value>(b"N.N").unwrap_err();
    assert_eq!(
        e.to_string(),
        "1 byte of trailing data after the pickle's STOP (at offset 2)"
    );
    assert!(pypickle::from_reader::<_, Value>(&b"N.N"[..]).is_err());
}

#[test]
fn invalid_opcode_and_stack_errors() {
    assert_eq!(
        err(b"\xff").to_string(),
        "invalid opcode byte 0xff at offset 0"
    );
    assert_eq!(err(b"a.").category(), Category::Invalid); // APPEND on an empty stack
    let e = err(b"(.");
    assert_eq!(e.opcode_name(), Some("STOP"));
    assert!(
        err(b"NNe.").to_string().contains("no MARK"),
        "{}",
        err(b"NNe.")
    );
    assert!(err(b"\x80\x06N.").to_string().contains("protocol 6"));
    assert!(err(b"h\x05.")
        .to_string()
        .contains("memo key 5 not found (BINGET at offset 0)"));
}

#[test]
fn refused_global_names_global_opcode_and_offset() {
    let e = err(b"cos\nsystem\n(S'echo hi'\ntR.");
    assert_eq!(e.category(), Category::Refused);
    assert_eq!(e.refused_global(), Some(("os", "system")));
    assert_eq!(e.offset(), Some(0));
    assert_eq!(e.opcode_name(), Some("GLOBAL"));
    // Through STACK_GLOBAL with memoized operands, too.
    let e = err(b"\x80\x04\x8c\x02os\x94\x8c\x06system\x94\x93\x94.");
    assert_eq!(e.refused_global(), Some(("os", "system")));
    assert_eq!(e.opcode_name(), Some("STACK_GLOBAL"));
    // Python 2 names are mapped before the check.
    let e = err(b"ccommands\ngetoutput\n.");
    assert_eq!(e.refused_global(), Some(("subprocess", "getoutput")));
    // Unknown classes are refused by default, even harmless ones, and the error names the
    // three ways to read them (it named none: a review's first error on a `@dataclass`).
    let e = err(b"cmymod\nC\n)R.");
    assert_eq!(e.refused_global(), Some(("mymod", "C")));
    for way in [
        "DeOptions::registry",
        "DeOptions::allow_global",
        "DeOptions::record_unknown_globals",
    ] {
        assert!(e.to_string().contains(way), "{way}: {e}");
    }
}

#[test]
fn features_needing_hooks_say_so() {
    for data in [&b"Pfoo\n."[..], b"N\x82\x01.", b"\x80\x05\x97."] {
        let e = err(data);
        assert_eq!(e.category(), Category::Unsupported, "{e}");
        let msg = e.to_string();
        assert!(
            msg.contains("not supported without a hook")
                || msg.contains("is not registered (see DeOptions::extension)")
                || msg.contains("pass the buffers it got to from_slice_with_buffers"),
            "{e}"
        );
    }
}

#[test]
fn lying_lengths_are_truncation_not_allocation() {
    // BINBYTES8, BINUNICODE8, BYTEARRAY8, FRAME
    let ops = [0x8e_u8, 0x8d, 0x96, 0x95];
    let claim = |op: u8, len: u64| [&[0x80, 5, op][..], &len.to_le_bytes(), b"."].concat();
    for op in ops {
        let e = err(&claim(op, 1 << 35));
        assert_eq!(e.category(), Category::Truncated, "{e}");
        assert!(
            e.to_string()
                .contains(&format!("{} bytes needed", 1u64 << 35)),
            "{e}"
        );
    }
    // Lengths refused whatever follows (a str, bytes or bytearray of 64 GiB or more, a frame
    // past 1 TiB) are refused before anything is read, from a reader too.
    for op in ops {
        let e = err(&claim(op, 1 << 62));
        assert_eq!(e.category(), Category::Unsupported, "{e}");
        let what = if op == 0x95 { "1 TiB" } else { "64 GiB" };
        assert!(e.to_string().contains(what), "{e}");
    }
    // LONG4 and BINSTRING claiming 2 GiB; LONG4 with a negative length.
    assert!(err(b"\x8b\xff\xff\xff\x7f.").is_truncated());
    assert!(err(b"T\xff\xff\xff\x7f.").is_truncated());
    assert_eq!(err(b"\x8b\xff\xff\xff\xff.").category(), Category::Invalid);
}

#[test]
fn frames_must_hold_exactly_what_they_claim() {
    // A frame of 2 bytes whose BINUNICODE argument runs past it.
    let e = err(b"\x80\x04\x95\x02\x00\x00\x00\x00\x00\x00\x00X\x01\x00\x00\x00a.");
    assert!(
        e.to_string().contains("past the end of the current FRAME"),
        "{e}"
    );
    // A frame claiming more than the input holds.
    assert!(err(b"\x80\x04\x95\x09\x00\x00\x00\x00\x00\x00\x00N.").is_truncated());
    // STOP inside a frame with bytes left in it.
    let e = err(b"\x80\x04\x95\x03\x00\x00\x00\x00\x00\x00\x00N.N");
    assert_eq!(e.category(), Category::Invalid);
    // A well-formed frame reads.
    let v: Value = pypickle::from_slice(b"\x80\x04\x95\x02\x00\x00\x00\x00\x00\x00\x00N.").unwrap();
    assert!(v.is_none());
}

#[test]
fn huge_memo_ids_cost_nothing() {
    // LONG_BINPUT 0xffffffff then LONG_BINGET of it.
    let v: Value =
        pypickle::from_slice(b"\x80\x02K\x07r\xff\xff\xff\xff0j\xff\xff\xff\xff.").unwrap();
    assert_eq!(v, Value::Int(7));
}

fn deep_lists(n: usize) -> Vec<u8> {
    let mut d = vec![0x80, 2];
    d.extend(std::iter::repeat(b']').take(n));
    d.extend(std::iter::repeat(b'a').take(n - 1));
    d.push(b'.');
    d
}

#[test]
fn deep_nesting_is_a_depth_error_not_a_stack_overflow() {
    let e = err(&deep_lists(100_000));
    assert_eq!(e.limit(), Some(Limit::Depth), "{e}");
    assert!(e.to_string().contains("max_depth"), "{e}");
    // A chain of TUPLE1.
    let mut d = vec![b')'];
    d.extend(std::iter::repeat(0x85).take(100_000));
    d.push(b'.');
    assert_eq!(err(&d).limit(), Some(Limit::Depth));
    // Within the limit, deep values read, into Value and typed.
    let v: Value = pypickle::from_slice(&deep_lists(200)).unwrap();
    assert!(v.to_string().starts_with("[[[[["));
    let e = err_with(&deep_lists(10), &DeOptions::new().max_depth(5));
    assert_eq!(e.limit(), Some(Limit::Depth));
    // Deserializing into IgnoredAny walks nothing at all.
    let _: serde::de::IgnoredAny = pypickle::from_slice(&deep_lists(100_000)).unwrap();
}

/// Pickles nested `depth` levels deep, one for each kind of nesting that recurses on its own
/// path: tuples, lists, dicts, frozensets and `OrderedDict` objects.
fn deep_pickles(depth: usize) -> Vec<(&'static str, Vec<u8>)> {
    let rep = |b: &[u8]| b.repeat(depth);
    let wrap = |head: &[u8], inner: &[u8], tail: &[u8]| {
        [&[0x80, 2][..], &rep(head), inner, &rep(tail), b"."].concat()
    };
    vec![
        ("tuples", wrap(b"", b"K\x01", b"K\x00\x86")),
        ("lists", wrap(b"(", b"K\x01", b"l")),
        ("dicts", wrap(b"(X\x01\x00\x00\x00k", b"N", b"d")),
        ("frozensets", wrap(b"(", b"K\x01", b"K\x00\x91")),
        (
            "OrderedDicts",
            wrap(
                b"ccollections\nOrderedDict\n)R(X\x01\x00\x00\x00k",
                b"N",
                b"u",
            ),
        ),
    ]
}

#[derive(serde::Deserialize)]
#[serde(untagged)]
#[allow(dead_code)]
enum Tree {
    Leaf(Option<i64>),
    Seq(Vec<Tree>),
    Map(std::collections::BTreeMap<String, Tree>),
}

/// The default `max_depth` is safe on a 2 MiB thread, also in a debug build (which keeps far
/// larger frames): input nested past the limit is refused at the limit, whatever it is read
/// into, before the recursion uses up the stack (an overflow would abort the test process).
/// A hunt overflowed 2 MiB with 255 nested frozensets read into `serde_json::Value`.
#[test]
fn the_default_depth_limit_fits_a_2_mib_thread() {
    let reads = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(|| {
            let mut seen = Vec::new();
            for (name, data) in deep_pickles(300) {
                let results = [
                    pypickle::from_slice::<Value>(&data).map(drop),
                    pypickle::from_slice::<serde_json::Value>(&data).map(drop),
                    pypickle::from_slice::<Tree>(&data).map(drop),
                ];
                for (i, r) in results.into_iter().enumerate() {
                    let e = r.expect_err(name);
                    // (serde's untagged enum reports its own error for the one it buffered.)
                    if i < 2 {
                        assert_eq!(e.limit(), Some(Limit::Depth), "{name} #{i}: {e}");
                    }
                    seen.push(name);
                }
            }
            for (name, data) in deep_pickles(120) {
                let v: Value =
                    pypickle::from_slice(&data).unwrap_or_else(|e| panic!("{name}: {e}"));
                assert!(v.to_string().len() > 240, "{name}");
                pypickle::from_slice::<serde_json::Value>(&data).unwrap();
            }
            seen.len()
        })
        .unwrap();
    assert_eq!(reads.join().unwrap(), 15);
}

/// 30 levels, each a list of 10 references to the level below: 10^30 leaves in 400 bytes.
fn billion_laughs() -> Vec<u8> {
    let mut d = vec![0x80, 2, b']', b'K', 1, b'a', b'q', 0];
    for level in 1..=30u8 {
        d.push(b']');
        d.push(b'(');
        for _ in 0..10 {
            d.extend_from_slice(&[b'h', level - 1]);
        }
        d.extend_from_slice(&[b'e', b'q', level]);
    }
    d.push(b'.');
    d
}

#[test]
fn shared_reference_bombs_hit_the_expansion_limit() {
    let data = billion_laughs();
    let e = err(&data);
    assert_eq!(e.limit(), Some(Limit::Expansion), "{e}");
    let e = pypickle::from_slice::<Vec<Value>>(&data).unwrap_err();
    assert_eq!(e.limit(), Some(Limit::Expansion));
    let e = err_with(&data, &DeOptions::new().max_expansion(1000));
    assert_eq!(e.limit(), Some(Limit::Expansion));
}

#[test]
fn ordinary_sharing_is_not_mistaken_for_recursion() {
    // x = [1]; y = [x, x]; z = [y, y]
    let data = b"\x80\x02]q\x00]q\x01(]q\x02K\x01ah\x02eh\x01\x86q\x03.";
    let v: Value = pypickle::from_slice(data).unwrap();
    assert_eq!(v.to_string(), "([[1], [1]], [[1], [1]])");
    let typed: (Vec<Vec<i32>>, Vec<Vec<i32>>) = pypickle::from_slice(data).unwrap();
    assert_eq!(typed, (vec![vec![1], vec![1]], vec![vec![1], vec![1]]));
}

#[test]
fn cycles_are_an_error() {
    // l = []; l.append(l)
    let e = err(b"\x80\x02]q\x00h\x00a.");
    assert!(e.to_string().contains("cycle"), "{e}");
    // d = {}; d['self'] = d
    let e = err(b"\x80\x02}q\x00X\x04\x00\x00\x00selfq\x01h\x00s.");
    assert!(e.to_string().contains("cycle"), "{e}");
}

#[test]
fn a_held_deserializer_checks_cycles_afresh_for_each_pickle() {
    // The walk's cycle flags are kept from pickle to pickle: [[1], 'x'] read as lists of ints
    // fails inside the outer list; then ([1], the same list) reads (shared, no cycle); then
    // l = [l] is a cycle.
    let mut stream = Vec::new();
    stream.extend_from_slice(b"\x80\x02](]K\x01aX\x01\x00\x00\x00xe.");
    stream.extend_from_slice(b"\x80\x02]q\x00K\x01ah\x00\x86.");
    stream.extend_from_slice(b"\x80\x02]q\x00h\x00a.");
    let mut de = pypickle::Deserializer::from_slice(&stream);
    assert!(de.next_value::<Vec<Vec<i32>>>().is_err());
    let shared: (Vec<i32>, Vec<i32>) = de.next_value().unwrap().unwrap();
    assert_eq!(shared, (vec![1], vec![1]));
    let e = de.next_value::<Value>().unwrap_err();
    assert!(e.to_string().contains("cycle"), "{e}");
    assert!(de.next_value::<Value>().unwrap().is_none());
}

#[test]
fn a_pickle_failing_before_its_stop_ends_a_held_deserializer_with_errors_not_a_panic() {
    // A protocol 4 pickle of an unregistered class (refused inside its FRAME), then 1. The
    // reader had buffered the frame; reading on used its stale bounds and panicked. Where the
    // next pickle begins is unknown after such a failure (the slice reader would have read the
    // failed pickle's tail, `)R.`, as a pickle of its own), so every later call is an error.
    // A value that only fails to fit the type asked for leaves the stream at the next pickle.
    let refused = b"\x80\x04\x95\t\x00\x00\x00\x00\x00\x00\x00\x8c\x01m\x8c\x01C\x93)R.";
    // A frame that claims more than its pickle: STOP inside it, then bytes after.
    let short_frame = b"\x80\x04\x95\x06\x00\x00\x00\x00\x00\x00\x00K\x01.K\x02.";
    for first in [&refused[..], &short_frame[..]] {
        let mut stream = first.to_vec();
        stream.extend_from_slice(b"\x80\x04K\x01.");
        let from_reader = pypickle::Deserializer::from_reader(std::io::BufReader::new(&stream[..]));
        let one_byte_reads = pypickle::Deserializer::from_reader(OneByte(&stream[..]));
        let from_slice = pypickle::Deserializer::from_slice(&stream);
        let errors: Vec<Vec<String>> = vec![
            three_reads(from_reader),
            three_reads(one_byte_reads),
            three_reads(from_slice),
        ];
        for e in &errors {
            assert_eq!(e, &errors[0]);
            assert!(
                e[1].contains("an earlier pickle of this stream failed"),
                "{e:?}"
            );
            assert_eq!(e[1], e[2]);
        }
    }
    let mut stream = b"\x80\x04\x8c\x01x.".to_vec();
    stream.extend_from_slice(b"\x80\x04K\x07.");
    let mut de = pypickle::Deserializer::from_reader(&stream[..]);
    assert!(de.next_value::<u8>().is_err());
    assert_eq!(de.next_value::<u8>().unwrap(), Some(7));
    assert_eq!(de.next_value::<u8>().unwrap(), None);
}

/// The errors of three reads in a row (each must fail).
fn three_reads<'de, R: pypickle::read::Read<'de>>(
    mut de: pypickle::Deserializer<R>,
) -> Vec<String> {
    (0..3)
        .map(|_| de.next_value::<Value>().expect_err("must fail").to_string())
        .collect()
}

/// A reader that hands out one byte per call.
struct OneByte<'a>(&'a [u8]);

impl std::io::Read for OneByte<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match (self.0.split_first(), buf.first_mut()) {
            (Some((&b, rest)), Some(slot)) => {
                *slot = b;
                self.0 = rest;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

#[test]
fn limits_each_have_an_error() {
    let e = err_with(b"\x80\x02K\x01q\x00q\x01.", &DeOptions::new().max_memo(1));
    assert_eq!(e.limit(), Some(Limit::Memo));
    let e = err_with(
        b"\x80\x02](K\x01K\x02K\x03K\x04e.",
        &DeOptions::new().max_nodes(3),
    );
    assert_eq!(e.limit(), Some(Limit::Nodes));
    let mut data = b"I".to_vec();
    data.extend(std::iter::repeat(b'9').take(5000));
    data.extend_from_slice(b"\n.");
    let e = err(&data);
    assert_eq!(e.limit(), Some(Limit::IntDigits), "{e}");
    let ok: Value =
        pypickle::from_slice_with(&data, &DeOptions::new().max_int_digits(10_000)).unwrap();
    // Printed as Python's hex(), as repr() refuses ints past 4300 digits.
    let shown = ok.to_string();
    assert!(shown.starts_with("0x"), "{shown}");
    assert_eq!(Value::from(shown.parse::<pypickle::BigInt>().unwrap()), ok);
    // A limit under 19 digits holds for ints that fit i64 too (a hunt: they were not counted).
    let five = DeOptions::new().max_int_digits(5);
    for text in [&b"I123456\n."[..], b"L-123456L\n."] {
        let e = err_with(text, &five);
        assert_eq!(e.limit(), Some(Limit::IntDigits), "{e}");
    }
    let v: Value = pypickle::from_slice_with(b"I-12345\n.", &five).unwrap();
    assert_eq!(v, Value::Int(-12345));
}

#[test]
fn type_errors_name_the_type_and_where_the_value_was_made() {
    let e = pypickle::from_slice::<u8>(b"\x80\x02M\x00\x01.").unwrap_err();
    assert_eq!(e.category(), Category::Type);
    assert!(e.to_string().contains("u8"), "{e}");
    assert_eq!(e.offset(), Some(2));
    assert_eq!(e.opcode_name(), Some("BININT2"));
    let e =
        pypickle::from_slice::<Vec<String>>(b"\x80\x02](X\x01\x00\x00\x00aK\x05e.").unwrap_err();
    assert_eq!(e.opcode_name(), Some("BININT1"), "{e}");
}

#[test]
fn lone_surrogates_are_refused_clearly() {
    // pickle.dumps('\ud800', protocol=3) writes it as surrogatepass UTF-8.
    let e = err(b"\x80\x03X\x03\x00\x00\x00\xed\xa0\x80q\x00.");
    assert_eq!(e.category(), Category::Unsupported);
    assert!(e.to_string().contains("U+D800"), "{e}");
}

#[test]
fn copies_made_by_calls_count_against_the_expansion_limit() {
    // tuple(l) of one memoized 10k-item list, 300 times over: 3M values from 52 KiB, which
    // allocated 72 MB (2000 times: 1.2 GB) before copies were charged.
    let mut d = b"\x80\x02c__builtin__\ntuple\nq\x00](".to_vec();
    for i in 0..10_000u32 {
        d.push(b'J');
        d.extend_from_slice(&i.to_le_bytes());
    }
    d.extend_from_slice(b"eq\x01");
    for _ in 0..300 {
        d.extend_from_slice(b"h\x00h\x01\x85R0");
    }
    d.extend_from_slice(b"N.");
    let e = err(&d);
    assert_eq!(e.limit(), Some(Limit::Expansion), "{e}");
    assert_eq!(e.opcode_name(), Some("REDUCE"), "{e}");
    // The same through a class called with a memoized tuple of arguments.
    let mut d = b"\x80\x02ccollections\nOrderedDict\nq\x00(".to_vec();
    d.extend(std::iter::repeat(b'N').take(20_000));
    d.extend_from_slice(b"tq\x01");
    for _ in 0..100 {
        d.extend_from_slice(b"h\x00h\x01R0");
    }
    d.extend_from_slice(b"N.");
    assert_eq!(err(&d).limit(), Some(Limit::Expansion));
    // A large set as protocols 0-3 write it, set([...]), is one copy and reads.
    let v = Value::Set((0..300_000).map(Value::Int).collect());
    for proto in [0, 2] {
        let opts = pypickle::SerOptions::new().protocol(proto);
        let bytes = pypickle::to_vec_with(&v, &opts).unwrap();
        assert_eq!(pypickle::from_slice::<Value>(&bytes).unwrap(), v);
    }
}

#[test]
fn every_memo_and_container_opcode_counts_against_its_limit() {
    let memo = DeOptions::new().max_memo(2);
    for data in [
        &b"\x80\x04N\x94N\x94N\x94."[..], // MEMOIZE
        b"\x80\x02Nq\x00Nq\x01Nq\x02.",   // BINPUT
        b"\x80\x02Nr\x00\x00\x00\x00Nr\x01\x00\x00\x00Nr\x02\x00\x00\x00.", // LONG_BINPUT
        b"Np0\nNp1\nNp2\n.",              // PUT
    ] {
        assert_eq!(err_with(data, &memo).limit(), Some(Limit::Memo), "{data:?}");
        // Putting the same id again is not a new entry.
        assert!(pypickle::from_slice_with::<Value>(b"Np0\nNp0\nNp0\n.", &memo).is_ok());
    }
    let nodes = DeOptions::new().max_nodes(3);
    for data in [
        &b"\x80\x02(K\x01K\x02K\x03K\x04t."[..],      // TUPLE
        b"\x80\x02K\x01K\x02K\x03\x87K\x04\x85\x86.", // TUPLE1-3
        b"\x80\x02(K\x01K\x02K\x03K\x04l.",           // LIST
        b"(K\x01K\x02K\x03K\x04d.",                   // DICT
        b"\x80\x02}(K\x01K\x02K\x03K\x04u.",          // SETITEMS
        b"\x80\x02}K\x01K\x02sK\x03K\x04s.",          // SETITEM
        b"\x80\x04\x8f(K\x01K\x02K\x03K\x04\x90.",    // ADDITEMS
        b"\x80\x04(K\x01K\x02K\x03K\x04\x91.",        // FROZENSET
        b"\x80\x02]K\x01aK\x02aK\x03aK\x04a.",        // APPEND
    ] {
        assert_eq!(
            err_with(data, &nodes).limit(),
            Some(Limit::Nodes),
            "{data:?}"
        );
    }
}

/// BUILD with a state that sets nothing (`None`, or `(None, {})`) is a no-op on any target in
/// CPython's unpicklers, lists and ints included; a state that sets something on them is an
/// error there (AttributeError) and here.
#[test]
fn a_build_that_sets_nothing_is_a_no_op_on_any_value() {
    for (data, repr) in [
        (&b"]Nb."[..], "[]"),
        (b"K\x01Nb.", "1"),
        (b")Nb.", "()"),
        (b"\x80\x02}N}\x86b.", "{}"),
        (b"\x80\x02(K\x01NbK\x02l.", "[1, 2]"),
    ] {
        let v: Value = pypickle::from_slice(data).unwrap();
        assert_eq!(v.to_string(), repr);
        let report = pypickle::scan(data);
        assert!(report.error.is_none() && report.is_safe(), "{report}");
    }
    for data in [&b"]}b."[..], b"K\x01}b.", b"\x80\x02]N}U\x01aK\x01s\x86b."] {
        let e = err(data);
        assert!(e.to_string().contains("has no state to set"), "{e}");
    }
}

/// Inside a FRAME (whose bytes were all there when it began), an argument or line that runs
/// past the frame's end is the frame error from a slice as from a reader, whether or not the
/// input ends there too: more input would not help, so it is not "truncated".
#[test]
fn an_argument_past_a_frames_end_is_the_frame_error_however_the_input_ends() {
    let cut = b"\x80\x04\x95\x04\0\0\0\0\0\0\0\x8c\x05ab";
    let longer = [&cut[..], b"cde."].concat();
    let line = b"\x80\x04\x95\x03\0\0\0\0\0\0\0cos";
    for input in [&cut[..], &longer, &line[..]] {
        for e in [
            pypickle::from_slice::<Value>(input).unwrap_err(),
            pypickle::from_reader::<_, Value>(input).unwrap_err(),
        ] {
            assert_eq!(e.category(), Category::Invalid, "{e}");
            assert!(!e.is_truncated());
            assert!(
                e.to_string().contains("past the end of the current FRAME"),
                "{e}"
            );
        }
    }
}

/// A frame larger than what the scratch bound allows for the bytes consumed so far does not
/// count against it before it is consumed: an `io::Read` reads a valid 8.6 MB frame whose
/// first opcode copies to scratch (a Python 2 str decoded as Latin-1), as a slice does.
#[test]
fn a_large_frame_read_from_a_stream_is_not_charged_before_it_is_read() {
    let mut body = b"U\x01\xe9".to_vec();
    body.extend(b"N0".repeat(4_300_000));
    body.push(b'.');
    let mut p = b"\x80\x04\x95".to_vec();
    p.extend_from_slice(&(body.len() as u64).to_le_bytes());
    p.extend_from_slice(&body);
    let opts = DeOptions::new().py2_strings(pypickle::Py2Strings::Latin1);
    let from_slice: Value = pypickle::from_slice_with(&p, &opts).unwrap();
    let from_reader: Value = pypickle::from_reader_with(&p[..], &opts).unwrap();
    assert_eq!(from_slice, Value::from("é"));
    assert_eq!(from_reader, from_slice);
}

/// An I/O error while looking for trailing data after STOP says where: at the STOP's end.
#[test]
fn an_io_error_after_stop_has_the_offset() {
    struct FailsAfter(&'static [u8]);
    impl std::io::Read for FailsAfter {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.0.is_empty() {
                return Err(std::io::Error::other("late"));
            }
            let n = buf.len().min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }
    let e = pypickle::from_reader::<_, Value>(FailsAfter(b"K\x01.")).unwrap_err();
    assert_eq!(e.category(), Category::Io, "{e}");
    assert_eq!(e.offset(), Some(3), "{e}");
}

/// Every way of reading one pickle: alone from a slice and from a reader, and as the second
/// pickle of a stream after (and before) a large harmless one, from a slice and from a reader.
/// The `max_expansion` budgets count the pickle's own bytes, so all of them agree.
fn every_way(p: &[u8], opts: &DeOptions) -> Vec<(String, Result<Value, pypickle::Error>)> {
    let filler = {
        // PROTO 3, BINBYTES of 256 KiB, STOP
        let mut f = b"\x80\x03B\x00\x00\x04\x00".to_vec();
        f.extend(std::iter::repeat(b'x').take(256 << 10));
        f.push(b'.');
        f
    };
    let mut out = vec![
        ("slice".into(), pypickle::from_slice_with(p, opts)),
        ("reader".into(), pypickle::from_reader_with(p, opts)),
    ];
    for (name, stream, index) in [
        ("after", [&filler[..], p].concat(), 1),
        ("before", [p, &filler[..]].concat(), 0),
    ] {
        let mut de = pypickle::Deserializer::from_slice(&stream).with_options(opts.clone());
        let mut from_slice = Vec::new();
        for _ in 0..2 {
            from_slice.push(de.next_value::<Value>().map(Option::unwrap));
        }
        let mut de = pypickle::Deserializer::from_reader(&stream[..]).with_options(opts.clone());
        let mut from_reader = Vec::new();
        for _ in 0..2 {
            from_reader.push(de.next_value::<Value>().map(Option::unwrap));
            if from_reader.last().unwrap().is_err() {
                break;
            }
        }
        out.push((
            format!("stream {name}, slice"),
            from_slice.swap_remove(index),
        ));
        if let Some(r) = from_reader.into_iter().nth(index) {
            out.push((format!("stream {name}, reader"), r));
        }
    }
    out
}

fn limit_everywhere(p: &[u8], opts: &DeOptions) {
    for (way, r) in every_way(p, opts) {
        let e = r.expect_err(&way);
        assert_eq!(e.limit(), Some(Limit::Expansion), "{way}: {e}");
    }
}

fn ok_everywhere(p: &[u8], opts: &DeOptions) -> Value {
    let ways = every_way(p, opts);
    let first = ways[0].1.as_ref().unwrap().clone();
    for (way, r) in ways {
        assert_eq!(r.unwrap_or_else(|e| panic!("{way}: {e}")), first, "{way}");
    }
    first
}

#[test]
fn expansion_limits_count_the_pickles_own_bytes_however_it_is_read() {
    let tight = DeOptions::new().max_expansion(0);
    // 4000 bytes of `None` popped, then a list of one 1000-byte str and 4 more references to
    // it: within the bytes the pickle holds, so read (the slice used to count only, a reader
    // not at all, the opcode bytes).
    let mut walk = b"\x80\x02".to_vec();
    walk.extend(b"N0".repeat(2000));
    walk.extend(b"]q\x00(X\xe8\x03\x00\x00");
    walk.extend([b'a'; 1000]);
    walk.extend(b"q\x01");
    walk.extend(b"h\x01".repeat(4));
    walk.extend(b"e.");
    assert_eq!(
        ok_everywhere(&walk, &tight).as_slice().map(<[Value]>::len),
        Some(5)
    );
    // A 16 KiB str referenced 40 times: 640 KiB handed over from 16 KiB, refused alone and
    // after or before a large pickle alike (the bytes of the pickles around it used to count).
    let mut shared = b"\x80\x02]q\x00(X\x00\x40\x00\x00".to_vec();
    shared.extend([b'a'; 16 << 10]);
    shared.extend(b"q\x01");
    shared.extend(b"h\x01".repeat(39));
    shared.extend(b"e.");
    limit_everywhere(&shared, &tight);
    // `_codecs.encode` of one memoized 1000-char str, 7 times: what the calls make is
    // within 4 bytes for each byte of the pickle, from a slice and a reader alike (a reader
    // used to count its own copy of the input against it).
    // (Each operand is memoized and popped: a held `Deserializer` refuses values left below
    // the one STOP returns.)
    let mut encode = b"\x80\x02c_codecs\nencode\nq\x000X\xd0\x07\x00\x00".to_vec();
    encode.extend("\u{e9}".repeat(1000).as_bytes());
    encode.extend(b"q\x010X\x06\x00\x00\x00latin1q\x020]q\x03(");
    encode.extend(b"h\x00h\x01h\x02\x86R".repeat(7));
    encode.extend(b"e.");
    assert_eq!(
        ok_everywhere(&encode, &tight)
            .as_slice()
            .map(<[Value]>::len),
        Some(7)
    );
    // `tuple(l)` of one memoized 100-item list, 2000 times: 200k values copied from 2 KiB,
    // refused alone and after a large pickle alike (the bytes before it used to count).
    let mut copies = b"\x80\x02cbuiltins\ntuple\nq\x000]q\x01(".to_vec();
    copies.extend(b"K\x01".repeat(100));
    copies.extend(b"e0]q\x02(");
    copies.extend(b"h\x00h\x01\x85R".repeat(2000));
    copies.extend(b"e.");
    limit_everywhere(&copies, &DeOptions::new().max_expansion(1000));
}

/// Values left on the unpickler's stack count against `max_nodes` with those in containers:
/// 20 MiB of `None` (or of DUP) used to take 800 MB of stack whatever the limit.
#[test]
fn values_on_the_stack_count_against_max_nodes() {
    let nodes = DeOptions::new().max_nodes(1000);
    let pile = |op: &[u8]| [&b"\x80\x02N"[..], &op.repeat(100_000), b"0."].concat();
    for data in [pile(b"N"), pile(b"2"), pile(b"K\x01")] {
        let e = err_with(&data, &nodes);
        assert_eq!(e.limit(), Some(Limit::Nodes), "{e}");
        let e = pypickle::from_reader_with::<_, Value>(&data[..], &nodes).unwrap_err();
        assert_eq!(e.limit(), Some(Limit::Nodes), "{e}");
        // Within the limit (the default's), the pile is read and popped as CPython does.
        let v: Value = pypickle::from_slice(&data).unwrap();
        assert!(matches!(v, Value::None | Value::Int(1)), "{v}");
    }
}

/// `max_nodes` falls alike whatever stack the thread kept from an earlier pickle: the fast
/// loop pushed into kept slots without counting them, so the same pickle read after a large
/// one passed where read first it failed.
#[test]
fn max_nodes_does_not_depend_on_what_was_read_before() {
    let nodes = DeOptions::new().max_nodes(100);
    let mut pile = b"(".to_vec();
    pile.extend(b"K\x01".repeat(3000));
    pile.extend(b"1N.");
    let fresh = std::thread::spawn({
        let (pile, nodes) = (pile.clone(), nodes.clone());
        move || err_with(&pile, &nodes).limit()
    })
    .join()
    .unwrap();
    assert_eq!(fresh, Some(Limit::Nodes));
    // A 5000-item list first, on this thread: its stack slots are kept.
    let mut big = b"\x80\x02](".to_vec();
    big.extend(b"K\x01".repeat(5000));
    big.extend(b"e.");
    assert!(pypickle::from_slice::<Value>(&big).is_ok());
    assert_eq!(err_with(&pile, &nodes).limit(), Some(Limit::Nodes));
}

/// The node over `max_nodes` is the one reported, from a slice as from a reader, whatever
/// stack slots earlier pickles left on the thread (found by a hunt: the slice paths named
/// the opcode their fast loop stopped at, 129 or 4001 here).
#[test]
fn max_nodes_reports_the_node_over_the_limit_however_it_is_read() {
    let opts = DeOptions::new().max_nodes(3);
    let mut pile = b"(".to_vec();
    pile.extend(b"K\x01".repeat(2000));
    pile.extend(b"l.");
    // every_way's streams put a 262,152-byte pickle before this one, or after it.
    let at = |how: &str, offset: u64| offset + if how.contains("after") { 262_152 } else { 0 };
    let check = |label: &str| {
        for (how, got) in every_way(&pile, &opts) {
            let e = got.unwrap_err();
            assert_eq!(e.limit(), Some(Limit::Nodes), "{label} {how}: {e}");
            let want = (Some(at(&how, 7)), Some(b'K'));
            assert_eq!((e.offset(), e.opcode()), want, "{label} {how}: {e}");
        }
    };
    std::thread::spawn(move || {
        let opts = DeOptions::new().max_nodes(3);
        let mut pile = b"(".to_vec();
        pile.extend(b"K\x01".repeat(2000));
        pile.extend(b"l.");
        let e = err_with(&pile, &opts);
        assert_eq!((e.offset(), e.opcode()), (Some(7), Some(b'K')), "{e}");
    })
    .join()
    .unwrap();
    check("first");
    let mut big = b"(".to_vec();
    big.extend(b"K\x01".repeat(5000));
    big.extend(b"l.");
    assert!(pypickle::from_slice::<Value>(&big).is_ok());
    check("after a larger pickle");
    // Over the limit at the dict, after a string, a memo get and a batch moved into the list.
    let p = b"\x80\x04]\x94(\x8c\x01a\x94h\x01e}\x94(h\x01K\x01u.";
    let opts = DeOptions::new().max_nodes(3);
    for (how, got) in every_way(p, &opts) {
        let e = got.unwrap_err();
        let want = (Some(at(&how, 12)), Some(b'}'));
        assert_eq!((e.offset(), e.opcode()), want, "{how}: {e}");
    }
}

/// A push that the unpickler runs with the MEMOIZE after it is reported at the push, as a
/// reader reports it, on a fresh thread and after a larger pickle (a review: the slice paths
/// named the MEMOIZE, for opcodes the fast loop leaves to step() and at a stack-growth edge).
#[test]
fn max_nodes_reports_a_memoized_push_at_the_push() {
    let mut pile = b"\x80\x04(".to_vec();
    pile.extend(b"K\x01".repeat(64));
    pile.extend(b"]\x94l.");
    let cases: Vec<(Vec<u8>, usize, u64, u8)> = vec![
        (b"\x80\x04K\x01\x8c\x02\xc3\xa9\x94.".to_vec(), 1, 4, 0x8c),
        (b"\x80\x04K\x01\x8f\x94.".to_vec(), 1, 4, 0x8f),
        (b"\x80\x04K\x01K\x02\x86\x94.".to_vec(), 2, 6, 0x86),
        (pile, 64, 131, b']'),
    ];
    let check = move |label: &str| {
        for (p, limit, offset, op) in &cases {
            let opts = DeOptions::new().max_nodes(*limit);
            for (how, got) in every_way(p, &opts) {
                let e = got.unwrap_err();
                let at = offset + if how.contains("after") { 262_152 } else { 0 };
                assert_eq!(
                    (e.offset(), e.opcode()),
                    (Some(at), Some(*op)),
                    "{label} {how}: {e}"
                );
            }
        }
    };
    fresh_and_after_a_larger_pickle(check);
}

/// A struct's unknown or repeated field is a mismatch of type, as serde's other ones are.
#[test]
fn unknown_and_duplicate_fields_are_type_errors() {
    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct S {
        a: u8,
    }
    // {'a': 1, 'b': 2}
    let p = b"\x80\x02}q\x00(X\x01\x00\x00\x00aq\x01K\x01X\x01\x00\x00\x00bq\x02K\x02u.";
    let e = pypickle::from_slice::<S>(p).unwrap_err();
    assert_eq!(e.category(), pypickle::Category::Type, "{e}");
    assert!(
        e.to_string().contains("unknown field `b`, expected `a`"),
        "{e}"
    );
    assert_eq!(e.offset(), Some(16));
    // {'a': 1, 'a' again through the memo: 2} is one key in Python, but a pickle can hold it
    // twice.
    let p = b"\x80\x02}q\x00(X\x01\x00\x00\x00aq\x01K\x01h\x01K\x02u.";
    let e = pypickle::from_slice::<S>(p).unwrap_err();
    assert_eq!(e.category(), pypickle::Category::Type, "{e}");
    assert!(e.to_string().contains("duplicate field `a`"), "{e}");
}

#[test]
fn one_byte_needed_is_singular() {
    let e = err(b"\x80");
    assert!(e.to_string().ends_with("1 byte needed, 0 left"), "{e}");
}

#[test]
fn unexpected_arguments_name_the_builtin_called() {
    // bytearray(3) named bytes() (found by a review).
    let e = pypickle::from_slice::<pypickle::Value>(b"c__builtin__\nbytearray\n(I3\ntR.")
        .unwrap_err()
        .to_string();
    assert!(e.contains("unexpected arguments to bytearray()"), "{e}");
    let e = pypickle::from_slice::<pypickle::Value>(b"c__builtin__\nbytes\n(I3\ntR.")
        .unwrap_err()
        .to_string();
    assert!(e.contains("unexpected arguments to bytes()"), "{e}");
}

/// A bad text argument's error quotes its start, not all of it (CPython cuts it too).
#[test]
fn errors_quote_a_long_argument_cut_short() {
    for (op, what) in [(b'F', "FLOAT"), (b'I', "INT"), (b'L', "LONG")] {
        let arg = "9".repeat(1000) + "x";
        let p = [&[op][..], arg.as_bytes(), b"\n."].concat();
        let e = pypickle::from_slice::<Value>(&p).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains(what) && msg.contains("(1001 bytes)"), "{msg}");
        assert!(msg.len() < 400, "{} bytes: {msg}", msg.len());
    }
    let huge = [&b"F"[..], "9".repeat(400).as_bytes(), b"\n."].concat();
    let msg = pypickle::from_slice::<Value>(&huge)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("out of range") && msg.len() < 400, "{msg}");
}

/// Every error message escapes control, line-separator and text-direction characters, wherever
/// they come from (a name in the pickle, a `Deserialize` impl's message): printed to a
/// terminal or a log, it cannot forge lines or send escape sequences (found by a hunt and a
/// review).
#[test]
fn error_messages_escape_control_characters() {
    let opts = DeOptions::new().record_unknown_globals(true);
    for name in [
        "a\x1b[31mb",
        "a\nb",
        "a\rb",
        "a\u{202e}b",
        "a\u{2028}b",
        "a\u{61c}b",
    ] {
        let mut p = b"\x80\x04\x8c\x01m\x8c".to_vec();
        p.push(name.len() as u8);
        p.extend_from_slice(name.as_bytes());
        p.extend_from_slice(b"\x93.");
        let e = pypickle::from_slice_with::<i32>(&p, &opts).unwrap_err();
        let msg = e.to_string();
        assert!(!msg.contains(&name[1..name.len() - 1]), "{msg:?}");
        assert!(msg.contains("m.a\\"), "{msg:?}");
        // Refused, by name: the accessor keeps the name as it is.
        let e = pypickle::from_slice::<Value>(&p).unwrap_err();
        assert_eq!(e.refused_global(), Some(("m", name)));
        assert!(!e.to_string().contains(&name[1..name.len() - 1]), "{e}");
    }
    let e = <pypickle::Error as serde::de::Error>::custom("two\nlines");
    assert_eq!(e.to_string(), "two\\nlines");
}

/// An error a `Deserialize` impl makes itself after reading the value (serde's untagged enums
/// do, and `NonZeroU32` of a 0) names the value's offset and opcode, at the top level and
/// inside a container alike (it named the container's). Found by a hunt: it had no position
/// at all. An error the container's own visitor makes between its items (a missing field, a
/// length) still names the container.
#[test]
fn errors_of_the_deserialize_impl_itself_have_a_position() {
    #[derive(serde::Deserialize, Debug)]
    #[serde(untagged)]
    #[allow(dead_code)]
    enum U {
        A(i64),
        B(bool),
    }
    // The error says `what`, at `offset`, of `opcode`.
    let says = |e: pypickle::Error, what: &str, offset: u64, opcode: &str| {
        assert!(e.to_string().contains(what), "{e}");
        assert_eq!(
            (e.offset(), e.opcode_name()),
            (Some(offset), Some(opcode)),
            "{e}"
        );
    };
    let e = pypickle::from_slice::<U>(b"\x80\x02X\x01\x00\x00\x00x.").unwrap_err();
    says(e, "untagged", 2, "BINUNICODE");
    // [1, 'x']: the str at 8 is the item no variant took.
    let list = b"\x80\x02]q\x00(K\x01X\x01\x00\x00\x00xq\x01e.";
    let e = pypickle::from_slice::<Vec<U>>(list).unwrap_err();
    says(e, "untagged", 8, "BINUNICODE");
    // The same item as a dict's value, and as a newtype variant's payload.
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    enum E {
        V(U),
    }
    // {'k': 'x'}, then {'V': 'x'}: the value 'x' at 13.
    for (key, target) in [(b'k', "map"), (b'V', "variant")] {
        let mut dict = b"\x80\x02}q\x00X\x01\x00\x00\x00kq\x01X\x01\x00\x00\x00xq\x02s.".to_vec();
        dict[10] = key;
        let e = match target {
            "map" => pypickle::from_slice::<std::collections::HashMap<String, U>>(&dict)
                .map(drop)
                .unwrap_err(),
            _ => pypickle::from_slice::<E>(&dict).map(drop).unwrap_err(),
        };
        says(e, "untagged", 13, "BINUNICODE");
    }
    // {'a': 1, 'b': 0} into a struct whose `b` is a NonZeroU32: the 0 at 24.
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct S {
        a: u8,
        b: std::num::NonZeroU32,
    }
    let s = b"\x80\x02}q\x00(X\x01\x00\x00\x00aq\x01K\x01X\x01\x00\x00\x00bq\x02K\x00u.";
    let e = pypickle::from_slice::<S>(s).unwrap_err();
    says(e, "nonzero", 24, "BININT1");
    // The struct's own errors, between its entries, stay the dict's: a missing field (`b`
    // read as `c`), and a tuple's length.
    let mut missing = s.to_vec();
    missing[21] = b'c';
    let e = pypickle::from_slice::<S>(&missing).unwrap_err();
    says(e, "missing field `b`", 2, "EMPTY_DICT");
    let e = pypickle::from_slice::<(i64, String, i64)>(list).unwrap_err();
    says(e, "invalid length 2", 2, "EMPTY_LIST");
}

/// A reader that fails before giving a byte of the next pickle (a socket's read timeout:
/// `WouldBlock`, `TimedOut`) leaves the stream readable: the next call reads that pickle, as
/// CPython's next `pickle.load` does. An error once a pickle has begun still breaks it (where
/// the next one begins is unknown). Found by a hunt.
#[test]
fn an_io_error_between_pickles_leaves_the_stream_readable() {
    use std::io::{ErrorKind, Read};
    /// Gives `data`, failing once with `kind` when it reaches each offset in `fail_at`.
    struct Flaky {
        data: &'static [u8],
        pos: usize,
        fail_at: Vec<usize>,
        kind: ErrorKind,
    }
    impl Read for Flaky {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.fail_at.first() == Some(&self.pos) {
                self.fail_at.remove(0);
                return Err(std::io::Error::new(self.kind, "not yet"));
            }
            let end = self.data.len().min(self.pos + buf.len()).min(self.pos + 1);
            let n = end - self.pos;
            buf[..n].copy_from_slice(&self.data[self.pos..end]);
            self.pos = end;
            Ok(n)
        }
    }
    // Two pickles: K\x01. and \x80\x04K\x02. (3 and 5 bytes).
    let data: &[u8] = b"K\x01.\x80\x04K\x02.";
    for kind in [
        ErrorKind::WouldBlock,
        ErrorKind::TimedOut,
        ErrorKind::UnexpectedEof,
    ] {
        let flaky = Flaky {
            data,
            pos: 0,
            fail_at: vec![0, 3],
            kind,
        };
        let mut de = pypickle::Deserializer::from_reader(flaky);
        assert!(de.next_value::<i32>().unwrap_err().io_error().is_some());
        assert_eq!(de.next_value::<i32>().unwrap(), Some(1));
        assert!(de.next_value::<i32>().unwrap_err().io_error().is_some());
        assert_eq!(de.position(), 3);
        assert_eq!(de.next_value::<i32>().unwrap(), Some(2));
        assert_eq!(de.next_value::<i32>().unwrap(), None);
    }
    // Inside a pickle, the stream is broken.
    let flaky = Flaky {
        data,
        pos: 0,
        fail_at: vec![4],
        kind: ErrorKind::WouldBlock,
    };
    let mut de = pypickle::Deserializer::from_reader(flaky);
    assert_eq!(de.next_value::<i32>().unwrap(), Some(1));
    assert!(de.next_value::<i32>().unwrap_err().io_error().is_some());
    let e = de.next_value::<i32>().unwrap_err();
    assert!(e.to_string().contains("earlier pickle"), "{e}");
}

/// How a read ended, as far as the slice and reader paths must agree: the value, or the
/// error's offset, opcode and category. (Messages may differ: a reader does not know how many
/// bytes are left.)
fn outcome<T: std::fmt::Debug>(r: Result<T, pypickle::Error>) -> String {
    match r {
        Ok(v) => format!("Ok {v:?}"),
        Err(e) => format!("Err {:?} {:?} {:?}", e.offset(), e.opcode(), e.category()),
    }
}

/// Framed pickles (protocol 4 and 5, as CPython writes them) and mutations of them read
/// through an `io::Read` end as through a slice: the same value, or an error at the same
/// offset and opcode. Read in a stream after another framed pickle, whose frames put the
/// buffered bytes at other places than their stream offsets, too. (The reader's frames run
/// through the slice path's fast loop since the loop learnt to read them in scratch.)
#[test]
fn framed_pickles_end_alike_through_a_reader_and_a_slice() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python_fixtures/data");
    let manifest = std::fs::read_to_string(dir.join("manifest.tsv")).unwrap();
    // A framed pickle of another length, read first in the streams: 'ab' * 3000 in a frame.
    let filler = {
        let body = [
            b"X\x70\x17\x00\x00".as_slice(),
            &b"ab".repeat(3000),
            b"\x94.",
        ]
        .concat();
        let mut f = b"\x80\x04\x95".to_vec();
        f.extend((body.len() as u64).to_le_bytes());
        f.extend(body);
        f
    };
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let (mut framed, mut compared) = (0, 0);
    for line in manifest.lines() {
        let file = line.split('\t').next().unwrap();
        let original = std::fs::read(dir.join(file)).unwrap();
        if original.len() < 12 || original[2] != 0x95 {
            continue;
        }
        framed += 1;
        let mut inputs = vec![original.clone()];
        for _ in 0..6 {
            let mut m = original.clone();
            let at = 11 + (next() as usize) % (m.len() - 11);
            m[at] = next() as u8;
            inputs.push(m);
            let cut = 11 + (next() as usize) % (original.len() - 11);
            inputs.push(original[..cut].to_vec());
        }
        for opts in [DeOptions::new(), DeOptions::new().max_nodes(4)] {
            for p in &inputs {
                let slice = outcome(pypickle::from_slice_with::<Value>(p, &opts));
                let reader = outcome(pypickle::from_reader_with::<_, Value>(&p[..], &opts));
                assert_eq!(slice, reader, "{file}, mutated: {p:?}");
                // Typed, where most values are of the wrong type: errors at their nodes.
                type Typed = Vec<std::collections::BTreeMap<String, i64>>;
                let slice = outcome(pypickle::from_slice_with::<Typed>(p, &opts));
                let reader = outcome(pypickle::from_reader_with::<_, Typed>(&p[..], &opts));
                assert_eq!(slice, reader, "{file} typed, mutated: {p:?}");
                let stream = [&filler[..], p].concat();
                let mut de = pypickle::Deserializer::from_slice(&stream).with_options(opts.clone());
                let mut dr =
                    pypickle::Deserializer::from_reader(&stream[..]).with_options(opts.clone());
                let (a, b) = (de.next_value::<Value>(), dr.next_value::<Value>());
                assert_eq!(outcome(a), outcome(b), "{file} after a pickle: {p:?}");
                let (a, b) = (de.next_value::<Typed>(), dr.next_value::<Typed>());
                assert_eq!(outcome(a), outcome(b), "{file} typed after a pickle: {p:?}");
                compared += 1;
            }
        }
    }
    assert!(
        framed > 200 && compared > 6000,
        "{framed} framed, {compared} compared"
    );
}

/// A push over `max_nodes` whose MEMOIZE is also over `max_memo` is reported as the node
/// limit at the push, as running the two one by one does, however it is read: the slice
/// path fused them and named the MEMOIZE for a non-ASCII str, and for an ASCII one did so
/// or not depending on the stack slots earlier pickles left on the thread (a review).
#[test]
fn a_push_over_both_limits_reports_the_node_limit_at_the_push() {
    let framed = |body: &[u8]| {
        let mut p = b"\x80\x04\x95".to_vec();
        p.extend((body.len() as u64).to_le_bytes());
        p.extend(body);
        p
    };
    let mut ints = b"(".to_vec();
    for i in 0..64u8 {
        ints.extend([b'K', i]);
    }
    ints.extend(b"\x8c\x01a\x94l.");
    let cases = [
        (framed(b"K\x01\x8c\x02\xc3\xa9\x94\x86."), 1, 13),
        (b"\x80\x04K\x01\x8c\x02\xc3\xa9\x94\x86.".to_vec(), 1, 4),
        (framed(&ints), 64, 140),
    ];
    let check = move |label: &str| {
        for (p, nodes, offset) in &cases {
            let opts = DeOptions::new().max_nodes(*nodes).max_memo(0);
            for (how, got) in every_way(p, &opts) {
                let e = got.unwrap_err();
                let at = offset + if how.contains("after") { 262_152 } else { 0 };
                assert_eq!(e.limit(), Some(Limit::Nodes), "{label} {how}: {e}");
                assert_eq!(
                    (e.offset(), e.opcode()),
                    (Some(at), Some(0x8c)),
                    "{label} {how}"
                );
            }
        }
    };
    fresh_and_after_a_larger_pickle(check);
}

/// Run `check` on a fresh thread, then on this one after a pickle larger than any it reads,
/// whose stack slots the thread keeps (the fast loop pushes into them uncounted).
fn fresh_and_after_a_larger_pickle(check: impl Fn(&str) + Clone + Send + 'static) {
    let fresh = check.clone();
    std::thread::spawn(move || fresh("fresh")).join().unwrap();
    let mut big = b"(".to_vec();
    big.extend(b"K\x01".repeat(5000));
    big.extend(b"l.");
    assert!(pypickle::from_slice::<Value>(&big).is_ok());
    check("after a larger pickle");
}

/// `Deserializer::end` refuses bytes after the value read through `&mut Deserializer`, from a
/// slice and from a reader, as `from_slice` and `from_reader` do, and passes at the input's
/// end; a stream refused so reads no further. (There was no way to tell, which serde_transcode
/// style code needs. Found by a review.)
#[test]
fn end_refuses_trailing_bytes_after_a_value_read_through_the_deserializer() {
    use serde::Deserialize;
    let ok = b"\x80\x02K\x01.";
    let junk = b"\x80\x02K\x01.junk";
    let mut de = pypickle::Deserializer::from_slice(&ok[..]);
    assert_eq!(i32::deserialize(&mut de).unwrap(), 1);
    de.end().unwrap();
    let mut de = pypickle::Deserializer::from_reader(&ok[..]);
    assert_eq!(i32::deserialize(&mut de).unwrap(), 1);
    de.end().unwrap();

    let mut de = pypickle::Deserializer::from_slice(&junk[..]);
    assert_eq!(i32::deserialize(&mut de).unwrap(), 1);
    let e = de.end().unwrap_err();
    assert_eq!(e.category(), Category::Invalid);
    assert_eq!(e.offset(), Some(5));
    assert!(e.to_string().starts_with("4 bytes of trailing data"), "{e}");
    assert!(de.next_value::<i32>().is_err());
    let mut de = pypickle::Deserializer::from_reader(&junk[..]);
    assert_eq!(i32::deserialize(&mut de).unwrap(), 1);
    let e = de.end().unwrap_err();
    assert_eq!((e.category(), e.offset()), (Category::Invalid, Some(5)));
    assert!(e.to_string().starts_with("trailing data"), "{e}");
    assert!(de.next_value::<i32>().is_err());

    // Before any read, the input is not trailing anything: said so, from a slice or a reader.
    let e = pypickle::Deserializer::from_slice(&ok[..])
        .end()
        .unwrap_err();
    assert_eq!((e.category(), e.offset()), (Category::Invalid, Some(0)));
    assert_eq!(
        e.to_string(),
        "5 bytes of input, and no pickle was read from it (at offset 0)"
    );
    let e = pypickle::Deserializer::from_reader(&ok[..])
        .end()
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "unread input, and no pickle was read from it (at offset 0)"
    );
    // A read after such an end() says what ended the stream: no pickle failed.
    let mut de = pypickle::Deserializer::from_slice(&ok[..]);
    de.end().unwrap_err();
    let e = de.next_value::<i32>().unwrap_err();
    assert_eq!(
        e.to_string(),
        "end() found input left at offset 0 and took a byte of it, so this stream reads no \
         further"
    );
    pypickle::Deserializer::from_slice(&[][..]).end().unwrap();
    pypickle::Deserializer::from_reader(&[][..]).end().unwrap();
}

/// A pickle cut short, with the next one read as its rest (`a + b[:-1] + c`), leaves `b`'s
/// value below `c`'s at `c`'s STOP. CPython returns `c` and drops `b`; in a held
/// `Deserializer`'s stream that hands `c` over as the second pickle and loses `b` without a
/// word (a new user's trial), so there it is an error. `from_slice` of the one pickle still
/// reads as CPython does.
#[test]
fn a_pickle_cut_short_in_a_stream_is_not_taken_for_the_next() {
    for protocol in [0, 2, 4, 5] {
        let out = std::process::Command::new("python3")
            .args([
                "-c",
                &format!(
                    "import pickle, sys\n\
                     p = [pickle.dumps({{'seq': i, 'pad': 'x' * 10}}, {protocol}) for i in (1, 2, 3)]\n\
                     sys.stdout.buffer.write(p[0] + p[1][:-1] + p[2])"
                ),
            ])
            .output()
            .expect("python3");
        assert!(out.status.success());
        let stream = out.stdout;
        let check = |first: pypickle::Result<Option<Value>>,
                     second: pypickle::Result<Option<Value>>| {
            let first = first.unwrap().unwrap();
            assert!(first.to_string().contains("'seq': 1"), "{first}");
            let e = second.unwrap_err();
            assert_eq!(e.category(), Category::Invalid, "protocol {protocol}: {e}");
            assert!(
                e.to_string().contains("cut short"),
                "protocol {protocol}: {e}"
            );
        };
        let mut de = pypickle::Deserializer::from_slice(&stream);
        let first = de.next_value::<Value>();
        check(first, de.next_value::<Value>());
        // The stream reads no further, and says where the pickle failed, not "before its
        // STOP" (it failed at it).
        let e = de.next_value::<Value>().unwrap_err();
        assert!(
            e.to_string()
                .starts_with("an earlier pickle of this stream failed (at offset"),
            "{e}"
        );
        let mut de = pypickle::Deserializer::from_reader(&stream[..]);
        let first = de.next_value::<Value>();
        check(first, de.next_value::<Value>());
    }
    // A value left below at STOP, or an unclosed MARK, in a stream; read alone, the top.
    for data in [&b"\x80\x02K\x01K\x02."[..], b"\x80\x02(K\x02."] {
        let e = pypickle::Deserializer::from_slice(data)
            .next_value::<Value>()
            .unwrap_err();
        assert_eq!(e.opcode_name(), Some("STOP"), "{e}");
        assert_eq!(pypickle::from_slice::<i32>(data).unwrap(), 2);
    }
    let e = pypickle::Deserializer::from_slice(b"\x80\x02K\x01(K\x02.")
        .next_value::<Value>()
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("1 more value on the stack below the one it returns and an unclosed MARK"),
        "{e}"
    );
}

/// Pickles written by one reused `pickle.Pickler` share its memo: the second refers to the
/// first's objects. Read one at a time, as repeated `pickle.load` reads them, the second's
/// missing memo key is an error that says why it may be missing; in a first pickle, or from
/// `from_slice`, the message stays short (found by a trial).
#[test]
fn a_memo_key_missing_in_a_later_pickle_of_a_stream_says_why() {
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import pickle, sys, io\n\
             f = io.BytesIO(); p = pickle.Pickler(f, 2); a = ['x']; p.dump(a); p.dump(a)\n\
             sys.stdout.buffer.write(f.getvalue())",
        ])
        .output()
        .expect("python3");
    assert!(out.status.success());
    let stream = out.stdout;
    let second = &stream[stream.len() - 5..];
    assert_eq!(second, b"\x80\x02h\x00.");
    let check = |first: pypickle::Result<Option<Value>>, e: pypickle::Error| {
        assert_eq!(first.unwrap().unwrap().to_string(), "['x']");
        assert_eq!(e.category(), Category::Invalid);
        assert!(
            e.to_string().starts_with(
                "memo key 0 not found: a pickle after the first of a stream refers to the memo of \
                 those before it when one pickle.Pickler wrote them all"
            ) && e.to_string().contains(
                "Deserializer::keep_memo(true) reads them as one reused pickle.Unpickler"
            ),
            "{e}"
        );
        assert_eq!((e.offset(), e.opcode_name()), (Some(17), Some("BINGET")));
    };
    let mut de = pypickle::Deserializer::from_slice(&stream);
    check(de.next_value(), de.next_value::<Value>().unwrap_err());
    let mut de = pypickle::Deserializer::from_reader(&stream[..]);
    check(de.next_value(), de.next_value::<Value>().unwrap_err());
    // The scanner says the same of the stream (a review found it did not), without a
    // reader's option it does not have.
    let e = pypickle::scan(&stream).error.unwrap();
    assert!(
        e.to_string()
            .contains("when one pickle.Pickler wrote them all; scan follows each pickle"),
        "{e}"
    );
    assert!(!e.to_string().contains("keep_memo"), "{e}");
    let e = pypickle::scan(second).error.unwrap();
    assert_eq!(e.to_string(), "memo key 0 not found (BINGET at offset 2)");
    assert_eq!(
        err(second).to_string(),
        "memo key 0 not found (BINGET at offset 2)"
    );
    let mut de = pypickle::Deserializer::from_slice(second);
    assert_eq!(
        de.next_value::<Value>().unwrap_err().to_string(),
        "memo key 0 not found (BINGET at offset 2)"
    );
}

/// A value of the wrong type in a later pickle of a stream is reported at its offset in the
/// stream, from a slice and from a reader: and with `keep_memo`, a value an earlier pickle
/// made (handed over again by a memo GET) at its offset in that earlier pickle.
#[test]
fn a_type_error_in_a_later_pickle_of_a_stream_is_at_its_offset_in_the_stream() {
    // 1; then 'a' (SHORT_BINUNICODE at 7, memo 0); then a list (EMPTY_LIST at 14) of memo 0
    // twice: 'a' kept from the second pickle, or (its memo not kept) the list itself.
    let first = b"\x80\x04K\x01.";
    let second = b"\x80\x04\x8c\x01a\x94.";
    let third = b"\x80\x04]\x94(h\x00h\x00e.";
    let stream = [&first[..], second, third].concat();
    macro_rules! check {
        ($de:expr, $keep:expr) => {{
            let (mut de, keep) = ($de, $keep);
            assert_eq!(de.next_value::<u8>().unwrap(), Some(1));
            let e = de.next_value::<u8>().unwrap_err();
            assert_eq!(
                (e.offset(), e.opcode_name()),
                (Some(7), Some("SHORT_BINUNICODE")),
                "{e}"
            );
            if keep {
                // The third pickle's list holds the second's 'a': the error is where 'a' was made.
                let e = de.next_value::<Vec<u8>>().unwrap_err();
                assert_eq!(
                    (e.offset(), e.opcode_name()),
                    (Some(7), Some("SHORT_BINUNICODE")),
                    "{e}"
                );
                assert_eq!(de.next_value::<Option<u8>>().unwrap(), None);
            } else {
                let e = de.next_value::<u8>().unwrap_err();
                assert_eq!(
                    (e.offset(), e.opcode_name()),
                    (Some(14), Some("EMPTY_LIST")),
                    "{e}"
                );
            }
        }};
    }
    for keep in [false, true] {
        check!(
            pypickle::Deserializer::from_slice(&stream).keep_memo(keep),
            keep
        );
        check!(
            pypickle::Deserializer::from_reader(&stream[..]).keep_memo(keep),
            keep
        );
    }
}

/// The same for an error met while a persistent id is built for `persistent_load`, a walk
/// the unpickler runs itself (a review found it reported at the offset in its own pickle).
#[test]
fn an_error_in_a_persistent_id_of_a_later_pickle_is_at_its_offset_in_the_stream() {
    let opts = || {
        DeOptions::new()
            .max_depth(1)
            .persistent_load(|_: &Value| Ok(Value::Int(1)))
    };
    // 1; then [[[]]] (EMPTY_LISTs at 7, 8, 9) as a BINPERSID's id, one level too deep.
    let stream = b"\x80\x02K\x01.\x80\x02]]]aaQ.";
    let check = |first: pypickle::Result<Option<i32>>, e: pypickle::Error| {
        assert_eq!(first.unwrap(), Some(1));
        assert_eq!(e.limit(), Some(Limit::Depth), "{e}");
        assert_eq!(
            (e.offset(), e.opcode_name()),
            (Some(8), Some("EMPTY_LIST")),
            "{e}"
        );
    };
    let mut de = pypickle::Deserializer::from_slice(stream).with_options(opts());
    check(de.next_value(), de.next_value::<Value>().unwrap_err());
    let mut de = pypickle::Deserializer::from_reader(&stream[..]).with_options(opts());
    check(de.next_value(), de.next_value::<Value>().unwrap_err());
}

/// `Deserializer::keep_memo(true)`: what a later pickle hands over again from an earlier one
/// counts against its own `max_expansion`; a memo key missing there gets no hint about
/// sharing the memo (it is shared); the limits on nodes count the whole stream; and an
/// out-of-band buffer of an earlier pickle met again is an error, not another buffer.
#[test]
fn a_stream_that_keeps_its_memo_bounds_what_later_pickles_reach() {
    // Pickle 1: a list of 1000 ints, memo 0. Then two 5-byte pickles: BINGET 0.
    let mut stream = b"\x80\x02]q\x00(".to_vec();
    for i in 0..1000u16 {
        stream.push(b'M');
        stream.extend_from_slice(&i.to_le_bytes());
    }
    stream.extend_from_slice(b"e.\x80\x02h\x00.\x80\x02h\x00.");
    let read = |opts: DeOptions| {
        pypickle::Deserializer::from_slice(&stream)
            .with_options(opts)
            .keep_memo(true)
            .into_iter::<Vec<u16>>()
            .collect::<Vec<_>>()
    };
    let all = read(DeOptions::new());
    assert_eq!(all.len(), 3);
    assert!(all.iter().all(|v| v.as_ref().unwrap().len() == 1000));
    // Each later pickle is 5 bytes: handing 1000 ints over again is expansion.
    let all = read(DeOptions::new().max_expansion(500));
    assert!(all[0].is_ok());
    let e = all[1].as_ref().unwrap_err();
    assert_eq!(e.limit(), Some(Limit::Expansion), "{e}");
    // At the list's own offset in pickle 1, as a shared reference's error is.
    assert_eq!(
        (e.offset(), e.opcode_name()),
        (Some(2), Some("EMPTY_LIST")),
        "{e}"
    );
    // Pickle 1 holds 1001 nodes at most (the list and its ints on the stack); a pickle
    // after it that holds two more is past 1001 counted over the stream.
    let mut nodes = stream.clone();
    nodes.extend_from_slice(b"\x80\x02h\x00h\x00\x86.");
    let all: Vec<_> = pypickle::Deserializer::from_slice(&nodes)
        .with_options(DeOptions::new().max_nodes(1001))
        .keep_memo(true)
        .into_iter::<Value>()
        .collect();
    assert!(all[..3].iter().all(Result::is_ok));
    assert_eq!(all[3].as_ref().unwrap_err().limit(), Some(Limit::Nodes));

    // A key no pickle stored: plainly missing.
    let bad = b"\x80\x02K\x01q\x00.\x80\x02h\x01.";
    let mut de = pypickle::Deserializer::from_slice(bad).keep_memo(true);
    assert_eq!(de.next_value::<u8>().unwrap(), Some(1));
    assert_eq!(
        de.next_value::<u8>().unwrap_err().to_string(),
        "memo key 1 not found (BINGET at offset 9)"
    );

    // Pickle 1 takes a buffer (NEXT_BUFFER, memo 0); pickle 2 refers to it.
    let oob = b"\x80\x05\x97\x94.\x80\x05h\x00.";
    let lent: Vec<&[u8]> = vec![b"one", b"two"];
    let mut left = &lent[..];
    let mut de = pypickle::Deserializer::from_slice(oob).keep_memo(true);
    let one: &[u8] = de.next_value_with_buffers(&mut left).unwrap().unwrap();
    assert_eq!((one, left.len()), (&b"one"[..], 1));
    let e = de.next_value_with_buffers::<&[u8]>(&mut left).unwrap_err();
    assert!(e.to_string().contains("not lent to this reading"), "{e}");
}

/// With `keep_memo`, what calls copy (`tuple(l)`) and make in scratch (`_codecs.encode`) stays
/// for the rest of the stream, so it is paid for by the stream's bytes plus one
/// `max_expansion`, not by each pickle's: tiny pickles that each copy a large earlier list,
/// or encode a large earlier str, stop at the limit instead of piling up copies (found by
/// fuzzing: 120 KB of stream held 6 GB).
#[test]
fn a_stream_that_keeps_its_memo_pays_for_copies_once() {
    // Pickle 1: (tuple, l), tuple memo 0 and l a list of 10,000 ints, memo 1. Then 40 x
    // `tuple(l)`.
    let mut copies = b"\x80\x02c__builtin__\ntuple\nq\x00]q\x01(".to_vec();
    copies.extend(b"K\x01".repeat(10_000));
    copies.extend_from_slice(b"e\x86.");
    copies.extend(b"\x80\x02h\x00h\x01\x85R.".repeat(40));
    // Pickle 1: (_codecs.encode, s, 'latin1'), memo 0-2, s 20,000 'é' (not ASCII: encoding
    // it makes 20,000 bytes). Then 40 x `encode(s, 'latin1')`.
    let mut made = b"\x80\x02c_codecs\nencode\nq\x00X\x40\x9c\x00\x00".to_vec();
    made.extend(b"\xc3\xa9".repeat(20_000));
    made.extend_from_slice(b"q\x01X\x06\x00\x00\x00latin1q\x02\x87.");
    made.extend(b"\x80\x02h\x00h\x01h\x02\x86R.".repeat(40));
    for (what, stream, max) in [("copies", &copies, 50_000), ("made", &made, 10_000)] {
        let opts = DeOptions::new().max_expansion(max);
        let all: Vec<_> = pypickle::Deserializer::from_slice(stream)
            .with_options(opts.clone())
            .keep_memo(true)
            .into_iter::<Value>()
            .collect();
        let ok = all.iter().take_while(|r| r.is_ok()).count();
        assert!((2..20).contains(&ok), "{what}: {ok} read");
        let e = all[ok].as_ref().unwrap_err();
        assert_eq!(e.limit(), Some(Limit::Expansion), "{what}: {e}");
        // Each pickle on its own (without the memo kept, each is read alone and fails on its
        // memo key): the first pickle alone reads.
        assert!(pypickle::Deserializer::from_slice(stream)
            .with_options(opts)
            .next_value::<Value>()
            .is_ok());
    }
}
