//! Reading inputs (a file, or `-` for standard input), writing outputs (standard output, or a
//! file written only once the whole output is ready), and the failure that ends a command.

use std::borrow::Cow;
use std::fs;
use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

/// A failure that ends a command with exit status 2: a message for standard error, and
/// perhaps a hint of what to do about it.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub hint: Option<String>,
}

impl Failure {
    pub fn new(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            hint: None,
        }
    }

    /// `what: error`, such as `data.pkl: truncated BINUNICODE at offset 12: ...`.
    pub fn of(what: &Input, error: impl std::fmt::Display) -> Failure {
        Failure::new(format!("{}: {error}", what.name()))
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Failure {
        self.hint = Some(hint.into());
        self
    }
}

/// Where a command reads from: a path, or standard input for `-`.
#[derive(Clone, Debug)]
pub struct Input(PathBuf);

impl Input {
    pub fn new(path: &Path) -> Input {
        Input(path.to_path_buf())
    }

    /// The name used in messages.
    pub fn name(&self) -> String {
        if self.is_stdin() {
            "<stdin>".to_string()
        } else {
            self.0.display().to_string()
        }
    }

    fn is_stdin(&self) -> bool {
        self.0.as_os_str() == "-"
    }

    /// Every byte of the input, or `cannot read: why`.
    pub fn bytes(&self) -> Result<Vec<u8>, String> {
        let read = if self.is_stdin() {
            let mut buf = Vec::new();
            io::stdin().lock().read_to_end(&mut buf).map(|_| buf)
        } else {
            fs::read(&self.0)
        };
        read.map_err(|e| format!("cannot read: {}", io_message(&e)))
    }

    /// Every byte of the input, or the failure that ends the command.
    pub fn read(&self) -> Result<Vec<u8>, Failure> {
        self.bytes().map_err(|e| Failure::of(self, e))
    }
}

/// An I/O error's message without Rust's `(os error 2)` suffix.
pub fn io_message(e: &io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// `text` with the control characters a terminal acts on (C0 but newline and tab, DEL, C1)
/// written as `\xNN`, and the bidirectional controls as `\uNNNN`. What this tool prints is
/// mostly Python's `repr()`, which escapes them in strs, but the names of globals, classes and
/// attributes in a pickle are printed as they are, as Python prints them: a hostile pickle's
/// name could carry escape sequences that retitle, recolour or rewrite the terminal showing
/// it, or reorder what it shows.
pub fn terminal_safe(text: &str) -> Cow<'_, str> {
    // And the bidirectional controls, which reorder what the terminal shows ("Trojan
    // Source"); Python's repr() escapes them in strs too.
    let acts = |c: char| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !text.contains(acts) {
        return Cow::Borrowed(text);
    }
    let mut safe = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match acts(c) {
            true if (c as u32) < 0x100 => safe.push_str(&format!("\\x{:02x}", c as u32)),
            true => safe.push_str(&format!("\\u{:04x}", c as u32)),
            false => safe.push(c),
        }
    }
    Cow::Owned(safe)
}

/// A writer of JSON text that also escapes DEL and the C1 controls (U+007F-U+009F) in its
/// strings as `\u007f`..`\u009f`, which serde_json writes raw: still the same JSON, and safe
/// for a terminal (where C1's CSI acts as ESC `[` does). In JSON text these characters can
/// only be inside strings; in UTF-8, DEL is its own byte and C1 is `0xC2` then `0x80`-`0x9F`
/// (`0xC2` is never a continuation byte), so the bytes are rewritten as they pass.
pub struct SafeJson<W: Write> {
    inner: W,
    /// A `0xC2` at the end of the last write, whose next byte decides what it starts.
    pending_c2: bool,
}

impl<W: Write> SafeJson<W> {
    pub fn new(inner: W) -> SafeJson<W> {
        SafeJson {
            inner,
            pending_c2: false,
        }
    }

    /// The writer, every byte passed on.
    pub fn into_inner(mut self) -> io::Result<W> {
        self.flush()?;
        Ok(self.inner)
    }
}

impl<W: Write> Write for SafeJson<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let (mut start, mut i) = (0, 0);
        if let (true, Some(&b)) = (self.pending_c2, buf.first()) {
            self.pending_c2 = false;
            if (0x80..=0x9f).contains(&b) {
                escape(&mut self.inner, b)?;
                (start, i) = (1, 1);
            } else {
                self.inner.write_all(&[0xc2])?;
            }
        }
        while i < buf.len() {
            match (buf[i], buf.get(i + 1)) {
                (0x7f, _) => {
                    self.inner.write_all(&buf[start..i])?;
                    escape(&mut self.inner, 0x7f)?;
                    start = i + 1;
                }
                (0xc2, Some(&c1 @ 0x80..=0x9f)) => {
                    self.inner.write_all(&buf[start..i])?;
                    escape(&mut self.inner, c1)?;
                    i += 1;
                    start = i + 1;
                }
                (0xc2, None) => {
                    self.inner.write_all(&buf[start..i])?;
                    self.pending_c2 = true;
                    start = buf.len();
                }
                _ => {}
            }
            i += 1;
        }
        self.inner.write_all(&buf[start..])?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if std::mem::take(&mut self.pending_c2) {
            self.inner.write_all(&[0xc2])?;
        }
        self.inner.flush()
    }
}

