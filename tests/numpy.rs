//! numpy arrays against numpy itself: the fixtures numpy 1.26 and 2.x wrote at every protocol
//! (`python_fixtures/numpy_arrays.py`) read into `NdArray` with the dtype, shape, order and
//! data numpy recorded; and every one written back by pypickle at protocols 2-5 loads in live
//! numpy 1.x and 2.x as the same array.
//!
//! The live half needs Pythons with numpy: `PYPICKLE_NUMPY_PYTHONS` lists them
//! (colon-separated; `.ci/run` makes venvs with numpy 1.26 and 2.x and sets it). Without it
//! the live test fails under CI (`CI` set) and says so elsewhere.

use std::path::{Path, PathBuf};

use pypickle::numpy::{ByteOrder, DKind, DType, NdArray, NdArrayView, Order};
use pypickle::{DeOptions, SerOptions, Value};

mod py_common;
use py_common::{hex, numpy_pythons, run_python, unhex};

struct Fixture {
    path: PathBuf,
    proto: u8,
    dtype: String,
    shape: String,
    order: String,
    data: String,
}

fn fixtures() -> Vec<Fixture> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("python_fixtures/numpy");
    let mut all = Vec::new();
    for major in ["np1", "np2"] {
        let dir = root.join(major);
        let manifest = std::fs::read_to_string(dir.join("manifest.tsv")).expect("manifest");
        for line in manifest.lines() {
            let f: Vec<&str> = line.split('\t').collect();
            let proto = f[0].split_once(".p").unwrap().1[..1].parse().unwrap();
            all.push(Fixture {
                path: dir.join(f[0]),
                proto,
                dtype: f[1].into(),
                shape: f[2].into(),
                order: f[3].into(),
                data: f[4].into(),
            });
        }
    }
    assert!(all.len() >= 300, "{} numpy fixtures", all.len());
    all
}

fn check(f: &Fixture, a: &NdArray) -> Result<(), String> {
    let got = (
        a.dtype().to_string(),
        format!("{:?}", a.shape()),
        match a.order() {
            Order::C => "C",
            Order::Fortran => "F",
        }
        .to_string(),
        match (a.as_bytes(), a.objects()) {
            (Some(b), _) => hex(b),
            (_, Some(o)) => Value::List(o.to_vec()).to_string(),
            _ => unreachable!(),
        },
    );
    let want = (
        f.dtype.clone(),
        f.shape.clone(),
        f.order.clone(),
        f.data.clone(),
    );
    if got == want {
        Ok(())
    } else {
        Err(format!("got {got:?}, want {want:?}"))
    }
}

