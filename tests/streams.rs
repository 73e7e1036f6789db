//! Streams of pickles that share one memo, as one reused `pickle.Pickler` writes them and one
//! reused `pickle.Unpickler` reads them.
//!
//! Reading: a live stream, a Python process that writes records with one reused Pickler to a
//! pipe, flushing after each, read as they come by `Deserializer::from_reader(..)
//! .keep_memo(true)` into typed structs. The later records refer to the first one's keys and
//! shared values through the memo, and the reader must neither read past a STOP (it would
//! block on a pipe the writer keeps open) nor lose what an earlier pickle memoized.
//!
//! Writing: `Serializer::keep_memo(true)`'s streams, loaded by CPython's reused Unpickler,
//! through failures before, inside and after a pickle.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};

mod py_common;

#[derive(Deserialize, Debug, PartialEq)]
struct Record {
    id: u32,
    name: String,
    tags: Vec<String>,
    owner: Owner,
}

#[derive(Deserialize, Debug, PartialEq)]
struct Owner {
    team: String,
}

/// The writer sends one record per line it reads on stdin, so each is read before the next
/// is written: a reader that waited for more than one pickle would hang here.
const WRITER: &str = r#"
import pickle, sys
out = sys.stdout.buffer
p = pickle.Pickler(out, int(sys.argv[1]))
owner = {'team': 'core'}
tags = ['red', 'green']
for line in sys.stdin:
    i = int(line)
    p.dump({'id': i, 'name': 'user%d' % i, 'tags': tags if i % 2 else ['blue'], 'owner': owner})
    out.flush()
"#;

#[test]
fn records_from_a_live_pipe_share_the_writers_memo() {
    for protocol in 0..=5 {
        let mut child = Command::new("python3")
            .args(["-c", WRITER, &protocol.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("this test needs python3 on PATH");
        let mut to_writer = child.stdin.take().unwrap();
        let from_writer = BufReader::new(child.stdout.take().unwrap());
        let mut de = pypickle::Deserializer::from_reader(from_writer).keep_memo(true);
        for i in 0..50u32 {
            writeln!(to_writer, "{i}").unwrap();
            to_writer.flush().unwrap();
            let r: Record = de
                .next_value()
                .unwrap_or_else(|e| panic!("protocol {protocol}, record {i}: {e}"))
                .expect("a record");
            let tags: &[&str] = if i % 2 == 1 {
                &["red", "green"]
            } else {
                &["blue"]
            };
            assert_eq!(
                r,
                Record {
                    id: i,
                    name: format!("user{i}"),
                    tags: tags.iter().map(|t| t.to_string()).collect(),
                    owner: Owner {
                        team: "core".into()
                    },
                },
                "protocol {protocol}"
            );
        }
        drop(to_writer);
        assert_eq!(
            de.next_value::<Record>().unwrap(),
            None,
            "protocol {protocol}"
        );
        assert!(child.wait().unwrap().success());
        // The reader is left where the writer stopped.
        let mut rest = String::new();
        de.into_inner().read_line(&mut rest).unwrap();
        assert_eq!(rest, "");
    }
}

#[derive(Serialize)]
struct Sent {
    id: u32,
    name: String,
    tags: Vec<&'static str>,
    owner: Team,
    color: Color,
    extra: Option<BTreeMap<String, i64>>,
}

#[derive(Serialize)]
struct Team {
    team: &'static str,
}

#[derive(Serialize)]
enum Color {
    Red,
    Rgb(u8, u8, u8),
}

/// A record whose writing fails halfway, after writing a key and strings no pickle wrote
/// before, which the records after it use (and at protocols 0-2 the `_codecs.encode`
/// global, which bytes are written with).
struct Fails;

impl Serialize for Fails {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error, SerializeMap};
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("late_key", "late value")?;
        m.serialize_entry("bytes", serde_bytes::Bytes::new(b"\xff\x00"))?;
        m.serialize_entry("id", &7)?;
        Err(S::Error::custom("this record cannot be written"))
    }
}

fn sent(i: u32) -> Sent {
    Sent {
        id: i,
        name: format!("user{i}"),
        tags: if i % 2 == 1 {
            vec!["red", "green"]
        } else {
            vec!["blue"]
        },
        owner: Team { team: "core" },
        color: if i % 3 == 0 {
            Color::Red
        } else {
            Color::Rgb(1, 2, 3)
        },
        // "late_key" first in the records after the one that fails, which wrote it first.
        extra: (i % 2 == 0).then(|| {
            let mut m = BTreeMap::from([("x".to_string(), 1)]);
            if i >= 4 {
                m.insert("late_key".to_string(), i64::from(i));
            }
            m
        }),
    }
}

/// For the stream and for each record alone: what one reused `pickle.Unpickler` loads from
/// the stream, and what `pickle.loads` gives for each record, as `repr()`s, NUL-separated
/// lines `stream` and `alone`.
const READER: &str = r#"
import io, pickle, sys
stream, alone = sys.stdin.buffer.read().split(b'\0SPLIT\0')
u = pickle.Unpickler(io.BytesIO(stream))
got = []
while True:
    try:
        got.append(repr(u.load()))
    except EOFError:
        break
