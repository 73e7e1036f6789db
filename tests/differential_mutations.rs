//! Differential testing against CPython on hostile input: seeded mutations of every fixture
//! (bit flips, interesting bytes and opcodes, truncations, splices, inflated length fields,
//! inserted and deleted opcodes) are decoded by CPython (`python_fixtures/mutate_oracle.py`,
//! one process fed over stdin, with a `find_class` that allows what pypickle's default options
//! allow, under a memory and a time limit) and by `from_slice::<Value>` with default options.
//!
//! The rules: where CPython loads the pickle, pypickle gives the same `repr` or one of the
//! documented differences (README, "Value" and "Safety"): a limit, a cycle, a lone surrogate,
//! a dict key or set element given twice (kept twice), a call of an allowed built-in in a shape
//! CPython's pickler never writes, the display of inert objects and globals. Where CPython
//! fails, pypickle fails, unless CPython failed only because it ran the constructor of an
//! allowed class, which pypickle never runs.
//!
//! `PYPICKLE_DIFF_MUTATIONS=N` runs N mutations instead of the default; `PYPICKLE_DIFF_SEED`
//! picks another seed. python3 must be on PATH: without it this test fails.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use pypickle::{Category, Value};

const DEFAULT_MUTATIONS: usize = 8000;

/// xorshift64*: small, seeded, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python_fixtures")
}

/// `name, protocol, pickle` records as `python_fixtures/stdlib.py` writes them.
fn named_pickles(mut rest: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while !rest.is_empty() {
        let n = u16::from_le_bytes([rest[0], rest[1]]) as usize;
        rest = &rest[2 + n + 1..];
        let len = u32::from_le_bytes(rest[..4].try_into().unwrap()) as usize;
        out.push(rest[4..4 + len].to_vec());
        rest = &rest[4 + len..];
    }
    out
}

/// Every fixture of up to 8 KiB (larger ones add time, not coverage), sorted.
fn fixtures() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for dir in ["data", "cpython_vectors", "classes/data"] {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "pkl"))
            .collect();
        paths.sort();
        out.extend(paths.iter().map(|p| std::fs::read(p).unwrap()));
    }
    out.extend(named_pickles(
        &std::fs::read(root().join("stdlib/pickles.bin")).unwrap(),
    ));
    out.retain(|p| !p.is_empty() && p.len() <= 8 * 1024);
    out.sort();
    out.dedup();
    out
}

/// Every opcode of protocols 0-5.
const OPCODES: &[u8] = b"(.0123FIJKLMNPQRSTUVXabcdeghijlopqrstu}])BCG\x80\x81\x82\x83\x84\x85\x86\x87\x88\x89\x8a\x8b\x8c\x8d\x8e\x8f\x90\x91\x92\x93\x94\x95\x96\x97\x98";

/// Opcodes followed by a length, a memo id or a count, and how many bytes it takes.
fn length_field(op: u8) -> Option<usize> {
    Some(match op {
        b'C' | b'U' | 0x8c | b'q' | b'h' | 0x8a | b'K' => 1,
        b'B' | b'T' | b'X' | b'r' | b'j' | 0x8b | b'J' => 4,
        0x8d | 0x8e | 0x96 | 0x95 => 8,
        _ => return None,
    })
}