#[test]
fn numpy_fixtures_read_into_ndarray() {
    let mut failures = Vec::new();
    for f in fixtures() {
        let bytes = std::fs::read(&f.path).unwrap();
        let name = f.path.display();
        match pypickle::from_slice::<NdArray>(&bytes) {
            Ok(a) => {
                if let Err(e) = check(&f, &a) {
                    failures.push(format!("{name}: {e}"));
                }
            }
            Err(e) => failures.push(format!("{name}: {e}")),
        }
        // The lossless Value converts the same way.
        let v: Value = pypickle::from_slice(&bytes).unwrap();
        let via_value = NdArray::try_from(&v).map_err(|e| e.to_string());
        let direct = pypickle::from_slice::<NdArray>(&bytes).map_err(|e| e.to_string());
        if via_value != direct {
            failures.push(format!("{name}: Value path differs"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn arrays_go_to_json_as_their_natural_form_and_back() {
    // Into another format an array is its natural form, {dtype, shape, order, data}, what a
    // pickle of it reads as through deserialize_any; it reads back the same, but for an
    // object array's elements, whose Python types JSON does not keep.
    let mut same = 0;
    for f in fixtures() {
        let bytes = std::fs::read(&f.path).unwrap();
        let a: NdArray = pypickle::from_slice(&bytes).unwrap();
        let json = serde_json::to_value(&a).unwrap();
        if is_scalar(&f) {
            // A numpy scalar is read as the number it stands for (an `NdArray` of it, a 0-d
            // array, still writes the natural form).
            let read = pypickle::from_slice::<serde_json::Value>(&bytes).unwrap();
            assert_eq!(read, scalar_json(&a), "{}", f.path.display());
        // (serde_json::Value has no bytes: reading data that is bytes into it fails.)
        } else if let Ok(read) = pypickle::from_slice::<serde_json::Value>(&bytes) {
            assert_eq!(json, read, "{}", f.path.display());
        }
        let back: NdArray = serde_json::from_value(json).unwrap();
        if f.dtype != "|O" {
            assert_eq!(back, a, "{}", f.path.display());
        }
        same += usize::from(back == a);
    }
    assert!(same >= 300, "{same}");
}

/// An array read as a sequence or map of plain values (`Vec<f64>`, a map) is an error that
/// names `NdArray`, at every protocol. It said "the global numpy.ndarray has no plain serde
/// form" at protocols 0-4 and "invalid type: byte array, expected f64" at 5, naming neither
/// the array nor what reads it. Found by a review.
#[test]
fn arrays_read_as_plain_sequences_name_ndarray() {
    let mut seen = 0;
    for f in fixtures().iter().filter(|f| !is_scalar(f)) {
        let bytes = std::fs::read(&f.path).unwrap();
        // A struct and a tuple struct of three values too, which took the array's three
        // constructor arguments (a review found them).
        #[derive(serde::Deserialize)]
        #[allow(dead_code)]
        struct Three {
            a: Value,
            b: Value,
            c: Value,
        }
        #[derive(serde::Deserialize)]
        #[allow(dead_code)]
        struct Raw(Value, Value, Value);
        let errors = [
            pypickle::from_slice::<Vec<f64>>(&bytes).map(drop),
            pypickle::from_slice::<std::collections::HashMap<String, f64>>(&bytes).map(drop),
            pypickle::from_slice::<Three>(&bytes).map(drop),
            pypickle::from_slice::<Raw>(&bytes).map(drop),
        ];
        for e in errors.into_iter().map(Result::unwrap_err) {
            assert!(
                e.to_string().contains("pypickle::numpy::NdArray"),
                "{}: {e}",
                f.path.display()
            );
            assert!(e.offset().is_some(), "{e}");
        }
        seen += 1;
    }
    assert!(seen >= 200, "{seen}");
}

/// Whether the fixture is a numpy scalar (`np.float64(1.5)`), not an array.
fn is_scalar(f: &Fixture) -> bool {
    let name = f.path.file_name().unwrap().to_str().unwrap();
    name.starts_with("scalar_")
}

/// The JSON number (or bool) a numpy scalar read as an `NdArray`, a 0-d array, holds.
fn scalar_json(a: &NdArray) -> serde_json::Value {
    match a.dtype().kind {
        DKind::Bool => serde_json::Value::from(a.to_i64_vec().unwrap()[0] != 0),
        DKind::Int => serde_json::Value::from(a.to_i64_vec().unwrap()[0]),
        DKind::Float => serde_json::Value::from(a.to_f64_vec().unwrap()[0]),
        other => panic!("no scalar fixture of {other:?}"),
    }
}

/// Whether `inner` lies inside `outer` in memory.
fn within(inner: &[u8], outer: &[u8]) -> bool {
    let (o, i) = (outer.as_ptr() as usize, inner.as_ptr() as usize);
    i >= o && i + inner.len() <= o + outer.len()
}

/// Whether numpy 2 wrote the fixture as a transposition (`_frombuffer(..., 'K', axis_order)`,
/// protocol 5) that neither C nor Fortran order lays out, whose elements a view gathers into C
/// order (a copy).
fn gathered(f: &Fixture) -> bool {
    let name = f.path.file_name().unwrap().to_str().unwrap();
    f.proto == 5 && f.path.parent().unwrap().ends_with("np2") && name.starts_with("transposed_")
}

/// Every fixture with bytes for data reads as a view equal to the `NdArray`; from protocol 3
/// (where numpy's data is a bytes or bytearray opcode) the view borrows from the input. Object
/// arrays (no bytes) are an error naming the way out.
#[test]
fn numpy_fixtures_read_into_views_borrowing_the_input() {
    let (mut borrowed, mut failures) = (0, Vec::new());
    for f in fixtures() {
        let bytes = std::fs::read(&f.path).unwrap();
        let name = f.path.display().to_string();
        let array: NdArray = pypickle::from_slice(&bytes).unwrap();
        match pypickle::from_slice::<NdArrayView>(&bytes) {
            Ok(view) => {
                if view.clone().into_owned() != array {
                    failures.push(format!("{name}: the view differs"));
                }
                if view.is_borrowed() {
                    borrowed += 1;
                    assert!(within(view.as_bytes(), &bytes), "{name}");
                } else if f.proto >= 3
                    && !array.shape().is_empty()
                    && !array.is_empty()
                    && !gathered(&f)
                {
                    failures.push(format!("{name}: copied at protocol {}", f.proto));
                }
            }
            // An array holding objects (its manifest data is their repr) has no bytes.
            Err(e) if f.data.starts_with('[') => {
                assert!(e.to_string().contains("object array"), "{name}: {e}");
            }
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(borrowed >= 100, "only {borrowed} views borrowed");
}

#[test]
fn views_borrow_out_of_band_buffers_and_joblib_data() {
    // numpy.arange(4, dtype='<i4') pickled at protocol 5 with a buffer_callback.
    let pickle = b"\x80\x05\x95k\x00\x00\x00\x00\x00\x00\x00\x8c\x13numpy._core.numeric\x94\x8c\x0b_frombuffer\x94\x93\x94(\x97\x8c\x05numpy\x94\x8c\x05dtype\x94\x93\x94\x8c\x02i4\x94\x89\x88\x87\x94R\x94(K\x03\x8c\x01<\x94NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t\x94bK\x04\x85\x94\x8c\x01C\x94t\x94R\x94.";
    let data: Vec<u8> = [0i32, 1, 2, 3]
        .iter()
        .flat_map(|x| x.to_le_bytes())
        .collect();
    let buffers = [&data[..]];
    let view: NdArrayView =
        pypickle::from_slice_with_buffers(pickle, &buffers, &DeOptions::new()).unwrap();
    assert!(view.is_borrowed() && within(view.as_bytes(), &data));
    assert_eq!(view.to_vec::<i32>().unwrap(), [0, 1, 2, 3]);
    // The buffer is a Vec<u8> of i32s: aligned, so the typed slice is lent too.
    if let Some(s) = view.as_slice::<i32>().unwrap() {
        assert_eq!(s, [0, 1, 2, 3]);
    }
    let file = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("python_fixtures/joblib/int32_matrix.joblib"),
    )
    .unwrap();
    let view: NdArrayView = pypickle::joblib::from_slice(&file).unwrap();
    assert!(view.is_borrowed() && within(view.as_bytes(), &file));
    // joblib aligns array data to 16 bytes in the file.
    let offset = view.as_bytes().as_ptr() as usize - file.as_ptr() as usize;
    assert_eq!(offset % 16, 0);
    assert_eq!(
        view.iter::<i32>().unwrap().collect::<Vec<_>>(),
        (0..12).collect::<Vec<_>>()
    );
}

/// A view reads from a `Value` too (owned), and an `NdArray` views its
/// own data.
#[test]
fn views_from_values_and_arrays() {
    let a = NdArray::from_vec(vec![2, 2], vec![1.0f64, 2.0, 3.0, 4.0]).unwrap();
    let v = pypickle::to_value(&a).unwrap();
    let owned = NdArrayView::try_from(&v).unwrap();
    assert!(!owned.is_borrowed());
    assert_eq!(owned.into_owned(), a);
    let back: NdArray = pypickle::from_value(v).unwrap();
    assert_eq!(back, a);
    let view = a.view().unwrap();
    assert!(view.is_borrowed());
    assert_eq!(view.to_f64_vec().unwrap(), [1.0, 2.0, 3.0, 4.0]);
    let objects = NdArray::from_objects(vec![1], vec![Value::None]).unwrap();
    assert!(objects.view().is_err());
}

#[test]
fn typed_access() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("python_fixtures/numpy/np2");
    let read = |name: &str| -> NdArray {
        pypickle::from_slice(&std::fs::read(dir.join(name)).unwrap()).unwrap()
    };
    let a = read("f8_2x3.p4.pkl");
    assert_eq!(a.to_vec::<f64>().unwrap(), [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
    assert!(a.to_vec::<f32>().is_err());
    assert_eq!(read("i8_be.p4.pkl").to_vec::<i64>().unwrap(), [1, -2, 3]);
    assert_eq!(read("i8_be.p4.pkl").as_slice::<i64>().unwrap(), None);
    assert_eq!(read("u8.p5.pkl").to_vec::<u64>().unwrap(), [u64::MAX, 0]);
    assert_eq!(
        read("bool.p2.pkl").to_vec::<bool>().unwrap(),
        [true, false, true]
    );
    assert_eq!(
        read("f2.p3.pkl").to_f64_vec().unwrap(),
        [1.0, -0.5, 65504.0]
    );
    assert_eq!(read("i2.p1.pkl").to_f64_vec().unwrap(), [300.0, -300.0]);
    // Labels of any integer width, as i64.
    assert_eq!(read("i2.p1.pkl").to_i64_vec().unwrap(), [300, -300]);
    assert_eq!(read("i8_be.p4.pkl").to_i64_vec().unwrap(), [1, -2, 3]);
    assert_eq!(read("bool.p2.pkl").to_i64_vec().unwrap(), [1, 0, 1]);
    assert_eq!(read("u8.p5.pkl").to_vec::<u64>().unwrap()[1], 0);
    let e = read("u8.p5.pkl").to_i64_vec().unwrap_err();
    assert!(e.to_string().contains("does not fit i64"), "{e}");
    assert!(read("f2.p3.pkl").to_i64_vec().is_err());
    let u4 = read("u4_be.p2.pkl");
    assert_eq!(
        u4.to_i64_vec().unwrap(),
        u4.to_vec::<u32>()
            .unwrap()
            .into_iter()
            .map(i64::from)
            .collect::<Vec<_>>()
    );
    assert_eq!(read("scalar_i4.p0.pkl").to_vec::<i32>().unwrap(), [-7]);
    // Complex numbers as [real, imaginary], in either byte order.
    assert_eq!(
        read("c16.p4.pkl").to_vec::<[f64; 2]>().unwrap(),
        [[1.5, -2.0], [0.0, 0.0]]
    );
    assert_eq!(
        read("c8.p2.pkl").to_vec::<[f32; 2]>().unwrap(),
        [[1.0, 2.0]]
    );
    assert!(read("c8.p2.pkl").to_vec::<[f64; 2]>().is_err());
    assert!(read("c16.p4.pkl").to_vec::<f64>().is_err());
    let be = NdArray::from_bytes(
        DType::new(DKind::Complex, 16, ByteOrder::Big),
        vec![1],
        Order::C,
        [0.25f64, -4.0]
            .iter()
            .flat_map(|x| x.to_be_bytes())
            .collect(),
    )
    .unwrap();
    assert_eq!(be.to_vec::<[f64; 2]>().unwrap(), [[0.25, -4.0]]);
    let written = NdArray::from_vec(vec![1], vec![[0.25f64, -4.0]]).unwrap();
    assert_eq!(written.dtype().to_string(), "<c16");
    assert_eq!(written.to_vec::<[f64; 2]>().unwrap(), [[0.25, -4.0]]);
    // datetime64 and timedelta64 as the counts of their units, and nothing narrower.
    // numpy.array(['2026-11-23T12:00'], dtype='<M8[ns]').view('i8')
    let dt = read("datetime_ns.p5.pkl");
    assert_eq!(dt.dtype().unit.as_deref(), Some("ns"));
    assert_eq!(dt.to_vec::<i64>().unwrap(), [1_795_435_200_000_000_000]);
    assert!(dt.to_vec::<u64>().is_err() && dt.to_vec::<f64>().is_err());
    let td = read("timedelta_10ms.p3.pkl");
    assert_eq!(td.dtype().unit.as_deref(), Some("10ms"));
    assert_eq!(td.to_vec::<i64>().unwrap(), [5, -5]);
    assert_eq!(read("zero_d.p5.pkl").shape(), &[] as &[usize]);
    let s = read("structured.p4.pkl");
    let fields: Vec<(String, String, usize)> = s
        .dtype()
        .fields
        .iter()
        .map(|f| (f.name.clone(), f.dtype.to_string(), f.offset))
        .collect();
    assert_eq!(
        fields,
        [("x".into(), "<i4".into(), 0), ("y".into(), ">f8".into(), 4)]
    );
    assert_eq!(
        read("datetime_ns.p3.pkl").dtype().unit.as_deref(),
        Some("ns")
    );
    assert_eq!(
        read("timedelta_10ms.p2.pkl").dtype().to_string(),
        "<m8[10ms]"
    );
}

#[test]
fn hostile_array_headers_are_errors() {
    // A shape claiming far more elements than the data holds, and one whose product overflows.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("python_fixtures/numpy/np2");
    let good = std::fs::read(dir.join("i4.p2.pkl")).unwrap();
    let v: Value = pypickle::from_slice(&good).unwrap();
    let mut bad = v.clone();
    if let Value::Object(o) = &mut bad {
        if let Value::Tuple(state) = &mut o.state[0] {
            state[1] = Value::Tuple(vec![Value::Int(1 << 40), Value::Int(1 << 40)]);
        }
    }
    let e = NdArray::try_from(&bad).unwrap_err();
    assert!(e.to_string().contains("too large"), "{e}");
    let bytes = pypickle::to_vec(&bad).unwrap();
    assert!(pypickle::from_slice::<NdArray>(&bytes).is_err());

    // numpy 2's transposition form with an axis order that is not one of its axes each once,
    // and order 'K' with no axis order: errors naming the axis order, as array and as view.
    let good = std::fs::read(dir.join("transposed_102.p5.pkl")).unwrap();
    let axes = b"K\x01K\x00K\x02\x87\x94";
    let at = good.windows(axes.len()).position(|w| w == axes).unwrap();
    for (replacement, why) in [
        (
            &b"K\x01K\x01K\x02\x87\x94"[..],
            "axis order [1, 1, 2] for 3 axes",
        ),
        (
            b"K\x01K\x00K\x03\x87\x94",
            "axis order [1, 0, 3] for 3 axes",
        ),
        (
            b"K\x01K\x00\x86\x94\x94\x94",
            "axis order [1, 0] for 3 axes",
        ),
        (
            b"N\x94\x94\x94\x94\x94\x94\x94",
            "order 'K' without an axis order",
        ),
    ] {
        let mut bad = good.clone();
        bad[at..at + axes.len()].copy_from_slice(replacement);
        let e = pypickle::from_slice::<NdArray>(&bad).unwrap_err();
        assert!(e.to_string().contains(why), "{e}");
        let e = pypickle::from_slice::<pypickle::numpy::NdArrayView>(&bad).unwrap_err();
        assert!(e.to_string().contains(why), "{e}");
    }
}

#[test]
fn transpositions_numpy_2_writes_as_k_order_read_as_numpy_reads_them() {
    // pickle.dumps(np.arange(24.).reshape(2, 3, 4).transpose(1, 0, 2), 5): the buffer holds
    // the (2, 3, 4) array in C order, and the array is its transposition, shape (3, 2, 4).
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("python_fixtures/numpy/np2");
    let data = std::fs::read(dir.join("transposed_102.p5.pkl")).unwrap();
    let a: NdArray = pypickle::from_slice(&data).unwrap();
    assert_eq!((a.shape(), a.order()), (&[3, 2, 4][..], Order::C));
    let want: Vec<f64> = (0..3)
        .flat_map(|i| (0..2).flat_map(move |j| (0..4).map(move |k| (j * 12 + i * 4 + k) as f64)))
        .collect();
    assert_eq!(a.to_vec::<f64>().unwrap(), want);
    let view: pypickle::numpy::NdArrayView = pypickle::from_slice(&data).unwrap();
    assert!(!view.is_borrowed());
    assert_eq!(view.into_owned(), a);
}

#[test]
fn written_arrays_load_in_live_numpy_1_and_2() {
    let pythons = numpy_pythons();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/python_fixtures/numpy_oracle.py"
    );
    let mut lines = Vec::new();
    for f in fixtures() {
        let a: NdArray = pypickle::from_slice(&std::fs::read(&f.path).unwrap()).unwrap();
        let _ = f.proto;
        for proto in 2..=5u8 {
            let bytes = pypickle::to_vec_with(&a, &SerOptions::new().protocol(proto)).unwrap();
            // Written arrays read back here too.
            let back: NdArray = pypickle::from_slice_with(&bytes, &DeOptions::new()).unwrap();
            assert_eq!(back, a, "{}", f.path.display());
            lines.push(format!("{}\t{}", f.path.display(), hex(&bytes)));
        }
    }
    for python in pythons {
        let out = run_python(&python, &[script], lines.join("\n") + "\n");
        let bad: Vec<String> = out
            .lines()
            .zip(&lines)
            .filter(|(r, _)| *r != "same")
            .map(|(r, l)| format!("{}: {r}", l.split('\t').next().unwrap()))
            .collect();
        assert_eq!(out.lines().count(), lines.len());
        assert!(bad.is_empty(), "{python}:\n{}", bad.join("\n"));
    }
}

/// An array writes itself from its data where it lies (it copied it into a `Value` first,
/// and that again), byte for byte as its `Value` writes: at every protocol, alone, in a
/// struct, flattened (through serde's buffer), and at protocol 5 with out-of-band buffers
/// where numpy too writes the older form (below 5, size-0 items, object arrays).
#[test]
fn arrays_write_as_their_value_writes_them() {
    #[derive(serde::Serialize, Clone)]
    struct Model<'a> {
        name: &'a str,
        weights: &'a NdArray,
        more: Vec<&'a NdArray>,
    }
    #[derive(serde::Serialize)]
    struct Flat<'a> {
        #[serde(flatten)]
        model: Model<'a>,
    }
    #[derive(serde::Serialize)]
    struct ModelValue {
        name: &'static str,
        weights: Value,
        more: Vec<Value>,
    }
    /// A dict with `.0` for its key.
    struct KeyedBy<T>(T);
    impl<T: serde::Serialize> serde::Serialize for KeyedBy<T> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeMap;
            let mut map = s.serialize_map(Some(1))?;
            map.serialize_entry(&self.0, &1)?;
            map.end()
        }
    }
    let (mut compared, mut out_of_band) = (0, 0);
    for f in fixtures() {
        let a: NdArray = pypickle::from_slice(&std::fs::read(&f.path).unwrap()).unwrap();
        let v = Value::from(&a);
        assert_eq!(pypickle::to_value(&a).unwrap(), v);
        let model = Model {
            name: "m",
            weights: &a,
            more: vec![&a, &a],
        };
        let model_value = ModelValue {
            name: "m",
            weights: v.clone(),
            more: vec![v.clone(), v.clone()],
        };
        for proto in 0..=5u8 {
            let opts = SerOptions::new().protocol(proto);
            let want = pypickle::to_vec_with(&v, &opts).map_err(|e| e.to_string());
            let got = pypickle::to_vec_with(&a, &opts).map_err(|e| e.to_string());
            assert_eq!(got, want, "{} at protocol {proto}", f.path.display());
            let want = pypickle::to_vec_with(&model_value, &opts).map_err(|e| e.to_string());
            let got = pypickle::to_vec_with(&model, &opts).map_err(|e| e.to_string());
            assert_eq!(
                got,
                want,
                "{} in a struct, protocol {proto}",
                f.path.display()
            );
            let flat = pypickle::to_vec_with(
                &Flat {
                    model: model.clone(),
                },
                &opts,
            );
            assert_eq!(
                flat.map_err(|e| e.to_string()),
                want,
                "{} flattened, protocol {proto}",
                f.path.display()
            );
            // Out of band, where numpy hands the array out so: its data is the one buffer,
            // and it reads back; elsewhere the pickle is the one in band.
            let want = pypickle::to_vec_with(&v, &opts).map_err(|e| e.to_string());
            match pypickle::to_vec_with_buffers(&a, &opts) {
                Ok((pickle, buffers)) if !buffers.is_empty() => {
                    assert!(proto == 5 && buffers.len() == 1, "{}", f.path.display());
                    assert_eq!(Some(&buffers[0][..]), a.as_bytes());
                    let lent = [&buffers[0][..]];
                    let back: NdArray =
                        pypickle::from_slice_with_buffers(&pickle, &lent, &DeOptions::new())
                            .unwrap();
                    assert_eq!(back, a, "{}", f.path.display());
                    out_of_band += 1;
                }
                got => assert_eq!(
                    got.map(|(pickle, _)| pickle).map_err(|e| e.to_string()),
                    want,
                    "{} out of band, protocol {proto}",
                    f.path.display()
                ),
            }
            // As a dict key: refused alike.
            let key = pypickle::to_vec_with(&KeyedBy(&a), &opts).map_err(|e| e.to_string());
            let want = pypickle::to_vec_with(&KeyedBy(&v), &opts).map_err(|e| e.to_string());
            assert!(want.is_err());
            assert_eq!(key, want);
            compared += 1;
        }
    }
    assert!(compared >= 1800, "{compared}");
    // Past the depth limit, the error is the array's, as its Value's: no places inside it.
    let a: NdArray = pypickle::from_slice(&std::fs::read(&fixtures()[0].path).unwrap()).unwrap();
    let v = Value::from(&a);
    for depth in 0..8 {
        for out_of_band in [false, true] {
            let opts = SerOptions::new()
                .protocol(5)
                .max_depth(depth)
                .out_of_band_buffers(out_of_band);
            let got = pypickle::to_vec_with_buffers(&vec![&a], &opts).map_err(|e| e.to_string());
            let want = pypickle::to_vec_with_buffers(&vec![&v], &opts).map_err(|e| e.to_string());
            assert_eq!(got.is_err(), want.is_err(), "max_depth {depth}");
            if let (Err(got), Err(want)) = (got, want) {
                assert_eq!(got, want, "max_depth {depth}");
            }
        }
    }
    assert!(out_of_band >= 100, "{out_of_band}");
}

/// Self-describing readers (`deserialize_any`: an untagged enum buffers its input) see an
/// array as its natural form, a dict of dtype, shape, order and data, which `NdArray` reads
/// back: every fixture reads the same through an untagged enum, from the pickle and from a
/// `Value`, dtype whole (a structured type's fields, offsets, alignment and flags, sub-arrays;
/// an object array's elements are buffered as serde buffers any value, tuples as lists).
#[test]
fn arrays_read_through_untagged_enums() {
    use serde::Deserialize;
    #[derive(Deserialize, Debug)]
    #[serde(untagged)]
    enum Field {
        Number(f64),
        Array(NdArray),
    }
    // An object array's elements go through serde's buffer like any value there: a tuple
    // comes out a list. Their number is kept. A structured array's records (tuples to numpy,
    // with arrays in sub-array fields) are made records again: they are the same.
    let same = |a: &NdArray, b: &NdArray| {
        let records = !a.dtype().fields.is_empty();
        (
            a.dtype(),
            a.shape(),
            a.order(),
            a.as_bytes(),
            a.objects().map(<[_]>::len),
        ) == (
            b.dtype(),
            b.shape(),
            b.order(),
            b.as_bytes(),
            b.objects().map(<[_]>::len),
        ) && (!records || a.objects() == b.objects())
    };
    let mut failures = Vec::new();
    for f in fixtures() {
        let bytes = std::fs::read(&f.path).unwrap();
        let direct: NdArray = pypickle::from_slice(&bytes).unwrap();
        let value: Value = pypickle::from_slice(&bytes).unwrap();
        let via_pickle = pypickle::from_slice::<Field>(&bytes);
        let via_value = pypickle::from_value::<Field>(value);
        for (how, got) in [("pickle", via_pickle), ("Value", via_value)] {
            // A numpy scalar is the number it stands for; a bool, which no `f64` takes, reads
            // as the 0-d array `numpy.asarray` makes of it, the scalar's own here.
            let number = is_scalar(&f).then(|| scalar_json(&direct));
            match (got, number) {
                (Ok(Field::Array(a)), None) if same(&a, &direct) => {}
                (Ok(Field::Number(n)), Some(j)) if j.as_f64() == Some(n) => {}
                (Ok(Field::Array(a)), Some(serde_json::Value::Bool(_))) if same(&a, &direct) => {}
                (other, _) => failures.push(format!("{} via {how}: {other:?}", f.path.display())),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Next to other values, in a dict numpy pickled.
    let mixed = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("python_fixtures/joblib/mixed.p5.pkl"),
    )
    .unwrap();
    let fields: std::collections::BTreeMap<String, serde::de::IgnoredAny> =
        pypickle::from_slice(&mixed).unwrap();
    assert!(fields.contains_key("weights"));
    #[derive(Deserialize)]
    struct Mixed {
        weights: Field,
        bias: Field,
    }
    let m: Mixed = pypickle::from_slice(&mixed).unwrap();
    assert!(matches!(m.weights, Field::Array(ref a) if a.shape() == [7, 1]));
    assert!(matches!(m.bias, Field::Number(b) if b == 0.5));
}

/// numpy pickles an array whose dtype holds objects (here a structured type with an object
/// field) with its elements as a list, which `NdArray` reads as such; given bytes instead,
/// which numpy refuses ("object pickle not returning list"), it is an error, as array and as
/// view, and never bytes that would be object pointers.
#[test]
fn a_dtype_holding_objects_never_takes_bytes() {
    // pickle.dumps(np.array([(1, 'x')], dtype=[('a', '<i4'), ('o', 'O')]), 2), numpy 2.4.
    let pickle = [
        &b"\x80\x02cnumpy._core.multiarray\n_reconstruct\nq\x00cnumpy\nndarray\nq\x01K\x00"[..],
        &b"\x85q\x02c_codecs\nencode\nq\x03X\x01\x00\x00\x00bq\x04X\x06\x00\x00\x00lati"[..],
        &b"n1q\x05\x86q\x06Rq\x07\x87q\x08Rq\x09(K\x01K\x01\x85q\ncnumpy\ndtype\nq\x0bX"[..],
        &b"\x03\x00\x00\x00V12q\x0c\x89\x88\x87q\x0dRq\x0e(K\x03X\x01\x00\x00\x00|q\x0f"[..],
        &b"NX\x01\x00\x00\x00aq\x10X\x01\x00\x00\x00oq\x11\x86q\x12}q\x13(h\x10h\x0bX\x02"[..],
        &b"\x00\x00\x00i4q\x14\x89\x88\x87q\x15Rq\x16(K\x03X\x01\x00\x00\x00<q\x17NNNJ\xff"[..],
        &b"\xff\xff\xffJ\xff\xff\xff\xffK\x00tq\x18bK\x00\x86q\x19h\x11h\x0bX\x02\x00\x00"[..],
        &b"\x00O8q\x1a\x89\x88\x87q\x1bRq\x1c(K\x03h\x0fNNNJ\xff\xff\xff\xffJ\xff\xff\xff"[..],
        &b"\xffK?tq\x1dbK\x04\x86q\x1euK\x0cK\x01K\x1btq\x1fb\x89]q K\x01X\x01\x00\x00\x00"[..],
        &b"xq!\x86q\"atq#b."[..],
    ]
    .concat();
    let a = pypickle::from_slice::<NdArray>(&pickle).unwrap();
    assert_eq!(a.dtype().fields.len(), 2);
    assert_eq!(
        Value::List(a.objects().unwrap().to_vec()).to_string(),
        "[(1, 'x')]"
    );
    assert!(a.as_bytes().is_none());
    let mut v: Value = pypickle::from_slice(&pickle).unwrap();
    let Value::Object(o) = &mut v else {
        panic!("{v}")
    };
    let Value::Tuple(state) = &mut o.state[0] else {
        panic!()
    };
    assert!(matches!(state[4], Value::List(_)), "{}", state[4]);
    state[4] = Value::Bytes(vec![0; 12]);
    let bytes = pypickle::to_vec(&v).unwrap();
    for e in [
        NdArray::try_from(&v).unwrap_err(),
        pypickle::from_slice::<NdArray>(&bytes).unwrap_err(),
        pypickle::from_slice::<NdArrayView>(&bytes).unwrap_err(),
    ] {
        assert!(e.to_string().contains("dtype holds objects"), "{e}");
    }
}

/// A natural form's dtype in numpy's dict form is checked as numpy checks it: errors, never
/// a panic or a layout past the element.
#[test]
fn natural_forms_with_bad_structured_dtypes_are_errors() {
    use pypickle::pickle_value;
    let array = |dtype: Value| {
        let Value::Dict(mut v) = pickle_value!({"dtype": dtype, "shape": [1], "order": "C"}) else {
            unreachable!()
        };
        v.push(("data".into(), Value::Bytes(vec![0; 8])));
        pypickle::from_value::<NdArray>(Value::Dict(v))
    };
    let good = pickle_value!({"names": ["a", "b"], "formats": ["<i4", "<i4"], "offsets": [0, 4], "itemsize": 8, "aligned": true});
    let a = array(good).unwrap();
    assert_eq!(a.dtype().fields.len(), 2);
    for (bad, why) in [
        (
            pickle_value!({"names": ["a"], "formats": ["<i4", "<i4"], "offsets": [0], "itemsize": 8}),
            "differ in length",
        ),
        (
            pickle_value!({"names": ["a", "a"], "formats": ["<i4", "<i4"], "offsets": [0, 4], "itemsize": 8}),
            "twice",
        ),
        (
            pickle_value!({"names": ["a"], "formats": ["<f8"], "offsets": [4], "itemsize": 8}),
            "overruns",
        ),
        (
            pickle_value!({"names": ["a"], "formats": ["<i4"], "offsets": [2], "itemsize": 8, "aligned": true}),
            "not aligned",
        ),
        (
            pickle_value!({"names": ["a"], "formats": ["<i4"], "offsets": [0]}),
            "itemsize",
        ),
        (
            pickle_value!({"names": ["a"], "formats": [("<i4", [1_i64 << 40, 1_i64 << 40])], "offsets": [0], "itemsize": 8}),
            "too large",
        ),
        (
            pickle_value!({"names": ["a"], "formats": [["<i4"]], "offsets": [0], "itemsize": 8}),
            "(base, shape)",
        ),
        (
            pickle_value!({"names": ["a"], "formats": ["<i4"], "offsets": [-1], "itemsize": 8}),
            "not a size",
        ),
    ] {
        let e = array(bad).unwrap_err();
        assert!(e.to_string().contains(why), "{why}: {e}");
    }
    // Nested without end: refused at numpy's depth, not by the stack.
    let mut deep = Value::from("<i1");
    for _ in 0..100 {
        deep = pickle_value!({"names": ["a"], "formats": [deep], "offsets": [0], "itemsize": 1});
    }
    let e = array(deep).unwrap_err();
    assert!(e.to_string().contains("nested too deeply"), "{e}");
}

/// A datetime or timedelta dtype always has a unit, `generic` when none is given
/// (`np.dtype('M8')`): it is written with its metadata at every protocol, without which numpy
/// crashes loading it, and shows as numpy's `dtype.str` (`<M8`). Units and metadata numpy does
/// not load are errors, never another unit.
#[test]
fn datetime_units_are_numpys() {
    use pypickle::numpy::{ByteOrder, DKind, DType};
    let shown = |s: &str| s.parse::<DType>().map(|d| d.to_string());
    assert_eq!(shown("M8").unwrap(), "<M8");
    assert_eq!(shown(">m8[generic]").unwrap(), ">m8");
    assert_eq!(shown("<M8[1s]").unwrap(), "<M8[s]");
    assert_eq!(shown("<m8[10ms]").unwrap(), "<m8[10ms]");
    for bad in [
        "M8[0s]",
        "M8[xyz]",
        "M8[]",
        "M8[5]",
        "M8[2147483648s]",
        "f8[s]",
    ] {
        assert!(shown(bad).is_err(), "{bad}");
    }
    let generic = DType::new(DKind::TimeDelta, 8, ByteOrder::Little);
    assert_eq!(generic.to_string(), "<m8");

    // The multiplier of a written M8[s] array replaced by 2^80: refused, not read as 1.
    let seconds: DType = "<M8[s]".parse().unwrap();
    let a = NdArray::from_bytes(seconds, vec![1], Order::C, vec![0; 8]).unwrap();
    // (Protocol 3: bytes as SHORT_BINBYTES, no frames.)
    let good = pypickle::to_vec_with(&a, &SerOptions::new().protocol(3)).unwrap();
    let meta = b"C\x01sq\x0cK\x01K\x01K\x01";
    let at = good.windows(meta.len()).position(|w| w == meta).unwrap();
    for (replacement, why) in [
        (
            &b"C\x01sq\x0c\x8a\x0b\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01K\x01K\x01"[..],
            "numpy does not load",
        ),
        (b"C\x01sq\x0cK\x00K\x01K\x01", "numpy does not load"),
        (b"C\x02zzq\x0cK\x01K\x01K\x01", "numpy does not load"),
        (b"C\x01sq\x0cK\x01K\x02K\x01", "numpy does not load"),
    ] {
        let mut bad = good[..at].to_vec();
        bad.extend_from_slice(replacement);
        bad.extend_from_slice(&good[at + meta.len()..]);
        let e = pypickle::from_slice::<NdArray>(&bad).unwrap_err();
        assert!(e.to_string().contains(why), "{e}");
    }

    // Live: arrays of generic and unit dtypes load in numpy with the same dtype and values.
    let mut lines = Vec::new();
    let mut want = Vec::new();
    for text in ["M8", "m8", ">M8", "<M8[s]", "<m8[7s]", ">m8[10ms]"] {
        let dtype: DType = text.parse().unwrap();
        let data: Vec<u8> = match dtype.order {
            ByteOrder::Big => [5i64, -3].iter().flat_map(|v| v.to_be_bytes()).collect(),
            _ => [5i64, -3].iter().flat_map(|v| v.to_le_bytes()).collect(),
        };
        let a = NdArray::from_bytes(dtype.clone(), vec![2], Order::C, data).unwrap();
        for proto in 0..=5u8 {
            let bytes = pypickle::to_vec_with(&a, &SerOptions::new().protocol(proto)).unwrap();
            let back: NdArray = pypickle::from_slice(&bytes).unwrap();
            assert_eq!(back, a, "{text} at protocol {proto}");
            lines.push(hex(&bytes));
            // numpy loads a non-native order as native, as it does its own pickles.
            want.push(format!("<{} [5, -3]", &dtype.to_string()[1..]));
        }
    }
    let script = "import pickle, sys\n\
        for line in sys.stdin:\n\
        \x20   a = pickle.loads(bytes.fromhex(line.strip()))\n\
        \x20   print(a.dtype.str, a.view(a.dtype.str[0] + 'i8').tolist())\n";
    for python in numpy_pythons() {
        let out = run_python(&python, &["-c", script], lines.join("\n") + "\n");
        assert_eq!(out.lines().collect::<Vec<_>>(), want, "{python}");
    }
}

/// Python 2 numpy pickles (type codes, byte orders and data as Python 2 strs) read with
/// `Py2Strings::Latin1` and with `Py2Strings::Bytes`, as numpy reads them with
/// `encoding='latin1'` and `'bytes'`: arrays and scalars alike.
#[test]
fn python_2_arrays_and_scalars_read_with_latin1_or_bytes() {
    use pypickle::Py2Strings;
    let array: &[u8] = b"\x80\x02cnumpy.core.multiarray\n_reconstruct\nq\x00cnumpy\nndarray\nq\x01K\x00\x85U\x01b\x87Rq\x02(K\x01K\x03\x85cnumpy\ndtype\nU\x02f8K\x00K\x01\x87R(K\x03U\x01<NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb\x89U\x18\x00\x00\x00\x00\x00\x00\xf0?\x00\x00\x00\x00\x00\x00\x00@\x00\x00\x00\x00\x00\x00\x08@tb.";
    let scalar: &[u8] = b"\x80\x02cnumpy.core.multiarray\nscalar\ncnumpy\ndtype\nU\x02f8K\x00K\x01\x87R(K\x03U\x01<NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tbU\x08\x00\x00\x00\x00\x00\x00\xf8?\x86R.";
    // A structured array, its field names Python 2 strs too.
    let structured: &[u8] = b"\x80\x02cnumpy._core.multiarray\n_reconstruct\nq\x00cnumpy\nndarray\nq\x01K\x00\x85q\x02U\x01bq\x03\x87q\x04Rq\x05(K\x01K\x01\x85q\x06cnumpy\ndtype\nq\x07U\x03V12q\x08\x89\x88\x87q\tRq\n(K\x03U\x01|q\x0bNU\x01xq\x0cU\x01yq\r\x86q\x0e}q\x0f(h\x0ch\x07U\x02i4q\x10\x89\x88\x87q\x11Rq\x12(K\x03U\x01<q\x13NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tq\x14bK\x00\x86q\x15h\rh\x07U\x02f8q\x16\x89\x88\x87q\x17Rq\x18(K\x03h\x13NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tq\x19bK\x04\x86q\x1auK\x0cK\x01K\x10tq\x1bb\x89U\x0c\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00@q\x1ctq\x1db.";
    for how in [Py2Strings::Latin1, Py2Strings::Bytes] {
        let opts = DeOptions::new().py2_strings(how);
        let s: NdArray = pypickle::from_slice_with(structured, &opts).unwrap();
        let names: Vec<&str> = s.dtype().fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["x", "y"], "{how:?}");
        let a: NdArray = pypickle::from_slice_with(array, &opts).unwrap();
        assert_eq!(a.to_f64_vec().unwrap(), [1.0, 2.0, 3.0], "{how:?}");
        let s: NdArray = pypickle::from_slice_with(scalar, &opts).unwrap();
        assert!(s.shape().is_empty(), "{how:?}");
        assert_eq!(s.to_f64_vec().unwrap(), [1.5], "{how:?}");
    }
}

/// Type codes numpy does not know (`i3`, `f0`, `M4`, `c6`), and a text type whose code and
/// element size disagree, are errors reading a pickled dtype, as in numpy.
#[test]
fn pickled_dtypes_numpy_refuses_are_errors() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("python_fixtures/numpy/np2");
    let good = std::fs::read(dir.join("i4.p2.pkl")).unwrap();
    let code = b"X\x02\x00\x00\x00i4";
    let at = good.windows(code.len()).position(|w| w == code).unwrap();
    for bad in ["i3", "f0", "M4", "c6", "b2"] {
        let mut p = good.clone();
        p[at + 5..at + 7].copy_from_slice(bad.as_bytes());
        let e = pypickle::from_slice::<NdArray>(&p).unwrap_err();
        assert!(e.to_string().contains("unknown type code"), "{bad}: {e}");
    }
}

/// A dtype's field titles and metadata survive reading into an `NdArray` and writing back:
/// numpy loads the same dtype, titles and metadata included.
#[test]
fn field_titles_and_dtype_metadata_write_back() {
    let dtypes = [
        "{'names': ['a', 'b'], 'formats': ['i4', 'f4'], 'titles': ['A title', 'B title']}",
        "{'names': ['a', 'b'], 'formats': ['i4', 'f4'], 'titles': [None, 'B title']}",
        "np.dtype('f8', metadata={'unit': 'm'})",
        "np.dtype('M8[s]', metadata={'unit': 'm'})",
    ];
    for python in numpy_pythons() {
        let script = format!(
            "import numpy as np, pickle, sys\n\
             for d in [{}]:\n\
             \x20   a = np.zeros(2, dtype=np.dtype(d))\n\
             \x20   sys.stdout.write(pickle.dumps(a, 4).hex() + '\\n')\n\
             for line in sys.stdin:\n\
             \x20   a = pickle.loads(bytes.fromhex(line.strip()))\n\
             \x20   print(repr(a.dtype), a.dtype.metadata)\n",
            dtypes.join(", ")
        );
        // First run: numpy's pickles and what numpy says of them; second: ours.
        let run = |input: &str| run_python(&python, &["-c", &script], input.to_string());
        let first = run("");
        let theirs: Vec<&str> = first.lines().collect();
        let again: String = theirs
            .iter()
            .map(|h| {
                let bytes: Vec<u8> = (0..h.len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
                    .collect();
                let a: NdArray = pypickle::from_slice(&bytes).unwrap();
                hex(&pypickle::to_vec(&a).unwrap()) + "\n"
            })
            .collect();
        let numpy_says = run(&(theirs.join("\n") + "\n"));
        let ours = run(&again);
        let skip = theirs.len();
        let want: Vec<&str> = numpy_says.lines().skip(skip).collect();
        let got: Vec<&str> = ours.lines().skip(skip).collect();
        assert_eq!(got, want, "{python}");
        assert!(want.iter().any(|l| l.contains("A title")), "{want:?}");
    }
}

/// A numpy scalar asked for a number (`f64`, `i32`, `bool`, a struct's numeric field) is the
/// number it stands for, from the pickle and through `from_value`; asked for anything else it
/// is still the 0-d array `NdArray` reads.
#[test]
fn numpy_scalars_read_as_plain_numbers() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("python_fixtures/numpy/np2");
    for proto in 0..=5 {
        let read = |name: &str| std::fs::read(dir.join(format!("{name}.p{proto}.pkl"))).unwrap();
        let (f8, i4, b) = (read("scalar_f8"), read("scalar_i4"), read("scalar_bool"));
        let want_f8 = pypickle::from_slice::<NdArray>(&f8)
            .unwrap()
            .to_f64_vec()
            .unwrap()[0];
        assert_eq!(pypickle::from_slice::<f64>(&f8).unwrap(), want_f8);
        assert_eq!(pypickle::from_slice::<i32>(&i4).unwrap(), -7);
        assert_eq!(pypickle::from_slice::<i64>(&i4).unwrap(), -7);
        let want_b = pypickle::from_slice::<NdArray>(&b)
            .unwrap()
            .to_vec::<bool>()
            .unwrap()[0];
        assert_eq!(pypickle::from_slice::<bool>(&b).unwrap(), want_b);
        let v: Value = pypickle::from_slice(&f8).unwrap();
        assert_eq!(pypickle::from_value::<f64>(v.clone()).unwrap(), want_f8);
        assert_eq!(
            pypickle::from_value::<NdArray>(v).unwrap().shape(),
            &[] as &[usize]
        );
        let v: Value = pypickle::from_slice(&i4).unwrap();
        assert_eq!(pypickle::from_value::<i16>(v).unwrap(), -7);
        // Not a number: an error that says what it is.
        assert!(pypickle::from_slice::<String>(&f8).is_err());
        // As i128 / u128, as i64 reads it (found by a review: a map was asked for).
        assert_eq!(pypickle::from_slice::<i128>(&i4).unwrap(), -7);
        let e = pypickle::from_slice::<u128>(&i4).unwrap_err().to_string();
        assert!(e.contains("-7") && e.contains("REDUCE at offset"), "{e}");
        let v: Value = pypickle::from_slice(&i4).unwrap();
        assert_eq!(pypickle::from_value::<i128>(v).unwrap(), -7);
        // As f32: in range it is the float; past the range an error, as a float's is (found
        // by a review: it was infinity). Protocols 3-5 hold the 8 bytes as they are.
        assert_eq!(pypickle::from_slice::<f32>(&f8).unwrap(), want_f8 as f32);
        if proto >= 3 {
            let at = f8
                .windows(8)
                .position(|w| w == want_f8.to_le_bytes())
                .unwrap();
            let mut huge = f8.clone();
            huge[at..at + 8].copy_from_slice(&1e300f64.to_le_bytes());
            assert_eq!(pypickle::from_slice::<f64>(&huge).unwrap(), 1e300);
            let e = pypickle::from_slice::<f32>(&huge).unwrap_err();
            assert!(e.to_string().contains("REDUCE at offset"), "{e}");
            let v: Value = pypickle::from_slice(&huge).unwrap();
            assert!(pypickle::from_value::<f32>(v).is_err());
        }
    }
    // In a dict, as a struct's field: {'score': np.float64(2.5)}, protocol 2, numpy 2.
    #[derive(serde::Deserialize)]
    struct Scored {
        score: f64,
    }
    let dict = b"\x80\x02}q\x00X\x05\x00\x00\x00scoreq\x01cnumpy._core.multiarray\nscalar\nq\x02cnumpy\ndtype\nq\x03X\x02\x00\x00\x00f8q\x04\x89\x88\x87q\x05Rq\x06(K\x03X\x01\x00\x00\x00<q\x07NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tq\x08bc_codecs\nencode\nq\tX\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00\x04@q\nX\x06\x00\x00\x00latin1q\x0b\x86q\x0cRq\r\x86q\x0eRq\x0fs.";
    let s: Scored = pypickle::from_slice(dict).unwrap();
    assert_eq!(s.score, 2.5);
}

/// numpy 2's `StringDType` arrays read as `NdArray`: the dtype as numpy shows it (with its
/// `na_object` and `coerce`), the strs as `to_string_vec` and `objects()` give them (a missing
/// element is `to_string_vec`'s error), in C order whatever the array's order; and written
/// back, from `NdArray` and from `Value`, numpy loads the same arrays. Live, protocols 0-5,
/// every numpy 2 among the Pythons (numpy 1 has no `StringDType`).
#[test]
fn numpy_string_dtype_arrays_read_and_write_back() {
    let script = r#"
import json, pickle, sys
import numpy as np
if int(np.__version__.split(".")[0]) < 2:
    print("numpy 1"); sys.exit()
from numpy.dtypes import StringDType as T
arrays = (
    np.array(["a", "h\u00e9llo", ""], dtype=T()),
    np.array(["x", None, "z"], dtype=T(na_object=None)),
    np.array([["a", "b", "c"], ["d", "e", "f"]], dtype=T(coerce=False)).T,
    np.array([], dtype=T(na_object=float("nan"))),
)
if sys.argv[1] == "dump":
    want = [[str(a.dtype), list(a.shape), [None if not isinstance(x, str) else x
             for x in a.ravel(order="C").tolist()]] for a in arrays]
    print(json.dumps(want))
    for proto in range(6):
        print(pickle.dumps(arrays, protocol=proto).hex())
else:
    for line in sys.stdin:
        got = pickle.loads(bytes.fromhex(line))
        same = all(type(g.dtype) is type(w.dtype) and str(g.dtype) == str(w.dtype)
                   and g.shape == w.shape and g.flags.f_contiguous == w.flags.f_contiguous
                   and [repr(x) for x in g.ravel().tolist()] == [repr(x) for x in w.ravel().tolist()]
                   for g, w in zip(got, arrays))
        print(same)
"#;
    let pythons = numpy_pythons();
    let mut ran = 0;
    for python in &pythons {
        let out = run_python(python, &["-c", script, "dump"], String::new());
        if out.trim() == "numpy 1" {
            continue;
        }
        ran += 1;
        let mut lines = out.lines();
        let want: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
        let pickles: Vec<Vec<u8>> = lines.map(unhex).collect();
        assert_eq!(pickles.len(), 6, "{python}");
        let mut again = String::new();
        for (proto, p) in pickles.iter().enumerate() {
            let why = format!("{python} protocol {proto}");
            let arrays: Vec<NdArray> = pypickle::from_slice(p).expect(&why);
            for (a, w) in arrays.iter().zip(want.as_array().unwrap()) {
                assert_eq!(a.dtype().to_string(), w[0].as_str().unwrap(), "{why}");
                let shape: Vec<usize> = serde_json::from_value(w[1].clone()).unwrap();
                assert_eq!(a.shape(), shape.as_slice(), "{why}");
                let elems: Vec<Option<String>> = serde_json::from_value(w[2].clone()).unwrap();
                let objects: Vec<Option<String>> = a
                    .objects()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().map(str::to_string))
                    .collect();
                assert_eq!(objects, elems, "{why}");
                match elems.iter().position(Option::is_none) {
                    None => {
                        let strs: Vec<String> = elems.iter().flatten().cloned().collect();
                        assert_eq!(a.to_string_vec().unwrap(), strs, "{why}");
                    }
                    Some(i) => {
                        let e = a.to_string_vec().unwrap_err().to_string();
                        assert!(e.contains(&format!("element {i} is None")), "{why}: {e}");
                    }
                }
            }
            assert_eq!(arrays[1].dtype().na_object(), Some(&Value::None), "{why}");
            assert_eq!(arrays[0].dtype().na_object(), None, "{why}");
            assert_eq!(arrays[2].dtype().string_coerce(), Some(false), "{why}");
            assert_eq!(arrays[2].order(), Order::Fortran, "{why}");
            assert!(matches!(arrays[3].dtype().na_object(), Some(Value::Float(f)) if f.is_nan()));
            // Through a self-describing format (the natural form): the same arrays (but the
            // last, whose NaN JSON cannot hold).
            let json: Vec<serde_json::Value> = pypickle::from_slice(p).expect(&why);
            for (j, a) in json.iter().zip(&arrays).take(3) {
                let back: NdArray = serde_json::from_value(j.clone()).expect(&why);
                assert_eq!(&back, a, "{why}");
            }
            let value: Value = pypickle::from_slice(p).expect(&why);
            for proto in 0..=5u8 {
                let opts = SerOptions::new().protocol(proto);
                again += &(hex(&pypickle::to_vec_with(&arrays, &opts).unwrap()) + "\n");
                again += &(hex(&pypickle::to_vec_with(&value, &opts).unwrap()) + "\n");
            }
        }
        let loaded = run_python(python, &["-c", script, "load"], again);
        assert_eq!(loaded.lines().count(), 72, "{python}");
        assert!(loaded.lines().all(|l| l == "True"), "{python}: {loaded}");
    }
    assert!(
        pythons.is_empty() || ran > 0,
        "no Python with numpy 2 in PYPICKLE_NUMPY_PYTHONS"
    );
}

/// numpy's complex scalars (subclasses of Python's `complex`) read as the pair `(real, imag)`
/// a Python complex reads as, as a tuple, a sequence, a tuple struct's fields, and through
/// `Value`; asked for a float they are refused as a complex is. Found by a hunt: the pair was
/// an error, and a `Vec<Value>` got the scalar's constructor arguments. Live, numpy 1 and 2.
#[test]
fn numpy_complex_scalars_read_as_a_complex_does() {
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Pair(f64, f64);
    let script = r#"
import pickle
import numpy as np
for proto in range(6):
    print(pickle.dumps((np.complex128(1.5-2j), np.complex64(0.25+4j), 3+4j), protocol=proto).hex())
"#;
    for python in numpy_pythons() {
        let out = run_python(&python, &["-c", script], String::new());
        let pickles: Vec<Vec<u8>> = out.lines().map(unhex).collect();
        assert_eq!(pickles.len(), 6, "{python}");
        for (proto, p) in pickles.iter().enumerate() {
            let why = format!("{python} protocol {proto}");
            let t: ((f64, f64), Pair, (f64, f64)) = pypickle::from_slice(p).expect(&why);
            assert_eq!(t, ((1.5, -2.0), Pair(0.25, 4.0), (3.0, 4.0)), "{why}");
            let seqs: (Vec<Value>, Vec<f64>, Vec<f64>) = pypickle::from_slice(p).expect(&why);
            assert_eq!(seqs.0, [Value::Float(1.5), Value::Float(-2.0)], "{why}");
            assert_eq!(seqs.1, [0.25, 4.0], "{why}");
            let value: Value = pypickle::from_slice(p).expect(&why);
            let through: ((f64, f64), Pair, (f64, f64)) =
                pypickle::from_value(value.clone()).expect(&why);
            assert_eq!(through, t, "{why}");
            // Not a float, as 3+4j is not.
            let e = pypickle::from_slice::<(f64, f64, f64)>(p).unwrap_err();
            assert!(e.to_string().contains("expected f64"), "{why}: {e}");
            assert!(
                pypickle::from_value::<(f64, f64, f64)>(value).is_err(),
                "{why}"
            );
        }
    }
}

/// Something else than an array read as `NdArray` or `NdArrayView` is a type error at that
/// value, as a stdlib type's is: it was a custom error with no position, or the enclosing
/// dict's (found by a hunt).
#[test]
fn a_value_that_is_no_array_is_a_type_error_where_it_is() {
    use pypickle::numpy::NdArrayView;
    use pypickle::Category;
    // pickle.dumps([1, 2], 4)
    let list = b"\x80\x04\x95\x09\x00\x00\x00\x00\x00\x00\x00]\x94(K\x01K\x02e.";
    for e in [
        pypickle::from_slice::<NdArray>(list).unwrap_err(),
        pypickle::from_slice::<NdArrayView>(list).unwrap_err(),
    ] {
        assert_eq!(e.category(), Category::Type, "{e}");
        assert!(e.to_string().contains("invalid numpy array"), "{e}");
        assert_eq!(e.offset(), Some(11), "{e}");
    }
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct W {
        a: NdArray,
    }
    // pickle.dumps({'a': 5}, 2): the 5 is the BININT1 at offset 13.
    let e = pypickle::from_slice::<W>(b"\x80\x02}q\x00X\x01\x00\x00\x00aq\x01K\x05s.").unwrap_err();
    assert_eq!(
        (e.category(), e.offset()),
        (Category::Type, Some(13)),
        "{e}"
    );
    // Through `from_value` too: the same category.
    let e = pypickle::from_value::<NdArray>(Value::List(vec![Value::Int(1)])).unwrap_err();
    assert_eq!(e.category(), Category::Type, "{e}");
}

/// numpy's str and bytes scalars (`np.str_`, `np.bytes_`: what numpy hands out of its string
/// arrays, and so what ends up in dicts) read as `String` and bytes, also as map keys, from
/// the pickle and through `Value`; `U` and `S` arrays give their elements as numpy does
/// (`tolist()`: trailing NULs dropped, inner ones kept). Live, numpy 1 and 2, protocols 0-5.
#[test]
fn numpy_text_scalars_and_arrays_read_as_strings() {
    use std::collections::BTreeMap;
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Texts {
        s: String,
        e: String,
        b: serde_bytes::ByteBuf,
        keys: BTreeMap<String, i64>,
        u: NdArray,
        be: NdArray,
        sb: NdArray,
        c: char,
        f: NdArray,
        color: Color,
    }
    #[derive(serde::Deserialize, Debug, PartialEq)]
    enum Color {
        Red,
        Green,
    }
    let script = r#"
import json, pickle, sys
import numpy as np
d = {
    "s": np.str_("h\u00e9llo"), "e": np.str_(""), "b": np.bytes_(b"xy\x00z"),
    "keys": {np.str_("k"): 1, "plain": 2},
    "u": np.array(["a", "bcd", "\u00e9\x00x"], dtype="<U4"),
    "be": np.array(["ab", "\U0001F600"], dtype=">U2"),
    "sb": np.array([b"ab", b"", b"a\x00b"], dtype="S3"),
    "c": np.str_("\u00e9"),
    "color": np.str_("Green"),
    "f": np.asfortranarray(np.array([["a", "bb", "c"], ["d", "e", "ff"]])),
}
want = {"s": str(d["s"]), "e": str(d["e"]), "b": bytes(d["b"]).hex(),
        "u": d["u"].tolist(), "be": d["be"].tolist(), "sb": [x.hex() for x in d["sb"].tolist()],
        "f": d["f"].ravel(order="K").tolist()}
print(json.dumps(want))
for proto in range(6):
    print(pickle.dumps(d, protocol=proto).hex())
print(pickle.dumps(np.str_("\ud800"), protocol=4).hex())
"#;
    for python in numpy_pythons() {
        let out = run_python(&python, &["-c", script], String::new());
        let mut lines = out.lines();
        let want: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
        let strs = |k: &str| -> Vec<String> {
            want[k]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_string())
                .collect()
        };
        let pickles: Vec<Vec<u8>> = lines.map(unhex).collect();
        let (surrogate, pickles) = pickles.split_last().unwrap();
        assert_eq!(pickles.len(), 6, "{python}");
        for (proto, p) in pickles.iter().enumerate() {
            let why = format!("{python} protocol {proto}");
            let direct: Texts = pypickle::from_slice(p).expect(&why);
            let value: Value = pypickle::from_slice(p).expect(&why);
            let through: Texts = pypickle::from_value(value).expect(&why);
            assert_eq!(direct, through, "{why}");
            let t = direct;
            assert_eq!(t.s, want["s"].as_str().unwrap(), "{why}");
            assert_eq!(t.e, "", "{why}");
            assert_eq!(t.b.as_slice(), unhex(want["b"].as_str().unwrap()), "{why}");
            assert_eq!(t.keys.keys().collect::<Vec<_>>(), ["k", "plain"], "{why}");
            assert_eq!(t.u.to_string_vec().unwrap(), strs("u"), "{why}");
            assert_eq!(t.be.to_string_vec().unwrap(), strs("be"), "{why}");
            assert_eq!(t.c, '\u{e9}', "{why}");
            assert_eq!(t.color, Color::Green, "{why}");
            // Fortran order: the elements as stored, as `to_vec` gives numbers.
            assert_eq!(t.f.order(), Order::Fortran, "{why}");
            assert_eq!(t.f.to_string_vec().unwrap(), strs("f"), "{why}");
            let sb: Vec<String> =
                t.sb.to_bytes_vec()
                    .unwrap()
                    .iter()
                    .map(|b| hex(b))
                    .collect();
            assert_eq!(sb, strs("sb"), "{why}");
            // The other dtype's accessor is an error that names the dtype.
            let e = t.u.to_bytes_vec().unwrap_err().to_string();
            assert!(e.contains("<U4"), "{e}");
            assert!(t.sb.to_string_vec().is_err(), "{why}");
            // A str scalar is still not a number.
            assert!(
                pypickle::from_slice::<BTreeMap<String, f64>>(p).is_err(),
                "{why}"
            );
        }
        // A lone surrogate: Python's str holds it, a Rust String cannot.
        let e = pypickle::from_slice::<String>(surrogate)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("0xd800") && e.contains("REDUCE at offset"),
            "{e}"
        );
        let v: Value = pypickle::from_slice(surrogate).unwrap();
        assert!(pypickle::from_value::<String>(v).is_err());
    }
}

