//! Persistent ids and extension codes, both ways, against the real python3 at every protocol:
//! `python_fixtures/class_oracle.py`'s `*-hooks` modes pickle a `Point` as the persistent id
//! `('point', x, y)` (`'point:x:y'` at protocol 0), load any id as `('P', id)`, and register
//! three extension codes with `copyreg.add_extension`.

mod class_common;

use class_common::{hex, oracle, unhex};
use pypickle::{ClassRegistry, DeOptions, PersistentId, SerOptions, Value};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Point {
    x: i64,
    y: i64,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Frozen {
    key: String,
    value: f64,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Pair(i64, String);

fn registry() -> ClassRegistry {
    ClassRegistry::new()
        .class::<Point>("pypickle_classes.Point")
        .class::<Frozen>("pypickle_classes.Frozen")
        .class::<Pair>("pypickle_classes.Pair")
}

const EXTENSIONS: [(u32, &str); 3] = [(240, "Point"), (0x1234, "Frozen"), (0x123456, "Pair")];

#[test]
fn persistent_ids_written_by_rust_reach_cpythons_persistent_load() {
    let mut ours = Vec::new();
    for proto in 0..=5u8 {
        let opts = SerOptions::new().protocol(proto);
        let bytes = if proto == 0 {
            pypickle::to_vec_with(&(1, PersistentId("point:1:2")), &opts)
        } else {
            pypickle::to_vec_with(&(1, PersistentId(("point", 1, 2))), &opts)
        }
        .unwrap();
        ours.push(hex(&bytes));
    }
    let reprs = oracle("loads-hooks", &ours);
    assert_eq!(reprs[0], "(1, ('P', 'point:1:2'))");
    for r in &reprs[1..] {
        assert_eq!(r, "(1, ('P', ('point', 1, 2)))");
    }
    // Protocol 0 can only write an ASCII str as a persistent id.
    let e = pypickle::to_vec_with(&PersistentId(5), &SerOptions::new().protocol(0)).unwrap_err();
    assert!(e.to_string().contains("ASCII str"), "{e}");
}

#[test]
fn cpythons_persistent_ids_reach_persistent_load() {
    let exprs: Vec<String> = (0..=5)
        .map(|p| format!("{p}\t[C.Point(1, 2), 'x', C.Point(3, 4)]"))
        .collect();
    let pickles = oracle("dumps-hooks", &exprs);
    let opts = DeOptions::new().persistent_load(|pid| match pid {
        Value::Str(s) => {
            let parts: Vec<&str> = s.split(':').collect();
            Ok(Value::Tuple(vec![
                Value::from(parts[1].parse::<i64>().unwrap()),
                Value::from(parts[2].parse::<i64>().unwrap()),
            ]))
        }
        Value::Tuple(t) if t.len() == 3 => Ok(Value::Tuple(t[1..].to_vec())),
        other => Err(format!("unexpected {other}")),
    });
    for (proto, h) in pickles.iter().enumerate() {
        let bytes = unhex(h);
        let v: Value = pypickle::from_slice_with(&bytes, &opts).unwrap();
        assert_eq!(v.to_string(), "[(1, 2), 'x', (3, 4)]", "protocol {proto}");
        // Typed, through the same hook.
        let t: (Vec<i64>, String, (i64, i64)) = pypickle::from_slice_with(&bytes, &opts).unwrap();
        assert_eq!(t, (vec![1, 2], "x".to_string(), (3, 4)));
        // Without the hook: an error that says what to set.
        let e = pypickle::from_slice::<Value>(&bytes).unwrap_err();
        assert!(e.to_string().contains("persistent_load"), "{e}");
        assert!(e.offset().is_some());
        // A hook that fails: its message, with the id.
        let failing = DeOptions::new().persistent_load(|_| Err("no such blob".into()));
        let e = pypickle::from_slice_with::<Value>(&bytes, &failing).unwrap_err();
        assert!(e.to_string().contains("no such blob"), "{e}");
    }
}

#[test]
fn extension_codes_both_ways() {
    let mut ser = SerOptions::new().registry(registry());
    let mut de = DeOptions::new().registry(registry());
    for (code, name) in EXTENSIONS {
        ser = ser.extension(code, "pypickle_classes", name);
        de = de.extension(code, "pypickle_classes", name);
    }
    let value = (
        Point { x: 1, y: 2 },
        Frozen {
            key: "k".into(),
            value: 0.5,
        },
        Pair(3, "z".into()),
    );
    let expr = "(C.Point(1, 2), C.Frozen('k', 0.5), C.Pair(3, 'z'))";
    let repr = "(Point(x=1, y=2), Frozen(key='k', value=0.5), Pair(left=3, right='z'))";
    let mut ours = Vec::new();
    let mut exprs = Vec::new();
    for proto in 2..=5u8 {
        let bytes = pypickle::to_vec_with(&value, &ser.clone().protocol(proto)).unwrap();
        // EXT1 240, EXT2 0x1234, EXT4 0x123456.
        assert!(bytes.windows(2).any(|w| w == [0x82, 240]));
        assert!(bytes.windows(3).any(|w| w == [0x83, 0x34, 0x12]));
        assert!(bytes.windows(5).any(|w| w == [0x84, 0x56, 0x34, 0x12, 0]));
        ours.push(hex(&bytes));
        exprs.push(format!("{proto}\t{expr}"));
    }
    for r in oracle("loads-ext", &ours) {
        assert_eq!(r, repr);
    }
    for (i, h) in oracle("dumps-ext", &exprs).iter().enumerate() {
        let bytes = unhex(h);
        assert_eq!(
            hex(&bytes),
            ours[i],
            "identical to CPython at protocol {}",
            i + 2
        );
        let back: (Point, Frozen, Pair) = pypickle::from_slice_with(&bytes, &de).unwrap();
        assert_eq!(back, value);
        // Unregistered codes are an error naming the code.
        let e = pypickle::from_slice_with::<Value>(&bytes, &DeOptions::new().registry(registry()))
            .unwrap_err();
        assert!(e.to_string().contains("extension code 240"), "{e}");
        // A registered code still passes the policy: without the registry it is refused.
        let e = pypickle::from_slice_with::<Value>(
            &bytes,
            &DeOptions::new().extension(240, "os", "system"),
        )
        .unwrap_err();
        assert_eq!(
            e.refused_global()
                .map(|(m, n)| (m.to_string(), n.to_string())),
            Some(("os".into(), "system".into()))
        );
    }
}

#[test]
fn extension_codes_map_python_2_names_below_protocol_3() {
    // copyreg.add_extension('__builtin__', 'set', 9): CPython's find_class maps the name at
    // protocols 0-2, as for a GLOBAL, so `EXT1 9; EMPTY_TUPLE; REDUCE` loads as set().
    let de = DeOptions::new().extension(9, "__builtin__", "set");
    let v: Value = pypickle::from_slice_with(b"\x80\x02\x82\x09)R.", &de).unwrap();
    assert_eq!(v.to_string(), "set()");
    // At protocol 3 the name is taken as it is, and `__builtin__` is no module there.
    let e = pypickle::from_slice_with::<Value>(b"\x80\x03\x82\x09)R.", &de).unwrap_err();
    assert_eq!(e.refused_global(), Some(("__builtin__", "set")), "{e}");
}

/// A persistent id may hold an out-of-band buffer: the hook gets its bytes, as CPython's
/// `persistent_load` does (a writable buffer is a bytearray, as everywhere in `Value`).
#[test]
fn a_persistent_id_can_hold_a_buffer() {
    // PROTO 5, NEXT_BUFFER, BINPERSID, NEXT_BUFFER, READONLY_BUFFER, BINPERSID, TUPLE2, STOP
    let pickle = b"\x80\x05\x97Q\x97\x98Q\x86.";
    let script = "import pickle, sys\n\
        class U(pickle.Unpickler):\n\
        \x20   def persistent_load(self, pid): return 'got ' + repr(pid)\n\
        import io\n\
        data = bytes.fromhex(sys.argv[1])\n\
        print(repr(U(io.BytesIO(data), buffers=[bytearray(b'abc'), b'de']).load()))";
    let out = std::process::Command::new("python3")
        .args(["-c", script, &hex(pickle)])
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let python = String::from_utf8(out.stdout).unwrap();
    let opts = DeOptions::new().persistent_load(|pid| Ok(Value::from(format!("got {pid}"))));
    let v: Value = pypickle::from_slice_with_buffers(pickle, &[b"abc", b"de"], &opts).unwrap();
    assert_eq!(format!("{v}\n"), python);
    // The held Deserializer lends no buffers: NEXT_BUFFER is an error there, as before.
    let e = pypickle::from_slice_with::<Value>(pickle, &opts).unwrap_err();
    assert!(e.to_string().contains("NEXT_BUFFER"), "{e}");
}

/// Building a persistent id for the hook, and copying what the hook gives into the arena, are
/// charged to the pickle's copy budget (`max_expansion`), as calls' copies are: handing one
/// memoized 1M-value tuple to the hook again and again, 4 bytes a time, stops at the limit in
/// a few calls, where it once rebuilt the tuple at every call, for hours or gigabytes.
#[test]
fn persistent_ids_are_charged_to_the_expansion_budget() {
    // A tuple of 1000 references to one list of 1000 ints, memoized as 1.
    let mut p = b"\x80\x04]q\x00(".to_vec();
    for i in 0..1000u16 {
        p.push(b'M');
        p.extend_from_slice(&i.to_le_bytes());
    }
    p.extend_from_slice(b"e(");
    for _ in 0..1000 {
        p.extend_from_slice(b"h\x00");
    }
    p.extend_from_slice(b"tq\x01");
    for _ in 0..1000 {
        p.extend_from_slice(b"h\x01Q0");
    }
    p.extend_from_slice(b"N.");
    let none = DeOptions::new().persistent_load(|_| Ok(Value::None));
    let keep =
        DeOptions::new().persistent_load(|pid| Ok(Value::Tuple(vec!["id".into(), pid.clone()])));
    for opts in [none, keep] {
        let started = std::time::Instant::now();
        let e = pypickle::from_slice_with::<Value>(&p, &opts).unwrap_err();
        assert_eq!(e.limit(), Some(pypickle::Limit::Expansion), "{e}");
        assert!(started.elapsed() < std::time::Duration::from_secs(20));
    }
    // One such call is within the budget.
    let once = [&p[..p.len() - 4002], b"h\x01Q."].concat();
    let opts =
        DeOptions::new().persistent_load(|pid| Ok(Value::from(pid.to_string().len() as i64)));
    let v: Value = pypickle::from_slice_with(&once, &opts).unwrap();
    assert!(matches!(v, Value::Int(n) if n > 4000), "{v}");
}

/// What `persistent_load` returns is copied at each call, and the pickle chooses how often it
/// calls: 300 BINPERSIDs of one id whose value is 1 MiB (1.2 KB of pickle) are refused at the
/// expansion limit, not 300 MiB copied. A large value reads with `max_expansion` raised.
#[test]
fn a_hooks_values_are_charged_at_every_call() {
    let blob = vec![7u8; 10 << 20];
    let given = blob.clone();
    let big = DeOptions::new().persistent_load(move |_| Ok(Value::Bytes(given.clone())));
    // BINPERSID of the str 'blob'
    let once = b"\x80\x02X\x04\x00\x00\x00blobQ.";
    let e = pypickle::from_slice_with::<Value>(once, &big).unwrap_err();
    assert_eq!(e.limit(), Some(pypickle::Limit::Expansion), "{e}");
    let raised = big.clone().max_expansion(4 << 20);
    assert_eq!(
        pypickle::from_slice_with::<Value>(once, &raised).unwrap(),
        Value::Bytes(blob.clone())
    );
    assert_eq!(
        pypickle::from_reader_with::<_, Value>(&once[..], &raised).unwrap(),
        Value::Bytes(blob)
    );
    let mib = DeOptions::new().persistent_load(|_| Ok(Value::Bytes(vec![7; 1 << 20])));
    let mut many = b"\x80\x02X\x01\x00\x00\x00wq\x00".to_vec();
    many.extend(b"h\x00Q0".repeat(300));
    many.extend(b"N.");
    let e = pypickle::from_slice_with::<Value>(&many, &mib).unwrap_err();
    assert_eq!(e.limit(), Some(pypickle::Limit::Expansion), "{e}");
    assert_eq!(e.opcode_name(), Some("BINPERSID"), "{e}");
}

/// A persistent id that holds itself (`L = []; L.append(L)` returned by `persistent_id`, as
/// CPython writes it) is a cycle error at the BINPERSID: the hook takes a `Value`, which
/// cannot hold one. It was a depth-limit error naming the list, which said nothing of a cycle.
/// A deep id that holds no cycle still meets the depth limit.
#[test]
fn a_persistent_id_that_holds_itself_is_a_cycle_error() {
    let opts =
        DeOptions::new().persistent_load(|pid| Ok(Value::Tuple(vec!["P".into(), pid.clone()])));
    for pickle in [
        // protocol 5, as CPython writes it
        &b"\x80\x05\x95\x07\x00\x00\x00\x00\x00\x00\x00]\x94h\x00aQ."[..],
        // protocol 2, the cycle through a tuple: L = []; L.append((L,))
        b"\x80\x02]q\x00h\x00\x85q\x01aQ.",
        // wide: l = [1] * 5000 + [l], which meets the expansion limit before the depth limit
        &[&b"\x80\x02]q\x00("[..], &b"K\x01".repeat(5000), b"h\x00eQ."].concat(),
    ] {
        let e = pypickle::from_slice_with::<Value>(pickle, &opts).unwrap_err();
        assert!(e.to_string().starts_with("cycle"), "{e}");
        assert_eq!(e.opcode_name(), Some("BINPERSID"), "{e}");
    }
    // 300 nested lists: deep, no cycle.
    let mut deep = b"\x80\x02".to_vec();
    deep.extend(b"]".repeat(300));
    deep.extend(b"a".repeat(299));
    deep.extend(b"Q.");
    let e = pypickle::from_slice_with::<Value>(&deep, &opts).unwrap_err();
    assert_eq!(e.limit(), Some(pypickle::Limit::Depth), "{e}");
    // A shared value met twice is no cycle.
    let shared = b"\x80\x02]q\x00(]q\x01h\x01eQ.";
    let v: Value = pypickle::from_slice_with(shared, &opts).unwrap();
    assert_eq!(v.to_string(), "('P', [[], []])");
}

/// A persistent id as a dict key is written, as CPython writes it when `persistent_id` fires
/// on a key: what Python hashes is what `persistent_load` returns. It was refused as
/// unhashable.
#[test]
fn persistent_ids_as_dict_keys_are_written() {
    let mut keyed = std::collections::BTreeMap::new();
    keyed.insert(PersistentId("k1"), 1);
    let ours: Vec<String> = (0..=5u8)
        .map(|proto| {
            let opts = SerOptions::new().protocol(proto);
            hex(&pypickle::to_vec_with(&keyed, &opts).unwrap())
        })
        .collect();
    for r in oracle("loads-hooks", &ours) {
        assert_eq!(r, "{('P', 'k1'): 1}");
    }
    // An id holding a list: whether the key is hashable is up to what the hook returns (this
    // oracle's `('P', id)` is not, and Python says so).
    let mut keyed = std::collections::BTreeMap::new();
    keyed.insert(PersistentId(("k", vec![1])), 2);
    let ours = vec![hex(&pypickle::to_vec(&keyed).unwrap())];
    assert_eq!(
        oracle("loads-hooks", &ours)[0],
        "ERR TypeError: unhashable type: 'list'"
    );
}

/// A persistent id inside a persistent id cannot be written at protocol 0 (PERSID takes one
/// line of text): an error, where it was written as the inner id alone, which Python loaded
/// one level short of what protocols 1-5 give.
#[test]
fn a_persistent_id_inside_one_is_refused_at_protocol_0() {
    let nested = PersistentId(PersistentId("abc"));
    let e = pypickle::to_vec_with(&nested, &SerOptions::new().protocol(0)).unwrap_err();
    assert!(
        e.to_string()
            .contains("persistent id inside a persistent id"),
        "{e}"
    );
    let ours = vec![hex(&pypickle::to_vec_with(
        &nested,
        &SerOptions::new().protocol(1),
    )
    .unwrap())];
    assert_eq!(oracle("loads-hooks", &ours)[0], "('P', ('P', 'abc'))");
}

/// Extension codes copyreg refuses (0, above 2^31 - 1) are refused when registered, on both
/// sides: the writer used to ignore them and write a plain GLOBAL without a word.
#[test]
fn extension_codes_out_of_range_are_refused_when_registered() {
    for code in [0, 1 << 31, u32::MAX] {
        assert!(std::panic::catch_unwind(|| SerOptions::new().extension(code, "m", "C")).is_err());
        assert!(std::panic::catch_unwind(|| DeOptions::new().extension(code, "m", "C")).is_err());
    }
    let _ = SerOptions::new().extension(i32::MAX as u32, "m", "C");
    let _ = DeOptions::new().extension(1, "m", "C");
}

/// A tuple `persistent_load` returns is hashable only if what it holds is: as a dict key or set
/// element, one holding a list is refused, as python3 refuses it (found by a hunt: it was
/// kept, and the writer then refused the value).
#[test]
fn a_persistent_tuple_holding_a_list_is_not_a_key() {
    let opts = pypickle::DeOptions::new()
        .persistent_load(|pid| Ok(pypickle::Value::Tuple(vec!["P".into(), pid.clone()])));
    // {obj: 2} and {obj}, where persistent_id(obj) returned []
    for p in [&b"\x80\x02}]QK\x02s."[..], b"\x80\x02\x8f(]Q\x90."] {
        let e = pypickle::from_slice_with::<pypickle::Value>(p, &opts).unwrap_err();
        assert!(e.to_string().contains("unhashable type"), "{e}");
    }
    // A tuple of hashable things still is one.
    let v: pypickle::Value = pypickle::from_slice_with(b"\x80\x02}K\x01QK\x02s.", &opts).unwrap();
    assert_eq!(v.to_string(), "{('P', 1): 2}");
}

/// One extension code for two globals, or two codes for one, panics as `copyreg.add_extension`
/// raises; the same pair twice is fine.
#[test]
fn conflicting_extension_codes_are_refused() {
    let _ = pypickle::DeOptions::new()
        .extension(5, "a", "b")
        .extension(5, "a", "b");
    let _ = pypickle::SerOptions::new()
        .extension(5, "a", "b")
        .extension(5, "a", "b");
    // After code 5 for a.b: code 5 for another global, another code for a.b.
    for (code, module, name) in [(5, "c", "d"), (6, "a", "b")] {
        let de = std::panic::catch_unwind(|| {
            drop(
                pypickle::DeOptions::new()
                    .extension(5, "a", "b")
                    .extension(code, module, name),
            )
        });
        let ser = std::panic::catch_unwind(|| {
            drop(
                pypickle::SerOptions::new()
                    .extension(5, "a", "b")
                    .extension(code, module, name),
            )
        });
        assert!(de.is_err() && ser.is_err(), "{code} {module}.{name}");
    }
}