fn mutate_once(rng: &mut Rng, d: &mut Vec<u8>, other: &[u8]) -> &'static str {
    if d.is_empty() {
        d.extend_from_slice(other);
        return "splice";
    }
    let i = rng.below(d.len());
    match rng.below(9) {
        0 => {
            d[i] ^= 1 << rng.below(8);
            "bit flip"
        }
        1 => {
            const INTERESTING: &[u8] = b"\x00\x01\x02\x7f\x80\xff\n ()0-.L";
            d[i] = if rng.below(2) == 0 {
                *rng.pick(INTERESTING)
            } else {
                *rng.pick(OPCODES)
            };
            "byte replaced"
        }
        2 => {
            d.truncate(i);
            "truncated"
        }
        3 => {
            // A prefix of this one, then a suffix of another fixture.
            let from = rng.below(other.len());
            d.truncate(i);
            d.extend_from_slice(&other[from..]);
            "splice"
        }
        4 => {
            // Change a length, memo id or count field: slightly larger or smaller, or huge.
            let at = (0..d.len())
                .map(|k| (i + k) % d.len())
                .find(|&k| length_field(d[k]).is_some());
            let Some(at) = at else {
                return "no length field";
            };
            let n = length_field(d[at]).unwrap();
            let end = (at + 1 + n).min(d.len());
            let field = &mut d[at + 1..end];
            match rng.below(4) {
                0 => field.iter_mut().for_each(|b| *b = 0xff),
                1 => {
                    if let Some(last) = field.last_mut() {
                        *last = 0x7f;
                    }
                }
                _ => {
                    if let Some(first) = field.first_mut() {
                        *first = first.wrapping_add(rng.below(33) as u8).wrapping_sub(16);
                    }
                }
            }
            "length field"
        }
        5 => {
            // An opcode, maybe with an argument byte, inserted anywhere.
            let mut ins = vec![*rng.pick(OPCODES)];
            if rng.below(2) == 0 {
                ins.push(rng.next() as u8);
            }
            d.splice(i..i, ins);
            "opcode inserted"
        }
        6 => {
            let n = (1 + rng.below(8)).min(d.len() - i);
            d.drain(i..i + n);
            "bytes deleted"
        }
        7 => {
            // A run repeated (MARK, DUP and memo storms, deeper nesting).
            let len = (1 + rng.below(12)).min(d.len() - i);
            let run = d[i..i + len].to_vec();
            for _ in 0..1 + rng.below(8) {
                d.splice(i..i, run.iter().copied());
            }
            "run repeated"
        }
        _ => {
            // Two bytes of another fixture's opcodes dropped in.
            let from = rng.below(other.len());
            let piece = &other[from..(from + 1 + rng.below(6)).min(other.len())];
            d.splice(i..i, piece.iter().copied());
            "piece inserted"
        }
    }
}

/// One mutation (sometimes two stacked) of a fixture.
fn mutate(rng: &mut Rng, data: &[u8], other: &[u8]) -> Vec<u8> {
    let mut d = data.to_vec();
    for _ in 0..1 + usize::from(rng.below(4) == 0) {
        mutate_once(rng, &mut d, other);
    }
    d
}

/// What CPython said about one pickle.
#[derive(Debug)]
struct Answer {
    ok: bool,
    /// An allowed module (numpy) is not installed: nothing to compare.
    unavailable: bool,
    flags: u32,
    depth: u32,
    text: String,
}

const CYCLIC: u32 = 1;
const NOT_PLAIN: u32 = 2;
const SURROGATE: u32 = 4;
const TOO_LARGE: u32 = 8;
const LOADS_INERT: u32 = 16;
const PURE_PYTHON: u32 = 32;

/// Runs the oracle once over every input.
fn cpython(inputs: &[Vec<u8>]) -> Vec<Answer> {
    let script = root().join("mutate_oracle.py");
    let mut child = Command::new("python3")
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("this test needs python3 on PATH (CPython is the oracle)");
    let mut stdin = child.stdin.take().unwrap();
    let mut payload = Vec::new();
    for input in inputs {
        payload.extend_from_slice(&(input.len() as u32).to_le_bytes());
        payload.extend_from_slice(input);
    }
    let writer = std::thread::spawn(move || {
        stdin.write_all(&payload).unwrap();
    });
    let mut out = Vec::new();
    child.stdout.take().unwrap().read_to_end(&mut out).unwrap();
    writer.join().unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "mutate_oracle.py failed: {status}");
    let mut answers = Vec::new();
    let mut rest = &out[..];
    let u32_at = |b: &[u8], i: usize| u32::from_le_bytes(b[i..i + 4].try_into().unwrap());
    while !rest.is_empty() {
        let (flags, depth, n) = (u32_at(rest, 1), u32_at(rest, 5), u32_at(rest, 9) as usize);
        answers.push(Answer {
            ok: rest[0] == b'O',
            unavailable: rest[0] == b'U',
            flags,
            depth,
            text: String::from_utf8(rest[13..13 + n].to_vec()).unwrap(),
        });
        rest = &rest[13 + n..];
    }
    assert_eq!(
        answers.len(),
        inputs.len(),
        "the oracle answered {} of {} inputs",
        answers.len(),
        inputs.len()
    );
    answers
}