/// Text accessors on arrays made in Rust: a `U` itemsize that is not whole code points is an
/// error (now when the array is made: numpy has no such type); a zero-width array gives its empty elements, up to a bound
/// that a few bytes of pickle claiming 2^40 of them cannot push past (found by a review: the
/// process aborted allocating 26 TB).
#[test]
fn text_accessors_check_the_dtype_and_bound_zero_width_arrays() {
    use pypickle::numpy::{ByteOrder, DKind, DType, MAX_EMPTY_ELEMENTS};
    let odd = NdArray::from_bytes(
        DType::new(DKind::Str, 5, ByteOrder::Little),
        vec![2],
        Order::C,
        b"a\0\0\0bc\0\0\0d".to_vec(),
    );
    let e = odd.unwrap_err().to_string();
    assert!(e.contains("numpy has no type"), "{e}");
    for kind in [DKind::Str, DKind::Bytes] {
        let empty = |n: usize| {
            NdArray::from_bytes(
                DType::new(kind, 0, ByteOrder::Little),
                vec![n],
                Order::C,
                vec![],
            )
            .unwrap()
        };
        let (strs, bytes) = (empty(3).to_string_vec(), empty(3).to_bytes_vec());
        match kind {
            DKind::Str => assert_eq!(strs.unwrap(), ["", "", ""]),
            _ => assert_eq!(bytes.unwrap(), [b"", b"", b""]),
        }
        for n in [MAX_EMPTY_ELEMENTS + 1, 1 << 40] {
            let e = match kind {
                DKind::Str => empty(n).to_string_vec().unwrap_err(),
                _ => empty(n).to_bytes_vec().unwrap_err(),
            };
            assert!(e.to_string().contains("more than the"), "{e}");
        }
        let at_most = empty(MAX_EMPTY_ELEMENTS);
        match kind {
            DKind::Str => assert_eq!(at_most.to_string_vec().unwrap().len(), MAX_EMPTY_ELEMENTS),
            _ => assert_eq!(
                at_most.view().unwrap().to_bytes_vec().unwrap().len(),
                MAX_EMPTY_ELEMENTS
            ),
        }
    }
}

