//! The hostile suite: pickles that ask the unpickler to run something. Every one is refused by
//! default, in record mode and under a module-wide allow, with an error that names the global
//! and points at the opcode that names it; only allowing the global by its exact name lets it
//! through, as an inert name. `scan` reports each as dangerous (an EXT code as unknown: what
//! it stands for is not in the pickle).
//!
//! The pickles are hand-assembled here, or written by CPython's own `pickle.dumps`
//! (`python_fixtures/hostile.py`, never loaded in Python).

use std::fs;
use std::path::PathBuf;

use pypickle::{scan, Category, DeOptions, Value, Verdict};

/// A pickle that names a dangerous global, and where the reader must refuse it.
struct Case<'a> {
    label: &'a str,
    bytes: Vec<u8>,
    /// The refused global, under the name the reader checks (Python 3 names below protocol 3).
    global: (&'a str, &'a str),
    offset: u64,
    opcode: &'a str,
    /// Whether `allow_global(module, name)` makes the whole pickle load (inertly).
    unlocks: bool,
}

/// The offset of the first occurrence of `pat`.
fn at(bytes: &[u8], pat: &[u8]) -> u64 {
    bytes
        .windows(pat.len())
        .position(|w| w == pat)
        .unwrap_or_else(|| panic!("{pat:?} not in {bytes:?}")) as u64
}

fn case<'a>(
    label: &'a str,
    bytes: &[u8],
    global: (&'a str, &'a str),
    pat: &[u8],
    opcode: &'a str,
) -> Case<'a> {
    Case {
        label,
        bytes: bytes.to_vec(),
        global,
        offset: at(bytes, pat),
        opcode,
        unlocks: true,
    }
}

fn refused(c: &Case, opts: &DeOptions, mode: &str) {
    let e = match pypickle::from_slice_with::<Value>(&c.bytes, opts) {
        Ok(v) => panic!("{} ({mode}): loaded as {v}", c.label),
        Err(e) => e,
    };
    let ctx = format!("{} ({mode}): {e}", c.label);
    assert_eq!(e.category(), Category::Refused, "{ctx}");
    assert_eq!(e.refused_global(), Some(c.global), "{ctx}");
    assert_eq!(e.offset(), Some(c.offset), "{ctx}");
    assert_eq!(e.opcode_name(), Some(c.opcode), "{ctx}");
}

fn check(c: &Case) {
    let (m, n) = c.global;
    refused(c, &DeOptions::new(), "default");
    refused(c, &DeOptions::new().record_unknown_globals(true), "record");
    refused(c, &DeOptions::new().allow_global(m, "*"), "module allowed");
    refused(
        c,
        &DeOptions::new()
            .allow_global(m, "*")
            .record_unknown_globals(true),
        "module allowed, record",
    );
    if c.unlocks {
        let opts = DeOptions::new().allow_global(m, n);
        let v = pypickle::from_slice_with::<Value>(&c.bytes, &opts)
            .unwrap_or_else(|e| panic!("{} (allowed by name): {e}", c.label));
        let dbg = format!("{v:?}");
        assert!(
            dbg.contains(&format!("module: {m:?}, name: {n:?}")),
            "{}: {dbg}",
            c.label
        );
    }
    let r = scan(&c.bytes);
    assert!(r.is_dangerous() && !r.is_safe(), "{}: {r}", c.label);
    assert!(
        r.globals.iter().any(|g| (g.module(), g.name()) == c.global
            && g.offset() == c.offset
            && g.opcode_name() == c.opcode
            && g.verdict() == Verdict::Dangerous),
        "{}: {r}",
        c.label
    );
}