/// The canonical repr the oracle prints: `Display`, with set and frozenset elements sorted by
/// their own canonical repr.
fn canonical(v: &Value) -> String {
    let mut s = String::new();
    write_canonical(&mut s, v);
    s
}

fn write_canonical(s: &mut String, v: &Value) {
    let join = |s: &mut String, items: &mut dyn Iterator<Item = String>| {
        for (i, item) in items.enumerate() {
            if i > 0 {
                s.push_str(", ");
            }
            s.push_str(&item);
        }
    };
    match v {
        Value::List(items) => {
            s.push('[');
            join(s, &mut items.iter().map(canonical));
            s.push(']');
        }
        Value::Tuple(items) => {
            s.push('(');
            join(s, &mut items.iter().map(canonical));
            s.push_str(if items.len() == 1 { ",)" } else { ")" });
        }
        Value::Dict(pairs) => {
            s.push('{');
            join(
                s,
                &mut pairs
                    .iter()
                    .map(|(k, v)| format!("{}: {}", canonical(k), canonical(v))),
            );
            s.push('}');
        }
        Value::Set(items) | Value::FrozenSet(items) => {
            let frozen = matches!(v, Value::FrozenSet(_));
            if items.is_empty() {
                s.push_str(if frozen { "frozenset()" } else { "set()" });
                return;
            }
            let mut sorted: Vec<String> = items.iter().map(canonical).collect();
            sorted.sort();
            s.push_str(if frozen { "frozenset({" } else { "{" });
            join(s, &mut sorted.into_iter());
            s.push_str(if frozen { "})" } else { "}" });
        }
        other => write!(s, "{other}").unwrap(),
    }
}

/// What CPython keeps of a dict that sets a key twice (the first key, in its place, with the
/// last value) and of a set that adds an element twice (the first).
fn dedup(v: &Value) -> Value {
    fn keep_first(items: &[Value]) -> Vec<Value> {
        let mut out: Vec<Value> = Vec::new();
        for item in items.iter().map(dedup) {
            if !out.contains(&item) {
                out.push(item);
            }
        }
        out
    }
    match v {
        Value::List(items) => Value::List(items.iter().map(dedup).collect()),
        Value::Tuple(items) => Value::Tuple(items.iter().map(dedup).collect()),
        Value::Set(items) => Value::Set(keep_first(items)),
        Value::FrozenSet(items) => Value::FrozenSet(keep_first(items)),
        Value::Dict(pairs) => {
            let mut out: Vec<(Value, Value)> = Vec::new();
            for (k, v) in pairs {
                let (k, v) = (dedup(k), dedup(v));
                match out.iter_mut().find(|(seen, _)| *seen == k) {
                    Some(slot) => slot.1 = v,
                    None => out.push((k, v)),
                }
            }
            Value::Dict(out)
        }
        other => other.clone(),
    }
}

/// Whether a value holds an inert object or a global anywhere.
fn holds_object(v: &Value) -> bool {
    match v {
        Value::Object(_) | Value::Global(_) => true,
        Value::List(items) | Value::Tuple(items) | Value::Set(items) | Value::FrozenSet(items) => {
            items.iter().any(holds_object)
        }
        Value::Dict(pairs) => pairs
            .iter()
            .any(|(k, v)| holds_object(k) || holds_object(v)),
        _ => false,
    }
}