/// An object array in Fortran order: numpy pickles its elements in C order whatever the
/// layout (`is_fortran` describes the layout only), `objects()` gives them so, and written
/// back at protocols 2-5 it loads in numpy as the same Fortran-ordered array. Live, numpy 1
/// and 2.
#[test]
fn fortran_object_arrays_read_and_write_back() {
    let make = r#"
import pickle, sys
import numpy as np
a = np.asfortranarray(np.array([[1, "a", 3], [None, 2.5, "z"]], dtype=object))
assert a.flags.f_contiguous and not a.flags.c_contiguous
for proto in range(6):
    print(pickle.dumps(a, protocol=proto).hex())
"#;
    let check = r#"
import pickle, sys
import numpy as np
want = np.array([[1, "a", 3], [None, 2.5, "z"]], dtype=object)
for line in sys.stdin:
    b = pickle.loads(bytes.fromhex(line.strip()))
    print(b.dtype == object, b.shape == (2, 3), bool((b == want).all()), b.flags.f_contiguous)
"#;
    for python in numpy_pythons() {
        let out = run_python(&python, &["-c", make], String::new());
        let mut written = String::new();
        for (proto, line) in out.lines().enumerate() {
            let a: NdArray = pypickle::from_slice(&unhex(line)).unwrap();
            assert_eq!(a.order(), Order::Fortran, "{python} protocol {proto}");
            assert_eq!(a.shape(), &[2, 3]);
            let items: Vec<String> = a.objects().unwrap().iter().map(|v| v.to_string()).collect();
            assert_eq!(
                items,
                ["1", "'a'", "3", "None", "2.5", "'z'"],
                "{python} {proto}"
            );
            if proto >= 2 {
                let p =
                    pypickle::to_vec_with(&a, &SerOptions::new().protocol(proto as u8)).unwrap();
                written += &hex(&p);
                written.push('\n');
            }
        }
        let back = run_python(&python, &["-c", check], written);
        let lines: Vec<&str> = back.lines().collect();
        assert_eq!(lines.len(), 4, "{python}: {back}");
        assert!(
            lines.iter().all(|l| *l == "True True True True"),
            "{python}: {back}"
        );
    }
}