#[test]
fn os_system_through_every_opcode() {
    let os = ("os", "system");
    let cases = [
        case(
            "GLOBAL + REDUCE, protocol 0",
            b"cos\nsystem\n(S'echo pwned'\ntR.",
            os,
            b"cos",
            "GLOBAL",
        ),
        case(
            "GLOBAL + REDUCE, protocol 2",
            b"\x80\x02cos\nsystem\nX\x0a\x00\x00\x00echo pwned\x85R.",
            os,
            b"cos",
            "GLOBAL",
        ),
        case(
            "STACK_GLOBAL",
            b"\x80\x04\x8c\x02os\x8c\x06system\x93\x8c\x0aecho pwned\x85R.",
            os,
            b"\x93",
            "STACK_GLOBAL",
        ),
        case(
            "STACK_GLOBAL, operands from MEMOIZE/BINGET with other values between",
            b"\x80\x04\x8c\x06system\x94\x8c\x02os\x94K\x01]\x940h\x01h\x00\x93\x8c\x01x\x85R.",
            os,
            b"\x93",
            "STACK_GLOBAL",
        ),
        case(
            "STACK_GLOBAL, operands from LONG_BINPUT/LONG_BINGET",
            b"\x80\x04\x8c\x02osr\x00\x00\x01\x00\x8c\x06systemr\x07\x00\x00\x0000j\x00\x00\x01\x00j\x07\x00\x00\x00\x93)R.",
            os,
            b"\x93",
            "STACK_GLOBAL",
        ),
        case(
            "STACK_GLOBAL, operands from text PUT/GET",
            b"Vos\np5\nVsystem\np6\n00g5\ng6\n\x93(tR.",
            os,
            b"\x93",
            "STACK_GLOBAL",
        ),
        case(
            "STACK_GLOBAL, module from DUP of a memo entry",
            b"\x80\x04\x8c\x02os\x942\x8c\x06system\x93)R.",
            os,
            b"\x93",
            "STACK_GLOBAL",
        ),
        case(
            "INST",
            b"(S'echo pwned'\nios\nsystem\n.",
            os,
            b"ios",
            "INST",
        ),
        case(
            "OBJ",
            b"\x80\x01(cos\nsystem\nX\x0a\x00\x00\x00echo pwnedo.",
            os,
            b"cos",
            "GLOBAL",
        ),
        case(
            "OBJ of STACK_GLOBAL",
            b"\x80\x04(\x8c\x02os\x8c\x06system\x93\x8c\x01xo.",
            os,
            b"\x93",
            "STACK_GLOBAL",
        ),
        case(
            "NEWOBJ",
            b"\x80\x02cos\nsystem\nX\x0a\x00\x00\x00echo pwned\x85\x81.",
            os,
            b"cos",
            "GLOBAL",
        ),
        case(
            "NEWOBJ_EX",
            b"\x80\x04\x8c\x02os\x8c\x06system\x93)}\x92.",
            os,
            b"\x93",
            "STACK_GLOBAL",
        ),
        case(
            "os.popen, framed",
            b"\x80\x04\x95\x13\x00\x00\x00\x00\x00\x00\x00\x8c\x02os\x8c\x05popen\x93\x8c\x02ls\x85R.",
            ("os", "popen"),
            b"\x93",
            "STACK_GLOBAL",
        ),
        case(
            "posix.system",
            b"cposix\nsystem\n(S'echo pwned'\ntR.",
            ("posix", "system"),
            b"cposix",
            "GLOBAL",
        ),
        case(
            "nt.system",
            b"\x80\x04\x8c\x02nt\x8c\x06system\x93\x8c\x01x\x85R.",
            ("nt", "system"),
            b"\x93",
            "STACK_GLOBAL",
        ),
        case(
            "os.path.join: a submodule of a dangerous module",
            b"\x80\x04\x8c\x07os.path\x8c\x04join\x93.",
            ("os.path", "join"),
            b"\x93",
            "STACK_GLOBAL",
        ),
    ];
    for c in &cases {
        check(c);
    }
}

