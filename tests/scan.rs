//! `pypickle::scan` on CPython's plain-data fixtures (safe), on CPython's conformance vectors
//! (errors where the reader errors), on arbitrary and mutated bytes (never a panic), and within
//! a bound on memory and time.

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

use pypickle::{scan, Category, DeOptions, Py2Strings, Value, Verdict};
use quickcheck::{QuickCheck, TestResult};

mod py_common;
use py_common::{hex, python};

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

fn fixtures(dir: &str) -> (PathBuf, Vec<String>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut files: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|f| f.ends_with(".pkl"))
        .collect();
    files.sort();
    (dir, files)
}

#[test]
fn plain_data_fixtures_are_safe() {
    let (dir, files) = fixtures("python_fixtures/data");
    let manifest = fs::read_to_string(dir.join("manifest.tsv")).unwrap();
    let loads: HashMap<&str, ()> = manifest
        .lines()
        .map(|l| (l.split('\t').next().unwrap(), ()))
        .collect();
    let mut n = 0;
    for f in &files {
        let bytes = fs::read(dir.join(f)).unwrap();
        let r = scan(&bytes);
        if loads.contains_key(f.as_str()) {
            assert!(r.error.is_none(), "{f}: {r}");
            assert_eq!(r.pickles, 1, "{f}: {r}");
            n += 1;
        }
        // Plain data names only the built-ins CPython writes for it.
        for g in &r.globals {
            assert_eq!(g.verdict(), Verdict::Safe, "{f}: {g}");
        }
        assert!(r.bombs.is_empty(), "{f}: {r}");
        assert_eq!(r.is_safe(), r.error.is_none(), "{f}: {r}");
    }
    assert!(n > 800, "{n}");
}

#[test]
fn every_global_the_reader_meets_is_reported() {
    // Python 2 names are reported mapped, with what the pickle wrote.
    let (dir, files) = fixtures("python_fixtures/data");
    let mut mapped = 0;
    for f in files.iter().filter(|f| f.starts_with("py2_")) {
        let r = scan(&fs::read(dir.join(f)).unwrap());
        for g in &r.globals {
            if let Some((m, _)) = g.original() {
                assert_eq!(m, "__builtin__", "{f}: {g}");
                assert_eq!(g.module(), "builtins", "{f}: {g}");
                mapped += 1;
            }
        }
    }
    assert!(mapped > 0);
}

struct Vector {
    file: String,
    encoding: String,
    ok: bool,
}

fn vectors() -> (PathBuf, Vec<Vector>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("python_fixtures/cpython_vectors");
    let index = fs::read_to_string(dir.join("index.tsv")).unwrap();
    let v = index
        .lines()
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            Vector {
                file: c[0].into(),
                encoding: c[2].into(),
                ok: c[3] == "ok",
            }
        })
        .collect();
    (dir, v)
}