/// A malformed numpy text scalar (1 byte of data for `U1`, which numpy refuses: "initialization
/// string is too small") asked for a `String`: numpy's reason with the offset, not a type
/// error about the object's form (found by a review: "invalid type: sequence").
#[test]
fn a_malformed_text_scalar_says_what_is_wrong() {
    let bad = b"\x80\x03cnumpy._core.multiarray\nscalar\nq\x00cnumpy\ndtype\nq\x01X\x02\x00\x00\x00U1q\x02\x89\x88\x87q\x03Rq\x04(K\x03X\x01\x00\x00\x00<q\x05NNNK\x04K\x04K\x08tq\x06bC\x01aq\x07\x86q\x08Rq\t.";
    let e = pypickle::from_slice::<String>(bad).unwrap_err().to_string();
    assert!(
        e.contains("numpy array") && e.contains("REDUCE at offset"),
        "{e}"
    );
    let v: Value = pypickle::from_slice(bad).unwrap();
    let e = pypickle::from_value::<String>(v).unwrap_err().to_string();
    assert!(e.contains("numpy array"), "{e}");
}

/// The 148-byte pickles the review built (`U0` and `S0` arrays claiming 2^40 elements, which
/// numpy itself loads): they read as arrays, and asking for their elements is an error, not
/// an abort allocating 26 TB.
#[test]
fn zero_width_arrays_claiming_2_to_the_40_elements_are_refused_when_listed() {
    let u0: &[u8] = b"\x80\x04\x95\x89\x00\x00\x00\x00\x00\x00\x00\x8c\x16numpy._core.multiarray\x94\x8c\x0c_reconstruct\x94\x93\x94\x8c\x05numpy\x94\x8c\x07ndarray\x94\x93\x94K\x00\x85\x94C\x01b\x94\x87\x94R\x94(K\x01\x8a\x06\x00\x00\x00\x00\x00\x01\x85\x94h\x03\x8c\x05dtype\x94\x93\x94\x8c\x02U0\x94\x89\x88\x87\x94R\x94(K\x03\x8c\x01<\x94NNNK\x00K\x04K\x08t\x94b\x89C\x00\x94t\x94b.";
    let s0: &[u8] = b"\x80\x04\x95\x89\x00\x00\x00\x00\x00\x00\x00\x8c\x16numpy._core.multiarray\x94\x8c\x0c_reconstruct\x94\x93\x94\x8c\x05numpy\x94\x8c\x07ndarray\x94\x93\x94K\x00\x85\x94C\x01b\x94\x87\x94R\x94(K\x01\x8a\x06\x00\x00\x00\x00\x00\x01\x85\x94h\x03\x8c\x05dtype\x94\x93\x94\x8c\x02S0\x94\x89\x88\x87\x94R\x94(K\x03\x8c\x01|\x94NNNK\x00K\x01K\x00t\x94b\x89C\x00\x94t\x94b.";
    let u: NdArray = pypickle::from_slice(u0).unwrap();
    assert_eq!(u.shape(), &[1 << 40]);
    let e = u.to_string_vec().unwrap_err().to_string();
    assert!(e.contains("more than the"), "{e}");
    let s: NdArray = pypickle::from_slice(s0).unwrap();
    let e = s.to_bytes_vec().unwrap_err().to_string();
    assert!(e.contains("more than the"), "{e}");
}