#[test]
fn builtins_that_run_code() {
    let mut cases = vec![
        case(
            "builtins.eval",
            b"\x80\x03cbuiltins\neval\nX\x01\x00\x00\x001\x85R.",
            ("builtins", "eval"),
            b"cbuiltins",
            "GLOBAL",
        ),
        case(
            "builtins.exec",
            b"\x80\x04\x8c\x08builtins\x8c\x04exec\x93\x8c\x01x\x85R.",
            ("builtins", "exec"),
            b"\x93",
            "STACK_GLOBAL",
        ),
        case(
            "builtins.__import__",
            b"\x80\x04\x8c\x08builtins\x8c\x0a__import__\x93\x8c\x02os\x85R.",
            ("builtins", "__import__"),
            b"\x93",
            "STACK_GLOBAL",
        ),
        case(
            "builtins.compile",
            b"cbuiltins\ncompile\n.",
            ("builtins", "compile"),
            b"c",
            "GLOBAL",
        ),
        case(
            "__builtin__.eval, Python 2's name, at protocol 2",
            b"\x80\x02c__builtin__\neval\nU\x011\x85R.",
            ("builtins", "eval"),
            b"c__",
            "GLOBAL",
        ),
        case(
            "__builtin__.eval at protocol 3 (not mapped by the reader, still dangerous)",
            b"\x80\x03c__builtin__\neval\nX\x01\x00\x00\x001\x85R.",
            ("__builtin__", "eval"),
            b"c__",
            "GLOBAL",
        ),
        case(
            "__builtin__.apply, Python 2's call-anything",
            b"c__builtin__\napply\n.",
            ("builtins", "apply"),
            b"c",
            "GLOBAL",
        ),
        case(
            "commands.Popen at protocol 2: CPython's name for subprocess.Popen",
            b"\x80\x02ccommands\nPopen\n]X\x02\x00\x00\x00lsa\x85R.",
            ("subprocess", "Popen"),
            b"cc",
            "GLOBAL",
        ),
        case(
            "commands.Popen at protocol 4 (not mapped by the reader, still dangerous)",
            b"\x80\x04\x8c\x08commands\x8c\x05Popen\x93.",
            ("commands", "Popen"),
            b"\x93",
            "STACK_GLOBAL",
        ),
        case(
            "eval reached through an attribute (protocol 4 dotted name)",
            b"\x80\x04\x8c\x08builtins\x8c\x0deval.__call__\x93.",
            ("builtins", "eval.__call__"),
            b"\x93",
            "STACK_GLOBAL",
        ),
        case(
            "os reached as an attribute of a harmless module",
            b"\x80\x04\x8c\x04uuid\x8c\x09os.system\x93\x8c\x01x\x85R.",
            ("uuid", "os.system"),
            b"\x93",
            "STACK_GLOBAL",
        ),
        case(
            "a dunder path out of a harmless class",
            b"\x80\x04\x8c\x0bcollections\x8c\x20OrderedDict.__init__.__globals__\x93.",
            ("collections", "OrderedDict.__init__.__globals__"),
            b"\x93",
            "STACK_GLOBAL",
        ),
        case(
            "operator.attrgetter",
            b"coperator\nattrgetter\n(S'system'\ntR.",
            ("operator", "attrgetter"),
            b"c",
            "GLOBAL",
        ),
        case(
            "functools.partial",
            b"\x80\x04\x8c\tfunctools\x8c\x07partial\x93.",
            ("functools", "partial"),
            b"\x93",
            "STACK_GLOBAL",
        ),
        case(
            "runpy._run_code",
            b"crunpy\n_run_code\n.",
            ("runpy", "_run_code"),
            b"c",
            "GLOBAL",
        ),
        case(
            "numpy.testing._private.utils.runstring (a submodule of a listed module)",
            b"cnumpy.testing._private.utils\nrunstring\n.",
            ("numpy.testing._private.utils", "runstring"),
            b"c",
            "GLOBAL",
        ),
    ];
    // getattr(__import__('os'), 'system')('echo pwned'): refused at __import__; allowing
    // __import__ by name makes it an inert object, and getattr of an object is refused.
    let chain = b"\x80\x02cbuiltins\ngetattr\ncbuiltins\n__import__\nX\x02\x00\x00\x00os\x85RX\x06\x00\x00\x00system\x86RX\x01\x00\x00\x00x\x85R.";
    let mut c = case(
        "getattr(__import__('os'), 'system')",
        chain,
        ("builtins", "__import__"),
        b"cbuiltins\n__",
        "GLOBAL",
    );
    c.unlocks = false;
    cases.push(c);
    for c in &cases {
        check(c);
    }
    let opts = DeOptions::new()
        .allow_global("builtins", "__import__")
        .record_unknown_globals(true);
    let e = pypickle::from_slice_with::<Value>(chain, &opts).unwrap_err();
    assert_eq!(e.refused_global(), Some(("builtins", "getattr")), "{e}");
    assert_eq!(e.opcode_name(), Some("REDUCE"), "{e}");
    assert_eq!(e.offset(), Some(at(chain, b"\x86R") + 1), "{e}");
    let r = scan(chain);
    assert_eq!(r.globals[0].name(), "getattr");
    assert_eq!(r.globals[0].verdict(), Verdict::Dangerous, "{r}");
}

