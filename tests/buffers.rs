//! Protocol 5 out-of-band buffers against the real python3, both ways:
//! `python_fixtures/buffer_oracle.py` loads our pickles with `buffers=` and dumps its own with
//! `buffer_callback=`.

use std::io::Write;
use std::process::{Command, Stdio};

use pypickle::numpy::NdArray;
use pypickle::{PickleBuffer, SerOptions, Value};

mod py_common;

fn oracle(python: &str, lines: &[String]) -> Vec<String> {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/python_fixtures/buffer_oracle.py"
    );
    let mut child = Command::new(python)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 must be installed: these tests compare with CPython");
    let mut stdin = child.stdin.take().unwrap();
    let text = lines.join("\n") + "\n";
    let writer = std::thread::spawn(move || stdin.write_all(text.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(out.status.success());
    let out = String::from_utf8(out.stdout).unwrap();
    let got: Vec<String> = out.lines().map(str::to_string).collect();
    assert_eq!(got.len(), lines.len(), "{out}");
    got
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// A `dumps` reply: the pickle and its buffers.
fn parse_dump(reply: &str) -> (Vec<u8>, Vec<Vec<u8>>) {
    assert!(!reply.starts_with("ERR"), "{reply}");
    let (data, bufs) = reply.split_once(' ').unwrap();
    let bufs = bufs
        .split(',')
        .filter(|b| !b.is_empty())
        .map(unhex)
        .collect();
    (unhex(data), bufs)
}

#[test]
fn rust_buffers_load_in_cpython_out_of_band_and_in_band() {
    let value = (
        PickleBuffer::new(&b"writable"[..]),
        PickleBuffer::readonly(&b"read-only"[..]),
        5,
    );
    let proto5 = SerOptions::new().protocol(5);
    let (pickle, buffers) = pypickle::to_vec_with_buffers(&value, &proto5).unwrap();
    assert_eq!(buffers, [b"writable".to_vec(), b"read-only".to_vec()]);
    assert!(!pickle.windows(8).any(|w| w == b"writable"), "out of band");
    let in_band = pypickle::to_vec_with(&value, &proto5).unwrap();
    let bufs: Vec<String> = buffers.iter().map(|b| hex(b)).collect();
    let replies = oracle(
        "python3",
        &[
            format!("loads {} {}", hex(&pickle), bufs.join(",")),
            format!("loads {}", hex(&in_band)),
        ],
    );
    // Out of band, a read-only buffer is a read-only memoryview of what was passed.
    assert!(
        replies[0].starts_with("(bytearray(b'writable'), <memory at "),
        "{}",
        replies[0]
    );
    assert_eq!(replies[1], "(bytearray(b'writable'), b'read-only', 5)");
    // And back here: the same values, the bytes lent from the buffers.
    let lent: Vec<&[u8]> = buffers.iter().map(Vec::as_slice).collect();
    let v: Value = pypickle::from_slice_with_buffers(&pickle, &lent, &Default::default()).unwrap();
    assert_eq!(v.to_string(), replies[1]);
    let (a, b, n): (&[u8], &[u8], i32) =
        pypickle::from_slice_with_buffers(&pickle, &lent, &Default::default()).unwrap();
    assert_eq!((a, b, n), (&b"writable"[..], &b"read-only"[..], 5));
    assert_eq!(a.as_ptr(), lent[0].as_ptr(), "borrowed from the buffer");
    // Below protocol 5 a PickleBuffer is an error, as in CPython.
    let e = pypickle::to_vec_with(&value, &SerOptions::new().protocol(4)).unwrap_err();
    assert!(e.to_string().contains("protocol 5"), "{e}");
}

#[test]
fn cpython_buffers_read_here() {
    let replies = oracle(
        "python3",
        &["dumps [PB(bytearray(b'abc')), PB(b'xyz'), b'in band']".to_string()],
    );
    let (pickle, buffers) = parse_dump(&replies[0]);
    assert_eq!(buffers, [b"abc".to_vec(), b"xyz".to_vec()]);
    let lent: Vec<&[u8]> = buffers.iter().map(Vec::as_slice).collect();
    let v: Value = pypickle::from_slice_with_buffers(&pickle, &lent, &Default::default()).unwrap();
    assert_eq!(v.to_string(), "[bytearray(b'abc'), b'xyz', b'in band']");
    let parts: Vec<&[u8]> =
        pypickle::from_slice_with_buffers(&pickle, &lent, &Default::default()).unwrap();
    assert_eq!(parts[1].as_ptr(), lent[1].as_ptr());
    // Without the buffers, or with too few: errors that say so.
    let e = pypickle::from_slice::<Value>(&pickle).unwrap_err();
    assert!(e.to_string().contains("from_slice_with_buffers"), "{e}");
    let e = pypickle::from_slice_with_buffers::<Value>(&pickle, &lent[..1], &Default::default())
        .unwrap_err();
    assert!(
        e.to_string().contains("not enough out-of-band buffers"),
        "{e}"
    );
    assert!(e.to_string().contains("buffer 2 of 1"), "{e}");
    assert_eq!(e.opcode_name(), Some("NEXT_BUFFER"));
    // An empty list passed is too few buffers, as for Python's `loads(p, buffers=[])`, not
    // a call that forgot to pass them.
    let e =
        pypickle::from_slice_with_buffers::<Value>(&pickle, &[], &Default::default()).unwrap_err();
    assert!(
        e.to_string().contains("not enough out-of-band buffers"),
        "{e}"
    );
    assert!(e.to_string().contains("buffer 1 of 0"), "{e}");
    assert!(!e.to_string().contains("pass the buffers"), "{e}");
    // None passed at all: the error says how to pass them.
    let e = pypickle::from_slice::<Value>(&pickle).unwrap_err();
    assert!(
        e.to_string()
            .contains("pass the buffers it got to from_slice_with_buffers"),
        "{e}"
    );
    assert!(!e.to_string().contains("hook"), "{e}");
}

#[test]
fn numpy_arrays_with_out_of_band_data() {
    for python in py_common::numpy_pythons() {
        let replies = oracle(
            &python,
            &["dumps np.arange(12, dtype='<f8').reshape(3, 4)".to_string()],
        );
        let (pickle, buffers) = parse_dump(&replies[0]);
        assert_eq!(buffers.len(), 1, "{python}: the data travels out of band");
        let lent: Vec<&[u8]> = buffers.iter().map(Vec::as_slice).collect();
        let a: NdArray =
            pypickle::from_slice_with_buffers(&pickle, &lent, &Default::default()).unwrap();
        assert_eq!(a.shape(), &[3, 4]);
        assert_eq!(
            a.to_vec::<f64>().unwrap(),
            (0..12).map(f64::from).collect::<Vec<_>>()
        );
    }
}

/// A pickle abandoned by an error drops the buffers it handed out of band: the next pickle's
/// buffers are its own, as `take_buffers` returns them. And the functions that cannot return
/// buffers refuse a value that hands any out, rather than lose them.
#[test]
fn buffers_of_an_abandoned_pickle_are_dropped_and_none_are_lost() {
    struct Fails;
    impl serde::Serialize for Fails {
        fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            Err(serde::ser::Error::custom("fails"))
        }
    }
    #[derive(serde::Serialize)]
    struct Bad {
        a: PickleBuffer<&'static [u8]>,
        b: Fails,
    }
    #[derive(serde::Serialize)]
    struct Good {
        a: PickleBuffer<&'static [u8]>,
    }
    let opts = SerOptions::new().protocol(5).out_of_band_buffers(true);
    let mut ser = pypickle::Serializer::new(Vec::new()).with_options(opts.clone());
    let bad = Bad {
        a: PickleBuffer::new(&b"STALE"[..]),
        b: Fails,
    };
    // The next pickle (a Good) and its one buffer, which read back together.
    let next_reads_back = |mut ser: pypickle::Serializer<Vec<u8>>| {
        ser.dump(&Good {
            a: PickleBuffer::new(&b"fresh"[..]),
        })
        .unwrap();
        let buffers = ser.take_buffers();
        assert_eq!(buffers, [b"fresh".to_vec()]);
        let pickle = ser.into_inner();
        let lent: Vec<&[u8]> = buffers.iter().map(|b| &b[..]).collect();
        let v: Value =
            pypickle::from_slice_with_buffers(&pickle, &lent, &Default::default()).unwrap();
        assert_eq!(v.to_string(), "{'a': bytearray(b'fresh')}");
    };
    ser.dump(&bad).unwrap_err();
    next_reads_back(ser);

    // The same through serialize() on a held serializer, which recovers at the next value.
    let mut ser = pypickle::Serializer::new(Vec::new()).with_options(opts.clone());
    serde::Serialize::serialize(&bad, &mut ser).unwrap_err();
    ser.dump(&Good {
        a: PickleBuffer::new(&b"fresh"[..]),
    })
    .unwrap();
    assert_eq!(ser.take_buffers(), [b"fresh".to_vec()]);

    // And when the buffers are taken between the failed value and the next: none of the
    // abandoned pickle's is among them, and the next pickle's come after (found by a review).
    let mut ser = pypickle::Serializer::new(Vec::new()).with_options(opts.clone());
    serde::Serialize::serialize(&bad, &mut ser).unwrap_err();
    assert!(ser.take_buffers().is_empty());
    next_reads_back(ser);

    let good = Good {
        a: PickleBuffer::new(&b"x"[..]),
    };
    for e in [
        pypickle::to_vec_with(&good, &opts).unwrap_err(),
        pypickle::to_writer_with(Vec::new(), &good, &opts).unwrap_err(),
    ] {
        assert!(e.to_string().contains("only to_vec_with_buffers"), "{e}");
    }
    // Without a buffer to hand out, the option changes nothing.
    assert!(pypickle::to_vec_with(&1, &opts).is_ok());
}

/// Several pickles CPython wrote to one stream with one `buffer_callback` read back through
/// a held `Deserializer`, each taking its buffers from the front of the list, as
/// `pickle.Unpickler(f, buffers=...)` does from load to load: from a slice and from a reader,
/// a pickle that takes none in the middle, and one whose value does not fit the type asked
/// for still taking its buffers. Python loads the stream back the same way, and a pickle
/// left short of buffers is an error saying so.
#[test]
fn a_stream_of_pickles_takes_its_out_of_band_buffers_in_turn() {
    let script = r#"
import io, pickle
PB = pickle.PickleBuffer
f, bufs = io.BytesIO(), []
for obj in [[PB(b'one'), PB(bytearray(b'two'))], 'no buffers', PB(b'three'), (PB(b'four'), 5)]:
    pickle.dump(obj, f, protocol=5, buffer_callback=bufs.append)
print(f.getvalue().hex())
print(','.join(bytes(b).hex() for b in bufs))
# Loaded from writable copies: a buffer is the bytearray, or after READONLY_BUFFER a
# read-only view of it, which pypickle's Value holds as bytes.
u = pickle.Unpickler(io.BytesIO(f.getvalue()), buffers=iter(bytearray(b) for b in bufs))
def plain(v):
    if isinstance(v, memoryview):
        return bytes(v) if v.readonly else bytearray(v)
    if isinstance(v, (list, tuple)):
        return type(v)(plain(x) for x in v)
    return v
print(repr([plain(u.load()) for _ in range(4)]))
"#;
    let out = py_common::python(script);
    let lines: Vec<&str> = out.lines().collect();
    let stream = unhex(lines[0]);
    let buffers: Vec<Vec<u8>> = lines[1].split(',').map(unhex).collect();
    let lent: Vec<&[u8]> = buffers.iter().map(Vec::as_slice).collect();
    // Python's repr of the four, as a list.
    let want = lines[2];

    let mut left = &lent[..];
    let mut de = pypickle::Deserializer::from_slice(&stream);
    let mut got = Vec::new();
    while let Some(v) = de.next_value_with_buffers::<Value>(&mut left).unwrap() {
        got.push(v.to_string());
    }
    assert_eq!(format!("[{}]", got.join(", ")), want);
    assert!(left.is_empty());

    // From a reader, typed: the first pickle's bytes borrow from the buffers; the third's
    // value is not the `i64` asked for, an error, and it still takes its buffer, so the
    // fourth gets the fourth.
    let mut left = &lent[..];
    let mut de = pypickle::Deserializer::from_reader(&stream[..]);
    let first: Vec<&[u8]> = de.next_value_with_buffers(&mut left).unwrap().unwrap();
    assert_eq!(first, [&b"one"[..], b"two"]);
    assert_eq!(first[0].as_ptr(), lent[0].as_ptr());
    assert_eq!(left.len(), 2);
    let second: String = de.next_value_with_buffers(&mut left).unwrap().unwrap();
    assert_eq!((second.as_str(), left.len()), ("no buffers", 2));
    let e = de.next_value_with_buffers::<i64>(&mut left).unwrap_err();
    assert!(e.to_string().contains("invalid type"), "{e}");
    assert_eq!(left.len(), 1);
    let fourth: (&[u8], i64) = de.next_value_with_buffers(&mut left).unwrap().unwrap();
    assert_eq!((fourth, left.len()), ((&b"four"[..], 5), 0));

    // Short of buffers: the last pickle says which it lacks.
    let mut left = &lent[..3];
    let mut de = pypickle::Deserializer::from_slice(&stream);
    for _ in 0..3 {
        de.next_value_with_buffers::<Value>(&mut left).unwrap();
    }
    let e = de.next_value_with_buffers::<Value>(&mut left).unwrap_err();
    assert!(e.to_string().contains("buffer 1 of 0"), "{e}");
    assert_eq!(e.opcode_name(), Some("NEXT_BUFFER"));
    // And next_value, which takes none, says how to pass them.
    let mut de = pypickle::Deserializer::from_slice(&stream);
    let e = de.next_value::<Value>().unwrap_err();
    assert!(e.to_string().contains("next_value_with_buffers"), "{e}");
}
