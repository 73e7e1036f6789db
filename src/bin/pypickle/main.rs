//! `pypickle`: look inside pickles, check them before trusting them, and convert them to and
//! from JSON, without ever executing anything a pickle asks for.
//!
//! Built with the `cli` feature: `cargo install --path . --features cli`.

mod dis;
mod from_json;
mod io;
mod pickles;
mod scan;
mod show;
mod to_json;

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::io::Failure;

const EXIT_STATUS: &str = "\
Exit status:
  0  success (for scan: nothing dangerous found)
  1  scan found a dangerous global or an expansion bomb
  2  usage error, a file that cannot be read, input that is not a valid pickle or JSON, or a
     global or object refused";

/// The deepest JSON `to-json` writes and `from-json` reads: room for any value the reader
/// accepts, within the main thread's stack. The reader's default is 256 levels of containers;
/// a level takes up to four levels of JSON (an object's `dict_items` pairs:
/// `{"$object":{"dict_items":[[k, v]]}}`; a tuple or set takes two, a dict with keys that are
/// not strings three), and the value at the bottom up to two more (`{"$complex":[re, im]}`).
const MAX_JSON_DEPTH: usize = 256 * 4 + 2;

/// Look inside Python pickles, check them before trusting them, convert them to and from
/// JSON. Nothing a pickle asks for is ever imported or executed.
#[derive(Parser, Debug)]
#[command(name = "pypickle", version, after_help = EXIT_STATUS)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    #[command(after_help = EXIT_STATUS)]
    Show(show::Args),
    #[command(after_help = EXIT_STATUS)]
    Dis(dis::Args),
    #[command(after_help = EXIT_STATUS)]
    Scan(scan::Args),
    #[command(after_help = EXIT_STATUS)]
    ToJson(to_json::Args),
    #[command(after_help = EXIT_STATUS)]
    FromJson(from_json::Args),
}

/// How Python 2 `str` values (protocols 0-2) are read, like `pickle.load`'s `encoding=`.
#[derive(ValueEnum, Clone, Copy, Debug, Default)]
enum Py2Strings {
    /// Decode as ASCII; other bytes are an error (CPython's default).
    #[default]
    Ascii,
    /// Decode as Latin-1 (for Python 2 datetime and numpy pickles).
    Latin1,
    /// Decode as UTF-8.
    Utf8,
    /// Keep them as bytes.
    Bytes,
}

impl From<Py2Strings> for pypickle::Py2Strings {
    fn from(p: Py2Strings) -> Self {
        match p {
            Py2Strings::Ascii => pypickle::Py2Strings::Ascii,
            Py2Strings::Latin1 => pypickle::Py2Strings::Latin1,
            Py2Strings::Utf8 => pypickle::Py2Strings::Utf8,
            Py2Strings::Bytes => pypickle::Py2Strings::Bytes,
        }
    }
}

/// A global named on the command line (`--allow`): `module:name`, or `module.name` split at
/// its last dot.
#[derive(Clone, Debug)]
struct AllowedGlobal {
    module: String,
    name: String,
}

impl std::str::FromStr for AllowedGlobal {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (module, name) = s
            .split_once(':')
            .or_else(|| s.rsplit_once('.'))
            .ok_or_else(|| format!("{s:?}: give a global as module:name or module.name"))?;
        if module.is_empty() || name.is_empty() {
            return Err(format!("{s:?}: both the module and the name must be given"));
        }
        Ok(AllowedGlobal {
            module: module.to_string(),
            name: name.to_string(),
        })
    }
}

/// `opts` with each of `globals` allowed by its exact name.
fn allow_all(opts: pypickle::DeOptions, globals: &[AllowedGlobal]) -> pypickle::DeOptions {
    globals
        .iter()
        .fold(opts, |opts, g| opts.allow_global(&g.module, &g.name))
}

/// What a command found, when it ran to its end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    /// Exit status 0.
    Ok,
    /// Exit status 1: `scan` found something dangerous.
    Dangerous,
    /// Exit status 2, the messages already printed: `scan` could not read or finish a file.
    Incomplete,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Show(args) => show::run(&args),
        Command::Dis(args) => dis::run(&args),
        Command::Scan(args) => scan::run(&args),
        Command::ToJson(args) => to_json::run(&args),
        Command::FromJson(args) => from_json::run(&args),
    };
    match result {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Dangerous) => ExitCode::from(1),
        Ok(Outcome::Incomplete) => ExitCode::from(2),
        Err(Failure { message, hint }) => {
            io::eprint_line(&format!("pypickle: {message}"));
            if let Some(hint) = hint {
                io::eprint_line(&format!("pypickle: hint: {hint}"));
            }
            ExitCode::from(2)
        }
    }
}
