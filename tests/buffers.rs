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
    let mut parts = reply.splitn(3, ' ');
    let (data, count, bufs) = (parts.next().unwrap(), parts.next().unwrap(), parts.next());
    let bufs: Vec<Vec<u8>> = match count.parse().unwrap() {
        0 => Vec::new(),
        _ => bufs.unwrap_or("").split(',').map(unhex).collect(),
    };
    assert_eq!(bufs.len().to_string(), count, "{reply}");
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

/// An `NdArray` written at protocol 5 with out-of-band buffers is what numpy writes with
/// `pickle.dumps(a, 5, buffer_callback=...)`, byte for byte, and its buffer is numpy's, but
/// for the module name: `_frombuffer` under numpy 2's (numpy 1 needs its own,
/// `numpy.core.numeric`, which numpy 2 warns about). Where numpy keeps an array in band
/// (datetimes, overlapping fields, size-0 items, ...), so does this crate. numpy loads the same
/// array from each pickle of ours as from its own (numpy 2; numpy 1 the ones in band),
/// among them one whose dtype repeats a str, which this crate writes once and numpy twice.
#[test]
fn numpy_arrays_written_out_of_band_as_numpy_writes_them() {
    let out_of_band = [
        "np.arange(12, dtype='<f8').reshape(3, 4)",
        "np.asfortranarray(np.arange(6, dtype='<i4').reshape(2, 3))",
        "np.asfortranarray(np.arange(3, dtype='<i4').reshape(1, 3))",
        "np.array([1, -2, 3], dtype='>i2')",
        "np.array([True, False])",
        "np.array([1+2j, -0.5j], dtype='<c16')",
        "np.zeros((2, 0))",
        "np.array(7.5)",
        "np.array([(1, 2.0), (3, -1.0)], dtype=[('a', '<i4'), ('b', '<f8')])",
        "np.zeros(2, dtype=np.dtype({'names': ['a'], 'formats': ['<i4'], 'offsets': [4], \
         'itemsize': 12}))",
        "np.array([b'ab', b'c'], dtype='S2')",
        "np.array(['xy', 'z'], dtype='<U2')",
        "np.array([1.5, -2.0], dtype='<f2')",
    ];
    let in_band = [
        "np.array(['2020-01-01', 'NaT'], dtype='datetime64[D]')",
        "np.array([5, -5], dtype='timedelta64[s]')",
        "np.zeros(2, dtype=[('a', '<i4', (2,)), ('t', [('u', 'm8[s]')])])",
        "np.zeros(2, dtype=np.dtype({'names': ['a', 'b'], 'formats': ['<i4', '<i2'], \
         'offsets': [0, 2], 'itemsize': 4}))",
        "np.zeros(2, dtype='V0')",
        // A long double in big-endian order (numpy exports it in native order only), and a
        // field name with a `:` (found by a review).
        "np.array([1.5], dtype='>f16')",
        "np.array([1.5 + 1j], dtype='>c32')",
        "np.zeros(2, dtype=[('a', '>f16'), ('b', '<i4')])",
        "np.zeros(2, dtype=[('a', '>g', (2,))])",
        "np.zeros(2, dtype=[('a:b', '<i4')])",
    ];
    // Out of band, but not byte for byte.
    let repeats_a_str = "np.zeros(2, dtype=[('s', '<i2', (2,))])";
    let requests: Vec<String> = out_of_band
        .iter()
        .chain(&in_band)
        .chain([&repeats_a_str])
        .map(|a| format!("dumps {a}"))
        .collect();
    let opts = SerOptions::new().protocol(5);
    for python in py_common::numpy_pythons() {
        let mut loads = Vec::new();
        for (i, reply) in oracle(&python, &requests).iter().enumerate() {
            let expr = &requests[i][6..];
            let (mut numpy, buffers) = parse_dump(reply);
            let lent: Vec<&[u8]> = buffers.iter().map(Vec::as_slice).collect();
            let a: NdArray = pypickle::from_slice_with_buffers(&numpy, &lent, &Default::default())
                .unwrap_or_else(|e| panic!("{python}: {expr}: {e}"));
            let (ours, our_buffers) = pypickle::to_vec_with_buffers(&a, &opts).unwrap();
            assert_eq!(our_buffers, buffers, "{python}: {expr}");
            let bufs: Vec<String> = buffers.iter().map(|b| hex(b)).collect();
            let numpy_2 = !numpy.windows(18).any(|w| w == b"numpy.core.numeric");
            // (The oracle's `loads` takes no empty buffer.)
            if (numpy_2 || buffers.is_empty()) && buffers.iter().all(|b| !b.is_empty()) {
                loads.push(format!("loads {} {}", hex(&numpy), bufs.join(",")));
                loads.push(format!("loads {} {}", hex(&ours), bufs.join(",")));
            }
            if i >= out_of_band.len() {
                continue;
            }
            // numpy 1's name for `_frombuffer`, one byte shorter, and its frame's length.
            let theirs = b"\x8c\x12numpy.core.numeric";
            if let Some(at) = numpy.windows(theirs.len()).position(|w| w == theirs) {
                numpy.splice(at..at + theirs.len(), *b"\x8c\x13numpy._core.numeric");
                let frame = u64::from_le_bytes(numpy[3..11].try_into().unwrap()) + 1;
                numpy[3..11].copy_from_slice(&frame.to_le_bytes());
            }
            assert_eq!(hex(&ours), hex(&numpy), "{python}: {expr}");
        }
        let reprs = oracle(&python, &loads);
        for (pair, load) in reprs.chunks(2).zip(loads.iter().step_by(2)) {
            assert!(!pair[0].starts_with("ERR"), "{python}: {load}: {}", pair[0]);
            assert_eq!(pair[1], pair[0], "{python}: {load}");
        }
        assert!(loads.len() >= 2 * in_band.len(), "{python}");
    }
}

/// Out of band an array keeps its order, even one whose elements lie in C order too (numpy
/// calls a Fortran-ordered (1, 3) array C): it reads back equal.
#[test]
fn an_array_keeps_its_order_out_of_band() {
    use pypickle::numpy::{ByteOrder, DKind, DType, Order};
    let opts = SerOptions::new().protocol(5);
    for shape in [vec![1, 3], vec![3, 1], vec![2, 0], vec![2, 3], vec![]] {
        for order in [Order::C, Order::Fortran] {
            let n: usize = shape.iter().product();
            let data: Vec<u8> = (0..n as u32).flat_map(u32::to_le_bytes).collect();
            let dtype = DType::new(DKind::UInt, 4, ByteOrder::Little);
            let a = NdArray::from_bytes(dtype, shape.clone(), order, data).unwrap();
            let (pickle, buffers) = pypickle::to_vec_with_buffers(&a, &opts).unwrap();
            assert_eq!(buffers.len(), 1);
            let lent = [&buffers[0][..]];
            let back: NdArray =
                pypickle::from_slice_with_buffers(&pickle, &lent, &Default::default()).unwrap();
            assert_eq!(back, a, "{shape:?} {order:?}");
        }
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