#[test]
fn getattr_chains() {
    // getattr(getattr(object, '__class__'), '__subclasses__'): the first getattr names the
    // global builtins.object.__class__, a dunder path, refused at its REDUCE even in record mode.
    let chain = b"\x80\x02cbuiltins\ngetattr\nq\x00h\x00cbuiltins\nobject\nX\x09\x00\x00\x00__class__\x86RX\x0e\x00\x00\x00__subclasses__\x86R)R.";
    let mut c = case(
        "getattr(getattr(object, '__class__'), '__subclasses__')",
        chain,
        ("builtins", "object.__class__"),
        b"\x86R",
        "REDUCE",
    );
    c.offset += 1;
    c.unlocks = false;
    check(&c);
    let r = scan(chain);
    let names: Vec<_> = r.globals.iter().map(|g| g.name()).collect();
    assert_eq!(
        names,
        [
            "getattr",
            "object",
            "object.__class__",
            "object.__class__.__subclasses__"
        ],
        "{r}"
    );

    // The same through INST, and getattr under its Python 2 name at protocol 3, which the
    // reader does not map.
    for mut c in [
        case(
            "getattr(object, '__class__') through INST",
            b"(cbuiltins\nobject\nV__class__\nibuiltins\ngetattr\n.",
            ("builtins", "object.__class__"),
            b"ibuiltins",
            "INST",
        ),
        case(
            "__builtin__.getattr at protocol 3",
            b"\x80\x03c__builtin__\ngetattr\ncbuiltins\nobject\nX\x03\x00\x00\x00mro\x86R.",
            ("__builtin__", "getattr"),
            b"c__",
            "GLOBAL",
        ),
    ] {
        c.unlocks = false;
        check(&c);
    }

    // getattr(OrderedDict, '__init__'): in record mode OrderedDict is kept, and the nested
    // name OrderedDict.__init__ is refused at the REDUCE.
    let p = b"\x80\x04\x8c\x08builtins\x8c\x07getattr\x93\x8c\x0bcollections\x8c\x0bOrderedDict\x93\x8c\x08__init__\x86R.";
    let opts = DeOptions::new().record_unknown_globals(true);
    let e = pypickle::from_slice_with::<Value>(p, &opts).unwrap_err();
    assert_eq!(
        e.refused_global(),
        Some(("collections", "OrderedDict.__init__"))
    );
    assert_eq!(
        (e.offset(), e.opcode_name()),
        (Some(p.len() as u64 - 2), Some("REDUCE"))
    );
    assert!(pypickle::from_slice::<Value>(p).is_err());
    assert!(scan(p).is_dangerous());

    // getattr of something that is not a class.
    let p = b"\x80\x02cbuiltins\ngetattr\nK\x01X\x04\x00\x00\x00real\x86R.";
    let e = pypickle::from_slice_with::<Value>(p, &opts).unwrap_err();
    assert_eq!(e.refused_global(), Some(("builtins", "getattr")));
    assert_eq!(e.opcode_name(), Some("REDUCE"));
    assert_eq!(scan(p).globals[0].verdict(), Verdict::Dangerous);
}