print('\0'.join(got))
parts = []
while alone:
    n = int.from_bytes(alone[:4], 'little')
    parts.append(repr(pickle.loads(alone[4:4 + n])))
    alone = alone[4 + n:]
print('\0'.join(parts))
"#;

/// `Serializer::keep_memo(true)` writes what one reused `pickle.Pickler` writes: CPython's
/// reused `pickle.Unpickler` loads each record as `pickle.loads` loads it written alone, at
/// protocols 0-5, and so does `Deserializer::keep_memo`; the stream is smaller than the
/// records written alone. A record that fails halfway is dropped from the memo as from the
/// output: the records after it, which use the names it wrote first, still load.
#[test]
fn a_serializer_that_keeps_its_memo_writes_what_a_reused_unpickler_reads() {
    for protocol in 0..=5u8 {
        let opts = pypickle::SerOptions::new().protocol(protocol);
        let mut ser = pypickle::Serializer::new(Vec::new())
            .with_options(opts.clone())
            .keep_memo(true);
        let mut alone = Vec::new();
        let mut alone_len = 0;
        for i in 0..6 {
            if i == 3 {
                let e = ser.dump(&Fails).unwrap_err();
                assert!(e.to_string().contains("cannot be written"), "{e}");
            }
            ser.dump(&sent(i)).unwrap();
            let one = pypickle::to_vec_with(&sent(i), &opts).unwrap();
            alone_len += one.len();
            alone.extend_from_slice(&(one.len() as u32).to_le_bytes());
            alone.extend_from_slice(&one);
        }
        let stream = ser.into_inner();
        assert!(
            stream.len() * 10 < alone_len * 9,
            "protocol {protocol}: {} bytes against {alone_len}",
            stream.len()
        );
        let (theirs, want) = cpython_reads(&stream, &alone);
        assert_eq!(theirs.len(), 6, "protocol {protocol}");
        assert_eq!(theirs, want, "protocol {protocol}");
        let ours: Vec<String> = pypickle::Deserializer::from_slice(&stream)
            .keep_memo(true)
            .into_iter::<pypickle::Value>()
            .map(|v| v.unwrap().to_string())
            .collect();
        assert_eq!(ours, want, "protocol {protocol}");
        // After clear_memo, the next pickle reads on its own.
        let mut ser = pypickle::Serializer::new(Vec::new())
            .with_options(opts.clone())
            .keep_memo(true);
        ser.dump(&sent(1)).unwrap();
        let first = ser.get_ref().len();
        ser.clear_memo();
        ser.dump(&sent(1)).unwrap();
        let stream = ser.into_inner();
        assert_eq!(&stream[first..], &stream[..first], "protocol {protocol}");
    }
}

/// What CPython's reused `pickle.Unpickler` loads from `stream`, and what `pickle.loads`
/// gives for each of the length-prefixed pickles of `alone`, as `repr()`s.
fn cpython_reads(stream: &[u8], alone: &[u8]) -> (Vec<String>, Vec<String>) {
    let mut input = stream.to_vec();
    input.extend_from_slice(b"\0SPLIT\0");
    input.extend_from_slice(alone);
    let out = py_common::run_python("python3", &["-c", READER], input);
    let mut lines = out.lines();
    let mut reprs = || -> Vec<String> {
        lines
            .next()
            .unwrap()
            .split('\0')
            .map(str::to_string)
            .collect()
    };
    (reprs(), reprs())
}

/// A value whose `Serialize` fails before writing anything.
struct FailsAtOnce;

impl Serialize for FailsAtOnce {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom("fails at once"))
    }
}

/// A value written whole (its pickle reaches the writer) whose `Serialize` then fails.
struct FailsAfter<T>(&'static str, T);

impl<T: Serialize> Serialize for FailsAfter<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeTuple;
        let mut t = s.serialize_tuple(2)?;
        t.serialize_element(self.0)?;
        t.serialize_element(&self.1)?;
        t.end()?;
        Err(serde::ser::Error::custom("fails after"))
    }
}

/// A writer that takes `left` bytes and then fails.
struct Flaky {
    out: Vec<u8>,
    left: usize,
}

impl Write for Flaky {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            return Err(std::io::Error::other("the writer failed"));
        }
        let n = b.len().min(self.left);
        self.out.extend_from_slice(&b[..n]);
        self.left -= n;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// How a `Serializer` with `keep_memo` ends a pickle that fails, found by a review, each