/// A dict of metrics as numpy code makes them (numpy scalars for values) reads into
/// `serde_json::Value` and an untagged enum as the numbers, bools and strs they stand for,
/// `float(x)` for a float32: what `json.dumps` gives after `x.item()`. They were 0-d arrays
/// there, whose bytes `serde_json::Value` cannot hold (found by a hunt).
#[test]
fn numpy_scalars_read_as_their_numbers_where_any_value_is_asked() {
    #[derive(serde::Deserialize, Debug, PartialEq)]
    #[serde(untagged)]
    enum Metric {
        Flag(bool),
        Count(i64),
        Big(u64),
        Score(f64),
        Label(String),
        Pair(f64, f64),
    }
    let script = [
        "import json, pickle, numpy as np",
        "m = {'acc': np.float64(0.9), 'f32': np.float32(0.1), 'n': np.int64(-5),",
        "     'u8': np.uint8(200), 'big': np.uint64(2**64 - 1), 'ok': np.bool_(True),",
        "     'label': np.str_('cat'), 'c': np.complex64(1 + 2j)}",
        "plain = {k: [v.real.item(), v.imag.item()] if k == 'c' else v.item() for k, v in m.items()}",
        "for p in range(2, 6):",
        "    print(pickle.dumps(m, protocol=p).hex(), json.dumps(plain))",
    ]
    .join("\n");
    let pythons = numpy_pythons();
    let mut checked = 0;
    for python in &pythons {
        for line in run_python(python, &["-c", &script], String::new()).lines() {
            let (hexed, json) = line.split_once(' ').unwrap();
            let pickle = unhex(hexed);
            let want: serde_json::Value = serde_json::from_str(json).unwrap();
            let got: serde_json::Value = pypickle::from_slice(&pickle).unwrap();
            assert_eq!(got, want, "{python}");
            let v: Value = pypickle::from_slice(&pickle).unwrap();
            assert_eq!(serde_json::to_value(&v).unwrap(), want, "{python}");
            let metrics: std::collections::BTreeMap<String, Metric> =
                pypickle::from_slice(&pickle).unwrap();
            assert_eq!(metrics["ok"], Metric::Flag(true));
            assert_eq!(metrics["n"], Metric::Count(-5));
            assert_eq!(metrics["u8"], Metric::Count(200));
            assert_eq!(metrics["big"], Metric::Big(u64::MAX));
            assert_eq!(metrics["acc"], Metric::Score(0.9));
            assert_eq!(metrics["f32"], Metric::Score(f64::from(0.1f32)));
            assert_eq!(metrics["label"], Metric::Label("cat".into()));
            assert_eq!(metrics["c"], Metric::Pair(1.0, 2.0));
            checked += 1;
        }
    }
    assert!(pythons.is_empty() || checked >= 4, "{checked}");
}