#[test]
fn a_call_hidden_deep_in_a_model_dict() {
    // {'model': 'mlp', 'layers': [{'units': 64, 'weights': [0.5]}, {'units': 10, 'init':
    //  {'seed': 7, 'hook': os.system('echo pwned')}}]}
    let p = b"\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x05model\x94\x8c\x03mlp\x94\x8c\x06layers\x94]\x94(}\x94(\x8c\x05units\x94K@\x8c\x07weights\x94]\x94G?\xe0\x00\x00\x00\x00\x00\x00au}\x94(h\x06K\n\x8c\x04init\x94}\x94(\x8c\x04seed\x94K\x07\x8c\x04hook\x94\x8c\x02os\x94\x8c\x06system\x94\x93\x94\x8c\x0aecho pwned\x94\x85\x94R\x94uueu.";
    // Frame length 0 is wrong; fix it to the rest of the pickle.
    let mut p = p.to_vec();
    let n = (p.len() - 11) as u64;
    p[3..11].copy_from_slice(&n.to_le_bytes());
    let c = case(
        "os.system deep in a list of dicts",
        &p,
        ("os", "system"),
        b"\x93",
        "STACK_GLOBAL",
    );
    check(&c);
    // With os.system allowed by name, the rest of the model loads and the call is inert.
    let v: Value =
        pypickle::from_slice_with(&p, &DeOptions::new().allow_global("os", "system")).unwrap();
    assert_eq!(v["model"], "mlp");
    assert_eq!(v["layers"][0]["units"], 64);
    assert!(matches!(v["layers"][1]["init"]["hook"], Value::Object(_)));
}

#[test]
fn extension_codes_are_refused_without_a_registry() {
    for (p, op, code) in [
        (
            &b"\x80\x02\x82\xf0X\x01\x00\x00\x00x\x85R."[..],
            "EXT1",
            0xf0,
        ),
        (
            &b"\x80\x02\x83\x34\x12X\x01\x00\x00\x00x\x85R."[..],
            "EXT2",
            0x1234,
        ),
        (
            &b"\x80\x02\x84\x78\x56\x34\x12X\x01\x00\x00\x00x\x85R."[..],
            "EXT4",
            0x1234_5678,
        ),
    ] {
        for opts in [
            DeOptions::new(),
            DeOptions::new().record_unknown_globals(true),
        ] {
            let e = pypickle::from_slice_with::<Value>(p, &opts).unwrap_err();
            assert_eq!(e.category(), Category::Unsupported, "{e}");
            assert_eq!((e.offset(), e.opcode_name()), (Some(2), Some(op)), "{e}");
        }
        // Registered, the code stands for its global, which the policy then checks.
        let registered = DeOptions::new().extension(code as u32, "posix", "system");
        for opts in [
            registered.clone(),
            registered.clone().record_unknown_globals(true),
            registered.clone().allow_global("posix", "*"),
        ] {
            let e = pypickle::from_slice_with::<Value>(p, &opts).unwrap_err();
            assert_eq!(e.refused_global(), Some(("posix", "system")), "{e}");
            assert_eq!((e.offset(), e.opcode_name()), (Some(2), Some(op)), "{e}");
        }
        let v: Value =
            pypickle::from_slice_with(p, &registered.allow_global("posix", "system")).unwrap();
        assert!(matches!(v, Value::Object(_)), "{v}");
        let r = scan(p);
        let g = &r.globals[0];
        assert_eq!(
            (g.extension_code(), g.opcode_name(), g.offset()),
            (Some(code), op, 2)
        );
        assert_eq!(g.verdict(), Verdict::Unknown);
        assert!(!r.is_safe() && r.error.is_none(), "{r}");
    }
}