/// How pypickle's result relates to CPython's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Verdict {
    /// Both loaded it, with the same repr.
    AgreeOk,
    /// Both refused it.
    AgreeErr,
    /// Documented: pypickle stopped at a limit (`Error::limit()`).
    Limit,
    /// Documented: out-of-band buffers (NEXT_BUFFER, READONLY_BUFFER) are not supported
    /// without a hook, even where CPython's READONLY_BUFFER leaves a `bytes` as it is.
    Unsupported,
    /// Documented: a value that contains itself is an error.
    Cycle,
    /// Documented: a `str` with a lone surrogate is an error.
    Surrogate,
    /// Documented: a dict key or set element given twice is kept twice.
    Duplicates,
    /// Documented: an allowed built-in called with arguments CPython's pickler never writes
    /// (`int('5')`, `bytes(3)`) is refused, not evaluated.
    BuiltinCall,
    /// Documented: inert objects and globals display as `module.Class(...)` and `module.name`
    /// where CPython's repr is not the pickle's own record.
    ObjectDisplay,
    /// Documented: CPython failed in the constructor of an allowed class, which pypickle
    /// never runs.
    ConstructorNotRun,
    /// Documented: an opcode that runs past the end of its FRAME, or a FRAME inside another, is
    /// refused, as CPython's pure-Python unpickler does (the C one reads on).
    FrameStraddle,
    /// Documented: BUILD on a global is refused (CPython sets attributes on the class or
    /// function itself, a way for a pickle to change a program's globals).
    BuildOnGlobal,
    /// Documented: `builtins.getattr` is read in one shape only, `getattr(module.Outer,
    /// 'Inner')`; any other use of it (a bare reference, say) is refused.
    GetattrShape,
    /// Documented: a text INT, LONG, FLOAT, GET or PUT argument with a NUL byte in it is
    /// refused (CPython's C unpickler reads a C string and stops at the NUL).
    NulInNumber,
    /// Documented: a text INT or LONG with a leading zero is refused, as CPython's Python
    /// unpickler refuses it, where its C unpickler reads it with C's `strtol` as octal
    /// (`010` is 8).
    IntSyntax,
    /// CPython's C unpickler ran out of memory (its memo is an array as long as the largest
    /// memo id) where pypickle does not, and the pure-Python one, which differs from the C one
    /// in places, answered otherwise (it takes REDUCE with a list of arguments, and refuses an
    /// empty APPENDS onto a dict).
    CpythonMemory,
    /// An allowed module (numpy) is not installed for python3.
    Unavailable,
    /// CPython's value was too large for the oracle to print; nothing to compare.
    TooLarge,
    Disagree,
}

