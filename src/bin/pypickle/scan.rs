//! `pypickle scan FILE...`: every global each file names, with a verdict, without loading
//! anything.

use std::path::PathBuf;

use pypickle::{Report, Verdict};
use serde_json::{json, Value as Json};

use crate::io::{Failure, Input, SafeJson, Stdout};
use crate::Outcome;

/// List every global each file references, with its verdict, without loading anything.
///
/// One line per global: FILE: OFFSET OPCODE module.name: safe|unknown|dangerous, then a
/// summary line per file. Exit status 1 if any file names a dangerous global or holds an
/// expansion bomb; otherwise 2 if a file could not be read or scanned to its end.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Pickle files, or - for standard input.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Print one JSON document instead of text (shape in the README, "Command-line tool").
    #[arg(long)]
    json: bool,
}

/// How one file is scanned: the one place that knows the file formats. A file that looks like
/// joblib's (a compression's magic bytes, or a pickle naming joblib's array wrapper) is
/// scanned with `pypickle::joblib::scan`, which steps over the arrays' bytes, and as a plain
/// pickle too: whoever loads it with `pickle.load` runs its bytes as opcodes, arrays included,
/// and magic bytes may begin a valid pickle (`BZ` is a BINBYTES). If the plain reading finds a
/// dangerous global the joblib reading does not, that report is the file's. Not counted: the
/// array wrapper, judged by its `joblib` module, which only `pickle.load` builds; and a global
/// the plain reading cannot name at an opcode where the joblib reading names one, which is
/// where the plain reading runs into an object array's nested pickle with the outer memo, and
/// its STACK_GLOBALs take operands it cannot know (in every such file). One it cannot name
/// anywhere else counts: an array's bytes may compute a name as they run (`str('os')`). (A
/// file crafted to compute names into the outer memo for such a nested pickle to fetch is
/// not caught so; the README says to read the plain report then.)
fn scan_input(bytes: &[u8]) -> Report {
    use crate::pickles::{looks_like_joblib, WRAPPER};
    use pypickle::joblib;
    let plain = pypickle::scan(bytes);
    if !looks_like_joblib(bytes) {
        return plain;
    }
    let joblib = joblib::scan(bytes);
    let named_by_joblib = |at: u64| joblib.globals.iter().any(|g| g.offset() == at);
    let plain_danger = !plain.bombs.is_empty()
        || plain.globals.iter().any(|g| {
            let unnamed = g.module().is_empty() || g.name().is_empty();
            g.verdict() == Verdict::Dangerous
                && !(unnamed && named_by_joblib(g.offset()))
                && (g.module(), g.name()) != WRAPPER
        });
    if plain_danger && !joblib.is_dangerous() {
        plain
    } else {
        joblib
    }
}

/// What became of one file.
enum Scanned {
    Report(Report),
    Unreadable(String),
}

pub fn run(args: &Args) -> Result<Outcome, Failure> {
    let mut out = Stdout::new();
    let (mut dangerous, mut incomplete) = (false, false);
    let mut files = Vec::new();
    for path in &args.files {
        let input = Input::new(path);
        let scanned = match input.bytes() {
            Ok(bytes) => Scanned::Report(scan_input(&bytes)),
            Err(message) => {
                if !args.json {
                    crate::io::eprint_line(&format!("pypickle: {}: {message}", input.name()));
                }
                Scanned::Unreadable(message)
            }
        };
        match &scanned {
            Scanned::Report(r) => {
                dangerous |= r.is_dangerous();
                incomplete |= r.error.is_some();
                if !args.json {
                    for line in r.to_string().lines() {
                        out.line(&format!("{}: {line}", input.name()))?;
                    }
                }
            }
            Scanned::Unreadable(_) => incomplete = true,
        }
        if args.json {
            files.push(file_json(&input, &scanned));
        }
    }
    if args.json {
        let doc = json!({ "files": files });
        // DEL and C1 in strings escaped too (`SafeJson`): the same JSON, and nothing left
        // for `Stdout` to escape on a terminal, which would make it invalid.
        let cannot = |e: &dyn std::fmt::Display| Failure::new(format!("cannot write JSON: {e}"));
        let mut text = SafeJson::new(Vec::new());
        serde_json::to_writer_pretty(&mut text, &doc).map_err(|e| cannot(&e))?;
        let text = text.into_inner().map_err(|e| cannot(&e))?;
        out.line(&String::from_utf8(text).map_err(|e| cannot(&e))?)?;
    }
    out.flush()?;
    Ok(if dangerous {
        Outcome::Dangerous
    } else if incomplete {
        Outcome::Incomplete
    } else {
        Outcome::Ok
    })
}

fn verdict_name(v: Verdict) -> &'static str {
    match v {
        Verdict::Safe => "safe",
        Verdict::Unknown => "unknown",
        Verdict::Dangerous => "dangerous",
    }
}

/// One entry of `files` in the JSON output.
fn file_json(input: &Input, scanned: &Scanned) -> Json {
    match scanned {
        Scanned::Unreadable(message) => json!({
            "file": input.name(),
            "verdict": "unreadable",
            "pickles": 0,
            "globals": [],
            "bombs": [],
            "error": { "message": message, "offset": null },
        }),
        Scanned::Report(r) => {
            let globals: Vec<Json> = r
                .globals
                .iter()
                .map(|g| {
                    json!({
                        "offset": g.offset(),
                        "opcode": g.opcode_name(),
                        "module": g.module(),
                        "name": g.name(),
                        "verdict": verdict_name(g.verdict()),
                        "written_as": g.original().map(|(m, n)| [m, n]),
                        "extension_code": g.extension_code(),
                        "note": g.note(),
                    })
                })
                .collect();
            let bombs: Vec<Json> = r
                .bombs
                .iter()
                .map(|b| json!({ "offset": b.offset(), "opcode": b.opcode_name(), "size": b.size() }))
                .collect();
            let error = r
                .error
                .as_ref()
                .map(|e| json!({ "message": e.to_string(), "offset": e.offset() }));
            json!({
                "file": input.name(),
                "verdict": verdict_name(r.verdict()),
                "pickles": r.pickles,
                "globals": globals,
                "bombs": bombs,
                "error": error,
            })
        }
    }
}
