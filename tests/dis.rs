//! `pypickle::dis` and `pypickle::optimize` against CPython's `pickletools`, on every fixture:
//! the disassembly is the text `python3 -m pickletools FILE` prints, line for line (and where
//! pickletools raises, we fail too, after the same lines); `optimize` gives what CPython loads
//! to an object equal to the original, and we report whether it is `pickletools.optimize`'s
//! bytes. One python3 run (`python_fixtures/dis_oracle.py`) answers for all fixtures; python3
//! is required.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use quickcheck::{QuickCheck, TestResult};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python_fixtures")
}

fn pkl_files(dir: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pkl"))
        .collect();
    v.sort();
    v
}

/// (name, proto, pickle) from the stdlib fixtures' `pickles.bin`.
fn stdlib_pickles() -> Vec<(String, u8, Vec<u8>)> {
    let all = std::fs::read(root().join("stdlib/pickles.bin")).unwrap();
    let mut rest = &all[..];
    let mut out = Vec::new();
    while !rest.is_empty() {
        let n = u16::from_le_bytes([rest[0], rest[1]]) as usize;
        let name = String::from_utf8(rest[2..2 + n].to_vec()).unwrap();
        rest = &rest[2 + n..];
        let proto = rest[0];
        let len = u32::from_le_bytes(rest[1..5].try_into().unwrap()) as usize;
        out.push((name, proto, rest[5..5 + len].to_vec()));
        rest = &rest[5 + len..];
    }
    out
}

struct Fixture {
    path: PathBuf,
    /// Whether the fixture is a pickle CPython loads (the files that must disassemble cleanly).
    good: bool,
}

fn scratch_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("dis");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn fixtures() -> Vec<Fixture> {
    let mut out = Vec::new();
    for dir in ["data", "classes/data", "numpy/np2"] {
        out.extend(
            pkl_files(dir)
                .into_iter()
                .map(|path| Fixture { path, good: true }),
        );
    }
    let index = std::fs::read_to_string(root().join("cpython_vectors/index.tsv")).unwrap();
    for line in index.lines() {
        let c: Vec<&str> = line.split('\t').collect();
        out.push(Fixture {
            path: root().join("cpython_vectors").join(c[0]),
            good: c[3] == "ok",
        });
    }
    out.extend(
        pkl_files("hostile")
            .into_iter()
            .map(|path| Fixture { path, good: false }),
    );
    let dir = scratch_dir().join("stdlib");
    std::fs::create_dir_all(&dir).unwrap();
    for (i, (name, proto, bytes)) in stdlib_pickles().into_iter().enumerate() {
        let path = dir.join(format!("{i:04}_{name}.p{proto}.pkl"));
        std::fs::write(&path, bytes).unwrap();
        out.push(Fixture { path, good: true });
    }
    out
}