fn judge(input: &[u8], cpython: &Answer) -> (Verdict, String) {
    let ours = pypickle::from_slice::<Value>(input);
    // The reader path must agree with the slice path.
    let via_reader = pypickle::from_reader::<_, Value>(input);
    let same_path = match (&ours, &via_reader) {
        (Ok(a), Ok(b)) => a.to_string() == b.to_string(),
        (Err(_), Err(_)) => true,
        _ => false,
    };
    let verdict = match (&ours, cpython.ok) {
        _ if !same_path => Verdict::Disagree,
        _ if cpython.unavailable => Verdict::Unavailable,
        (Err(_), false) => Verdict::AgreeErr,
        (Ok(_), false) => {
            if cpython.flags & LOADS_INERT != 0 {
                Verdict::ConstructorNotRun
            } else if cpython.flags & PURE_PYTHON != 0 {
                // The C unpickler ran out of memory and the pure-Python one refused it; it is
                // stricter than the C one in places (an empty APPENDS onto a dict).
                Verdict::CpythonMemory
            } else {
                Verdict::Disagree
            }
        }
        (Ok(_), true) if cpython.flags & TOO_LARGE != 0 => Verdict::TooLarge,
        (Ok(v), true) => {
            if canonical(v) == cpython.text {
                Verdict::AgreeOk
            } else if canonical(&dedup(v)) == cpython.text {
                Verdict::Duplicates
            } else if cpython.flags & NOT_PLAIN != 0 && holds_object(v) {
                Verdict::ObjectDisplay
            } else {
                Verdict::Disagree
            }
        }
        (Err(e), true) => {
            let msg = e.to_string();
            if e.limit().is_some() {
                Verdict::Limit
            } else if e.category() == Category::Unsupported {
                Verdict::Unsupported
            } else if msg.contains("contains itself") && cpython.flags & CYCLIC != 0 {
                Verdict::Cycle
            } else if msg.contains("surrogate") && cpython.flags & SURROGATE != 0 {
                Verdict::Surrogate
            } else if (msg.contains("unexpected arguments to ")
                || msg.contains("unsupported encoding"))
                && e.category() == Category::Invalid
            {
                Verdict::BuiltinCall
            } else if msg.to_lowercase().contains("current frame") {
                Verdict::FrameStraddle
            } else if cpython.flags & PURE_PYTHON != 0 {
                // The C unpickler ran out of memory; the pure-Python one answered, and it is
                // laxer than the C one in places (REDUCE takes a list of arguments).
                Verdict::CpythonMemory
            } else if msg.contains("BUILD on a global") {
                Verdict::BuildOnGlobal
            } else if msg.contains("only getattr(class, 'name')") {
                Verdict::GetattrShape
            } else if nul_in_text_number(input, e) {
                Verdict::NulInNumber
            } else if msg.contains("is not an integer as Python's int() reads it")
                && octal_int_line(input, e)
            {
                Verdict::IntSyntax
            } else {
                Verdict::Disagree
            }
        }
    };
    let show = |r: pypickle::Result<Value>| match r {
        Ok(v) => format!("Ok {}", truncate(&canonical(&v))),
        Err(e) => format!("Err {e}"),
    };
    let mut ours = show(ours);
    if !same_path {
        ours = format!("{ours}\n  from_reader: {}", show(via_reader));
    }
    let theirs = format!(
        "{} {} (flags {}, depth {})",
        if cpython.ok { "Ok" } else { "Err" },
        truncate(&cpython.text),
        cpython.flags,
        cpython.depth
    );
    (
        verdict,
        format!(
            "input {}\n  pypickle: {ours}\n  CPython:  {theirs}",
            hex(input)
        ),
    )
}

/// Whether the error is at a text number opcode whose line holds a NUL byte.
fn nul_in_text_number(input: &[u8], e: &pypickle::Error) -> bool {
    let Some(at) = e.offset() else { return false };
    let at = at as usize;
    if !matches!(input.get(at), Some(b'I' | b'L' | b'F' | b'g' | b'p')) {
        return false;
    }
    let line = input[at + 1..].split(|&b| b == b'\n').next().unwrap_or(&[]);
    line.contains(&0)
}

/// Whether the error is at a text INT or LONG whose number starts with a zero followed by a
/// digit (after any whitespace and sign): C's `strtol` reads it as octal.
fn octal_int_line(input: &[u8], e: &pypickle::Error) -> bool {
    let Some(at) = e.offset() else { return false };
    let at = at as usize;
    if !matches!(input.get(at), Some(b'I' | b'L')) {
        return false;
    }
    let line = input[at + 1..].split(|&b| b == b'\n').next().unwrap_or(&[]);
    let start = line
        .iter()
        .position(|b| !b" \t\r\x0b\x0c+-".contains(b))
        .unwrap_or(line.len());
    matches!(line.get(start..start + 2), Some([b'0', d]) if d.is_ascii_digit())
}