/// l0 = [1] * 10; l(k+1) = [l(k)] * 10; a pickle of a few hundred bytes that expands to 10^levels
/// values.
fn memo_bomb(levels: u8) -> Vec<u8> {
    let mut p = b"\x80\x04(".to_vec();
    for _ in 0..10 {
        p.extend(b"K\x01");
    }
    p.extend(b"l\x94");
    for level in 0..levels {
        p.push(b'(');
        for _ in 0..10 {
            p.extend([b'h', level]);
        }
        p.extend(b"l\x94");
    }
    p.push(b'.');
    p
}

#[test]
fn memo_bombs() {
    let p = memo_bomb(12);
    let e = pypickle::from_slice::<Value>(&p).unwrap_err();
    assert_eq!(e.category(), Category::Limit, "{e}");
    let r = scan(&p);
    assert!(r.is_dangerous() && r.error.is_none(), "{r}");
    assert_eq!(r.bombs.len(), 1, "{r}");
    // Flagged once, at the LIST whose expansion first exceeds 10^7 values.
    let b = r.bombs[0];
    assert_eq!(b.opcode_name(), "LIST");
    assert!(b.size() > pypickle::Bomb::LIMIT);
    assert!(r.to_string().contains("expansion bomb"), "{r}");
    // A small shared structure is not a bomb.
    assert!(scan(&memo_bomb(3)).is_safe());

    // DUP-and-append doubling: a list appended into itself 64 times.
    let mut p = b"\x80\x04]".to_vec();
    for _ in 0..64 {
        p.extend(b"2\x94(h\x00e");
    }
    p.push(b'.');
    let r = scan(&p);
    assert_eq!(r.bombs.len(), 1, "{r}");
    assert!(pypickle::from_slice::<Value>(&p).is_err());

    // Built top-down: ten empty lists made first, then each filled with ten references to
    // the next, so that every list grows after it was put into the one before.
    let r = scan(&top_down_bomb());
    assert!(r.is_dangerous() && r.error.is_none(), "{r}");
    assert_eq!(r.bombs.len(), 1, "{r}");
    assert!(r.bombs[0].size() > pypickle::Bomb::LIMIT, "{r}");
    assert_eq!(r.bombs[0].opcode_name(), "APPENDS", "{r}");
    let e = pypickle::from_slice::<Value>(&top_down_bomb()).unwrap_err();
    assert_eq!(e.category(), Category::Limit, "{e}");
}

/// l0..l9 = [] each; then l(k) += [l(k+1)] * 10 for k from 0, and l9 += [1] * 10: 10^10
/// values once expanded, though each list is filled after it was put into the one before.
fn top_down_bomb() -> Vec<u8> {
    let mut p = b"\x80\x04".to_vec();
    for _ in 0..10 {
        p.extend(b"]\x94");
    }
    p.push(b'0');
    for level in 0..10u8 {
        p.extend([b'h', level, b'(']);
        for _ in 0..10 {
            if level == 9 {
                p.extend(b"K\x01");
            } else {
                p.extend([b'h', level + 1]);
            }
        }
        p.extend(b"e0");
    }
    p.extend(b"h\x00.");
    p
}

/// Values that hold themselves, as CPython writes them (a list in itself, a tree whose nodes
/// point at their parents): held before they are filled, yet no bomb, nothing dangerous.
#[test]
fn cycles_are_not_bombs() {
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import pickle, sys\n\
             a = [1, 2]; a.append(a)\n\
             root = {'name': 'r', 'kids': []}\n\
             for i in range(50):\n\
             \x20   kid = {'name': i, 'parent': root, 'kids': []}\n\
             \x20   root['kids'].append(kid)\n\
             \x20   kid['kids'].append({'parent': kid, 'up': root})\n\
             sys.stdout.buffer.write(pickle.dumps([a, root, a], 4))\n",
        ])
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = scan(&out.stdout);
    assert!(r.is_safe(), "{r}");
    assert!(r.bombs.is_empty(), "{r}");
}