struct Verdict {
    dis_ok: bool,
    text: String,
    optimized: Option<Vec<u8>>,
    load: String,
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// Runs the oracle once on `(pickle, our optimize output)` pairs.
fn oracle(pairs: &[(PathBuf, Option<PathBuf>)]) -> BTreeMap<PathBuf, Verdict> {
    let script = root().join("dis_oracle.py");
    let mut child = Command::new("python3")
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("python3 is required for tests/dis.rs: {e}"));
    let mut stdin = child.stdin.take().unwrap();
    let text: String = pairs
        .iter()
        .map(|(p, o)| {
            let o = o
                .as_ref()
                .map_or("-".to_string(), |o| o.display().to_string());
            format!("{}\t{o}\n", p.display())
        })
        .collect();
    let writer = std::thread::spawn(move || stdin.write_all(text.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(out.status.success(), "dis_oracle.py failed");
    let out = String::from_utf8(out.stdout).expect("the oracle writes UTF-8");
    let mut map = BTreeMap::new();
    for rec in out.split("\0REC\t").skip(1) {
        let (head, text) = rec.split_once('\n').unwrap();
        let c: Vec<&str> = head.split('\t').collect();
        map.insert(
            PathBuf::from(c[0]),
            Verdict {
                dis_ok: c[1] == "ok",
                text: text.to_string(),
                optimized: (!c[2].starts_with("error")).then(|| unhex(c[2])),
                load: c[3].to_string(),
            },
        );
    }
    assert_eq!(map.len(), pairs.len(), "one record per pickle");
    map
}

fn first_difference(a: &str, b: &str) -> String {
    for (i, (x, y)) in a.lines().zip(b.lines()).enumerate() {
        if x != y {
            return format!("line {}:\n  ours:       {x:?}\n  pickletools: {y:?}", i + 1);
        }
    }
    format!(
        "{} lines (ours) vs {} (pickletools)",
        a.lines().count(),
        b.lines().count()
    )
}

#[test]
fn dis_and_optimize_match_pickletools_on_every_fixture() {
    let fixtures = fixtures();
    let opt_dir = scratch_dir().join("optimized");
    std::fs::create_dir_all(&opt_dir).unwrap();
    let mut pairs = Vec::new();
    let mut ours = BTreeMap::new();
    for (i, f) in fixtures.iter().enumerate() {
        let bytes = std::fs::read(&f.path).unwrap();
        let mut text = String::new();
        let dis = pypickle::dis_to(&mut text, &bytes, &pypickle::DisOptions::new());
        let opt = pypickle::optimize(&bytes);
        // Only the fixtures CPython loads are loaded (the hostile ones would run commands).
        let opt_path = match &opt {
            Ok(o) if f.good => {
                let p = opt_dir.join(format!("{i:05}.pkl"));
                std::fs::write(&p, o).unwrap();
                Some(p)
            }
            _ => None,
        };
        pairs.push((f.path.clone(), opt_path));
        ours.insert(f.path.clone(), (dis.map_err(|e| e.to_string()), text, opt));
    }
    let verdicts = oracle(&pairs);

    let mut failures = Vec::new();
    let (mut text_same, mut good, mut byte_same, mut optimized) = (0, 0, 0, 0);
    let (mut loaded_equal, mut only_ours) = (0, 0);
    for f in &fixtures {
        let name = f.path.display();
        let v = &verdicts[&f.path];
        let (dis, text, opt) = &ours[&f.path];
        good += usize::from(f.good);
        // The same text, and the same verdict: where pickletools raises, so do we (after the
        // same lines).
        if *text != v.text {
            failures.push(format!(
                "{name}: text differs at {}",
                first_difference(text, &v.text)
            ));
        } else if dis.is_ok() != v.dis_ok {
            failures.push(format!(
                "{name}: pickletools {}, ours {dis:?}",
                if v.dis_ok { "succeeds" } else { "raises" }
            ));
        } else {
            text_same += 1;
        }
        if f.good && v.dis_ok && dis.is_err() {
            failures.push(format!("{name}: a good fixture fails: {dis:?}"));
        }
        match (opt, &v.optimized) {
            (Ok(o), Some(p)) => {
                optimized += 1;
                if o == p {
                    byte_same += 1;
                } else {
                    failures.push(format!(
                        "{name}: optimize differs from pickletools.optimize"
                    ));
                }
            }
            (Ok(_), None) => only_ours += 1,
            (Err(e), Some(_)) => failures.push(format!("{name}: optimize fails: {e}")),
            (Err(_), None) => {}
        }
        if f.good && opt.is_ok() && !(v.load == "equal" || v.load.starts_with("orig-fails")) {
            failures.push(format!("{name}: our optimize output: {}", v.load));
        }
        loaded_equal += usize::from(v.load == "equal");
        if f.good && opt.is_ok() && v.load.starts_with("orig-fails") && v.optimized.is_none() {
            failures.push(format!("{name}: neither loads nor compares: {}", v.load));
        }
    }
    eprintln!(
        "dis: {text_same} of {} fixtures identical to pickletools ({good} good ones); \
         optimize: {byte_same} of {optimized} byte for byte pickletools.optimize, \
         {only_ours} more that pickletools.optimize refuses; {loaded_equal} loaded by CPython \
         equal to the original",
        fixtures.len()
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(good >= 1400, "only {good} good fixtures");
}

#[test]
fn several_pickles_in_one_input() {
    let a = pypickle::to_vec(&1u8).unwrap();
    let b = pypickle::to_vec(&"x").unwrap();
    let both = [a.clone(), b.clone()].concat();
    // Like `python -m pickletools FILE`: the first pickle only.
    assert_eq!(pypickle::dis(&both).unwrap(), pypickle::dis(&a).unwrap());
    let mut text = String::new();
    pypickle::dis_to(
        &mut text,
        &both,
        &pypickle::DisOptions::new().all_pickles(true),
    )
    .unwrap();
    assert_eq!(text.matches("highest protocol").count(), 2);
    assert!(text.contains(&format!("{:5}: \\x80 PROTO      4", a.len())));
}

#[test]
fn errors_carry_the_offset() {
    // A BINGET of a key never stored, at offset 2.
    let e = pypickle::dis(b"\x80\x02h\x05.").unwrap_err();
    assert_eq!(e.offset(), Some(2));
    assert!(e.to_string().contains("memo key 5"), "{e}");
    // TUPLE without a MARK, at offset 1.
    let mut text = String::new();
    let e = pypickle::dis_to(&mut text, b"Nt.", &pypickle::DisOptions::new()).unwrap_err();
    assert_eq!(e.offset(), Some(1));
    assert_eq!(
        text,
        "    0: N    NONE\n    1: t    TUPLE      no MARK exists on stack\n"
    );
    // Truncated and unknown opcodes.
    assert!(pypickle::dis(b"\x80\x04\x8c\x05ab")
        .unwrap_err()
        .is_truncated());
    assert_eq!(pypickle::dis(b"N\xff").unwrap_err().offset(), Some(1));
    assert!(pypickle::dis(b"").is_err());
    assert!(pypickle::optimize(b"N").is_err());
}

#[test]
fn deep_marks_hit_the_output_limit_not_memory() {
    let input = vec![b'('; 200_000];
    let mut text = String::new();
    let e = pypickle::dis_to(&mut text, &input, &pypickle::DisOptions::new()).unwrap_err();
    assert!(e.to_string().contains("max_output"), "{e}");
    assert!(text.len() <= (64 << 20) + 64 * input.len());
}

fn mutate(seed: &[u8], edits: &[(u16, u8)]) -> Vec<u8> {
    let mut v = seed.to_vec();
    for &(at, b) in edits {
        if v.is_empty() {
            v.push(b);
            continue;
        }
        let i = at as usize % (v.len() + 1);
        match b % 3 {
            0 if i < v.len() => v[i] = b,
            1 => v.insert(i, b),
            _ if i < v.len() => {
                v.remove(i);
            }
            _ => v.push(b),
        }
    }
    v
}

#[test]
fn never_panics_on_arbitrary_or_mutated_bytes() {
    let seeds: Vec<Vec<u8>> = ["data", "classes/data", "cpython_vectors"]
        .iter()
        .flat_map(|d| pkl_files(d))
        .map(|p| std::fs::read(p).unwrap())
        .filter(|b| b.len() <= 4096)
        .collect();
    fn check(bytes: &[u8]) {
        let _ = pypickle::dis(bytes);
        let mut text = String::new();
        let _ = pypickle::dis_to(
            &mut text,
            bytes,
            &pypickle::DisOptions::new()
                .all_pickles(true)
                .keep_memo(true),
        );
        if let Ok(o) = pypickle::optimize(bytes) {
            // A second pass reaches the fixed point: the first keeps every PUT of a memo id a
            // GET reads, as pickletools.optimize does, even when the id is PUT twice (see
            // `optimizing_twice_drops_a_second_put_of_one_id`).
            let o2 = pypickle::optimize(&o).expect("optimizing an optimized pickle");
            assert_eq!(pypickle::optimize(&o2).ok().as_ref(), Some(&o2));
        }
    }
    fn arbitrary(bytes: Vec<u8>) -> TestResult {
        check(&bytes);
        TestResult::passed()
    }
    QuickCheck::new()
        .tests(2000)
        .quickcheck(arbitrary as fn(Vec<u8>) -> TestResult);
    let seeds = std::sync::Arc::new(seeds);
    let s = seeds.clone();
    let mutated = move |pick: usize, edits: Vec<(u16, u8)>| -> TestResult {
        let seed = &s[pick % s.len()];
        check(&mutate(seed, &edits));
        TestResult::passed()
    };
    // quickcheck takes fn pointers; run the closure over a deterministic sweep instead.
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    for _ in 0..20_000 {
        let pick = next() as usize;
        let n = (next() % 4 + 1) as usize;
        let edits: Vec<(u16, u8)> = (0..n).map(|_| (next() as u16, next() as u8)).collect();
        let _ = mutated(pick, edits);
    }
    for seed in seeds.iter() {
        check(seed);
    }
}

/// Seeded mutations of the small fixtures: our text and verdict are pickletools' too, for
/// inputs pickletools rejects halfway (`PYPICKLE_DIS_MUTANTS=N` for more than 3000).
#[test]
fn mutated_fixtures_match_pickletools() {
    let n: usize = std::env::var("PYPICKLE_DIS_MUTANTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000);
    let seeds: Vec<Vec<u8>> = ["data", "classes/data", "cpython_vectors"]
        .iter()
        .flat_map(|d| pkl_files(d))
        .map(|p| std::fs::read(p).unwrap())
        .filter(|b| b.len() <= 2048)
        .collect();
    let dir = scratch_dir().join("mutants");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut pairs = Vec::new();
    let mut ours = Vec::new();
    for i in 0..n {
        let seed = &seeds[next() as usize % seeds.len()];
        let k = (next() % 3 + 1) as usize;
        let edits: Vec<(u16, u8)> = (0..k).map(|_| (next() as u16, next() as u8)).collect();
        let m = mutate(seed, &edits);
        let path = dir.join(format!("{i:05}.pkl"));
        std::fs::write(&path, &m).unwrap();
        let mut text = String::new();
        let r = pypickle::dis_to(&mut text, &m, &pypickle::DisOptions::new());
        ours.push((
            path.clone(),
            r.map_err(|e| e.to_string()),
            text,
            pypickle::optimize(&m),
        ));
        pairs.push((path, None));
    }
    let verdicts = oracle(&pairs);
    let mut failures = Vec::new();
    for (path, r, text, opt) in &ours {
        let v = &verdicts[path];
        // Where pickletools.optimize succeeds, ours gives the same bytes (it also optimizes
        // some pickles whose arguments pickletools cannot decode). The one exception: a
        // protocol 0 GET of a key no PUT stored before it, which pickletools writes as
        // `GET None` (no unpickler reads that) and we refuse.
        let gets_none = v.optimized.as_ref().is_some_and(|p| {
            p.windows(6).any(|w| w == b"gNone\n")
                && opt
                    .as_ref()
                    .is_err_and(|e| e.to_string().contains("read before it is stored"))
        });
        if let (Some(p), false) = (&v.optimized, gets_none) {
            if opt.as_ref().ok() != Some(p) {
                failures.push(format!(
                    "{}: optimize: ours {opt:?}, pickletools {p:?}",
                    path.display()
                ));
            }
        }
        if *text != v.text || r.is_ok() != v.dis_ok {
            failures.push(format!(
                "{}: {} (ours {r:?}, pickletools {})",
                path.display(),
                first_difference(text, &v.text),
                if v.dis_ok { "ok" } else { "raises" }
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {n} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Hand-made inputs for the corners of pickletools' argument decoding and stack checks.
#[test]
fn crafted_corners_match_pickletools() {
    let big = {
        // LONG4 of 1786 bytes (4300 decimal digits or more: CPython refuses to print it).
        let mut v = b"\x80\x02\x8a\x01\x05\x8b".to_vec();
        v.extend_from_slice(&1786u32.to_le_bytes());
        v.extend(std::iter::repeat(0x7f).take(1786));
        v.extend_from_slice(b"0.");
        v
    };
    let mut long_ok = b"\x8b".to_vec();
    long_ok.extend_from_slice(&1785u32.to_le_bytes());
    long_ok.extend(std::iter::repeat(0x11).take(1785));
    long_ok.push(b'.');
    let cases: Vec<Vec<u8>> = vec![
        b"X\x03\x00\x00\x00\xed\xa0\x80.".to_vec(),
        b"X\x07\x00\x00\x00'\xed\xb2\x80\"x\x00.".to_vec(),
        b"\x8c\x02\xc3\x28.".to_vec(),
        big,
        long_ok,
        b"I1_000\n.".to_vec(),
        b"I 12 \n.".to_vec(),
        b"I_1\n.".to_vec(),
        b"I00\n.".to_vec(),
        b"I01\n.".to_vec(),
        b"I-0\n.".to_vec(),
        b"I0x10\n.".to_vec(),
        b"L123L\n.".to_vec(),
        b"L-99999999999999999999999999999999999999999\n.".to_vec(),
        b"F1_0.5\n.".to_vec(),
        b"F-nan\n.".to_vec(),
        b"F inf \n.".to_vec(),
        b"F1e999\n.".to_vec(),
        b"F.5\n.".to_vec(),
        b"F1.\n.".to_vec(),
        b"F1e\n.".to_vec(),
        b"F0.1\r\n.".to_vec(),
        b"S'a\\x41\\101\\n\\q\\\n'\n.".to_vec(),
        b"S'\\x4'\n.".to_vec(),
        b"S'abc\\'\n.".to_vec(),
        b"S\"it's\"\n.".to_vec(),
        b"S'abc\n.".to_vec(),
        b"Sabc\n.".to_vec(),
        b"S'\\777'\n.".to_vec(),
        b"Vab\\u00e9\\U0001f600\\\\u0041\\x\n.".to_vec(),
        b"V\\U00110000\n.".to_vec(),
        b"V\\u12\n.".to_vec(),
        b"V\xe9\xff\n.".to_vec(),
        b"V\\\n.".to_vec(),
        b"U\x03a\xadb.".to_vec(),
        b"T\xff\xff\xff\xff.".to_vec(),
        b"cos\\x41\nsys\\tem\n.".to_vec(),
        b"Pid\\n1\n.".to_vec(),
        b"Np00\ng0\n0.".to_vec(),
        b"Np01\ng1\n0.".to_vec(),
        b"Np99999999999999999999999999999999999999999\ng99999999999999999999999999999999999999999\n0.".to_vec(),
        b"\x80\x04Nq\x00\x94.".to_vec(),
        b"\x80\x04N\x94\x94.".to_vec(),
        b"\x80\x04(\x94.".to_vec(),
        b"\x80\x04\x94.".to_vec(),
        b"(0N.".to_vec(),
        b"(NR0t.".to_vec(),
        b"NN.".to_vec(),
        b"(N1N.".to_vec(),
        b"(N(Nl2o.".to_vec(),
        b"N(Nel.".to_vec(),
        b"Ne.".to_vec(),
        b"\x95\x01\x00\x00\x00\x00\x00\x00\x00N\x95\x00\x00\x00\x00\x00\x00\x00\x00.".to_vec(),
        b"\x96\x02\x00\x00\x00\x00\x00\x00\x00'\".".to_vec(),
        b"B\x02\x00\x00\x00'\".".to_vec(),
        b"C\x01'.".to_vec(),
        b"\x8e\xff\xff\xff\xff\xff\xff\xff\xffN.".to_vec(),
        b"\x84\xff\xff\xff\xff.".to_vec(),
        b"J\xff\xff\xff\xff.".to_vec(),
        b"G\x7f\xf8\x00\x00\x00\x00\x00\x00.".to_vec(),
        b"G\x43\x50\x00\x00\x00\x00\x00\x00.".to_vec(),
        b"N.trailing".to_vec(),
        b"".to_vec(),
        b"\x80".to_vec(),
        b"I1".to_vec(),
    ];
    let dir = scratch_dir().join("crafted");
    std::fs::create_dir_all(&dir).unwrap();
    let mut pairs = Vec::new();
    let mut ours = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        let path = dir.join(format!("{i:03}.pkl"));
        std::fs::write(&path, c).unwrap();
        let mut text = String::new();
        let r = pypickle::dis_to(&mut text, c, &pypickle::DisOptions::new());
        ours.push((path.clone(), r.map_err(|e| e.to_string()), text));
        pairs.push((path, None));
    }
    let verdicts = oracle(&pairs);
    let mut failures = Vec::new();
    for (path, r, text) in &ours {
        let v = &verdicts[path];
        if *text != v.text || r.is_ok() != v.dis_ok {
            failures.push(format!(
                "{}: {} (ours {r:?}, pickletools {})\n{text}---\n{}",
                path.display(),
                first_difference(text, &v.text),
                if v.dis_ok { "ok" } else { "raises" },
                v.text
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn optimizing_twice_drops_a_second_put_of_one_id() {
    // The empty tuple is PUT twice under id 5 and read by GET 5. pickletools.optimize keeps
    // both PUTs (it keeps every PUT of an id some GET reads) and numbers them apart, so its
    // output has a PUT no GET reads, which a second pass drops; this crate matches it byte for
    // byte (CPython 3.11: these exact bytes).
    let p = b"(lVab\np0\nag0\na(tp5\np5\nag5\na.";
    let once = pypickle::optimize(p).unwrap();
    assert_eq!(once, b"(lVab\np0\nag0\na(tp1\np2\nag2\na.");
    let twice = pypickle::optimize(&once).unwrap();
    assert_eq!(twice, b"(lVab\np0\nag0\na(tp1\nag1\na.");
    assert_eq!(pypickle::optimize(&twice).unwrap(), twice);
    let values: Vec<pypickle::Value> = [&p[..], &once, &twice]
        .iter()
        .map(|b| pypickle::from_slice(b).unwrap())
        .collect();
    assert!(values.windows(2).all(|w| w[0] == w[1]));
}

#[test]
fn optimize_refuses_a_protocol_it_cannot_write() {
    // pickletools.optimize writes with a pickler of the highest PROTO seen, and CPython 3.11
    // raises "pickle protocol must be <= 5" for these; dis reads them (the opcodes are fine).
    for p in [&b"\x80\x06N."[..], b"\x80\x05\x80\x07N."] {
        let e = pypickle::optimize(p).unwrap_err();
        assert!(
            e.to_string().contains("optimize writes protocols 0 to 5"),
            "{e}"
        );
        assert_eq!(e.opcode_name(), Some("PROTO"));
    }
    assert!(pypickle::optimize(b"\x80\x05N.").is_ok());
}

/// The UTF-8 errors of BINUNICODE's text are worded as Python's `'utf-8'` codec (with
/// `surrogatepass`, as pickletools decodes) words them: which bytes, and why it stopped.
#[test]
fn utf8_errors_are_worded_as_python_words_them() {
    let alphabet = [
        0x41u8, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc2, 0xdf, 0xe0, 0xe1, 0xed, 0xef, 0xf0,
        0xf1, 0xf4, 0xf5, 0xff,
    ];
    let mut texts: Vec<Vec<u8>> = alphabet.iter().map(|&b| vec![b]).collect();
    for _ in 0..3 {
        let longer: Vec<Vec<u8>> = texts
            .iter()
            .filter(|t| t.len() == texts.last().unwrap().len())
            .flat_map(|t| {
                alphabet.iter().map(move |&b| {
                    let mut t = t.clone();
                    t.push(b);
                    t
                })
            })
            .collect();
        texts.extend(longer);
    }
    let script = "import sys\n\
        for line in sys.stdin:\n\
        \x20   b = bytes.fromhex(line.strip())\n\
        \x20   try:\n\
        \x20       b.decode('utf-8', 'surrogatepass'); print('ok')\n\
        \x20   except UnicodeDecodeError as e:\n\
        \x20       print(e)\n";
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 is required for tests/dis.rs");
    let mut stdin = child.stdin.take().unwrap();
    let input: String = texts
        .iter()
        .map(|t| t.iter().map(|b| format!("{b:02x}")).collect::<String>() + "\n")
        .collect();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(out.status.success());
    let expected = String::from_utf8(out.stdout).unwrap();
    let expected: Vec<&str> = expected.lines().collect();
    assert_eq!(expected.len(), texts.len());
    let mut failures = Vec::new();
    for (t, want) in texts.iter().zip(expected) {
        let mut pickle = vec![b'X'];
        pickle.extend_from_slice(&(t.len() as u32).to_le_bytes());
        pickle.extend_from_slice(t);
        pickle.push(b'.');
        let mut text = String::new();
        let got = match pypickle::dis_to(&mut text, &pickle, &pypickle::DisOptions::new()) {
            Ok(()) => "ok".to_string(),
            Err(e) => e
                .to_string()
                .trim_end_matches(" (BINUNICODE at offset 0)")
                .to_string(),
        };
        if got != want {
            failures.push(format!("{t:02x?}: ours {got:?}, Python {want:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        texts.len(),
        failures[..failures.len().min(20)].join("\n")
    );
}

/// The 64-bit FNV-1a hash, as `python_fixtures/dis314.py` hashes pickletools' text.
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// With `DisOptions::pickletools_3_14`, every fixture and a few crafted pickles disassemble as
/// CPython 3.14's pickletools does (`python_fixtures/py314/dis.tsv`, written by `dis314.py`
/// under CPython 3.14.2: CI has no 3.14): the same text, by hash and length, and the same
/// verdict, an error where it raises, with its message.
#[test]
fn pickletools_3_14_mode_matches_cpython_3_14() {
    let tsv = std::fs::read_to_string(root().join("py314/dis.tsv")).unwrap();
    let mut lines = tsv.lines();
    assert!(lines.next().unwrap().starts_with("# 3.14."));
    let opts = pypickle::DisOptions::new().pickletools_3_14(true);
    let (mut checked, mut crafted, mut differs_from_3_13) = (0, 0, 0);
    let mut failures = Vec::new();
    for line in lines {
        let cols: Vec<&str> = line.split('\t').collect();
        let [name, hex, verdict, hash, len] = cols[..] else {
            panic!("bad line {line:?}")
        };
        let bytes = if hex == "-" {
            std::fs::read(root().join(name)).unwrap()
        } else {
            crafted += 1;
            unhex(hex)
        };
        let mut text = String::new();
        let result = pypickle::dis_to(&mut text, &bytes, &opts);
        let mut old = String::new();
        let _ = pypickle::dis_to(&mut old, &bytes, &pypickle::DisOptions::new());
        differs_from_3_13 += usize::from(old != text);
        let want = (
            u64::from_str_radix(hash, 16).unwrap(),
            len.parse::<usize>().unwrap(),
        );
        if (fnv1a64(text.as_bytes()), text.len()) != want {
            failures.push(format!("{name}: text differs from 3.14's:\n{text}"));
        }
        match (&result, verdict.strip_prefix("error:")) {
            (Ok(()), None) => {}
            // The verdict, as for the default mode (our words are our own), but the crafted
            // cases' UTF-8 errors, whose words are Python's.
            (Err(e), Some(theirs)) => {
                let message = theirs.split_once(": ").map_or(theirs, |(_, m)| m);
                let pythons_words =
                    theirs.starts_with("UnicodeDecodeError") || message.contains(" quote ");
                if pythons_words && !e.to_string().starts_with(message) {
                    failures.push(format!("{name}: 3.14 raises {theirs}, ours: {e}"));
                }
            }
            _ => failures.push(format!("{name}: 3.14 says {verdict}, ours {result:?}")),
        }
        checked += 1;
    }
    assert!(
        checked > 1700 && crafted >= 14,
        "{checked} cases, {crafted} crafted"
    );
    // The mode is not the default's under another name.
    assert!(
        differs_from_3_13 >= 8,
        "only {differs_from_3_13} differ from 3.13's text"
    );
    assert!(
        failures.is_empty(),
        "{} of {checked} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