fn truncate(s: &str) -> String {
    if s.len() <= 300 {
        return s.to_string();
    }
    let mut end = 300;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

/// The bytes as a Rust byte string literal, ready for a regression test.
fn hex(b: &[u8]) -> String {
    let shown = &b[..b.len().min(400)];
    let mut s = String::from("b\"");
    for &c in shown {
        match c {
            b'"' | b'\\' => write!(s, "\\{}", c as char).unwrap(),
            0x20..=0x7e => s.push(c as char),
            _ => write!(s, "\\x{c:02x}").unwrap(),
        }
    }
    s.push('"');
    if b.len() > shown.len() {
        write!(s, " ... ({} bytes)", b.len()).unwrap();
    }
    s
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().map(|v| {
        v.parse()
            .unwrap_or_else(|_| panic!("{name} must be a number, not {v:?}"))
    })
}

#[test]
fn mutated_fixtures_agree_with_cpython() {
    let fixtures = fixtures();
    assert!(fixtures.len() > 1000, "{} fixtures", fixtures.len());
    let count = env_number("PYPICKLE_DIFF_MUTATIONS").map_or(DEFAULT_MUTATIONS, |n| n as usize);
    let seed = env_number("PYPICKLE_DIFF_SEED").unwrap_or(0);
    let mut rng = Rng((seed ^ 0x5eed_d1ff).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let inputs: Vec<Vec<u8>> = (0..count)
        .map(|_| {
            let data = rng.pick(&fixtures);
            let other = rng.pick(&fixtures);
            mutate(&mut rng, data, other)
        })
        .collect();
    let answers = cpython(&inputs);
    let mut tally: BTreeMap<Verdict, usize> = BTreeMap::new();
    let mut disagreements = Vec::new();
    for (input, answer) in inputs.iter().zip(&answers) {
        let (verdict, report) = judge(input, answer);
        *tally.entry(verdict).or_default() += 1;
        if verdict == Verdict::Disagree {
            disagreements.push(report);
        }
    }
    let summary: Vec<String> = tally.iter().map(|(k, n)| format!("{k:?} {n}")).collect();
    println!(
        "{count} mutations of {} fixtures against CPython: {}",
        fixtures.len(),
        summary.join(", ")
    );
    if std::env::var_os("PYPICKLE_DIFF_SHOW").is_some() {
        for (input, answer) in inputs.iter().zip(&answers) {
            let (verdict, report) = judge(input, answer);
            if verdict != Verdict::AgreeOk && verdict != Verdict::AgreeErr {
                println!("{verdict:?}: {report}");
            }
        }
    }
    assert!(
        disagreements.is_empty(),
        "{} disagreements with CPython; the first ones:\n{}",
        disagreements.len(),
        disagreements[..disagreements.len().min(8)].join("\n")
    );
}

// Regression tests: each disagreement the differential test found, with CPython's answer.

fn repr_of(data: &[u8]) -> String {
    match pypickle::from_slice::<Value>(data) {
        Ok(v) => v.to_string(),
        Err(e) => panic!("{}: {e}", hex(data)),
    }
}

fn error_of(data: &[u8]) -> pypickle::Error {
    match pypickle::from_slice::<Value>(data) {
        Ok(v) => panic!("{} loaded as {v}", hex(data)),
        Err(e) => e,
    }
}

#[test]
fn unhashable_dict_keys_and_set_elements_are_errors_as_in_cpython() {
    // Found: a list (through the memo) set as a dict key; CPython: "unhashable type: 'list'".
    let found = b"\x80\x03}q\x00(X\x05\x00\x00\x00firstq\x01]q\x02]q\x02]q\x02]q\x02]q\x02(X\x01\x00\x00\x00sq\x03K\x01eX\x06\x00\x00\x00secondq\x04h\x02u.";
    let e = error_of(found);
    assert_eq!(
        (e.category(), e.opcode_name()),
        (Category::Invalid, Some("SETITEMS"))
    );
    assert!(e.to_string().contains("unhashable type: a list"), "{e}");
    for data in [
        &b"\x80\x02}(]K\x01u."[..],              // SETITEMS, list key
        b"\x80\x02}]K\x01s.",                    // SETITEM
        b"(]K\x01d.",                            // DICT
        b"\x80\x02}(]\x85K\x01u.",               // a tuple holding a list
        b"\x80\x02}(]\x85\x85K\x01u.",           // ... inside a tuple
        b"\x80\x04\x8f(}\x90.",                  // ADDITEMS, dict element
        b"\x80\x04(\x8f\x91.",                   // FROZENSET, set element
        b"c__builtin__\nset\n((lp0\n(lp1\natR.", // set([[]])
        b"\x80\x05}(\x96\x00\x00\x00\x00\x00\x00\x00\x00K\x01u.", // bytearray key
    ] {
        let e = error_of(data);
        assert!(e.to_string().contains("unhashable type"), "{e}");
    }
    // Hashable compound keys still read.
    assert_eq!(repr_of(b"\x80\x02}(K\x01\x85K\x01u."), "{(1,): 1}");
    assert_eq!(
        repr_of(b"\x80\x04}(K\x01\x85\x85K\x01(\x91K\x02u."),
        "{((1,),): 1, frozenset(): 2}"
    );
}

#[test]
fn two_character_int_lines_of_0_or_1_are_bools_as_in_cpython() {
    // Found: `I 1` is True in CPython's C unpickler (C's strtol takes the whole line, and a
    // three-byte line of 0 or 1 is a bool), not 1.
    for (data, want) in [
        (&b"I 1\n."[..], "True"),
        (b"I+1\n.", "True"),
        (b"I-0\n.", "False"),
        (b"I00\n.", "False"),
        (b"I01\n.", "True"),
        (b"I1 \n.", "1"),
        (b"I-1\n.", "-1"),
        (b"I1\n.", "1"),
        (b"I000\n.", "0"),
    ] {
        assert_eq!(repr_of(data), want, "{}", hex(data));
    }
}

#[test]
fn int_lines_with_a_leading_zero_are_errors() {
    // Found: `I-056` is -46 in CPython's C unpickler (C's strtol reads octal), an error in its
    // Python unpickler; it was read as -56. No pickler writes a leading zero: refused.
    for data in [&b"I-056\n."[..], b"I010\n.", b"L010L\n."] {
        let e = error_of(data);
        assert!(e.to_string().contains("as Python's int() reads it"), "{e}");
    }
    assert_eq!(repr_of(b"L00L\n."), "0");
}

#[test]
fn int_lines_read_base_prefixes_and_underscores_as_both_cpython_unpicklers() {
    // Found by a review helper: both of CPython's unpicklers read INT and LONG with
    // `int(s, 0)` (the C one after strtol) and PUT and GET with `int(s)`.
    for (data, repr) in [
        (&b"I0x10\n."[..], "16"),
        (b"I-0X1f\n.", "-31"),
        (b"L0o17L\n.", "15"),
        (b"I0b101\n.", "5"),
        (b"I1_000\n.", "1000"),
        (b"I0x_ff_ff\n.", "65535"),
        (b"L0x1_0000_0000_0000_0000L\n.", "18446744073709551616"),
        (b"K\x01p1_0\ng10\n\x86.", "(1, 1)"),
        (b"K\x01p010\ng10\n\x86.", "(1, 1)"),
    ] {
        assert_eq!(repr_of(data), repr, "{data:?}");
    }
    for data in [&b"I1__0\n."[..], b"I0x\n.", b"I0b2\n.", b"K\x01p0x1\n."] {
        error_of(data);
    }
    // The same, against python3 itself.
    let cases = [
        &b"I0x10\n."[..],
        b"L0o17L\n.",
        b"I1_000\n.",
        b"L0x1_0000_0000_0000_0000L\n.",
        b"K\x01p1_0\ng10\n\x86.",
    ];
    let hexes: Vec<String> = cases
        .iter()
        .map(|d| d.iter().map(|b| format!("{b:02x}")).collect())
        .collect();
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import pickle,sys\nfor h in sys.argv[1:]: print(repr(pickle.loads(bytes.fromhex(h))))",
        ])
        .args(&hexes)
        .output()
        .expect("python3");
    let text = String::from_utf8(out.stdout).unwrap();
    let ours: Vec<String> = cases.iter().map(|d| repr_of(d)).collect();
    assert_eq!(text.lines().collect::<Vec<_>>(), ours);
}