/// CPython's own pickles of objects whose `__reduce__` calls something dangerous.
#[test]
fn cpythons_pickles_of_dangerous_reduces() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python_fixtures/hostile");
    let index = fs::read_to_string(dir.join("index.tsv")).unwrap();
    let mut n = 0;
    for line in index.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        let (file, opcode, offset, module, name) = (f[0], f[1], f[2], f[3], f[4]);
        let bytes = fs::read(dir.join(file)).unwrap();
        let offset: u64 = offset.parse().unwrap();
        n += 1;
        if module == "ext" {
            let code: i32 = name.parse().unwrap();
            let e = pypickle::from_slice::<Value>(&bytes).unwrap_err();
            assert_eq!((e.offset(), e.opcode_name()), (Some(offset), Some(opcode)));
            let r = scan(&bytes);
            assert_eq!(r.globals[0].extension_code(), Some(code), "{file}");
            assert!(!r.is_safe(), "{file}");
            continue;
        }
        let mut c = Case {
            label: file,
            bytes,
            global: (module, name),
            offset,
            opcode,
            unlocks: true,
        };
        if file.starts_with("getattr") {
            // collections.OrderedDict may not be on the default allowlist yet: then the
            // default refusal is of OrderedDict itself. Record mode reaches the dunder.
            refused(&c, &DeOptions::new().record_unknown_globals(true), "record");
            let r = scan(&c.bytes);
            assert!(r.is_dangerous(), "{file}: {r}");
            c.unlocks = false;
            assert!(pypickle::from_slice::<Value>(&c.bytes).is_err());
            continue;
        }
        check(&c);
    }
    assert_eq!(n, 54);
}

/// A memoized frozenset of two 50k-int tuples referenced 1000 times, read by a visitor that
/// skips the items (`IgnoredAny`).
fn shared_frozenset(second_starts_at: u16) -> Vec<u8> {
    let mut p = b"\x80\x04(".to_vec();
    for first in [0u16, second_starts_at] {
        p.push(b'(');
        for i in 0..50_000u16 {
            p.push(b'M');
            p.extend((i + first).to_le_bytes());
        }
        p.push(b't');
    }
    p.extend(b"\x91\x940](");
    for _ in 0..1000 {
        p.extend(b"h\x00");
    }
    p.extend(b"e.");
    p
}

/// Telling apart two distinct tuples takes their hashes, found once: the 1000 references read.
/// Two equal tuples must be built to be compared, from a budget of their own, so the walk
/// stops at the expansion limit instead of building 100M values for nothing.
#[test]
fn a_shared_set_is_not_built_again_for_free() {
    type Sets = Vec<Vec<serde::de::IgnoredAny>>;
    let distinct = pypickle::from_slice::<Sets>(&shared_frozenset(1)).unwrap();
    assert_eq!(distinct.len(), 1000);
    assert!(distinct.iter().all(|s| s.len() == 2));

    let p = shared_frozenset(0);
    match pypickle::from_slice::<Sets>(&p) {
        Err(e) => assert_eq!(e.limit(), Some(pypickle::Limit::Expansion), "{e}"),
        Ok(sets) => panic!("read {} sets", sets.len()),
    }
    // Referenced a few times, it reads: one item, as in Python.
    let few = [&p[..p.len() - 2002], b"h\x00h\x00e."].concat();
    let sets = pypickle::from_slice::<Sets>(&few).unwrap();
    assert_eq!(sets.len(), 2);
    assert!(sets.iter().all(|s| s.len() == 1));
}
