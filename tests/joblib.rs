//! `joblib.dump` files (`python_fixtures/joblib_files.py`, committed): every layout joblib
//! writes reads to the same `Value` as numpy's own `pickle.dumps(value, protocol=5)` of the same
//! value, typed reads see the arrays, and broken or unsupported files are clean errors.

use std::path::{Path, PathBuf};

use pypickle::joblib::{self, Compression};
use pypickle::numpy::{NdArray, Order};
use pypickle::Value;
#[cfg(feature = "joblib")]
use pypickle::{DeOptions, Limit};
use serde::Deserialize;

mod py_common;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/python_fixtures/joblib");

const CASES: [&str; 18] = [
    "float64_vector",
    "int32_matrix",
    "fortran_float64",
    "big_endian_int64",
    "empty",
    "zero_d",
    "bool",
    "uint8",
    "float32",
    "complex128",
    "unicode",
    "bytes",
    "datetime64",
    "structured",
    "objects",
    "structured_objects",
    "subarray_fields",
    "mixed",
];

fn path(name: &str) -> PathBuf {
    Path::new(DIR).join(name)
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(path(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// What numpy's own pickle of the case reads as, normalised.
fn expected(case: &str) -> Value {
    normal(&pypickle::from_slice(&read(&format!("{case}.p5.pkl"))).unwrap())
}

/// Every numpy array in one form: numpy pickles most arrays at protocol 5 as `_frombuffer`,
/// some dtypes (datetimes, structured) as `_reconstruct`, the form joblib's arrays read as.
fn normal(v: &Value) -> Value {
    match v {
        Value::Object(_) => match NdArray::try_from(v) {
            Ok(a) => Value::from(a),
            Err(_) => v.clone(),
        },
        Value::List(items) => Value::List(items.iter().map(normal).collect()),
        Value::Tuple(items) => Value::Tuple(items.iter().map(normal).collect()),
        Value::Dict(pairs) => {
            Value::Dict(pairs.iter().map(|(k, v)| (normal(k), normal(v))).collect())
        }
        other => other.clone(),
    }
}

#[test]
fn uncompressed_files_read_as_numpy_pickles_do() {
    for case in CASES {
        let want = expected(case);
        for form in ["joblib", "unaligned.joblib", "p2.joblib"] {
            let name = format!("{case}.{form}");
            let bytes = read(&name);
            assert_eq!(Compression::detect(&bytes), Compression::None, "{name}");
            let got: Value = joblib::from_slice(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(normal(&got), want, "{name}");
            // The same through a reader.
            let got: Value = joblib::from_reader(&bytes[..]).unwrap();
            assert_eq!(normal(&got), want, "{name} from a reader");
        }
    }
}

#[cfg(feature = "joblib")]
#[test]
fn compressed_files_read_as_numpy_pickles_do() {
    for case in CASES {
        let want = expected(case);
        for (form, c) in [
            ("zlib.joblib", Compression::Zlib),
            ("gzip.joblib", Compression::Gzip),
        ] {
            let name = format!("{case}.{form}");
            let bytes = read(&name);
            assert_eq!(Compression::detect(&bytes), c, "{name}");
            let file = std::io::BufReader::new(std::fs::File::open(path(&name)).unwrap());
            let got: Value = joblib::from_reader(file).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(normal(&got), want, "{name}");
            let plain = joblib::decompress(&bytes, &DeOptions::new()).unwrap();
            let got: Value = joblib::from_slice(&plain).unwrap();
            assert_eq!(normal(&got), want, "{name} decompressed first");
            // From memory without decompressing: an error that says what to do.
            let err = joblib::from_slice::<Value>(&bytes).unwrap_err();
            assert!(err.to_string().contains("from_reader"), "{err}");
        }
    }
}

/// Bytes after the compressed stream are an error, not read past (zlib: a second pickle there
/// was dropped without a word) or taken for a broken stream (gzip: "the input ended early");
/// gzip members one after another are one stream, as Python's `gzip` reads them (found by a
/// hunt).
#[cfg(feature = "joblib")]
#[test]
fn bytes_after_the_compressed_stream_are_an_error() {
    let lines = py_common::python(
        "import gzip, zlib\n\
         p = bytes.fromhex('80024b012e')\n\
         files = [zlib.compress(p) + b'GARBAGE', zlib.compress(p) + zlib.compress(p),\n\
                  gzip.compress(p) + b'GARBAGE', gzip.compress(p) + b'GARBAGE-MORE-THAN-TEN',\n\
                  gzip.compress(p[:2]) + gzip.compress(p[2:])]\n\
         print('\\n'.join(b.hex() for b in files))",
    );
    let files: Vec<Vec<u8>> = lines.lines().map(py_common::unhex).collect();
    let (bad, members) = files.split_at(4);
    for file in bad {
        for e in [
            joblib::from_reader::<_, Value>(&file[..]).unwrap_err(),
            joblib::decompress(file, &DeOptions::new()).unwrap_err(),
        ] {
            assert!(
                e.to_string()
                    .contains("bytes follow the end of the compressed stream"),
                "{e}"
            );
        }
    }
    let v: Value = joblib::from_reader(&members[0][..]).unwrap();
    assert_eq!(v, Value::Int(1));
}

#[cfg(feature = "joblib")]
#[test]
fn the_decompressed_size_is_limited() {
    let bytes = read("mixed.zlib.joblib");
    let size = joblib::decompress(&bytes, &DeOptions::new()).unwrap().len() as u64;
    let tight = DeOptions::new().max_decompressed(size - 1);
    let err = joblib::from_reader_with::<_, Value>(&bytes[..], &tight).unwrap_err();
    assert_eq!(err.limit(), Some(Limit::Decompressed), "{err}");
    let err = joblib::decompress(&bytes, &tight).unwrap_err();
    assert_eq!(err.limit(), Some(Limit::Decompressed), "{err}");
    let exact = DeOptions::new().max_decompressed(size);
    let _: Value = joblib::from_reader_with(&bytes[..], &exact).unwrap();
}

#[cfg(not(feature = "joblib"))]
#[test]
fn compressed_files_need_the_feature() {
    let err = joblib::from_reader::<_, Value>(&read("float64_vector.zlib.joblib")[..]).unwrap_err();
    assert!(err.to_string().contains("`joblib` feature"), "{err}");
}

#[test]
fn other_compressors_are_named() {
    for (magic, name) in [
        (&b"BZh91AY&SY"[..], "bz2"),
        (b"\xfd7zXZ\x00\x00", "xz"),
        (b"\x04\x22\x4d\x18\x00", "lz4"),
        (b"ZF0x00000000", "pre-0.9.3"),
    ] {
        let err = joblib::from_slice::<Value>(magic).unwrap_err();
        assert!(err.to_string().contains(name), "{name}: {err}");
        let err = joblib::from_reader::<_, Value>(magic).unwrap_err();
        assert!(err.to_string().contains(name), "{name}: {err}");
    }
}

/// A joblib file read as a plain pickle (`pypickle::from_slice`) says it is one and what reads
/// it: at the array wrapper for an uncompressed file (whose arrays follow the pickle, so no
/// allowing of the wrapper would help), at the first byte for a compressed one. A wrapper
/// refused said only "can run code", and the bytes "invalid opcode byte 0x78". Found by a
/// review.
#[test]
fn joblib_files_read_as_plain_pickles_name_the_joblib_reader() {
    use pypickle::Category::{Invalid, Refused};
    for (name, category) in [
        ("big_endian_int64.joblib", Refused),
        ("big_endian_int64.p2.joblib", Refused),
        ("big_endian_int64.zlib.joblib", Invalid),
        ("big_endian_int64.gzip.joblib", Invalid),
    ] {
        let e = pypickle::from_slice::<Value>(&read(name)).unwrap_err();
        assert!(e.to_string().contains("`pypickle::joblib`"), "{name}: {e}");
        assert_eq!(e.category(), category, "{name}: {e}");
    }
    // Read as joblib, the same wrapper is an array.
    joblib::from_slice::<Value>(&read("big_endian_int64.joblib")).unwrap();
    // Other compressed streams, at the start of the input, say so.
    for (magic, name) in [
        (&b"\xfd7zXZ\x00\x00"[..], "xz"),
        (b"\x04\x22\x4d\x18", "lz4"),
    ] {
        let e = pypickle::from_slice::<Value>(magic).unwrap_err();
        assert!(e.to_string().contains(name), "{name}: {e}");
        assert_eq!(e.offset(), Some(0), "{name}");
    }
}

#[test]
fn arrays_read_typed() {
    let a: NdArray = joblib::from_slice(&read("int32_matrix.joblib")).unwrap();
    assert_eq!(a.shape(), &[3, 4]);
    assert_eq!(a.to_vec::<i32>().unwrap(), (0..12).collect::<Vec<i32>>());
    let f: NdArray = joblib::from_slice(&read("fortran_float64.joblib")).unwrap();
    assert_eq!(f.order(), Order::Fortran);
    // arange(6).reshape(2, 3) in Fortran order: columns first.
    assert_eq!(f.to_vec::<f64>().unwrap(), [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
    let b: NdArray = joblib::from_slice(&read("big_endian_int64.joblib")).unwrap();
    assert_eq!(b.dtype().to_string(), ">i8");
    assert_eq!(b.to_vec::<i64>().unwrap(), [0, 1, 2, 3, 4]);

    #[derive(Deserialize)]
    struct Mixed {
        weights: NdArray,
        bias: f64,
        names: Vec<String>,
        twice: Vec<NdArray>,
        labels: NdArray,
    }
    for form in ["joblib", "unaligned.joblib", "p2.joblib"] {
        let m: Mixed = joblib::from_slice(&read(&format!("mixed.{form}"))).unwrap();
        assert_eq!(m.weights.shape(), &[7, 1]);
        assert_eq!(m.weights.to_vec::<f64>().unwrap()[6], 1.0);
        assert_eq!(m.bias, 0.5);
        assert_eq!(m.names, ["a", "b"]);
        assert_eq!(m.twice.len(), 2);
        assert_eq!(m.twice[0], m.twice[1]);
        assert_eq!(m.twice[1].to_vec::<i16>().unwrap(), [0, 1, 2, 3]);
        let labels: Vec<String> = m
            .labels
            .objects()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        assert_eq!(labels, ["x", "y"]);
    }
}

/// What a joblib file reads as is an ordinary pickle's value: written back, it is the form
/// numpy reads with a plain `pickle.loads`.
#[test]
fn values_write_back_as_plain_pickles() {
    for case in CASES {
        let v: Value = joblib::from_slice(&read(&format!("{case}.joblib"))).unwrap();
        for protocol in 2..=5 {
            let opts = pypickle::SerOptions::new().protocol(protocol);
            let bytes = pypickle::to_vec_with(&v, &opts).unwrap();
            let back: Value = pypickle::from_slice(&bytes).unwrap();
            assert_eq!(back, v, "{case} p{protocol}");
        }
    }
}

#[test]
fn plain_readers_refuse_joblib_files() {
    let err = pypickle::from_slice::<Value>(&read("float64_vector.joblib")).unwrap_err();
    assert!(
        err.to_string()
            .contains("joblib.numpy_pickle.NumpyArrayWrapper"),
        "{err}"
    );
}

#[test]
fn broken_files_are_clean_errors() {
    for case in ["float64_vector", "objects", "mixed"] {
        let bytes = read(&format!("{case}.joblib"));
        for cut in 1..bytes.len() {
            let err = joblib::from_slice::<Value>(&bytes[..cut]).unwrap_err();
            assert!(err.offset().is_some(), "{case} cut at {cut}: {err}");
            assert!(joblib::from_reader::<_, Value>(&bytes[..cut]).is_err());
        }
    }
    // A wrapper state that claims more elements than there are bytes.
    let bytes = read("float64_vector.joblib");
    let at = bytes
        .windows(3)
        .position(|w| w == b"K\x02\x85")
        .expect("shape (2,)");
    let mut big = bytes.clone();
    big[at + 1] = 0xff;
    let err = joblib::from_slice::<Value>(&big).unwrap_err();
    assert!(err.to_string().contains("needed"), "{err}");
}

#[test]
fn joblib_before_0_10_is_refused() {
    // joblib.numpy_pickle.NDArrayWrapper, the old wrapper of arrays in separate .npy files.
    let old = b"\x80\x02cjoblib.numpy_pickle\nNDArrayWrapper\nq\x00)\x81q\x01.";
    let err = joblib::from_slice::<Value>(old).unwrap_err();
    assert!(err.to_string().contains("separate files"), "{err}");
}

/// `joblib::scan` steps over array bytes and into object arrays' nested pickles: every fixture
/// scans to its end with nothing dangerous; a dangerous call after an array is found (the plain
/// scan stops at the array's bytes); bytes that spell a GLOBAL inside an array are data.
#[test]
fn scan_steps_over_arrays() {
    for case in CASES {
        for form in ["joblib", "unaligned.joblib", "p2.joblib"]
            .into_iter()
            .chain(cfg!(feature = "joblib").then_some("zlib.joblib"))
            .chain(cfg!(feature = "joblib").then_some("gzip.joblib"))
        {
            let name = format!("{case}.{form}");
            let report = joblib::scan(&read(&name));
            assert!(report.error.is_none(), "{name}: {report}");
            assert!(!report.is_dangerous(), "{name}: {report}");
            assert_eq!(report.pickles, 1, "{name}: {report}");
            assert!(
                report
                    .globals
                    .iter()
                    .any(|g| g.name() == "NumpyArrayWrapper"),
                "{name}: {report}"
            );
        }
    }
    // An object array's nested pickle is scanned: its numpy globals are reported.
    let report = joblib::scan(&read("objects.joblib"));
    assert!(
        report.globals.iter().any(|g| g.name() == "_reconstruct"),
        "{report}"
    );

    let forms: &[&str] = if cfg!(feature = "joblib") {
        &["joblib", "zlib.joblib"]
    } else {
        &["joblib"]
    };
    for form in forms {
        let evil = read(&format!("hostile_after_array.{form}"));
        let report = joblib::scan(&evil);
        assert!(report.is_dangerous(), "{report}");
        assert!(report.error.is_none(), "{report}");
        let g = report
            .globals
            .iter()
            .find(|g| g.name() == "system")
            .unwrap();
        assert!(matches!(g.module(), "posix" | "os" | "nt"), "{report}");
        // Reading it is refused, by name.
        let err = joblib::from_slice::<Value>(&read("hostile_after_array.joblib")).unwrap_err();
        assert!(err.to_string().contains("system"), "{err}");

        let spelled = joblib::scan(&read(&format!("spelled_in_data.{form}")));
        assert!(
            spelled.error.is_none() && !spelled.is_dangerous(),
            "{spelled}"
        );
        assert!(
            spelled.globals.iter().all(|g| g.name() != "system"),
            "{spelled}"
        );
    }
    // The plain scan cannot read past the first array's bytes.
    assert!(pypickle::scan(&read("hostile_after_array.joblib"))
        .error
        .is_some());
}

/// An array whose dtype holds objects only in a field is a nested pickle too (joblib tests
/// numpy's `hasobject`), scanned as one: an os.system call in it is found, including in a file
/// shaped so that taking the nested pickle for padding and raw elements would find nothing
/// (joblib.load runs it), and reading such files is refused by name.
#[test]
fn pickles_of_arrays_with_object_fields_are_scanned() {
    let forms: &[&str] = if cfg!(feature = "joblib") {
        &[
            "hostile_in_object_field.joblib",
            "hostile_in_object_field.zlib.joblib",
        ]
    } else {
        &["hostile_in_object_field.joblib"]
    };
    for name in forms
        .iter()
        .chain(&["hostile_hidden_in_object_field.joblib"])
    {
        let report = joblib::scan(&read(name));
        assert!(report.is_dangerous(), "{name}: {report}");
        assert!(
            report.globals.iter().any(|g| g.name() == "system"),
            "{name}: {report}"
        );
        let err = joblib::from_reader::<_, Value>(&read(name)[..]).unwrap_err();
        assert!(err.to_string().contains("system"), "{name}: {err}");
    }
}

/// The nested pickles of a joblib file's object arrays share the file's budget for what calls
/// make: 40 object arrays, each calling `_codecs.encode` 2000 times on a 4096-char str, used
/// to get an allowance each (330 MB from a 1 MB file).
#[test]
fn nested_object_array_pickles_share_one_budget() {
    let fixture = read("objects.joblib");
    // The fixture's first wrapper, built: from its SHORT_BINUNICODE of joblib.numpy_pickle to
    // its BUILD. It memoizes the wrapper class as 2 and the state dict as 4.
    let wrapper = &fixture[11..220];
    assert_eq!(wrapper.last(), Some(&b'b'));
    let mut inner = b"\x80\x05c_codecs\nencode\n\x94".to_vec();
    let text = "\u{e9}".repeat(4096);
    inner.push(0x8d); // BINUNICODE8
    inner.extend((text.len() as u64).to_le_bytes());
    inner.extend(text.as_bytes());
    inner.extend(b"\x94\x8c\x06latin1\x94");
    inner.extend(b"h\x00h\x01h\x02\x86R0".repeat(2000));
    inner.extend(b"cnumpy._core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85C\x01b\x87R.");
    let mut file = b"\x80\x04](".to_vec();
    file.extend(wrapper);
    file.extend(&inner);
    for _ in 1..40 {
        file.extend(b"h\x02)\x81h\x04b");
        file.extend(&inner);
    }
    file.extend(b"e.");
    let e = joblib::from_slice::<Value>(&file).unwrap_err();
    assert_eq!(e.limit(), Some(pypickle::Limit::Expansion), "{e}");
    // One object array of the same kind is within the budget.
    let mut one = b"\x80\x04](".to_vec();
    one.extend(wrapper);
    one.extend(&inner);
    one.extend(b"e.");
    assert!(joblib::from_slice::<Value>(&one).is_ok());
}

/// Hex, split into lines.
fn unhex_lines(lines: &[&str]) -> Vec<u8> {
    let h: String = lines.concat();
    (0..h.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
        .collect()
}

/// A joblib file the reader cannot lay out is not safe to `scan`, whatever the scan of its
/// bytes found: joblib may still read the array (here with order 'X', which joblib takes for
/// 'C'), and what follows the wrapper is then its data, not opcodes. A hunt hid
/// `posix.system` behind such an array's five bytes (`B` and a length, a BINBYTES to a plain
/// reading), and a dtype whose pickled flags say it holds objects, whose data joblib then
/// loads as a nested pickle: both scanned safe, exit 0, and ran the command in `joblib.load`.
#[test]
fn a_file_whose_arrays_cannot_be_laid_out_is_not_safe() {
    // order 'X'; the wrapper built by REDUCE (joblib's own layout questions unanswered).
    for file in [
        unhex_lines(&[
        "8004288c136a6f626c69622e6e756d70795f7069636b6c658c114e756d70794172726179577261707065729329817d28",
        "8c08737562636c6173738c056e756d70798c076e646172726179938c0573686170654b05858c056f726465728c01588c",
        "0564747970658c056e756d70798c056474797065938c02753189888752284b038c017c4e4e4e4affffffff4affffffff",
        "4b0074628c0a616c6c6f775f6d6d6170898c1b6e756d70795f61727261795f616c69676e6d656e745f62797465734e75",
        "62422a0000008c05706f7369788c0673797374656d938c16746f756368202f746d702f6833792f70776e65645f788552",
        "742e",
        ]),
        unhex_lines(&[
        "8004288c136a6f626c69622e6e756d70795f7069636b6c658c114e756d707941727261795772617070657293288c056e",
        "756d70798c076e646172726179934b05858c01438c056e756d70798c056474797065938c02753189888752284b038c01",
        "7c4e4e4e4affffffff4affffffff4b007462894e74527d6242280000008c05706f7369788c0673797374656d938c1474",
        "6f756368202f746d702f6833792f70776e65648552742e",
        ]),
    ] {
        let report = joblib::scan(&file);
        assert!(!report.is_safe(), "{report:?}");
        assert!(report.error.is_some(), "{report:?}");
    }
    // A `u1` dtype with flags 1 (numpy's NPY_ITEM_HASOBJECT): joblib loads a nested pickle.
    let file = unhex_lines(&[
        "80048c0b636f6c6c656374696f6e7394308c0b4f726465726564446963749430288c136a6f626c69622e6e756d70795f",
        "7069636b6c658c114e756d70794172726179577261707065729329817d288c08737562636c6173738c056e756d70798c",
        "076e646172726179938c0573686170654b37858c056f726465728c01438c0564747970658c056e756d70798c05647479",
        "7065938c02753189888752284b038c017c4e4e4e4affffffff4affffffff4b0174628c0a616c6c6f775f6d6d6170898c",
        "1b6e756d70795f61727261795f616c69676e6d656e745f62797465734e756280048c05706f736978948c067379737465",
        "6d9468006801938c1a746f756368202f746d702f6833792f70776e65645f666c61677385522e742e",
    ]);
    let report = joblib::scan(&file);
    assert!(report.is_dangerous(), "{report:?}");
    assert!(
        report.globals.iter().any(|g| g.name() == "system"),
        "{report:?}"
    );
}

/// numpy's file functions chained (`ndarray.tofile` writes an `.npy` file holding a pickle,
/// `numpy.lib._npyio_impl.load(path, None, True)` loads it): each is dangerous to `scan`. It
/// called the pickle unknown, exit 0 (found by a hunt; the reader refused it already).
#[test]
fn numpys_file_functions_chained_are_dangerous() {
    let file = unhex_lines(&[
        "80049541020000000000005d94288c086275696c74696e73948c07676574617474729493948c056e756d7079948c076e",
        "6461727261799493948c06746f66696c6594869452948c166e756d70792e5f636f72652e6d756c74696172726179948c",
        "0c5f7265636f6e73747275637494939468064b0085944301629487945294284b014d4801859468048c05647479706594",
        "93948c02753194898887945294284b038c017c944e4e4e4affffffff4affffffff4b00749462894248010000934e554d",
        "5059010076007b276465736372273a20277c4f272c2027666f727472616e5f6f72646572273a2046616c73652c202773",
        "68617065273a2028312c292c207d20202020202020202020202020202020202020202020202020202020202020202020",
        "2020202020202020202020202020202020202020202020202020200a800495bd000000000000008c166e756d70792e5f",
        "636f72652e6d756c74696172726179948c0c5f7265636f6e7374727563749493948c056e756d7079948c076e64617272",
        "61799493944b0085944301629487945294284b014b01859468038c0564747970659493948c024f389489888794529428",
        "4b038c017c944e4e4e4affffffff4affffffff4b3f749462895d948c05706f736978948c0673797374656d9493948c1a",
        "746f756368202f746d702f6833782f70776e65645f636861696e9485945294617494622e947494628c122f746d702f68",
        "33782f636861696e2e6e707994869452948c156e756d70792e6c69622e5f6e7079696f5f696d706c948c046c6f616494",
        "9394681b4e8887945294652e",
    ]);
    let report = pypickle::scan(&file);
    assert!(report.is_dangerous(), "{report:?}");
    assert!(pypickle::from_slice::<Value>(&file).is_err());
}

/// Pieces of hand-made joblib files, protocol 2 (after a review's helpers).
mod craft {
    /// `X` BINUNICODE.
    pub fn u(s: &str) -> Vec<u8> {
        let mut v = vec![b'X'];
        v.extend((s.len() as u32).to_le_bytes());
        v.extend(s.as_bytes());
        v
    }

    /// `numpy.dtype(code, False, True)` + BUILD with a state of `version` and `flags`.
    pub fn dtype(code: &str, flags: u8, version: u8) -> Vec<u8> {
        let mut v = b"cnumpy\ndtype\n".to_vec();
        v.extend(u(code));
        v.extend(b"\x89\x88\x87R(K");
        v.push(version);
        v.extend(u("|"));
        v.extend(b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK");
        v.push(flags);
        v.extend(b"tb");
        v
    }

    /// A NumpyArrayWrapper's state dict for a shape `(n,)`, `extra` its last entries.
    pub fn state(dtype: &[u8], n: u8, extra: &[u8]) -> Vec<u8> {
        state_shaped(dtype, &[b'K', n, 0x85], extra)
    }

    /// [`state`] with the shape's opcodes as given.
    pub fn state_shaped(dtype: &[u8], shape: &[u8], extra: &[u8]) -> Vec<u8> {
        let mut v = b"}(".to_vec();
        v.extend(u("subclass"));
        v.extend(b"cnumpy\nndarray\n");
        v.extend(u("shape"));
        v.extend(shape);
        v.extend(u("order"));
        v.extend(u("C"));
        v.extend(u("dtype"));
        v.extend(dtype);
        v.extend(u("allow_mmap"));
        v.push(0x89);
        v.extend(extra);
        v.push(b'u');
        v
    }

    pub const WRAPPER: &[u8] = b"cjoblib.numpy_pickle\nNumpyArrayWrapper\n";

    /// `posix.system('touch /tmp/x')`, then None in its place.
    pub fn call() -> Vec<u8> {
        let mut v = b"cposix\nsystem\n".to_vec();
        v.extend(u("touch /tmp/x"));
        v.extend(b"\x85R0N");
        v
    }
}

/// Where joblib would read an array's bytes differently from the reader, a review hid a call
/// (`joblib.load` ran it; `scan` said safe, exit 0): a wrapper built a second time through the
/// memo (joblib reads another array after it), and a dtype whose pickled flags and kind
/// disagree (joblib goes by numpy's `hasobject`, the flags alone, a state before version 3
/// counting any flag). Each is now an error or dangerous.
#[test]
fn joblib_layouts_follow_joblib_where_they_could_differ() {
    use craft::*;
    // The same wrapper built twice: the second BUILD's array is 5 bytes, `B` and a length.
    let m = call();
    let mut twice = b"\x80\x02".to_vec();
    twice.extend(WRAPPER);
    twice.extend(b")\x81q\x00");
    twice.extend(state(&dtype("u1", 0, 3), 0, b""));
    twice.extend(b"b0h\x00");
    twice.extend(state(&dtype("u1", 0, 3), 5, b""));
    twice.extend(b"bB");
    twice.extend((m.len() as u32).to_le_bytes());
    twice.extend(&m);
    twice.extend(b"0.");
    let report = joblib::scan(&twice);
    assert!(!report.is_safe() && report.error.is_some(), "{report:?}");
    assert!(joblib::from_slice::<Value>(&twice).is_err());

    // `O8` with flags 0: not objects to numpy, so raw bytes after an alignment byte.
    let mut raw = b"\x80\x02".to_vec();
    raw.extend(WRAPPER);
    raw.extend(b")\x81");
    let mut extra = u("numpy_array_alignment_bytes");
    extra.extend(b"K\x10");
    raw.extend(state(&dtype("O8", 0, 3), 0, &extra));
    raw.extend(b"bB");
    raw.extend((62 + m.len() as u32).to_le_bytes());
    raw.extend([b'A'; 62]);
    raw.extend(&m);
    raw.extend(b"0.");
    let report = joblib::scan(&raw);
    assert!(report.is_dangerous(), "{report:?}");

    // `u1` with flags 2 in a version 2 state: objects to numpy, so a nested pickle.
    let inner = [
        b"\x80\x02cposix\nsystem\n".as_slice(),
        &u("touch /tmp/x"),
        b"\x85R.",
    ]
    .concat();
    let mut nested = b"\x80\x02".to_vec();
    nested.extend(WRAPPER);
    nested.extend(b")\x81");
    nested.extend(state(&dtype("u1", 2, 2), inner.len() as u8, b""));
    nested.extend(b"b");
    nested.extend(&inner);
    nested.extend(b".");
    let report = joblib::scan(&nested);
    assert!(report.is_dangerous(), "{report:?}");
}

/// The other wrapper states the hunt made that joblib reads and the reader cannot lay out, each
/// with five bytes of array (`B` and a length) hiding a call: a shape as a list, a shape with
/// a bool, the state as `(None, state)`. Each is an error in the scan's report, never safe.
#[test]
fn other_wrapper_states_the_reader_cannot_lay_out_are_not_safe() {
    use craft::*;
    let m = call();
    let dtype = dtype("u1", 0, 3);
    let list = state_shaped(&dtype, b"]K\x05a", b"");
    let with_bool = state_shaped(&dtype, b"\x88K\x05\x86", b"");
    let in_tuple = [b"N".as_slice(), &state(&dtype, 5, b""), b"\x86"].concat();
    for state in [list, with_bool, in_tuple] {
        let mut file = b"\x80\x02".to_vec();
        file.extend(WRAPPER);
        file.extend(b")\x81");
        file.extend(&state);
        file.extend(b"bB");
        file.extend((m.len() as u32).to_le_bytes());
        file.extend(&m);
        file.extend(b"0.");
        let report = joblib::scan(&file);
        assert!(!report.is_safe() && report.error.is_some(), "{report:?}");
    }
}

/// A `Value` read from a joblib file, written back at protocols 2-5, loads in numpy 1 and 2
/// without a warning, as the same arrays: numpy's `pickle.dumps` of what it loaded reads
/// here as the file does. Written as numpy 2's `_frombuffer`, numpy 1 could not load it
/// (found by a hunt).
#[test]
fn values_from_joblib_files_load_in_numpy_1_and_2() {
    let script = [
        "import pickle, sys, warnings",
        "warnings.simplefilter('error')",
        "for line in sys.stdin:",
        "    print(pickle.dumps(pickle.loads(bytes.fromhex(line.strip())), protocol=2).hex())",
    ]
    .join("\n");
    let mut input = String::new();
    let mut want = Vec::new();
    for case in CASES {
        let v: Value = joblib::from_slice(&read(&format!("{case}.joblib"))).unwrap();
        for protocol in 2..=5 {
            let opts = pypickle::SerOptions::new().protocol(protocol);
            input += &py_common::hex(&pypickle::to_vec_with(&v, &opts).unwrap());
            input.push('\n');
            want.push((case, protocol, normal(&v)));
        }
    }
    for python in py_common::numpy_pythons() {
        let out = py_common::run_python(&python, &["-c", &script], input.clone());
        assert_eq!(out.lines().count(), want.len(), "{python}");
        for (line, (case, protocol, want)) in out.lines().zip(&want) {
            let back: Value = pypickle::from_slice(&py_common::unhex(line)).unwrap();
            if *case == "big_endian_int64" {
                // numpy loads a big-endian array in native order: the same numbers.
                let ints = |v: &Value| NdArray::try_from(v).unwrap().to_i64_vec().unwrap();
                assert_eq!(
                    ints(&back),
                    ints(want),
                    "{python}: {case} at protocol {protocol}"
                );
                continue;
            }
            assert_eq!(
                &normal(&back),
                want,
                "{python}: {case} at protocol {protocol}"
            );
        }
    }
}

/// An array joblib loaded with `mmap_mode` and dumped again names `numpy.memmap` as its
/// wrapper's `subclass`, which joblib only compares: the file reads (it was refused as
/// dangerous, even in record mode), while `numpy.memmap` anywhere else is still refused.
#[test]
fn a_memmap_subclass_is_read_past_and_refused_elsewhere() {
    #[derive(Deserialize)]
    struct File {
        #[serde(rename = "X")]
        x: NdArray,
        n: i64,
    }
    let file = read("memmap_subclass.joblib");
    let f: File = joblib::from_slice(&file).unwrap();
    assert_eq!(
        (f.x.to_f64_vec().unwrap(), f.n),
        (vec![0.0, 1.0, 2.0, 3.0, 4.0], 5)
    );
    let v: Value = joblib::from_slice(&file).unwrap();
    assert!(v.to_string().contains("'n': 5"), "{v}");
    // scan does not follow where a global goes: it calls the file dangerous (documented).
    assert!(joblib::scan(&file).is_dangerous());
    // Under numpy's names for it, as a value, called, or a class of NEWOBJ: refused.
    for global in [
        &b"\x8c\x05numpy\x8c\x06memmap\x93"[..],
        b"\x8c\x12numpy._core.memmap\x8c\x06memmap\x93",
        b"\x8c\x11numpy.core.memmap\x8c\x06memmap\x93",
    ] {
        for tail in [&b"."[..], b"\x8c\x01x\x85R.", b")\x81.", b"\x85."] {
            let p = [&b"\x80\x04"[..], global, tail].concat();
            let e = joblib::from_slice::<Value>(&p).unwrap_err();
            assert!(e.to_string().contains("memmap is refused"), "{e}");
            assert!(pypickle::from_slice::<Value>(&p).is_err());
        }
    }
    // Allowed by its name, it is an inert reference in a joblib read too (a review: the
    // subclass exception had come before the caller's allowlist).
    let opts = pypickle::DeOptions::new().allow_global("numpy", "memmap");
    let p = b"\x80\x04\x8c\x05numpy\x8c\x06memmap\x93)R.";
    let v: Value = joblib::from_slice_with(p, &opts).unwrap();
    assert_eq!(v.to_string(), "numpy.memmap()");
}

/// A compressed file cut short is a truncated input (`is_truncated`), as a plain one is, not
/// an I/O error: the decompressor's `UnexpectedEof` keeps its message and source. Found by a
/// hunt of the docs' promises.
#[cfg(feature = "joblib")]
#[test]
fn compressed_files_cut_short_are_truncated() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("python_fixtures/joblib");
    for name in ["bool.zlib.joblib", "bool.gzip.joblib"] {
        let file = std::fs::read(dir.join(name)).unwrap();
        for cut in [file.len() - 1, file.len() / 2, 30] {
            let part = &file[..cut];
            let errors = [
                joblib::decompress(part, &DeOptions::new()).map(drop),
                joblib::from_reader::<_, Value>(part).map(drop),
            ];
            for e in errors.into_iter().map(Result::unwrap_err) {
                assert!(e.is_truncated(), "{name} cut at {cut}: {e}");
                let io = e.io_error().expect("the decompressor's error");
                assert_eq!(io.kind(), std::io::ErrorKind::UnexpectedEof);
                // And as the error's source, for error chains (it had none).
                let source = std::error::Error::source(&e).expect("a source");
                let io = source
                    .downcast_ref::<std::io::Error>()
                    .expect("an io::Error");
                assert_eq!(io.kind(), std::io::ErrorKind::UnexpectedEof);
            }
        }
    }
    // Any other error of the reader stays an I/O error.
    struct Fails;
    impl std::io::Read for Fails {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk on fire"))
        }
    }
    let e = pypickle::from_reader::<_, Value>(Fails).unwrap_err();
    assert_eq!(e.category(), pypickle::Category::Io, "{e}");
}
