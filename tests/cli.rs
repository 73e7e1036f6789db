//! The `pypickle` binary (feature `cli`), run as a user runs it, on the committed fixtures, with
//! python3 as the oracle:
//! - `show` prints what CPython's `repr()` prints for every plain-data fixture, and for a stream
//!   of standard-library pickles; other classes are shown inertly; dangerous ones are refused;
//! - `dis` prints what `python3 -m pickletools` prints (errors included);
//! - `scan` finds each hostile fixture's global at its offset, exits 1 on them and 0 on plain
//!   data, and its `--json` has the documented shape;
//! - `to-json` then `from-json` at protocols 0-5 gives back an equal `Value`, and a pickle
//!   CPython loads with the original's `repr()`;
//! - missing files, garbage, bad JSON and bad usage exit 2 with a message.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use pypickle::{DeOptions, Value};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("python_fixtures")
}

/// Runs the binary with `args`, feeding `stdin`.
fn run_with(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pypickle"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the pypickle binary runs");
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        // A command that does not read its input closes the pipe: not an error here.
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

fn run(args: &[&str]) -> Output {
    run_with(args, b"")
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("exited, not killed by a signal")
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("UTF-8 output")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs `python3 -c script` with `input` on its standard input (str/bytes sets iterate in a
/// fixed order, as when the fixtures were written), and returns its standard output.
fn python(script: &str, input: &str) -> String {
    let mut child = Command::new("python3")
        .args(["-c", script])
        .env("PYTHONHASHSEED", "0")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("python3 is required for tests/cli.rs: {e}"));
    let mut stdin = child.stdin.take().unwrap();
    let text = input.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(text.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(out.status.success(), "python3 failed on its script");
    String::from_utf8(out.stdout).expect("python3 writes UTF-8")
}

/// For each path (one per line of input): `ok` and the `repr()` of every pickle in the file,
/// one per line, or `error` and the exception; records end with NUL.
const REPR_ORACLE: &str = r#"
import io, pickle, sys
for path in sys.stdin.read().splitlines():
    data = open(path, 'rb').read()
    f = io.BytesIO(data)
    try:
        out = []
        while f.tell() < len(data):
            out.append(repr(pickle.load(f)))
        sys.stdout.write('ok\n' + ''.join(r + '\n' for r in out) + '\0')
    except Exception as e:
        sys.stdout.write('error\n%s: %s\0' % (type(e).__name__, e))
"#;

/// `(ok, text)` per path: `repr()`s, one per line, or the exception.
fn python_reprs(paths: &[PathBuf]) -> Vec<(bool, String)> {
    let input: String = paths.iter().map(|p| format!("{}\n", p.display())).collect();
    let out = python(REPR_ORACLE, &input);
    let recs: Vec<(bool, String)> = out
        .split_terminator('\0')
        .map(|r| {
            let (status, text) = r.split_once('\n').unwrap();
            (status == "ok", text.to_string())
        })
        .collect();
    assert_eq!(recs.len(), paths.len(), "one record per file");
    recs
}

/// The fixture pickles in `python_fixtures/<dir>`, sorted.
fn pickles(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(root().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pkl"))
        .collect();
    files.sort();
    files
}

/// One file per plain-data fixture value: its protocol 4 pickle, or else the highest protocol
/// it has (`op_*` fixtures have one file, without a protocol in the name).
fn one_per_value() -> Vec<PathBuf> {
    let mut best: BTreeMap<String, (char, PathBuf)> = BTreeMap::new();
    for p in pickles("data") {
        let stem = p.file_stem().unwrap().to_str().unwrap();
        let (value, proto) = match stem.rsplit_once(".p") {
            Some((value, proto)) => (value, proto.chars().next().unwrap()),
            None => (stem, '-'),
        };
        let rank = |c: char| if c == '4' { '9' } else { c };
        if best
            .get(value)
            .map_or(true, |(old, _)| rank(proto) > rank(*old))
        {
            best.insert(value.to_string(), (proto, p));
        }
    }
    best.into_values().map(|(_, p)| p).collect()
}

/// A scratch directory of this test's own.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-{name}"));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

// ---------------------------------------------------------------------------------------------
// show

#[test]
fn show_prints_cpythons_repr_for_every_plain_data_fixture() {
    let files = pickles("data");
    let oracle = python_reprs(&files);
    let (mut same, mut both_fail) = (0, 0);
    for (path, (ok, want)) in files.iter().zip(&oracle) {
        let out = run(&["show", s(path)]);
        if *ok {
            assert_eq!(code(&out), 0, "{}: {}", path.display(), stderr(&out));
            assert_eq!(&stdout(&out), want, "{}", path.display());
            same += 1;
        } else {
            // Python 2 strings that are not ASCII: CPython's default encoding refuses them too.
            assert_eq!(
                code(&out),
                2,
                "{}: CPython failed with {want}",
                path.display()
            );
            assert!(stderr(&out).starts_with("pypickle: "), "{}", stderr(&out));
            both_fail += 1;
        }
    }
    assert!(
        same > 750 && both_fail < 20,
        "{same} same, {both_fail} both fail"
    );
}

/// `(name, protocol) -> pickle` from the standard library fixtures' `pickles.bin`.
fn stdlib_pickles() -> BTreeMap<(String, u8), Vec<u8>> {
    let all = fs::read(root().join("stdlib/pickles.bin")).unwrap();
    let mut map = BTreeMap::new();
    let mut i = 0;
    while i < all.len() {
        let n = usize::from(u16::from_le_bytes([all[i], all[i + 1]]));
        let name = String::from_utf8(all[i + 2..i + 2 + n].to_vec()).unwrap();
        let proto = all[i + 2 + n];
        let len_at = i + 3 + n;
        let len = u32::from_le_bytes(all[len_at..len_at + 4].try_into().unwrap()) as usize;
        map.insert((name, proto), all[len_at + 4..len_at + 4 + len].to_vec());
        i = len_at + 4 + len;
    }
    map
}

#[test]
fn show_prints_each_pickle_of_a_stream_as_cpython_does() {
    let stdlib = stdlib_pickles();
    let dir = scratch("show-stream");
    let mut stream = Vec::new();
    for name in [
        "date",
        "dt_utc",
        "dt_plus0530",
        "td_mixed",
        "dec_places",
        "dec_nan",
        "frac",
        "uuid_v5",
        "range_step",
        "slice_step",
        "path_rel",
        "exc_value",
        "deque_maxlen",
    ] {
        for proto in [0, 2, 4, 5] {
            stream.extend(&stdlib[&(name.to_string(), proto)]);
        }
    }
    stream.extend(fs::read(root().join("data/mixed_config.p4.pkl")).unwrap());
    stream.extend(fs::read(root().join("data/str_emoji.p0.pkl")).unwrap());
    let path = dir.join("stream.pkl");
    fs::write(&path, &stream).unwrap();

    let (ok, want) = python_reprs(std::slice::from_ref(&path)).remove(0);
    assert!(ok, "CPython reads the stream: {want}");
    assert_eq!(want.lines().count(), 13 * 4 + 2);
    let out = run(&["show", s(&path)]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), want);
    // The same from standard input.
    let out = run_with(&["show", "-"], &stream);
    assert_eq!((code(&out), stdout(&out)), (0, want));
}

#[test]
fn show_prints_instances_of_other_classes_inertly_and_refuses_dangerous_ones() {
    let out = run(&["show", s(&root().join("classes/data/bag.p2.pkl"))]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "pypickle_classes.Bag(__setstate__={'label': 'L'}, __dict_items__={'x': 1, 'y': 2})\n"
    );

    for hostile in [
        "system.p4.pkl",
        "eval.p0.pkl",
        "popen.p2.pkl",
        "model.p3.pkl",
    ] {
        let out = run(&["show", s(&root().join("hostile").join(hostile))]);
        assert_eq!(code(&out), 2, "{hostile}");
        assert_eq!(stdout(&out), "", "{hostile}");
        let err = stderr(&out);
        assert!(
            err.contains("is refused") && err.contains("at offset"),
            "{err}"
        );
        assert!(err.contains("hint: nothing was loaded"), "{err}");
    }
}

/// `--allow` takes a refused global by its exact name (the one the refusal's hint gives), and
/// the pickle then shows with the global inert; the JSON maps it with `--objects`.
#[test]
fn allow_lets_a_named_global_through_inertly() {
    let system = root().join("hostile/system.p4.pkl");
    let out = run(&["show", s(&system)]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("--allow posix:system shows it inertly"),
        "{}",
        stderr(&out)
    );
    for allow in ["posix:system", "posix.system"] {
        let out = run(&["show", "--allow", allow, s(&system)]);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        assert_eq!(stdout(&out), "posix.system('echo pwned')\n");
    }
    // Only the global named: another dangerous one is still refused.
    let model = root().join("hostile/model.p3.pkl");
    let out = run(&["show", "--allow", "os:system", s(&model)]);
    assert_eq!(code(&out), 2, "{}", stdout(&out));
    assert!(
        stderr(&out).contains("posix.system is refused"),
        "{}",
        stderr(&out)
    );

    let out = run(&["to-json", s(&system)]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("--objects --allow posix:system maps it"),
        "{}",
        stderr(&out)
    );
    let out = run(&[
        "to-json",
        "--objects",
        "--allow",
        "posix:system",
        s(&system),
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let j: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        j["$object"]["class"],
        serde_json::json!(["posix", "system"])
    );

    // Two refused globals: the hint names both, and they are what it takes.
    let two = scratch("allow").join("two.pkl");
    fs::write(
        &two,
        b"\x80\x02]q\x00(cposix\nsystem\nq\x01cbuiltins\neval\nq\x02e.",
    )
    .unwrap();
    let out = run(&["show", s(&two)]);
    assert!(
        stderr(&out).contains("--allow posix:system --allow builtins:eval shows them inertly"),
        "{}",
        stderr(&out)
    );
    let out = run(&["show", "--allow", "posix:system", s(&two)]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("--allow builtins:eval shows it inertly"),
        "{}",
        stderr(&out)
    );
    let out = run(&[
        "show",
        "--allow",
        "posix:system",
        "--allow",
        "builtins.eval",
        s(&two),
    ]);
    assert_eq!(
        stdout(&out),
        "[posix.system, builtins.eval]\n",
        "{}",
        stderr(&out)
    );
    // A dotted name is given with a colon, as the hint gives it.
    let new = scratch("allow").join("new.pkl");
    fs::write(&new, b"\x80\x02cbuiltins\nobject.__new__\nq\x00.").unwrap();
    let out = run(&["show", s(&new)]);
    assert!(
        stderr(&out).contains("--allow builtins:object.__new__ shows it inertly"),
        "{}",
        stderr(&out)
    );
    let out = run(&["show", "--allow", "builtins:object.__new__", s(&new)]);
    assert_eq!(
        stdout(&out),
        "builtins.object.__new__\n",
        "{}",
        stderr(&out)
    );

    for bad in ["system", ":system", "posix:", "posix."] {
        let out = run(&["show", "--allow", bad, s(&system)]);
        assert_eq!(code(&out), 2, "{bad}");
        assert!(stderr(&out).contains("--allow"), "{bad}: {}", stderr(&out));
    }
}

// ---------------------------------------------------------------------------------------------
// dis

/// For each path: `ok` or `error`, then what `pickletools.dis` printed (up to its exception);
/// records end with NUL.
const DIS_ORACLE: &str = r#"
import io, pickletools, sys
for path in sys.stdin.read().splitlines():
    out = io.StringIO()
    try:
        with open(path, 'rb') as f:
            pickletools.dis(f, out)
        status = 'ok'
    except Exception:
        status = 'error'
    sys.stdout.write(status + '\n' + out.getvalue() + '\0')
"#;

#[test]
fn dis_prints_what_pickletools_prints() {
    let mut files = pickles("data");
    files.extend(pickles("hostile"));
    files.extend(pickles("classes/data"));
    let input: String = files.iter().map(|p| format!("{}\n", p.display())).collect();
    let oracle = python(DIS_ORACLE, &input);
    let recs: Vec<&str> = oracle.split_terminator('\0').collect();
    assert_eq!(recs.len(), files.len());
    let mut errors = 0;
    for (path, rec) in files.iter().zip(recs) {
        let (status, want) = rec.split_once('\n').unwrap();
        let out = run(&["dis", s(path)]);
        assert_eq!(stdout(&out), want, "{}", path.display());
        if status == "ok" {
            assert_eq!(code(&out), 0, "{}: {}", path.display(), stderr(&out));
        } else {
            assert_eq!(code(&out), 2, "{}", path.display());
            errors += 1;
        }
    }
    assert!(errors < files.len() / 10, "{errors} errors");

    // The command itself, with its options, on a few files.
    for (args, file) in [
        (&[][..], "data/mixed_config.p2.pkl"),
        (&["-l", "2"][..], "data/list_nested3.p1.pkl"),
        (&[][..], "hostile/system.p0.pkl"),
    ] {
        let path = root().join(file);
        let py = Command::new("python3")
            .args(["-m", "pickletools"])
            .args(args)
            .arg(&path)
            .output()
            .expect("python3 runs");
        assert!(py.status.success());
        let mut ours = vec!["dis"];
        ours.extend(args);
        ours.push(s(&path));
        let out = run(&ours);
        assert_eq!(code(&out), 0);
        assert_eq!(out.stdout, py.stdout, "{args:?} {file}");
    }
}

#[test]
fn dis_all_goes_through_a_stream_like_repeated_pickletools_dis() {
    let dir = scratch("dis-all");
    let mut stream = Vec::new();
    for f in [
        "data/tuple_2.p2.pkl",
        "data/str_a.p4.pkl",
        "data/set_123.p0.pkl",
    ] {
        stream.extend(fs::read(root().join(f)).unwrap());
    }
    let path = dir.join("stream.pkl");
    fs::write(&path, &stream).unwrap();
    let want = python(
        r#"
import io, pickletools, sys
data = open(sys.stdin.read().strip(), 'rb').read()
f = io.BytesIO(data)
while f.tell() < len(data):
    pickletools.dis(f, sys.stdout)
"#,
        s(&path),
    );
    let out = run(&["dis", "--all", s(&path)]);
    assert_eq!((code(&out), stdout(&out)), (0, want));
    // Without --all, the first pickle only, as `python -m pickletools`.
    let first = run(&["dis", s(&root().join("data/tuple_2.p2.pkl"))]);
    let out = run(&["dis", s(&path)]);
    assert_eq!(stdout(&out), stdout(&first));
}

// ---------------------------------------------------------------------------------------------
// scan

#[test]
fn scan_reports_each_hostile_fixtures_global_and_exits_1() {
    let index = fs::read_to_string(root().join("hostile/index.tsv")).unwrap();
    let mut dangerous = 0;
    for line in index.lines() {
        let c: Vec<&str> = line.split('\t').collect();
        let (file, opcode, offset, module, name) = (c[0], c[1], c[2], c[3], c[4]);
        let path = root().join("hostile").join(file);
        let out = run(&["scan", s(&path)]);
        let text = stdout(&out);
        if module == "ext" {
            // An extension code names whatever the loading process registered: unknown.
            let want = format!(
                "{}: {offset} {opcode} extension code {name}: unknown",
                s(&path)
            );
            assert!(text.contains(&want), "{file}: {text}");
            assert_eq!(code(&out), 0, "{file}");
            continue;
        }
        let want = format!("{}: {offset} {opcode} {module}.{name}", s(&path));
        let found = text.lines().find(|l| l.starts_with(&want));
        assert!(
            found.is_some_and(|l| l.contains(": dangerous")),
            "{file}: {want} not in {text}"
        );
        assert!(
            text.ends_with(&format!(
                "{}: dangerous: 1 pickle, {} global{}\n",
                s(&path),
                text.lines().count() - 1,
                if text.lines().count() == 2 { "" } else { "s" }
            )),
            "{text}"
        );
        assert_eq!(code(&out), 1, "{file}");
        dangerous += 1;
    }
    assert!(dangerous >= 40, "{dangerous}");
}

#[test]
fn scan_exits_0_on_plain_data_and_other_classes() {
    let files: Vec<PathBuf> = one_per_value();
    let mut args = vec!["scan"];
    args.extend(files.iter().map(|p| s(p)));
    let out = run(&args);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    for p in &files {
        let summary = format!("{}: safe: 1 pickle, ", s(p));
        assert!(text.contains(&summary), "{summary} not in the output");
    }
    let bag = root().join("classes/data/bag.p2.pkl");
    let out = run(&["scan", s(&bag)]);
    assert_eq!(code(&out), 0);
    assert_eq!(
        stdout(&out),
        format!(
            "{0}: 2 GLOBAL pypickle_classes.Bag: unknown\n{0}: unknown: 1 pickle, 1 global\n",
            s(&bag)
        )
    );
}

/// joblib files (plain and compressed) are scanned past their arrays' bytes: a model's file
/// names numpy's globals and its estimator class, and a dangerous call after an array is found.
#[test]
fn scan_reads_joblib_files() {
    let model = root().join("sklearn/logreg_binary.joblib");
    let zipped = root().join("sklearn/logreg_binary.c3.joblib");
    let out = run(&["scan", s(&model), s(&zipped)]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    for p in [&model, &zipped] {
        assert!(
            text.contains(&format!("{}: unknown: 1 pickle, ", s(p))),
            "{text}"
        );
        let prefix = format!("{}: ", s(p));
        assert!(
            text.lines().any(|l| l.starts_with(&prefix)
                && l.contains("joblib.numpy_pickle.NumpyArrayWrapper: safe")),
            "{text}"
        );
    }
    assert!(
        text.contains("sklearn.linear_model._logistic.LogisticRegression: unknown"),
        "{text}"
    );
    let evil = root().join("joblib/hostile_after_array.joblib");
    let out = run(&["scan", s(&evil)]);
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    assert!(
        stdout(&out).contains("system: dangerous"),
        "{}",
        stdout(&out)
    );
}

/// `show` and `to-json` read joblib files, plain or compressed with zlib or gzip, as the
/// library's `joblib::from_reader` does: each array as numpy's own pickle makes it. Files that
/// only look like joblib's still read as the plain pickles they are.
#[test]
fn show_and_to_json_read_joblib_files() {
    let mut checked = 0;
    for path in fs::read_dir(root().join("joblib")).unwrap() {
        let path = path.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        // Not joblib.load's files: hostile ones (tests/joblib.rs) and numpy's own pickles.
        if !name.ends_with(".joblib") || name.starts_with("hostile") || name.contains("spelled") {
            continue;
        }
        let file = fs::File::open(&path).unwrap();
        let value: Value = pypickle::joblib::from_reader_with(
            std::io::BufReader::new(file),
            &DeOptions::new().record_unknown_globals(true),
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        let out = run(&["show", s(&path)]);
        assert_eq!(code(&out), 0, "{name}: {}", stderr(&out));
        assert_eq!(stdout(&out), format!("{value}\n"), "{name}");
        let out = run(&["to-json", "--objects", "--compact", s(&path)]);
        assert_eq!(code(&out), 0, "{name}: {}", stderr(&out));
        let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        let opts = pypickle::json::JsonOptions::new().objects(true);
        assert_eq!(
            json,
            pypickle::json::to_json_with(&value, &opts).unwrap(),
            "{name}"
        );
        checked += 1;
    }
    assert!(checked >= 40, "{checked} joblib fixtures");
    // The same array as joblib wrote it, compressed or not: as numpy pickles it at
    // protocols 2-4 (the names numpy 1 and 2 both load).
    let shown: Vec<String> = ["bool.joblib", "bool.zlib.joblib", "bool.gzip.joblib"]
        .iter()
        .map(|f| stdout(&run(&["show", s(&root().join("joblib").join(f))])))
        .collect();
    assert!(
        shown.iter().all(|t| *t == shown[0]
            && t.starts_with("numpy.core.multiarray._reconstruct(numpy.ndarray, (0,), b'b'")
            && t.contains("b'\\x01\\x00\\x01'")),
        "{shown:?}"
    );

    let zipped = root().join("joblib/bool.zlib.joblib");
    let out = run(&["to-json", s(&zipped)]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("hint: --objects maps objects and globals"),
        "{}",
        stderr(&out)
    );

    let dir = scratch("show-joblib");
    let cut = dir.join("cut.joblib");
    fs::write(&cut, &fs::read(&zipped).unwrap()[..60]).unwrap();
    let bz2 = dir.join("model.bz2.joblib");
    fs::write(&bz2, b"BZh91AY&SY\x00\x01garbage").unwrap();
    for (file, says) in [
        (&cut, "incomplete deflate stream"),
        (&bz2, "joblib files compressed with bz2 are not supported"),
    ] {
        let out = run(&["show", s(file)]);
        assert_eq!(code(&out), 2, "{}", stdout(&out));
        assert!(stderr(&out).contains(says), "{}", stderr(&out));
    }
    // `BZ` begins a BINBYTES here: a plain pickle, refused for what it names.
    let plain = dir.join("bz.pkl");
    let mut pickle = b"BZ\x00\x00\x00".to_vec();
    pickle.extend([b'A'; 90]);
    pickle.extend_from_slice(b"0cos\nsystem\n(S'echo pwned'\ntR.");
    fs::write(&plain, &pickle).unwrap();
    let out = run(&["show", s(&plain)]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("global os.system is refused"),
        "{}",
        stderr(&out)
    );
    let quoted = dir.join("quoted.pkl");
    fs::write(
        &quoted,
        b"\x80\x04\x95\x17\x00\x00\x00\x00\x00\x00\x00\x8c\x13joblib.numpy_pickle\x94.",
    )
    .unwrap();
    let out = run(&["show", s(&quoted)]);
    assert_eq!(
        (code(&out), stdout(&out)),
        (0, "'joblib.numpy_pickle'\n".into())
    );
}

/// The hints name the command-line options that help: `--objects` only where it would, and
/// `--py2-strings` for a Python 2 str that is not text in the encoding asked for.
#[test]
fn hints_name_options_that_help() {
    let dir = scratch("hints");
    let function = dir.join("sorted.pkl");
    fs::write(&function, b"\x80\x02cbuiltins\nsorted\nq\x00.").unwrap();
    let out = run(&["to-json", s(&function)]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("builtins.sorted is refused"),
        "{}",
        stderr(&out)
    );
    // --objects alone does not help: the hint names what does.
    assert!(!stderr(&out).contains("--objects maps"), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--objects --allow builtins:sorted maps it"),
        "{}",
        stderr(&out)
    );
    let class = dir.join("thing.pkl");
    fs::write(&class, b"\x80\x02cmod1\nThing\nq\x00)\x81q\x01.").unwrap();
    let out = run(&["to-json", s(&class)]);
    assert_eq!(code(&out), 2, "{}", stdout(&out));
    assert!(
        stderr(&out).contains("--objects maps instances"),
        "{}",
        stderr(&out)
    );

    let py2 = dir.join("py2.pkl");
    fs::write(&py2, b"(lp0\nS'\xe9'\np1\na.").unwrap();
    for args in [
        vec!["show"],
        vec!["show", "--py2-strings", "utf8"],
        vec!["to-json"],
    ] {
        let mut args = args.clone();
        args.push(s(&py2));
        let out = run(&args);
        assert_eq!(code(&out), 2, "{args:?}");
        assert!(
            stderr(&out).contains("hint: a Python 2 str that is not text"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    // A STRING that fails for another reason gets no such hint: latin1 would not help.
    let unquoted = dir.join("unquoted.pkl");
    fs::write(&unquoted, b"(lp0\nS'\xe9\np1\na.").unwrap();
    let out = run(&["show", s(&unquoted)]);
    assert_eq!(code(&out), 2);
    assert!(!stderr(&out).contains("--py2-strings"), "{}", stderr(&out));
    let out = run(&["show", "--py2-strings", "latin1", s(&py2)]);
    assert_eq!(stdout(&out), "['\u{e9}']\n");
}

/// A pickle that refers to one tuple half a million times (as `[t] * 500000` pickles) is past
/// the default expansion limit: the message says what the limit counts and the hint names
/// `--max-expansion`, which lets `show` and `to-json` read it (found by a trial).
#[test]
fn max_expansion_lets_a_trusted_shared_pickle_through() {
    let dir = scratch("expansion");
    let file = dir.join("shared.pkl");
    // [t] * 500000 with t = (1, 2, 3), as protocol 2 writes it: the tuple, then BINGET 1.
    let mut data = b"\x80\x02]q\x00(K\x01K\x02K\x03\x87q\x01".to_vec();
    for _ in 1..500_000 {
        data.extend_from_slice(b"h\x01");
    }
    data.extend_from_slice(b"e.");
    fs::write(&file, &data).unwrap();
    for command in ["show", "to-json"] {
        let out = run(&[command, s(&file)]);
        assert_eq!(code(&out), 2, "{command}");
        let err = stderr(&out);
        assert!(err.contains("limit max_expansion (1048576) exceeded: values reached again through shared references"), "{err}");
        assert!(
            err.contains("hint: --max-expansion raises the limit"),
            "{err}"
        );
        // Given and still too small: the hint says to give a larger one.
        let out = run(&[command, "--max-expansion", "1100000", s(&file)]);
        assert_eq!(code(&out), 2, "{command}");
        let err = stderr(&out);
        assert!(
            err.contains("limit max_expansion (1100000) exceeded"),
            "{err}"
        );
        assert!(
            err.contains("hint: --max-expansion was not enough for this pickle: give a larger one"),
            "{err}"
        );
        let out = run(&[command, "--max-expansion", "3000000", s(&file)]);
        assert_eq!(code(&out), 0, "{command}: {}", stderr(&out));
        let text = stdout(&out);
        let one = if command == "show" {
            "(1, 2, 3)"
        } else {
            "[\n      1,"
        };
        assert_eq!(text.matches(one).count(), 500_000, "{command}");
    }
}

/// A file is judged as `pickle.load` reads it too, not only as `joblib.load` does: array bytes
/// that spell a call of os.system are data to joblib, but in joblib's unaligned layout
/// `pickle.load` runs them; and a plain pickle whose first bytes are bz2's magic (`BZ`, a
/// BINBYTES) is a pickle. Ordinary joblib files, object arrays included, stay safe.
#[test]
fn scan_judges_joblib_looking_files_as_plain_pickles_too() {
    let spelled = root().join("joblib/spelled_in_data.unaligned.joblib");
    let bytes = fs::read(&spelled).unwrap();
    assert!(!pypickle::joblib::scan(&bytes).is_dangerous());
    let out = run(&["scan", s(&spelled)]);
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    assert!(
        stdout(&out).contains("GLOBAL os.system: dangerous"),
        "{}",
        stdout(&out)
    );

    // The same with the call's module and name computed as it runs (`str('os')`), which no
    // scanner can name: dangerous too. It was "safe": a name the plain reading could not tell
    // was taken for an object array's nested pickle read with the outer memo (found by a
    // hunt). Those stay safe (below).
    let computed = root().join("joblib/computed_in_data.unaligned.joblib");
    let out = run(&["scan", s(&computed)]);
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    assert!(
        stdout(&out).contains("STACK_GLOBAL ?: dangerous"),
        "{}",
        stdout(&out)
    );

    let dir = scratch("scan-bz");
    let bz = dir.join("bz.pkl");
    let mut pickle = b"BZ\x00\x00\x00".to_vec();
    pickle.extend([b'A'; 90]);
    pickle.extend_from_slice(b"0cos\nsystem\n(S'echo pwned'\ntR.");
    fs::write(&bz, &pickle).unwrap();
    let out = run(&["scan", s(&bz)]);
    assert_eq!(code(&out), 1, "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("96 GLOBAL os.system: dangerous"),
        "{}",
        stdout(&out)
    );

    let names = [
        "objects",
        "structured_objects",
        "mixed",
        "spelled_in_data",
        "computed_in_data",
    ];
    for name in names {
        for form in ["joblib", "unaligned.joblib"] {
            let file = root().join(format!("joblib/{name}.{form}"));
            if name.ends_with("_in_data") && form == "unaligned.joblib" {
                continue;
            }
            let out = run(&["scan", s(&file)]);
            assert_eq!(code(&out), 0, "{}", stdout(&out));
        }
    }
}

/// Past its limit on the text's length, `dis` prints whole lines, then the error: the last
/// line was cut after its offset (found by a hunt).
#[test]
fn dis_past_its_output_limit_prints_whole_lines() {
    let dir = scratch("dis-limit");
    let deep = dir.join("deep.pkl");
    let mut pickle = vec![b'('; 100_000];
    pickle.extend(vec![b'l'; 100_000]);
    pickle.push(b'.');
    fs::write(&deep, &pickle).unwrap();
    let out = run(&["dis", s(&deep)]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("max_output"), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.len() > 1000 && text.ends_with('\n'),
        "{:?}",
        &text[text.len() - 40..]
    );
}

#[test]
fn scan_exit_status_over_several_files() {
    let safe = root().join("data/set_123.p2.pkl");
    let evil = root().join("hostile/system.p4.pkl");
    let dir = scratch("scan-status");
    let garbage = dir.join("garbage.pkl");
    fs::write(&garbage, b"\x80\x04\x95garbage").unwrap();
    let missing = dir.join("missing.pkl");

    let status = |files: &[&Path]| {
        let mut args = vec!["scan"];
        args.extend(files.iter().map(|p| s(p)));
        code(&run(&args))
    };
    assert_eq!(status(&[&safe, &safe]), 0);
    assert_eq!(status(&[&safe, &evil]), 1);
    assert_eq!(status(&[&evil, &safe]), 1);
    assert_eq!(status(&[&safe, &missing]), 2);
    assert_eq!(status(&[&safe, &garbage]), 2);
    // Something dangerous outranks a file that could not be scanned, as in picklescan.
    assert_eq!(status(&[&missing, &evil]), 1);

    let out = run(&["scan", s(&safe), s(&missing), s(&garbage)]);
    assert!(
        stderr(&out).contains(&format!("pypickle: {}: cannot read", s(&missing))),
        "{}",
        stderr(&out)
    );
    let text = stdout(&out);
    assert!(
        text.contains(&format!("{}: error: ", s(&garbage))),
        "{text}"
    );
    assert!(
        text.contains(&format!("{}: safe: 1 pickle, 1 global", s(&safe))),
        "{text}"
    );

    // No file at all is a usage error.
    let out = run(&["scan"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("Usage"), "{}", stderr(&out));
}

#[test]
fn scan_json_has_the_documented_shape() {
    let evil = root().join("hostile/getattr.p0.pkl");
    let safe = root().join("data/set_123.p2.pkl");
    let dir = scratch("scan-json");
    let missing = dir.join("missing.pkl");
    let garbage = dir.join("garbage.pkl");
    fs::write(&garbage, b"K\x01.zz").unwrap();
    let out = run(&[
        "scan",
        "--json",
        s(&evil),
        s(&safe),
        s(&missing),
        s(&garbage),
    ]);
    assert_eq!(code(&out), 1);
    assert_eq!(stderr(&out), "", "--json says everything on stdout");
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("one JSON document");
    let files = doc["files"].as_array().unwrap();
    assert_eq!(files.len(), 4);
    let keys = |v: &serde_json::Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    for f in files {
        assert_eq!(
            keys(f),
            ["file", "verdict", "pickles", "globals", "bombs", "error"]
        );
    }

    assert_eq!(files[0]["file"], s(&evil));
    assert_eq!(files[0]["verdict"], "dangerous");
    assert_eq!(files[0]["pickles"], 1);
    let g = &files[0]["globals"];
    assert_eq!(
        g[0],
        serde_json::json!({
            "offset": 0, "opcode": "GLOBAL", "module": "builtins", "name": "getattr",
            "verdict": "safe", "written_as": ["__builtin__", "getattr"], "extension_code": null,
            "note": "used only as getattr(class, 'name'), a nested class"
        })
    );
    assert_eq!(g[2]["offset"], 70);
    assert_eq!(g[2]["opcode"], "REDUCE");
    assert_eq!(g[2]["module"], "collections");
    assert_eq!(g[2]["name"], "OrderedDict.__init__");
    assert_eq!(g[2]["verdict"], "dangerous");
    assert_eq!(files[0]["error"], serde_json::Value::Null);

    assert_eq!(files[1]["verdict"], "safe");
    assert_eq!(files[1]["globals"][0]["module"], "builtins");
    assert_eq!(files[1]["globals"][0]["name"], "set");

    assert_eq!(files[2]["verdict"], "unreadable");
    assert!(files[2]["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("cannot read: "));
    assert_eq!(files[2]["error"]["offset"], serde_json::Value::Null);

    assert_eq!(files[3]["verdict"], "unknown");
    assert_eq!(files[3]["pickles"], 1);
    assert_eq!(files[3]["error"]["offset"], 3);
    assert!(files[3]["error"]["message"]
        .as_str()
        .unwrap()
        .contains("invalid opcode"));

    // A bomb.
    let bomb = dir.join("bomb.pkl");
    let mut b = b"\x80\x02]q\x00(K\x01e".to_vec();
    for i in 0..40u8 {
        b.extend([b'h', i, b'h', i, b'\x86', b'q', i + 1]);
    }
    b.push(b'.');
    fs::write(&bomb, &b).unwrap();
    let out = run(&["scan", "--json", s(&bomb)]);
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let bombs = doc["files"][0]["bombs"].as_array().unwrap();
    assert!(!bombs.is_empty(), "{doc}");
    assert_eq!(keys(&bombs[0]), ["offset", "opcode", "size"]);
}

// ---------------------------------------------------------------------------------------------
// to-json / from-json

/// The value of a pickle, read as the CLI reads it with --objects.
fn value_of(bytes: &[u8]) -> Value {
    pypickle::from_slice_with(bytes, &DeOptions::new().record_unknown_globals(true)).unwrap()
}

/// Strict equality (variants, float bits, order), through `Debug`.
fn same(a: &Value, b: &Value) -> bool {
    format!("{a:?}") == format!("{b:?}")
}

#[test]
fn json_round_trip_gives_the_same_value_and_cpython_loads_it_at_every_protocol() {
    let dir = scratch("round-trip");
    let files = one_per_value();
    let originals = python_reprs(&files);
    let mut outputs = Vec::new();
    let mut wants = Vec::new();
    let mut refused = Vec::new();
    for (path, (ok, repr)) in files.iter().zip(&originals) {
        if !ok {
            continue; // Python 2 strings CPython does not decode by default: nothing to compare.
        }
        let stem = path.file_stem().unwrap().to_str().unwrap();
        let json_path = dir.join(format!("{stem}.json"));
        let mut out = run(&["to-json", s(path), "-o", s(&json_path)]);
        if code(&out) != 0 {
            // A global, such as Ellipsis: refused unless asked for.
            assert!(stderr(&out).contains("hint: --objects"), "{}", stderr(&out));
            refused.push(stem.to_string());
            out = run(&["to-json", "--objects", s(path), "-o", s(&json_path)]);
        }
        assert_eq!(code(&out), 0, "{stem}: {}", stderr(&out));
        assert_eq!(stdout(&out), "", "-o writes the file only");
        let json = fs::read_to_string(&json_path).unwrap();
        let original = value_of(&fs::read(path).unwrap());
        for proto in 0..=5 {
            let pkl = dir.join(format!("{stem}.out{proto}.pkl"));
            let p = proto.to_string();
            let out = run(&[
                "from-json",
                "--objects",
                "--protocol",
                &p,
                s(&json_path),
                "-o",
                s(&pkl),
            ]);
            assert_eq!(code(&out), 0, "{stem} at {proto}: {}", stderr(&out));
            let bytes = fs::read(&pkl).unwrap();
            match proto {
                0 | 1 => assert_ne!(bytes[0], 0x80, "{stem}: no PROTO below protocol 2"),
                _ => assert_eq!(bytes[..2], [0x80, proto], "{stem}: PROTO {proto}"),
            }
            assert!(
                same(&value_of(&bytes), &original),
                "{stem} at protocol {proto}: {json}"
            );
            outputs.push(pkl);
            wants.push((stem.to_string(), repr.clone()));
        }
    }
    // The fixtures that hold a global (Ellipsis) need --objects.
    assert_eq!(
        refused,
        ["ellipsis.p4", "list_all_scalars.p4", "mixed_config.p4"],
        "refused without --objects"
    );
    let loaded = python_reprs(&outputs);
    for ((path, (ok, got)), (stem, want)) in outputs.iter().zip(&loaded).zip(&wants) {
        assert!(ok, "CPython cannot load {}: {got}", path.display());
        assert_eq!(got, want, "{stem}: {}", path.display());
    }
    assert!(outputs.len() > 900, "{} pickles", outputs.len());
}

#[test]
fn to_json_writes_the_documented_mapping() {
    let out = run(&[
        "to-json",
        s(&root().join("data/mixed_config.p2.pkl")),
        "--objects",
        "--compact",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 1);
    for piece in [
        r#""version":{"$tuple":[1,2,3]}"#,
        r#""big":{"$int":"1267650600228229401496703205376"}"#,
        r#""neg":{"$int":"-12345678901234567890"}"#,
        r#""bad":{"$float":"nan"},"ceiling":{"$float":"inf"}"#,
        r#""point":{"$complex":[1.5,-0.5]}"#,
        r#""secret":{"$bytes":"AAFrZXn/"}"#,
        r#""buffer":{"$bytearray":"YnVmAA=="}"#,
        r#""ports":{"$frozenset":[80,443]}"#,
        r#""weight":1.0,"#,
        r#""placeholder":{"$global":["builtins","Ellipsis"]}"#,
        r#""empty":{"list":[],"tuple":{"$tuple":[]},"dict":{},"set":{"$set":[]},"str":"","bytes":{"$bytes":""}}"#,
    ] {
        assert!(text.contains(piece), "{piece} not in {text}");
    }
    // Indented by default.
    let out = run(&["to-json", s(&root().join("data/dict_int_keys.p4.pkl"))]);
    assert_eq!(
        stdout(&out),
        "{\n  \"$dict\": [\n    [\n      1,\n      \"a\"\n    ],\n    [\n      2,\n      \"b\"\n    ]\n  ]\n}\n"
    );
}

#[test]
fn streams_of_pickles_and_of_json_documents() {
    let dir = scratch("streams");
    let parts = [
        "data/tuple_2.p2.pkl",
        "data/set_a.p4.pkl",
        "data/bytes_a.p0.pkl",
    ];
    let mut stream = Vec::new();
    for p in parts {
        stream.extend(fs::read(root().join(p)).unwrap());
    }
    let path = dir.join("stream.pkl");
    fs::write(&path, &stream).unwrap();

    let out = run(&["to-json", s(&path)]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("hint: for a file of several pickles give --stream"));

    let out = run(&["to-json", "--stream", s(&path)]);
    assert_eq!(code(&out), 0);
    let lines = stdout(&out);
    assert_eq!(
        lines,
        "{\"$tuple\":[1,2]}\n{\"$set\":[\"a\"]}\n{\"$bytes\":\"YQ==\"}\n"
    );

    let out = run_with(&["from-json", "-", "-p", "2"], lines.as_bytes());
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("hint: for several documents give --stream"));
    let out = run_with(&["from-json", "--stream", "-", "-p", "2"], lines.as_bytes());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let back = dir.join("back.pkl");
    fs::write(&back, &out.stdout).unwrap();
    let (ok, reprs) = python_reprs(&[back]).remove(0);
    assert!(ok);
    assert_eq!(reprs, "(1, 2)\n{'a'}\nb'a'\n");
}

/// JSON from other tools writes big ints as plain integers (`json.dumps(2**100)`): they stay
/// exact ints, as Python's `json.loads` reads them; they were floats (found by a hunt).
#[test]
fn from_json_keeps_big_integers_exact() {
    let json =
        "[123456789012345678901234567890, 18446744073709551616, -18446744073709551617, 1e30, 2.5]";
    let out = run_with(&["from-json", "-", "--protocol", "2"], json.as_bytes());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        value_of(&out.stdout).to_string(),
        "[123456789012345678901234567890, 18446744073709551616, -18446744073709551617, 1e+30, 2.5]"
    );
}

#[test]
fn from_json_reads_hand_written_json_and_refuses_globals_unless_asked() {
    let json = r#"{"name": "x", "pair": {"$tuple": [1, 2.5]}, "keys": {"$dict": [[1, null]]}}"#;
    let out = run_with(&["from-json", "-", "--protocol", "0"], json.as_bytes());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(out.stdout.starts_with(b"(dp0\n"), "protocol 0");
    assert_eq!(
        value_of(&out.stdout).to_string(),
        "{'name': 'x', 'pair': (1, 2.5), 'keys': {1: None}}"
    );

    let evil = r#"[1, {"$global": ["os", "system"]}]"#;
    let out = run_with(&["from-json", "-"], evil.as_bytes());
    assert_eq!(code(&out), 2);
    assert_eq!(out.stdout, b"");
    let err = stderr(&out);
    assert!(
        err.contains("$global is refused") && err.contains("\"/1/$global\""),
        "{err}"
    );
    assert!(err.contains("hint: --objects"), "{err}");
    // --objects alone still refuses a dangerous global, as to-json does; allowed by name, the
    // pickle names it, and the reader and scan refuse it as ever.
    let out = run_with(&["from-json", "--objects", "-"], evil.as_bytes());
    assert_eq!(code(&out), 2);
    // Named as the JSON has it, with no offset in a pickle that is never written.
    let err = stderr(&out);
    assert!(
        err.contains("global os.system is refused") && !err.contains("offset"),
        "{err}"
    );
    assert!(err.contains("hint: --allow os:system writes it"), "{err}");
    let out = run_with(
        &["from-json", "--objects", "--allow", "os.system", "-"],
        evil.as_bytes(),
    );
    assert_eq!(code(&out), 0);
    let out = run_with(&["scan", "-"], &out.stdout);
    assert_eq!(code(&out), 1);
    assert!(
        stdout(&out).contains("os.system: dangerous"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn deep_values_convert_within_the_documented_nesting() {
    // A 100-deep tuple is 200 levels of JSON: more than serde_json's default of 128.
    let deep = root().join("data/tuple_deep100.p2.pkl");
    let out = run(&["to-json", "--compact", s(&deep)]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = run_with(&["from-json", "-"], &out.stdout);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(same(
        &value_of(&out.stdout),
        &value_of(&fs::read(&deep).unwrap())
    ));

    // 1026 levels read; 1027 are refused before parsing, with a message.
    let nested = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    let out = run_with(&["from-json", "-"], nested(1026).as_bytes());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = run_with(&["from-json", "-"], nested(1027).as_bytes());
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("nested 1027 arrays and objects deep; the most read is 1026"),
        "{}",
        stderr(&out)
    );
    // What the reader reads converts, at its deepest: 255 objects, each an item of the one
    // above (four levels of JSON each), around a dict of a complex (found by a hunt: 1024
    // levels were too few).
    let nan = [&b"G"[..], &f64::NAN.to_be_bytes()].concat();
    let mut body = [&b"}(K\x01cbuiltins\ncomplex\n"[..], &nan, &nan, b"\x86Ru"].concat();
    for _ in 0..255 {
        body = [&b"h\x00)\x81(K\x01"[..], &body, b"u"].concat();
    }
    let p = [&b"\x80\x02cmod\nC\nq\x000"[..], &body, b"."].concat();
    let out = run_with(&["show", "-"], &p);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let json = run_with(&["to-json", "--objects", "--compact", "-"], &p);
    assert_eq!(code(&json), 0, "{}", stderr(&json));
    let back = run_with(&["from-json", "--objects", "-"], &json.stdout);
    assert_eq!(code(&back), 0, "{}", stderr(&back));
    // Not valid JSON, however deep it would go: an error, not a crash.
    let out = run_with(&["from-json", "-"], "[".repeat(1000).as_bytes());
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("invalid JSON"), "{}", stderr(&out));
}

// ---------------------------------------------------------------------------------------------
// errors and usage

#[test]
fn missing_files_garbage_and_bad_usage_exit_2_with_a_message() {
    let dir = scratch("errors");
    let missing = dir.join("missing.pkl");
    let garbage = dir.join("garbage.pkl");
    fs::write(&garbage, b"\x80\x05\x95garbage that is no pickle").unwrap();
    let truncated = dir.join("truncated.pkl");
    let full = fs::read(root().join("data/records_200.p4.pkl")).unwrap();
    fs::write(&truncated, &full[..full.len() / 2]).unwrap();
    let empty = dir.join("empty.pkl");
    fs::write(&empty, b"").unwrap();
    let bad_json = dir.join("bad.json");
    fs::write(&bad_json, b"{\"a\": [1, 2}").unwrap();
    let out_dir = dir.join("no/such/dir/out.pkl");
    let cargo_toml = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");

    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["show", s(&missing)],
            "cannot read: No such file or directory",
        ),
        (vec!["dis", s(&missing)], "cannot read"),
        (vec!["to-json", s(&missing)], "cannot read"),
        (vec!["from-json", s(&missing)], "cannot read"),
        (vec!["scan", s(&missing)], "cannot read"),
        (vec!["show", s(&garbage)], "at offset"),
        (vec!["dis", s(&garbage)], "at offset"),
        (vec!["to-json", s(&garbage)], "at offset"),
        (vec!["show", s(&truncated)], "truncated"),
        (vec!["to-json", s(&truncated)], "truncated"),
        (vec!["show", s(&empty)], "empty input"),
        (vec!["to-json", s(&empty)], "empty input"),
        (vec!["from-json", s(&empty)], "empty input"),
        (vec!["from-json", s(&bad_json)], "invalid JSON"),
        (vec!["from-json", s(&garbage)], "invalid JSON"),
        (vec!["show", s(&dir)], "cannot read"),
        (vec!["from-json", s(&cargo_toml)], "invalid JSON"),
    ];
    for (args, words) in &cases {
        let out = run(args);
        assert_eq!(code(&out), 2, "{args:?}");
        let err = stderr(&out);
        assert!(err.starts_with("pypickle: "), "{args:?}: {err}");
        assert!(err.contains(words), "{args:?}: {err}");
    }

    // Refused by the JSON mapping, and what the writer refuses.
    let out = run(&["to-json", s(&root().join("data/ellipsis.p2.pkl"))]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("builtins.Ellipsis is refused"),
        "{}",
        stderr(&out)
    );
    let out = run_with(&["from-json", "-"], br#"{"$set": [[1]]}"#);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("a list cannot be a set element")
            && stderr(&out).contains("\"/$set/0\""),
        "{}",
        stderr(&out)
    );
    let out = run_with(&["from-json", "-"], br#"{"$bytes": "not base64"}"#);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("\"/$bytes\""), "{}", stderr(&out));
    let out = run_with(&["from-json", "-", "-o", s(&out_dir)], b"1");
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("cannot write"), "{}", stderr(&out));

    // Usage errors: clap's messages, status 2.
    for args in [
        vec![],
        vec!["frobnicate"],
        vec!["show"],
        vec!["from-json", "-", "--protocol", "6"],
        vec!["dis", "--memo", "x.pkl"],
        vec!["show", "--py2-strings", "ebcdic", "x.pkl"],
    ] {
        let out = run(&args);
        assert_eq!(code(&out), 2, "{args:?}");
        let err = stderr(&out);
        assert!(
            err.contains("error: ") || err.contains("Usage:"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn help_describes_every_command_and_the_exit_status() {
    let out = run(&["--help"]);
    assert_eq!(code(&out), 0);
    let text = stdout(&out);
    for (cmd, words) in [
        ("show", "repr()"),
        ("dis", "pickletools"),
        ("scan", "verdict"),
        ("to-json", "JSON"),
        ("from-json", "back to a pickle"),
    ] {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{cmd} ")))
            .unwrap_or_else(|| panic!("{cmd} not listed in {text}"));
        assert!(line.contains(words), "{line}");
        let out = run(&[cmd, "--help"]);
        assert_eq!(code(&out), 0, "{cmd} --help");
        assert!(stdout(&out).contains("Usage: pypickle "), "{cmd}");
        assert!(stdout(&out).contains("Exit status:"), "{cmd}");
    }
    assert!(text.contains("1  scan found a dangerous global"), "{text}");
    assert!(text.contains("2  usage error"), "{text}");
}

#[test]
fn a_reader_that_goes_away_is_not_an_error() {
    // `pypickle show big.pkl | head -1`: stdout closes early.
    let path = root().join("data/list_range2500.p2.pkl");
    let mut child = Command::new(env!("CARGO_BIN_EXE_pypickle"))
        .args(["dis", s(&path)])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
}

/// `from-json --objects` refuses what `to-json --objects` refuses: JSON naming a dangerous
/// global (here `os.system` called with a shell command) would become a pickle that runs it
/// in Python. It used to be written without a word; `--allow` names it on purpose.
#[test]
fn from_json_objects_refuses_dangerous_globals_unless_allowed() {
    let json =
        br#"{"$object":{"class":["os","system"],"made":"call","args":{"$tuple":["echo PWNED"]}}}"#;
    let out = run_with(&["from-json", "--objects", "-"], json);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    assert!(
        stderr(&out).contains("global os.system is refused"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("--allow os:system writes it"),
        "{}",
        stderr(&out)
    );
    let out = run_with(
        &["from-json", "--objects", "--allow", "os:system", "-"],
        json,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v: Value = pypickle::from_slice_with(
        &out.stdout,
        &pypickle::DeOptions::new().allow_global("os", "system"),
    )
    .unwrap();
    assert!(v.to_string().contains("os.system"), "{v}");
    // A class that is merely unknown is written, as before.
    let json = br#"{"$object":{"class":["mymod","Point"],"made":"new","args":{"$tuple":[1]}}}"#;
    let out = run_with(&["from-json", "--objects", "-"], json);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // Bare globals that `to-json --objects` refuses are refused too: they were written (the
    // check skipped the reader's judgement of each global in its place; found by a hunt).
    for (global, protocol) in [
        (r#"["builtins","getattr"]"#, "4"),
        (r#"["functools","partial"]"#, "4"),
        (r#"["builtins","object.__new__"]"#, "2"),
    ] {
        let json = format!(r#"{{"$global":{global}}}"#);
        let out = run_with(
            &["from-json", "--objects", "-p", protocol, "-"],
            json.as_bytes(),
        );
        assert_eq!(code(&out), 2, "{global}: {}", stderr(&out));
        assert!(out.stdout.is_empty(), "{global}");
        assert!(stderr(&out).contains("is refused"), "{}", stderr(&out));
    }
    // A call Python makes but this crate does not read back (`int('12')`) is written: it was
    // refused with the reader's error, at an offset in a pickle never written. Next to a
    // dangerous global, it is still refused (the scanner judges what the reader stopped at).
    let int = r#"{"$object":{"class":["builtins","int"],"made":"call","args":{"$tuple":["12"]}}}"#;
    let out = run_with(&["from-json", "--objects", "-"], int.as_bytes());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let hex: String = out.stdout.iter().map(|b| format!("{b:02x}")).collect();
    let loaded = python(
        "import pickle, sys; print(repr(pickle.loads(bytes.fromhex(sys.stdin.read()))))",
        &hex,
    );
    assert_eq!(loaded.trim(), "12");
    // Each global beside it is judged as the reader judges it alone: not only those the
    // scanner calls dangerous (`builtins.print` was written: found by a review).
    for global in ["os.system", "builtins.print"] {
        let (m, n) = global.split_once('.').unwrap();
        let both = format!(r#"[{int}, {{"$global":["{m}","{n}"]}}]"#);
        let out = run_with(&["from-json", "--objects", "-"], both.as_bytes());
        assert_eq!(code(&out), 2, "{}", stderr(&out));
        assert!(out.stdout.is_empty());
        assert!(
            stderr(&out).contains(&format!("global {global} is refused")),
            "{}",
            stderr(&out)
        );
    }
    let unknown = format!(r#"[{int}, {{"$global":["mymod","Point"]}}]"#);
    let out = run_with(&["from-json", "--objects", "-"], unknown.as_bytes());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

/// An uncompressed joblib file holding an array, then a refused global, is reported by that
/// global, as a compressed one is: the plain reading's refusal of joblib's own array wrapper
/// used to stand in for it, and the hint asked to allow the wrapper too.
#[test]
fn joblib_files_are_reported_by_the_global_that_stops_them() {
    for name in [
        "hostile_after_array.joblib",
        "hostile_after_array.zlib.joblib",
        "hostile_in_object_field.joblib",
    ] {
        let path = root().join("joblib").join(name);
        for cmd in ["show", "to-json"] {
            let out = run(&[cmd, s(&path)]);
            assert_eq!(code(&out), 2, "{name}");
            let err = stderr(&out);
            assert!(
                err.contains("global posix.system is refused"),
                "{name}: {err}"
            );
            assert!(!err.contains("NumpyArrayWrapper"), "{name}: {err}");
        }
    }
}

/// Names from a pickle are printed with their control characters escaped: a name holding a
/// newline or a terminal escape cannot forge a line of the report or drive the terminal
/// (found by a hunt). A JSON number too long to read is quoted cut short.
#[test]
fn names_and_numbers_from_the_input_are_printed_safely() {
    // STACK_GLOBAL collections / "OrderedDict\x1b[2K\r", called with no arguments
    let p = b"\x80\x04\x8c\x0bcollections\x8c\x10OrderedDict\x1b[2K\r\x93)R.";
    let out = run_with(&["scan", "-"], p);
    let text = stdout(&out);
    assert!(text.contains("OrderedDict\\u{1b}[2K\\r: unknown"), "{text}");
    assert!(!text.contains('\x1b') && !text.contains('\r'), "{text:?}");
    let p = b"\x80\x04\x8c\x02os\x8c\x0dsystem\n\x1b[31m\x93)R.";
    let out = run_with(&["show", "-"], p);
    assert_eq!(code(&out), 2);
    assert!(!stderr(&out).contains('\x1b'), "{:?}", stderr(&out));
    let digits = "9".repeat(5000);
    for json in [digits.clone(), format!("{digits}.0"), format!("1e{digits}")] {
        let out = run_with(&["from-json", "-"], json.as_bytes());
        assert_eq!(code(&out), 2);
        assert!(stderr(&out).len() < 500, "{}", stderr(&out));
    }
    // No --allow hint to copy into a shell for a name that is not a plain Python name.
    let p = b"\x80\x04\x8c\x02os\x8c\x19x $(touch /tmp/pwned-pp)\x93.";
    let out = run_with(&["show", "-"], p);
    assert_eq!(code(&out), 2);
    assert!(!stderr(&out).contains("--allow"), "{}", stderr(&out));
}

#[test]
fn bytes_after_the_pickle_are_counted_in_words() {
    for (extra, said) in [
        (&b"x"[..], "1 more byte after"),
        (b"xy", "2 more bytes after"),
    ] {
        let data = [&b"\x80\x02K\x07."[..], extra].concat();
        let out = run_with(&["to-json", "-"], &data);
        assert_eq!(code(&out), 2, "{}", stderr(&out));
        assert!(stderr(&out).contains(said), "{}", stderr(&out));
    }
}

/// `show` and `to-json` read a file as a stream of pickles, so a STOP that leaves values on
/// the stack below the one it returns (no pickler writes one; in a stream, the mark of a
/// pickle cut short with the next read as its rest) is an error naming it, exit 2, while
/// `scan` still reads the file.
#[test]
fn a_stop_leaving_values_on_the_stack_is_refused_by_show_and_to_json() {
    let data = b"\x80\x02K\x01K\x02.";
    for command in ["show", "to-json"] {
        let out = run_with(&[command, "-"], data);
        assert_eq!(code(&out), 2, "{command}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("with 1 more value on the stack below the one it returns"),
            "{command}: {}",
            stderr(&out)
        );
    }
    let out = run_with(&["scan", "-"], data);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

/// A pickle's names are printed as Python prints them (`show`'s repr, `dis`'s arguments), but
/// what a terminal would act on in them is escaped when standard output is a terminal: a global
/// named with an escape sequence (one that retitles the terminal, here) does not reach it raw.
/// Piped, the output stays byte for byte what CPython prints; messages escape names too.
#[test]
fn control_characters_in_names_do_not_reach_a_terminal() {
    let dir = scratch("escapes");
    let shown = dir.join("shown.pkl");
    // GLOBAL 'mod\x1b]0;owned\x07 name': not a dangerous module, so shown as a global.
    fs::write(&shown, b"cmod\x1b]0;owned\x07\nname\n.").unwrap();
    let out = run(&["show", s(&shown)]);
    assert_eq!(
        stdout(&out),
        "mod\x1b]0;owned\x07.name\n",
        "{}",
        stderr(&out)
    );
    let refused = dir.join("refused.pkl");
    fs::write(&refused, b"cos\nsys\x1b]0;owned\x07tem\n.").unwrap();
    for command in ["show", "to-json", "scan"] {
        let out = run(&[command, s(&refused)]);
        // (`scan` reports on standard output.)
        let err = stderr(&out) + &stdout(&out);
        assert!(err.contains("owned"), "{command}: {err}");
        assert!(
            !err.contains('\x1b') && !err.contains('\x07'),
            "{command}: {err:?}"
        );
    }
    // Under a terminal (util-linux `script` gives the command one), the name is escaped.
    let bin = env!("CARGO_BIN_EXE_pypickle");
    for (command, want) in [
        ("show", "mod\\x1b]0;owned\\x07.name"),
        ("dis", "GLOBAL     'mod\\x1b]0;owned\\x07 name'"),
    ] {
        let line = format!("{bin} {command} {}", s(&shown));
        let out = Command::new("script")
            .args(["-qec", &line, "/dev/null"])
            .stdin(Stdio::null())
            .output()
            .expect("util-linux `script` runs");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(want), "{command}: {text:?}");
        assert!(
            !text.contains('\x1b') && !text.contains('\x07'),
            "{command}: {text:?}"
        );
    }
}

/// JSON output escapes DEL and the C1 controls (which serde_json writes raw) as `\u00XX`: the
/// same JSON, and nothing a terminal acts on; on a terminal, `scan --json` stays valid JSON
/// (it was run through the escaping of text for a terminal, which made `\x9b`: found by a
/// review).
#[test]
fn json_output_escapes_del_and_c1_and_stays_valid_on_a_terminal() {
    let dir = scratch("json-c1");
    // {'k\x9b[31m': '\x7f\x9b[2J'} at protocol 2 (BINUNICODE holds UTF-8).
    let data_file = dir.join("c1.pkl");
    let mut data = b"\x80\x02}".to_vec();
    for text in ["k\u{9b}[31m", "\u{7f}\u{9b}[2J"] {
        data.push(b'X');
        data.extend_from_slice(&(text.len() as u32).to_le_bytes());
        data.extend_from_slice(text.as_bytes());
    }
    data.extend_from_slice(b"s.");
    fs::write(&data_file, &data).unwrap();
    let out = run(&["to-json", s(&data_file)]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains(r#""k\u009b[31m": "\u007f\u009b[2J""#),
        "{text}"
    );
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["k\u{9b}[31m"], "\u{7f}\u{9b}[2J");
    // A global whose name holds C1: `scan --json` names it, under a terminal too.
    let named = dir.join("named.pkl");
    fs::write(&named, b"\x80\x04\x8c\x01x\x8c\x04y\xc2\x9bz\x93)R.").unwrap();
    let bin = env!("CARGO_BIN_EXE_pypickle");
    let line = format!("{bin} scan --json {}", s(&named));
    let out = Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .stdin(Stdio::null())
        .output()
        .expect("util-linux `script` runs");
    let text = String::from_utf8(out.stdout).unwrap().replace('\r', "");
    let doc: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert!(doc.to_string().contains("y\u{9b}z"), "{doc}");
    assert!(!text.contains('\u{9b}'), "{text:?}");
}

/// A stream written by one reused `pickle.Pickler`: `show` and `to-json --stream` read it with
/// `--keep-memo` as one reused `pickle.Unpickler` does; without it they fail, with a hint
/// that names the flag (and no such hint where the flag would not help).
#[test]
fn keep_memo_reads_a_reused_picklers_stream() {
    let dir = scratch("keep-memo");
    let path = dir.join("reused.pkl");
    let script = format!(
        "import io, pickle, sys\n\
         f = io.BytesIO(); p = pickle.Pickler(f, 4)\n\
         a = {{'name': 'x', 'tags': ['r', 'g']}}\n\
         p.dump(a); p.dump([a, {{'name': 'y'}}]); p.dump(('tags', a['tags']))\n\
         open({:?}, 'wb').write(f.getvalue())\n\
         u = pickle.Unpickler(io.BytesIO(f.getvalue()))\n\
         for _ in range(3): print(repr(u.load()))\n",
        s(&path)
    );
    let want = python(&script, "");
    assert_eq!(want.lines().count(), 3, "{want}");
    let out = run(&["show", "--keep-memo", s(&path)]);
    assert_eq!(
        (code(&out), stdout(&out)),
        (0, want.clone()),
        "{}",
        stderr(&out)
    );
    let out = run(&["to-json", "--stream", "--keep-memo", "--compact", s(&path)]);
    assert_eq!(
        (code(&out), stdout(&out).as_str()),
        (
            0,
            "{\"name\":\"x\",\"tags\":[\"r\",\"g\"]}\n\
             [{\"name\":\"x\",\"tags\":[\"r\",\"g\"]},{\"name\":\"y\"}]\n\
             {\"$tuple\":[\"tags\",[\"r\",\"g\"]]}\n"
        ),
        "{}",
        stderr(&out)
    );
    for args in [
        vec!["show", s(&path)],
        vec!["to-json", "--stream", s(&path)],
    ] {
        let out = run(&args);
        assert_eq!(code(&out), 2, "{args:?}");
        assert!(
            stderr(&out).contains("hint: a later pickle refers to the memo of those before it")
                && stderr(&out).contains("give --keep-memo"),
            "{args:?}: {}",
            stderr(&out)
        );
        // The first pickle reads alone: `show` has printed it; `to-json` writes nothing, so
        // that a partial stream never passes for a whole one (as the README says).
        let first = want.lines().next().unwrap();
        match args[0] {
            "show" => assert_eq!(stdout(&out), format!("{first}\n")),
            _ => assert_eq!(stdout(&out), ""),
        }
    }
    // A key no pickle stored: --keep-memo would not help, and is not suggested.
    let bad = dir.join("bad.pkl");
    fs::write(&bad, b"\x80\x02K\x01.\x80\x02h\x07.").unwrap();
    let out = run(&["show", s(&bad)]);
    assert_eq!(code(&out), 2);
    assert!(!stderr(&out).contains("--keep-memo"), "{}", stderr(&out));
}