#[test]
fn float_reprs_are_the_shortest_that_read_back() {
    // Found: rounding the exact value to the shortest length gave ...397e-304, another float.
    assert_eq!(
        repr_of(b"G\x01\x00\x00\x00\x00\x00\x00\x00."),
        "7.291122019556398e-304"
    );
    assert_eq!(
        repr_of(b"\x80\x03G \xf0\x00\x00\x00\x00\x00\x00."),
        "4.887898181599368e-150"
    );
}

#[test]
fn float_lines_take_no_whitespace_as_in_cpython() {
    for data in [&b"F 1.5\n."[..], b"F1.5 \n.", b"F1.5\t\n."] {
        error_of(data);
    }
    assert_eq!(repr_of(b"F1.5\n."), "1.5");
}

#[test]
fn empty_batches_do_nothing_whatever_is_below_them() {
    // Found: an empty SETITEMS over an int (CPython's C unpickler returns before it looks at
    // the target).
    let found = b"cexceptions\nStopIteration\nq\x00(K\x05(utq\x01Rq\x02.";
    assert_eq!(repr_of(found), "StopIteration(5)");
    for data in [&b"K\x05(u."[..], b"K\x05(e.", b"\x80\x04K\x05(\x90."] {
        assert_eq!(repr_of(data), "5");
    }
    // Still an error with nothing below the mark.
    error_of(b"(u.");
}