/// Items set or appended after an array's BUILD (numpy sets elements for the first, and
/// refuses the second) are an error at every protocol's form: protocols 2-4's
/// `_reconstruct` form ignored them and gave the array as built (found by a hunt).
#[test]
fn items_set_or_appended_to_an_array_are_refused() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("python_fixtures/numpy/np2");
    for p in 2..=5 {
        let pickle = std::fs::read(root.join(format!("f8_2x3.p{p}.pkl"))).unwrap();
        let body = pickle.strip_suffix(b".").unwrap();
        assert!(pypickle::from_slice::<NdArray>(&pickle).is_ok());
        let mut set_item = body.to_vec();
        set_item.extend_from_slice(b"(K\x00G");
        set_item.extend_from_slice(&9.5f64.to_be_bytes());
        set_item.extend_from_slice(b"u.");
        let mut appended = body.to_vec();
        appended.extend_from_slice(b"(K\x01e.");
        for bad in [set_item, appended] {
            let e = pypickle::from_slice::<NdArray>(&bad).unwrap_err();
            assert!(e.to_string().contains("appended or set items"), "p{p}: {e}");
            let v: Value = pypickle::from_slice(&bad).unwrap();
            assert!(NdArray::try_from(&v).is_err(), "p{p}");
        }
    }
}

/// A float64 dtype whose flags claim objects, given a list for data, has nowhere to hold
/// them: an error, not an array whose accessors find no elements (found by a hunt; numpy
/// itself fails on it).
#[test]
fn a_list_for_the_data_of_a_dtype_without_objects_is_refused() {
    // _reconstruct(ndarray, (0,), b'b') + BUILD (1, (1,), dtype('f8') with flags 1, False, [1]).
    let pickle = unhex(concat!(
        "8002636e756d70792e5f636f72652e6d756c746961727261790a5f7265636f6e7374727563740a71",
        "00636e756d70790a6e6461727261790a71014b00857102635f636f646563730a656e636f64650a71",
        "03580100000062710458060000006c6174696e317105867106527107877108527109284b014b0185",
        "710a636e756d70790a64747970650a710b58020000006638710c898887710d52710e284b03580100",
        "00003c710f4e4e4e4affffffff4affffffff4b0174711062895d7111473ff8000000000000617471",
        "12622e",
    ));
    let e = pypickle::from_slice::<NdArray>(&pickle).unwrap_err();
    assert!(e.to_string().contains("its data is not bytes"), "{e}");
    assert!(pypickle::from_slice::<NdArrayView>(&pickle).is_err());
}

/// An array numpy could not load is refused when made, not written for numpy to refuse: a
/// dimension past `isize::MAX` (it was written negative, even in an empty array) and element
/// types numpy has no such size of (found by a hunt).
#[test]
fn arrays_numpy_cannot_hold_are_not_made() {
    use pypickle::numpy::{ByteOrder, DKind, DType};
    let e = NdArray::from_vec::<u8>(vec![0, usize::MAX], vec![]).unwrap_err();
    assert!(e.to_string().contains("too large"), "{e}");
    let edge = NdArray::from_vec::<u8>(vec![0, isize::MAX as usize], vec![]).unwrap();
    let back: NdArray = pypickle::from_slice(&pypickle::to_vec(&edge).unwrap()).unwrap();
    assert_eq!(back.shape(), &[0, isize::MAX as usize]);
    for (kind, size, ok) in [
        (DKind::Int, 3, false),
        (DKind::Bool, 2, false),
        (DKind::Str, 6, false),
        (DKind::DateTime, 4, false),
        (DKind::Float, 12, false),
        (DKind::Int, 4, true),
        (DKind::Str, 8, true),
        (DKind::DateTime, 8, true),
        (DKind::Float, 2, true),
        (DKind::Bytes, 3, true),
        (DKind::Void, 5, true),
    ] {
        let dtype = DType::new(kind, size, ByteOrder::Little);
        let made = NdArray::from_bytes(dtype, vec![1], Order::C, vec![0; size]);
        assert_eq!(made.is_ok(), ok, "{kind:?} of {size}: {made:?}");
        if let Ok(a) = made {
            let back: NdArray = pypickle::from_slice(&pypickle::to_vec(&a).unwrap()).unwrap();
            assert_eq!(back, a);
        }
    }
}