/// checked against CPython's reused `pickle.Unpickler` (and `pickle.loads` of each value
/// written alone): a value that fails before its pickle begins, or after it reached the
/// writer, takes back nothing the reader has (its ids went back below the reader's memo, and
/// the next BINGETs named older strings, silently); a pickle's out-of-band buffers stay with
/// it; after `clear_memo` a failing dump leaves the next pickle standing alone; a switch to
/// protocol 0 keeps its pickles text; a writer that takes part of a pickle and fails tears
/// the stream.
#[test]
fn a_serializer_that_keeps_its_memo_takes_back_only_what_never_reached_the_reader() {
    let first: Vec<String> = (0..12).map(|i| format!("first{i}")).collect();
    for protocol in [2u8, 4] {
        let opts = pypickle::SerOptions::new().protocol(protocol);
        let mut ser = pypickle::Serializer::new(Vec::new())
            .with_options(opts.clone())
            .keep_memo(true);
        let mut alone = Vec::new();
        let mut push = |one: Vec<u8>| {
            alone.extend_from_slice(&(one.len() as u32).to_le_bytes());
            alone.extend_from_slice(&one);
        };
        ser.dump(&first).unwrap();
        push(pypickle::to_vec_with(&first, &opts).unwrap());
        assert!(ser.dump(&FailsAtOnce).is_err());
        assert!(ser.dump(&FailsAfter("late", "first3")).is_err());
        push(pypickle::to_vec_with(&("late", "first3"), &opts).unwrap());
        for i in 2..4 {
            ser.dump(&sent(i)).unwrap();
            push(pypickle::to_vec_with(&sent(i), &opts).unwrap());
        }
        let stream = ser.into_inner();
        let (theirs, want) = cpython_reads(&stream, &alone);
        assert_eq!(theirs.len(), 4, "protocol {protocol}");
        assert_eq!(theirs, want, "protocol {protocol}");
    }

    // Out of band: the buffer of a pickle that reached the writer stays in the list.
    let opts = pypickle::SerOptions::new()
        .protocol(5)
        .out_of_band_buffers(true);
    let mut ser = pypickle::Serializer::new(Vec::new())
        .with_options(opts)
        .keep_memo(true);
    let buffer = |b: &'static [u8]| pypickle::PickleBuffer::new(b);
    ser.dump(&buffer(b"one")).unwrap();
    assert!(ser.dump(&FailsAfter("two", buffer(b"two"))).is_err());
    ser.dump(&buffer(b"three")).unwrap();
    let buffers = ser.take_buffers();
    assert_eq!(buffers, [&b"one"[..], b"two", b"three"]);
    let stream = ser.into_inner();
    let lent: Vec<&[u8]> = buffers.iter().map(Vec::as_slice).collect();
    let mut left = &lent[..];
    let mut de = pypickle::Deserializer::from_slice(&stream).keep_memo(true);
    let one: &[u8] = de.next_value_with_buffers(&mut left).unwrap().unwrap();
    let two: (String, &[u8]) = de.next_value_with_buffers(&mut left).unwrap().unwrap();
    let three: &[u8] = de.next_value_with_buffers(&mut left).unwrap().unwrap();
    assert_eq!(
        (one, two, three),
        (&b"one"[..], ("two".into(), &b"two"[..]), &b"three"[..])
    );

    // clear_memo, then a failing dump: the next pickle reads alone.
    let mut ser = pypickle::Serializer::new(Vec::new()).keep_memo(true);
    ser.dump(&first).unwrap();
    ser.dump(&sent(1)).unwrap();
    ser.clear_memo();
    assert!(ser.dump(&FailsAtOnce).is_err());
    let at = ser.get_ref().len();
    // Two records: the second refers to the first's field names.
    ser.dump(&[sent(2), sent(3)]).unwrap();
    let last = &ser.get_ref()[at..];
    assert_eq!(
        last,
        pypickle::to_vec(&[sent(2), sent(3)]).unwrap(),
        "stands alone"
    );

    // A switch to protocol 0 mid-stream writes text.
    let mut ser = pypickle::Serializer::new(Vec::new()).keep_memo(true);
    ser.dump(&[sent(1), sent(3)]).unwrap();
    let at = ser.get_ref().len();
    let mut ser = ser.with_options(pypickle::SerOptions::new().protocol(0));
    ser.dump(&[sent(1), sent(3)]).unwrap();
    let text = &ser.get_ref()[at..];
    assert!(
        text.iter()
            .all(|&c| c == b'\n' || (0x20..0x7f).contains(&c)),
        "protocol 0 is printable text: {}",
        String::from_utf8_lossy(text)
    );

    // A writer that takes part of a pickle and fails: the stream is torn, and no later
    // pickle is written after that part.
    let head = pypickle::to_vec(&"head").unwrap().len();
    let whole = pypickle::to_vec(&sent(5)).unwrap().len();
    for take in [1, 10, whole - 1] {
        let mut ser = pypickle::Serializer::new(Flaky {
            out: Vec::new(),
            left: head + take,
        })
        .keep_memo(true);
        ser.dump(&"head").unwrap();
        assert!(ser.dump(&sent(5)).is_err(), "take {take}");
        ser.get_mut().left = usize::MAX;
        let e = ser.dump(&sent(6)).unwrap_err();
        assert!(
            e.to_string().contains("write to a new writer"),
            "take {take}: {e}"
        );
        assert_eq!(ser.get_ref().out.len(), head + take, "take {take}");
    }
}