#[test]
fn codecs_encode_takes_only_a_str_for_errors() {
    // Found: `_codecs.encode(s, 'latin1', 3)` read as bytes; CPython: "encode() argument
    // 'errors' must be str, not int".
    let found = b"cdatetime\ndate\np0\n(c_codecs\nencode\np1\n(V\x07\xd0\x02\x1d\np2\nVlatin1\nL3\ntp4\nRp5\ntp6\nRp7\n.";
    error_of(found);
    assert_eq!(
        repr_of(b"c_codecs\nencode\n(Va\nVlatin1\nVstrict\ntR."),
        "b'a'"
    );
}

#[test]
fn a_bare_object_takes_no_arguments_state_or_items() {
    // Found: `object()` given a state dict by BUILD; CPython: "'object' object has no
    // attribute '__dict__'".
    let found = b"ccopy_reg\n_reconstructor\np0\n(cuuid\nUUID\np1\nc__builtin__\nobject\np2\n(tp3\nRp4\n(dp5\nVint\np6\nL181289448026289383154478846676280385117L\nsb.";
    error_of(found);
    error_of(b"c__builtin__\nobject\n)Rq\x00}b.");
    error_of(b"\x80\x02c__builtin__\nobject\nK\x01\x85\x81."); // object.__new__(object, 1)
    error_of(b"c__builtin__\nobject\n)R(K\x01e."); // APPENDS onto object()
    assert_eq!(
        repr_of(b"\x80\x02c__builtin__\nobject\n)\x81."),
        "builtins.object()"
    );
    assert_eq!(repr_of(b"c__builtin__\nobject\n)R(e."), "builtins.object()");
    assert_eq!(
        repr_of(b"c__builtin__\nobject\n)RNb."),
        "builtins.object(__setstate__=None)"
    );
}