/// A numpy scalar is its number where serde asks a self-describing question, and that
/// number, read as an `NdArray` (a flattened field, an untagged enum's variant, JSON written
/// from a `Value`), is the 0-d array `numpy.asarray` makes: the scalar's own for a float64,
/// int64 or bool (found by a review). A plain number in the pickle read straight as an
/// `NdArray` stays an error.
#[test]
fn numpy_scalars_read_as_0_d_arrays_through_serdes_buffer() {
    #[derive(serde::Deserialize, Debug)]
    struct Inner {
        m: NdArray,
    }
    #[derive(serde::Deserialize, Debug)]
    struct Outer {
        #[serde(flatten)]
        inner: Inner,
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("python_fixtures/numpy/np2");
    for name in ["scalar_f8", "scalar_bool"] {
        let scalar: Value =
            pypickle::from_slice(&std::fs::read(root.join(format!("{name}.p2.pkl"))).unwrap())
                .unwrap();
        let direct = NdArray::try_from(&scalar).unwrap();
        let dict = Value::Dict(vec![(Value::from("m"), scalar.clone())]);
        let outer: Outer = pypickle::from_slice(&pypickle::to_vec(&dict).unwrap()).unwrap();
        assert_eq!(outer.inner.m, direct, "{name}");
        let outer: Outer = pypickle::from_value(dict).unwrap();
        assert_eq!(outer.inner.m, direct, "{name}");
        let json = serde_json::to_string(&scalar).unwrap();
        let back: NdArray = serde_json::from_str(&json).unwrap();
        assert_eq!(back, direct, "{name}: {json}");
    }
    // `{'m': 5}` straight: no array.
    let e =
        pypickle::from_slice::<Inner>(b"\x80\x02}q\x00X\x01\x00\x00\x00mq\x01K\x05s.").unwrap_err();
    assert!(
        e.to_string().contains("invalid numpy array: found int"),
        "{e}"
    );
}

/// numpy's scalar types kept as classes (a scikit-learn estimator's `dtype=np.float64`, which
/// made `OneHotEncoder` and `CountVectorizer` pickles refused) read with the default policy,
/// and `scan` finds them safe: every scalar type the live numpy names, at protocols 0-5.
#[test]
fn numpy_scalar_types_are_data() {
    let script = "import pickle, numpy as np\n\
        types = sorted({t for t in vars(np).values() if isinstance(t, type) and issubclass(t, np.generic)}, key=lambda t: t.__name__)\n\
        for proto in range(6):\n\
        \x20   print(pickle.dumps({'dtype': np.float64, 'types': types}, proto).hex(), '|', ' '.join(t.__module__ + '.' + t.__name__ for t in types))\n";
    for python in numpy_pythons() {
        let out = run_python(&python, &["-c", script], String::new());
        assert_eq!(out.lines().count(), 6, "{python}");
        for line in out.lines() {
            let (hex, names) = line.split_once(" | ").unwrap();
            let p = unhex(hex);
            let v: Value = pypickle::from_slice(&p).unwrap_or_else(|e| panic!("{python}: {e}"));
            let shown = v.to_string();
            assert!(
                shown.starts_with("{'dtype': numpy.float64, 'types': ["),
                "{shown}"
            );
            for name in names.split(' ') {
                assert!(shown.contains(name), "{python}: {name} in {shown}");
            }
            let report = pypickle::scan(&p);
            assert!(
                !report.is_dangerous() && report.is_safe(),
                "{python}: {report:?}"
            );
        }
    }
}

/// A record array (`np.rec.array`, pandas' `DataFrame.to_records()`): numpy pickles its
/// dtype as `dtype(numpy.record, ...)` and its class as `numpy.recarray` (numpy 1) or
/// `numpy.rec.recarray` (numpy 2). It reads as an `NdArray` with the default policy (it was
/// refused, and its dtype had "no type code"), and is written back with the same dtype.
#[test]
fn record_arrays_read_and_write_back_with_their_dtype() {
    let script = "import pickle, sys, numpy as np\n\
        a = np.rec.array([(1, 2.5), (-3, 4.0)], dtype=[('a', '<i4'), ('b', '<f8')])\n\
        for proto in range(2, 6):\n\
        \x20   print(pickle.dumps(a, proto).hex())\n";
    let check = "import pickle, sys, numpy as np\n\
        for line in sys.stdin:\n\
        \x20   b = pickle.loads(bytes.fromhex(line.strip()))\n\
        \x20   print(b.dtype.type.__name__, b.dtype.descr, b.tolist())\n";
    for python in numpy_pythons() {
        let mut written = Vec::new();
        for line in run_python(&python, &["-c", script], String::new()).lines() {
            let a: NdArray = pypickle::from_slice(&unhex(line)).unwrap_or_else(|e| panic!("{e}"));
            let names: Vec<&str> = a.dtype().fields.iter().map(|f| f.name.as_str()).collect();
            assert_eq!(
                (names, a.shape(), a.dtype().itemsize),
                (vec!["a", "b"], &[2][..], 12)
            );
            written.push(hex(&pypickle::to_vec(&a).unwrap()));
        }
        assert_eq!(written.len(), 4, "{python}");
        let out = run_python(&python, &["-c", check], written.join("\n") + "\n");
        for line in out.lines() {
            assert_eq!(
                line, "record [('a', '<i4'), ('b', '<f8')] [(1, 2.5), (-3, 4.0)]",
                "{python}"
            );
        }
    }
}

/// A datetime or timedelta dtype built by hand with a unit numpy does not know, or a unit on
/// a dtype of another kind, is refused when the array is made (found by a trial: written,
/// and numpy's `pickle.loads` raised `TypeError: Invalid datetime unit`). Units numpy knows,
/// with multipliers, and none (`generic`), are taken and written.
#[test]
fn a_datetime_unit_numpy_does_not_know_is_refused() {
    use pypickle::numpy::{ByteOrder, DType};
    let make = |kind: DKind, unit: Option<&str>| {
        let mut d = DType::new(kind, 8, ByteOrder::Little);
        d.unit = unit.map(str::to_string);
        NdArray::from_bytes(d, vec![1], Order::C, vec![0; 8])
    };
    for (kind, unit, why) in [
        (
            DKind::DateTime,
            "bogus",
            "numpy has no datetime unit \"bogus\"",
        ),
        (
            DKind::TimeDelta,
            "0ms",
            "numpy has no datetime unit \"0ms\"",
        ),
        (DKind::DateTime, "3000000000s", "numpy has no datetime unit"),
        (DKind::Int, "ns", "a dtype of kind Int has no unit"),
    ] {
        let e = make(kind, Some(unit)).unwrap_err().to_string();
        assert!(e.contains(why), "{e}");
    }
    for (kind, unit) in [
        (DKind::DateTime, Some("ns")),
        (DKind::DateTime, Some("10ms")),
        (DKind::TimeDelta, Some("D")),
        (DKind::DateTime, Some("generic")),
        (DKind::Int, None),
    ] {
        let a = make(kind, unit).unwrap();
        let back: NdArray = pypickle::from_slice(&pypickle::to_vec(&a).unwrap()).unwrap();
        assert_eq!(back, a, "{kind:?} {unit:?}");
    }
    // No unit on a datetime is numpy's generic one.
    let a = make(DKind::DateTime, None).unwrap();
    let back: NdArray = pypickle::from_slice(&pypickle::to_vec(&a).unwrap()).unwrap();
    assert_eq!(back.dtype().unit.as_deref(), Some("generic"));
}

/// A numpy array as a dict key, which CPython refuses to load (`TypeError: unhashable type:
/// 'numpy.ndarray'`; these bytes are numpy 2's `pickle.dumps([a, 1], 2)` with the list made
/// a dict), is an error here too; the list itself reads.
#[test]
fn a_numpy_array_as_a_dict_key_is_refused_when_read() {
    let list: &[u8] = b"\x80\x02]q\x00(cnumpy._core.multiarray\n_reconstruct\nq\x01cnumpy\nndarray\nq\x02K\x00\x85q\x03c_codecs\nencode\nq\x04X\x01\x00\x00\x00bq\x05X\x06\x00\x00\x00latin1q\x06\x86q\x07Rq\x08\x87q\tRq\n(K\x01K\x01\x85q\x0bcnumpy\ndtype\nq\x0cX\x02\x00\x00\x00u1q\r\x89\x88\x87q\x0eRq\x0f(K\x03X\x01\x00\x00\x00|q\x10NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tq\x11b\x89h\x04X\x01\x00\x00\x00\x01q\x12h\x06\x86q\x13Rq\x14tq\x15bK\x01e.";
    let v: Value = pypickle::from_slice(list).unwrap();
    assert!(
        v.to_string()
            .starts_with("[numpy._core.multiarray._reconstruct("),
        "{v}"
    );
    let mut dict = list.to_vec();
    dict[2] = b'}';
    *dict.iter_mut().rev().nth(1).unwrap() = b'u';
    let e = pypickle::from_slice::<Value>(&dict)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("unhashable type: a numpy array (made by numpy._core.multiarray._reconstruct)"),
        "{e}"
    );
    // A subclass of ndarray may define `__hash__`: numpy 2's `pickle.dumps({h: 1}, 2)` for
    // `class H(np.ndarray): __hash__ = object.__hash__`, which CPython loads, reads, and the
    // `Value` writes back (found by a review: refused with the plain arrays).
    let subclass: &[u8] = b"\x80\x02}q\x00cnumpy._core.multiarray\n_reconstruct\nq\x01chmod\nH\nq\x02K\x00\x85q\x03c_codecs\nencode\nq\x04X\x01\x00\x00\x00bq\x05X\x06\x00\x00\x00latin1q\x06\x86q\x07Rq\x08\x87q\tRq\n(K\x01K\x02\x85q\x0bcnumpy\ndtype\nq\x0cX\x02\x00\x00\x00u1q\r\x89\x88\x87q\x0eRq\x0f(K\x03X\x01\x00\x00\x00|q\x10NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tq\x11b\x89h\x04X\x02\x00\x00\x00\x00\x01q\x12h\x06\x86q\x13Rq\x14tq\x15bK\x01s.";
    let opts = DeOptions::new().record_unknown_globals(true);
    let v: Value = pypickle::from_slice_with(subclass, &opts).unwrap();
    let again: Value = pypickle::from_slice_with(&pypickle::to_vec(&v).unwrap(), &opts).unwrap();
    assert_eq!(again, v);
}

/// `μs` (Greek mu), which numpy takes for `us` in a dtype string and in a pickled dtype, is
/// taken here too, and written as numpy names it (found by a review: refused once units
/// were checked). The micro sign `µs` numpy refuses, and so does this crate.
#[test]
fn a_microsecond_unit_spelled_with_mu_is_numpys_us() {
    use pypickle::numpy::{ByteOrder, DType};
    let mut d = DType::new(DKind::DateTime, 8, ByteOrder::Little);
    d.unit = Some("\u{3bc}s".into());
    let a = NdArray::from_bytes(d, vec![1], Order::C, 5i64.to_le_bytes().to_vec()).unwrap();
    let back: NdArray = pypickle::from_slice(&pypickle::to_vec(&a).unwrap()).unwrap();
    assert_eq!(back.dtype().unit.as_deref(), Some("us"));
    assert_eq!(back.as_bytes(), Some(&5i64.to_le_bytes()[..]));
    let parsed: DType = "<M8[\u{3bc}s]".parse().unwrap();
    assert_eq!(parsed.unit.as_deref(), Some("us"));
    let mut micro = DType::new(DKind::DateTime, 8, ByteOrder::Little);
    micro.unit = Some("\u{b5}s".into());
    assert!(NdArray::from_bytes(micro, vec![1], Order::C, vec![0; 8]).is_err());
    assert!("<M8[\u{b5}s]".parse::<DType>().is_err());
}
