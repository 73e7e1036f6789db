//! The reader refuses a standard library callable under every name Python has for it: for each
//! module-level alias that python3.8-3.13 have, in every module and package level
//! (`python_fixtures/stdlib_aliases.py` made the list), the alias is refused in record mode
//! whenever the object's own name is (`pathlib.attrgetter` is `operator.attrgetter`,
//! `tokenize._builtin_open` is `open`), and a dangerous module under another name is refused
//! whole (`concurrent.futures.process.mp` is `multiprocessing`).

use pypickle::{DeOptions, Value};

mod py_common;

/// A protocol 4 pickle of the global `module.name` alone.
fn global(module: &str, name: &str) -> Vec<u8> {
    let mut p = vec![0x80, 4];
    for s in [module, name] {
        p.push(0x8c);
        p.push(u8::try_from(s.len()).expect("short name"));
        p.extend_from_slice(s.as_bytes());
    }
    p.extend_from_slice(b"\x93.");
    p
}

/// Whether the policy refuses `module.name` as dangerous (in record mode, where a name not
/// known to be safe is kept, not refused).
fn dangerous(module: &str, name: &str) -> bool {
    let opts = DeOptions::new().record_unknown_globals(true);
    match pypickle::from_slice_with::<Value>(&global(module, name), &opts) {
        Ok(_) => false,
        Err(e) => e
            .to_string()
            .contains("it can run code or reach the system"),
    }
}

#[test]
fn every_alias_of_a_refused_callable_is_refused() {
    let list = include_str!("../python_fixtures/stdlib_aliases.tsv");
    let mut missed = Vec::new();
    let mut checked = 0;
    for line in list.lines() {
        let [alias_module, alias, module, qualname] = line.split('\t').collect::<Vec<_>>()[..]
        else {
            panic!("bad line {line:?}");
        };
        // `*`: the module `module` under another name, refused as a whole if it is.
        let (own, aliased) = match qualname {
            "*" => ("probe".to_string(), format!("{alias}.probe")),
            _ => (qualname.to_string(), alias.to_string()),
        };
        if dangerous(module, &own) {
            checked += 1;
            if !dangerous(alias_module, &aliased) {
                missed.push(format!("{alias_module}.{alias} is {module}.{qualname}"));
            }
        }
    }
    assert!(checked > 100, "only {checked} refused objects in the list");
    assert!(
        missed.is_empty(),
        "{} aliases pass:\n{}",
        missed.len(),
        missed.join("\n")
    );
}

/// Standard library callables that write files at a path they are given, as `open` does, or
/// run commands through a module under another name: refused, and found dangerous by `scan`
/// (found by a hunt and a review: `scan` called them unknown).
#[test]
fn stdlib_callables_that_write_files_are_dangerous() {
    for (module, name) in [
        ("wave", "open"),
        ("wave", "Wave_write"),
        ("aifc", "open"),
        ("sunau", "open"),
        ("zipapp", "create_archive"),
        ("uu", "encode"),
        ("binhex", "binhex"),
        ("mailbox", "mbox"),
        ("tokenize", "_builtin_open"),
        ("pstats", "Stats.dump_stats"),
        ("xml.etree.ElementTree", "ElementTree.write"),
        ("compression.gzip", "open"),
        // A review's: multiprocessing and tkinter under other names run commands.
        ("concurrent.futures.process", "mp.util.spawnv_passfds"),
        ("turtle", "TK.Tcl"),
        ("turtle", "Canvas"),
    ] {
        assert!(dangerous(module, name), "{module}.{name}");
        let report = pypickle::scan(&global(module, name));
        assert_eq!(report.verdict(), pypickle::Verdict::Dangerous, "{report}");
    }
}

/// The hunt's pickle: `attrgetter('__globals__')(shlex.split)['os'].system(...)`, every
/// callable named by an alias; python3 runs the command when it loads it.
#[test]
fn a_chain_of_aliases_is_dangerous() {
    let p = py_common::unhex(
        "80048c07706174686c69628c0a61747472676574746572938c0b5f5f676c6f62616c735f5f85528c0573\
         686c65788c0573706c697493855294308c0b636f6c6c656374696f6e738c0b5f6974656d676574746572\
         938c026f7385526800855294308c07706174686c69628c0a61747472676574746572938c0673797374\
         656d8552680185528c146563686f2050574e45442d62792d7069636b6c6585522e",
    );
    assert_eq!(pypickle::scan(&p).verdict(), pypickle::Verdict::Dangerous);
    let opts = DeOptions::new().record_unknown_globals(true);
    let e = pypickle::from_slice_with::<Value>(&p, &opts).unwrap_err();
    assert_eq!(e.refused_global(), Some(("pathlib", "attrgetter")), "{e}");
}