#[test]
fn cpython_vectors_error_where_the_reader_errors() {
    let (dir, vs) = vectors();
    let index = fs::read_to_string(dir.join("index.tsv")).unwrap();
    let tests: HashMap<&str, &str> = index
        .lines()
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            (c[0], c[1])
        })
        .collect();
    let mut mismatches = Vec::new();
    let mut malformed = 0;
    for v in &vs {
        let bytes = fs::read(dir.join(&v.file)).unwrap();
        let r = scan(&bytes);
        let how = match v.encoding.as_str() {
            "bytes" => Py2Strings::Bytes,
            "latin1" => Py2Strings::Latin1,
            _ => Py2Strings::Ascii,
        };
        let opts = DeOptions::new()
            .record_unknown_globals(true)
            .py2_strings(how);
        // The first pickle, as pickle.loads reads it.
        let read = pypickle::Deserializer::from_slice(&bytes)
            .with_options(opts)
            .next_value::<Value>();
        let test = tests[v.file.as_str()];
        match read {
            Err(e) if matches!(e.category(), Category::Truncated | Category::Invalid) => {
                malformed += 1;
                if r.error.is_none() {
                    mismatches.push(format!("{} ({test}): reader: {e}; scan: {r}", v.file));
                }
                if let Some(se) = &r.error {
                    assert!(se.offset().is_some(), "{}: {se}", v.file);
                }
            }
            Ok(Some(_)) if v.ok && r.pickles == 0 => {
                mismatches.push(format!("{} ({test}): loads; scan: {r}", v.file))
            }
            _ => {}
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    assert!(malformed > 150, "{malformed}");
}

#[test]
fn arbitrary_bytes_never_panic() {
    fn prop(bytes: Vec<u8>) -> TestResult {
        let r = scan(&bytes);
        let _ = r.to_string();
        TestResult::from_bool(r.pickles <= bytes.len())
    }
    QuickCheck::new()
        .tests(3000)
        .quickcheck(prop as fn(Vec<u8>) -> TestResult);
    // Opcode-heavy input: bytes drawn from the opcode table.
    fn ops(picks: Vec<(u8, u8)>) -> TestResult {
        let bytes: Vec<u8> = picks
            .iter()
            .flat_map(|&(op, arg)| {
                let code =
                    pypickle::opcode::OPCODES[op as usize % pypickle::opcode::OPCODES.len()].code;
                [code, arg % 4]
            })
            .collect();
        let _ = scan(&bytes).to_string();
        TestResult::passed()
    }
    QuickCheck::new()
        .tests(3000)
        .quickcheck(ops as fn(Vec<(u8, u8)>) -> TestResult);
}

#[test]
fn mutated_fixtures_never_panic() {
    let mut inputs = Vec::new();
    for d in [
        "python_fixtures/data",
        "python_fixtures/hostile",
        "python_fixtures/cpython_vectors",
    ] {
        let (dir, files) = fixtures(d);
        for f in files {
            inputs.push(fs::read(dir.join(f)).unwrap());
        }
    }
    // A small deterministic generator: flip, drop, duplicate and truncate bytes.
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for input in &inputs {
        for _ in 0..8 {
            let mut m = input.clone();
            if m.is_empty() {
                continue;
            }
            for _ in 0..1 + next() % 4 {
                let i = (next() as usize) % m.len().max(1);
                let (bit, byte) = (1u8 << (next() % 8), next() as u8);
                match next() % 5 {
                    0 if i < m.len() => m[i] ^= bit,
                    1 if i < m.len() => m[i] = byte,
                    2 if i < m.len() => {
                        m.remove(i);
                    }
                    3 => {
                        let b = m.get(i).copied().unwrap_or(0);
                        m.insert(i.min(m.len()), b);
                    }
                    _ => m.truncate(i),
                }
            }
            let r = scan(&m);
            let _ = r.to_string();
        }
        // Every prefix of small pickles: truncation is an error, never a panic.
        if input.len() < 200 {
            for n in 0..input.len() {
                let r = scan(&input[..n]);
                assert!(r.error.is_some() || n == 0 || r.pickles > 0);
            }
        }
    }
}

/// Peak bytes allocated above the starting level while `f` runs.
fn peak_of(f: impl FnOnce()) -> usize {
    let base = CURRENT.load(Relaxed);
    PEAK.store(base, Relaxed);
    f();
    PEAK.load(Relaxed) - base
}

/// Inputs built to make a scanner allocate or work the most per byte.
fn pathological() -> Vec<(&'static str, Vec<u8>)> {
    let n = 1 << 18;
    let long_name = "a".repeat(4000);
    let mut memo_names = b"\x80\x04\x8c\x02os\x94X\xa0\x0f\x00\x00".to_vec();
    memo_names.extend(long_name.as_bytes());
    memo_names.push(0x94);
    let mut repeated_globals = memo_names.clone();
    let mut repeated_long = memo_names.clone();
    let mut getattrs = b"\x80\x02cbuiltins\ngetattr\nq\x00cmod\nC\nq\x01X\xa0\x0f\x00\x00".to_vec();
    getattrs.extend(long_name.as_bytes());
    getattrs.extend(b"q\x02\x86q\x03");
    let mut getattrs_short =
        b"\x80\x02cbuiltins\ngetattr\nq\x00cmod\nC\nq\x01X\x01\x00\x00\x00aq\x02\x86q\x03".to_vec();
    for _ in 0..n / 5 {
        repeated_globals.extend(b"h\x00h\x00\x93");
        repeated_long.extend(b"h\x00h\x01\x93");
        getattrs.extend(b"h\x00h\x03R");
        getattrs_short.extend(b"h\x00h\x03R");
    }
    // A chain of getattr whose names would grow by 1000 bytes a step:
    // g = getattr(g, 'bbb...') again and again, through the memo.
    let mut growing = b"\x80\x02cbuiltins\ngetattr\nq\x00cmod\nC\nq\x05X\xe8\x03\x00\x00".to_vec();
    growing.extend("b".repeat(1000).as_bytes());
    growing.extend(b"q\x01");
    for _ in 0..n / 10 {
        growing.extend(b"h\x00h\x05h\x01\x86Rq\x05");
    }
    vec![
        ("a run of DUP", [b"N".as_slice(), &vec![b'2'; n]].concat()),
        ("a run of empty GLOBALs", b"c\n\n".repeat(n / 3)),
        ("a run of one-letter GLOBALs", b"ca\nb\n".repeat(n / 5)),
        (
            "a run of INST of empty names",
            [b"(".repeat(n / 4), b"i\n\n".repeat(n / 4)].concat(),
        ),
        (
            "a run of MEMOIZE",
            [b"N".as_slice(), &vec![0x94; n]].concat(),
        ),
        ("a run of EMPTY_LIST", vec![b']'; n]),
        ("a run of EMPTY_TUPLE", vec![b')'; n]),
        ("a run of MARK", vec![b'('; n]),
        ("a run of empty strings", b"\x8c\x00".repeat(n / 2)),
        ("STACK_GLOBAL of memoized names", repeated_globals),
        ("STACK_GLOBAL of a memoized 4000-byte name", repeated_long),
        ("getattr with a memoized 4000-byte name", getattrs),
        ("getattr with a short name, repeated", getattrs_short),
        ("a growing getattr chain", growing),
        (
            "pairs of tuples",
            [b"N".as_slice(), &b"2\x86".repeat(n / 2)].concat(),
        ),
    ]
}

#[test]
fn memory_and_time_stay_within_bounds() {
    for (label, input) in pathological() {
        let start = Instant::now();
        let mut report = None;
        let peak = peak_of(|| report = Some(scan(&input)));
        let took = start.elapsed();
        let report = report.unwrap();
        let bound = 128 * input.len() + (1 << 20);
        eprintln!(
            "{label}: {:.1} bytes per input byte, {took:?}",
            peak as f64 / input.len() as f64
        );
        assert!(
            peak <= bound,
            "{label}: {peak} bytes for {} input bytes (bound {bound})",
            input.len()
        );
        assert!(
            took < Duration::from_secs(20),
            "{label}: {took:?} for {} input bytes",
            input.len()
        );
        drop(report);
    }
}

/// Lone surrogates in protocol 0's UNICODE (which CPython writes, `pickle.dumps('\ud800', 0)`)
/// are values like any other to the scan, which reads on to what follows.
#[test]
fn a_lone_surrogate_in_unicode_does_not_stop_the_scan() {
    let report = scan(b"V\\ud800\np0\n.");
    assert!(report.error.is_none() && report.is_safe(), "{report}");
    let report = scan(b"V\\ud800\n0cos\nsystem\n(S'echo pwned'\ntR.");
    assert!(report.error.is_none() && report.is_dangerous(), "{report}");
}

/// Prefixes CPython loads past (checked with python3 below) that the scanner stopped at, so
/// that a call after them went unseen (found by a review): SETITEMS and SETITEM on a list,
/// APPENDS onto a bytearray, ADDITEMS onto a set made by `builtins.set()`.
const LOADABLE_PREFIXES: [&[u8]; 4] = [
    b"](K\x01e(K\x00K\x05u",
    b"](K\x01eK\x00K\x05s",
    b"\x96\x01\x00\x00\x00\x00\x00\x00\x00a(KAe",
    b"\x8c\x08builtins\x8c\x03set\x93)R(K\x01\x90",
];

#[test]
fn a_call_after_what_cpython_loads_past_is_found() {
    let loads = |bytes: &[u8]| {
        let hex = hex(bytes);
        python(&format!(
            "import pickle; print(repr(pickle.loads(bytes.fromhex('{hex}'))))"
        ))
    };
    for prefix in LOADABLE_PREFIXES {
        // CPython loads the prefix and goes on to a tuple of it and 7.
        let mut plain = b"\x80\x04".to_vec();
        plain.extend_from_slice(prefix);
        plain.extend_from_slice(b"K\x07\x86.");
        loads(&plain);
        let r = scan(&plain);
        assert!(r.error.is_none(), "{r}");
        // The same with a call of os.system after it.
        let mut hidden = b"\x80\x04".to_vec();
        hidden.extend_from_slice(prefix);
        hidden.extend_from_slice(b"\x8c\x02os\x8c\x06system\x93\x8c\x02id\x85R\x86.");
        let r = scan(&hidden);
        assert!(r.is_dangerous(), "{r}");
    }
}

#[test]
fn build_on_a_class_is_dangerous_and_getattr_handed_back_is_not_safe() {
    // setattr(fractions.Fraction, '__str__', getattr) when CPython loads it: it was "safe",
    // getattr "named but never used" (found by a review).
    let patch = b"\x80\x04\x8c\x09fractions\x8c\x08Fraction\x93N}\x8c\x07__str__\x8c\x08builtins\x8c\x07getattr\x93s\x86b.";
    let r = scan(patch);
    assert!(r.is_dangerous(), "{r}");
    let fraction = r.globals.iter().find(|g| g.name() == "Fraction").unwrap();
    assert_eq!(fraction.verdict(), Verdict::Dangerous, "{r}");
    // The reader refuses it too.
    assert!(pypickle::from_slice::<Value>(patch).is_err());
    // A state that sets nothing is still nothing: (None, {}) and None.
    for nothing in [
        &b"\x80\x04\x8c\x09fractions\x8c\x08Fraction\x93N}\x86b."[..],
        b"\x80\x04\x8c\x09fractions\x8c\x08Fraction\x93Nb.",
    ] {
        let r = scan(nothing);
        assert!(r.error.is_none() && !r.is_dangerous(), "{r}");
    }
    // builtins.getattr as the value loaded, alone or inside a list: the caller gets it.
    for handed in [
        &b"\x80\x04\x8c\x08builtins\x8c\x07getattr\x93."[..],
        b"\x80\x04]\x8c\x08builtins\x8c\x07getattr\x93a.",
    ] {
        let r = scan(handed);
        assert!(!r.is_safe(), "{r}");
        assert!(pypickle::from_slice::<Value>(handed).is_err());
    }
    // Named and popped, it is still nothing.
    let r = scan(b"\x80\x04\x8c\x08builtins\x8c\x07getattr\x930N.");
    assert!(r.is_safe(), "{r}");
}

#[test]
fn build_on_an_enum_member_is_dangerous_and_refused() {
    // uuid.SafeUUID(0) is the one shared member SafeUUID.safe: BUILD on it changes it for the
    // whole program when CPython loads it (found by a review).
    let call = &b"cuuid\nSafeUUID\nK\x00\x85R"[..];
    let newobj = &b"\x80\x02cuuid\nSafeUUID\nK\x00\x85\x81"[..];
    let copyreg = &b"\x80\x02ccopyreg\n__newobj__\ncuuid\nSafeUUID\nK\x00\x86R"[..];
    let copyreg_ex = &b"\x80\x02ccopyreg\n__newobj_ex__\ncuuid\nSafeUUID\nK\x00\x85}\x87R"[..];
    for made in [call, newobj, copyreg, copyreg_ex] {
        for (state, harmful) in [
            (&b"}X\x07\x00\x00\x00_value_K\x63sb."[..], true),
            (b"N}X\x04\x00\x00\x00evilK\x01s\x86b.", true),
            (b"N}\x86b.", false),
            (b"Nb.", false),
            (b".", false),
        ] {
            let bytes = [made, state].concat();
            let r = scan(&bytes);
            let read = pypickle::from_slice::<Value>(&bytes);
            if harmful {
                assert!(r.is_dangerous(), "{r}");
                assert!(read.is_err(), "{read:?}");
            } else {
                assert!(r.is_safe(), "{r}");
                assert!(read.is_ok(), "{read:?}");
            }
        }
    }
}

/// Found by a review: ways past the scan that `pickle.loads` would take to a dangerous call.
/// Each is dangerous now.
#[test]
fn frames_loads_reads_across_and_more_gadgets_are_dangerous() {
    // Two pickles, each read with a memo of its own (pickle.load called for each): the second
    // fetches its own 'os' and 'system'. (Keeping the first one's memo, to follow an
    // Unpickler reused across loads, made it a safe builtins.set; found by a review.)
    let stream = [
        &b"\x80\x04\x8c\x08builtins\x94\x8c\x03set\x94N."[..],
        b"\x80\x04\x8c\x02os\x94\x8c\x06system\x94h\x00h\x01\x93\x8c\x07echo hi\x85R.",
    ]
    .concat();
    assert!(scan(&stream).is_dangerous(), "{}", scan(&stream));
    let cases: &[(&str, &str)] = &[
        // A 3-byte frame that ends inside 'os': pickle.loads reads on.
        (
            "a frame too short",
            "80049503000000000000008c026f738c0673797374656d938c02696485522e",
        ),
        // A frame inside a frame.
        (
            "a frame in a frame",
            "80049520000000000000009501000000000000004b01308c026f738c0673797374656d938c02696485522e",
        ),
        // typing._eval_type(ForwardRef("..."), None, None) evals the string.
        (
            "typing._eval_type",
            "800263747970696e670a5f6576616c5f747970650a63747970696e670a466f72776172645265660a581d0000005f5f696d706f72745f5f28276f7327292e73797374656d28276964272985524e4e87522e",
        ),
        // dataclasses._create_fn execs generated code.
        (
            "dataclasses._create_fn",
            "80026364617461636c61737365730a5f6372656174655f666e0a285801000000665d581f000000783d5f5f696d706f72745f5f28276f7327292e73797374656d282769642729615d5804000000706173736174522e",
        ),
        // uuid._find_mac_near_keyword runs a program of the pickle's choice.
        (
            "uuid._find_mac_near_keyword",
            "800263757569640a5f66696e645f6d61635f6e6561725f6b6579776f72640a285807000000707974686f6e33581b0000002d63696d706f7274206f733b6f732e73797374656d2827696427295d4e74522e",
        ),
    ];
    for (what, hexed) in cases {
        let report = scan(&py_common::unhex(hexed));
        assert!(report.is_dangerous(), "{what}: {report}");
    }
    // Files written, deleted or opened for writing: a pathlib method by name or through
    // getattr, gzip.open, the pure-Python io.
    let text = python(
        "import pickle, pathlib, gzip\n\
         class R:\n\
         \x20   def __init__(self, f, a): self.f, self.a = f, a\n\
         \x20   def __reduce__(self): return (self.f, self.a)\n\
         p = pathlib.PurePosixPath('/tmp/x')\n\
         for v in (R(pathlib.PosixPath.write_text, (pathlib.PosixPath('/tmp/x'), 'y')),\n\
         \x20         R(getattr, (pathlib.PosixPath, 'unlink')),\n\
         \x20         R(gzip.open, ('/tmp/x', 'wb'))):\n\
         \x20   for proto in (2, 4):\n\
         \x20       print(pickle.dumps(v, proto).hex())",
    );
    assert_eq!(text.lines().count(), 6);
    for line in text.lines() {
        let report = scan(&py_common::unhex(line));
        assert!(report.is_dangerous(), "{line}: {report}");
    }
    let pyio = b"\x80\x02c_pyio\nopen\nX\x06\x00\x00\x00/tmp/xX\x01\x00\x00\x00w\x86R.";
    assert!(scan(pyio).is_dangerous(), "{}", scan(pyio));
    // STOP inside a frame: one unpickler goes on after it, another (CPython's, reading a
    // file) at the frame's end, which here is a pickle running os.system that the first reads
    // as the bytes of a BINBYTES. An error, as before frames were read as loads reads them.
    let hidden = py_common::unhex(
        "80049507000000000000004e2e42170000008002636f730a73797374656d0a2853226964220a74522e2e",
    );
    let report = scan(&hidden);
    assert!(report.error.is_some(), "{report}");
    // The same behind a frame within a frame: the outer frame's end is where the next pickle
    // begins for the unpickler that takes whole frames.
    let nested = py_common::unhex(
        "80049513000000000000009502000000000000004b012e8004421a000000636f730a73797374656d0a2853276563686f206869270a74522e2e",
    );
    let report = scan(&nested);
    assert!(report.error.is_some() || report.is_dangerous(), "{report}");
    // dataclasses' helpers that make functions from text.
    let init_fn = py_common::unhex("80026364617461636c61737365730a5f696e69745f666e0a285d71005d71015d71028989581c00000073656c663d7072696e74282750574e45442d6861726d6c657373272971037d710489747105522e");
    assert!(scan(&init_fn).is_dangerous(), "{}", scan(&init_fn));
    // Data of the same modules is what it was: dataclasses.MISSING, a path.
    for data in [
        &b"\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00\x00\x8c\x0bdataclasses\x8c\r_MISSING_TYPE\x93)\x81."[..],
        b"\x80\x04cpathlib\nPurePosixPath\n\x8c\x02/a\x85R.",
    ] {
        assert!(!scan(data).is_dangerous(), "{}", scan(data));
    }
}

/// The gadgets the scikit-learn hunt and a review ran commands through, as whole pickles:
/// `scan` finds them dangerous (it called them unknown), and record mode refuses them (it
/// kept them as inert objects). `_ufunc_reconstruct('os', 'system')('echo x')` under each
/// spelling, and scikit-learn's script runner.
#[test]
fn code_running_gadgets_of_numpy_and_scikit_learn_are_dangerous() {
    let ufunc = |module: &str| {
        [
            &b"\x80\x02c"[..],
            module.as_bytes(),
            b"\n_ufunc_reconstruct\nX\x02\x00\x00\x00osX\x06\x00\x00\x00system\x86R",
            b"X\x06\x00\x00\x00echo x\x85R.",
        ]
        .concat()
    };
    let pickles = [
        ufunc("numpy.core"),
        ufunc("numpy._core"),
        ufunc("numpy.core.__init__"),
        b"\x80\x02csklearn.utils._testing\nassert_run_python_script_without_output\n\
          X\x06\x00\x00\x00print(1)\x85R."
            .to_vec(),
        b"\x80\x02cantigravity\ngeohash\n)R.".to_vec(),
    ];
    let record = DeOptions::new().record_unknown_globals(true);
    for p in &pickles {
        let report = scan(p);
        assert!(report.is_dangerous(), "{report}");
        let e = pypickle::from_slice_with::<Value>(p, &record).unwrap_err();
        assert_eq!(e.category(), Category::Refused, "{e}");
    }
}