/// JSON's escape of the character U+00`code` (DEL or C1: its code is the byte that ends it).
fn escape(out: &mut impl Write, code: u8) -> io::Result<()> {
    write!(out, "\\u00{code:02x}")
}

/// Print `line` to standard error, made [`terminal_safe`]: messages name what the pickle names.
pub fn eprint_line(line: &str) {
    eprintln!("{}", terminal_safe(line));
}

/// Standard output, line by line. A reader that goes away (`pypickle show f | head`) is not an
/// error: the rest of the output is dropped and the command still ends with its own status.
/// Text for a terminal is made [`terminal_safe`]; a pipe or file gets it as it is.
pub struct Stdout {
    out: io::BufWriter<io::StdoutLock<'static>>,
    closed: bool,
    to_terminal: bool,
}

impl Stdout {
    pub fn new() -> Stdout {
        Stdout {
            out: io::BufWriter::new(io::stdout().lock()),
            closed: false,
            to_terminal: io::stdout().is_terminal(),
        }
    }

    /// Write `text`, made [`terminal_safe`] for a terminal.
    pub fn text(&mut self, text: &str) -> Result<(), Failure> {
        match self.to_terminal {
            true => self.write(terminal_safe(text).as_bytes()),
            false => self.write(text.as_bytes()),
        }
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), Failure> {
        if self.closed {
            return Ok(());
        }
        match self.out.write_all(bytes) {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            r => r.map_err(|e| Failure::new(format!("cannot write output: {}", io_message(&e)))),
        }
    }

    pub fn line(&mut self, text: &str) -> Result<(), Failure> {
        self.text(text)?;
        self.write(b"\n")
    }

    pub fn flush(&mut self) -> Result<(), Failure> {
        if self.closed {
            return Ok(());
        }
        match self.out.flush() {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            r => r.map_err(|e| Failure::new(format!("cannot write output: {}", io_message(&e)))),
        }
    }
}

/// Write text made by `write` to `output` (a file, or standard output for `None` or `-`) as it
/// is made, not gathered first: pretty JSON of a deep value is far larger than the value.
pub fn write_output_streamed(
    output: Option<&Path>,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), Failure> {
    match output {
        Some(path) if path.as_os_str() != "-" => {
            let cannot = |e: io::Error| {
                Failure::new(format!(
                    "{}: cannot write: {}",
                    path.display(),
                    io_message(&e)
                ))
            };
            let mut file = io::BufWriter::new(fs::File::create(path).map_err(cannot)?);
            write(&mut file).and_then(|()| file.flush()).map_err(cannot)
        }
        _ => {
            let mut out = io::BufWriter::new(io::stdout().lock());
            match write(&mut out).and_then(|()| out.flush()) {
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
                r => {
                    r.map_err(|e| Failure::new(format!("cannot write output: {}", io_message(&e))))
                }
            }
        }
    }
}

/// Writes a whole output to `-o FILE`, or to standard output without one. Binary output is not
/// written to a terminal.
pub fn write_output(output: Option<&Path>, bytes: &[u8], binary: bool) -> Result<(), Failure> {
    let to_stdout = output.map_or(true, |path| path.as_os_str() == "-");
    if binary && to_stdout && io::stdout().is_terminal() {
        return Err(Failure::new(
            "not writing a binary pickle to a terminal: redirect standard output or give -o FILE",
        ));
    }
    write_output_streamed(output, |out| out.write_all(bytes))
}

#[cfg(test)]
mod tests {
    use super::terminal_safe;

    #[test]
    fn safe_json_escapes_del_and_c1_however_the_writes_are_split() {
        use std::io::Write as _;
        let text = "{\"k\\u001b\u{9b}\":\"a\u{7f}\u{80}\u{9f}\u{a0}\u{100}\u{2080}é\"}";
        let want = "{\"k\\u001b\\u009b\":\"a\\u007f\\u0080\\u009f\u{a0}\u{100}\u{2080}é\"}";
        for split in 0..=text.len() {
            let mut out = super::SafeJson::new(Vec::new());
            out.write_all(&text.as_bytes()[..split]).unwrap();
            out.write_all(&text.as_bytes()[split..]).unwrap();
            let out = String::from_utf8(out.into_inner().unwrap()).unwrap();
            assert_eq!(out, want, "split at {split}");
            let a: serde_json::Value = serde_json::from_str(text).unwrap();
            assert_eq!(serde_json::from_str::<serde_json::Value>(&out).unwrap(), a);
        }
    }

    #[test]
    fn terminal_safe_escapes_what_a_terminal_acts_on_and_nothing_else() {
        assert_eq!(terminal_safe("é\tx\ny ✓"), "é\tx\ny ✓");
        assert!(matches!(
            terminal_safe("plain"),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(
            terminal_safe("a\x1b]0;owned\x07b\x7f\u{9b}c\rd\0"),
            "a\\x1b]0;owned\\x07b\\x7f\\x9bc\\x0dd\\x00"
        );
        assert_eq!(terminal_safe("x\u{202e}y\u{2066}"), "x\\u202ey\\u2066");
    }
}
