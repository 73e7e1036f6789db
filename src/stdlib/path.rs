//! `pathlib` paths, pickled by CPython as the class called with the path's parts:
//! `PurePosixPath('/', 'a', 'b')`.

use std::fmt::{self, Display, Formatter};

use super::{call_args, call_object, invalid};
use crate::error::Error;
use crate::value::{Object, Value};

/// Which `pathlib` class a [`PurePath`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PathClass {
    /// `pathlib.PurePosixPath`
    PurePosixPath,
    /// `pathlib.PosixPath`
    PosixPath,
    /// `pathlib.PureWindowsPath`
    PureWindowsPath,
    /// `pathlib.WindowsPath` (CPython refuses to load it on other systems)
    WindowsPath,
}

impl PathClass {
    /// The class name in `pathlib`.
    pub fn name(self) -> &'static str {
        match self {
            PathClass::PurePosixPath => "PurePosixPath",
            PathClass::PosixPath => "PosixPath",
            PathClass::PureWindowsPath => "PureWindowsPath",
            PathClass::WindowsPath => "WindowsPath",
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<PathClass> {
        Some(match name {
            "PurePosixPath" => PathClass::PurePosixPath,
            "PosixPath" => PathClass::PosixPath,
            "PureWindowsPath" => PathClass::PureWindowsPath,
            "WindowsPath" => PathClass::WindowsPath,
            _ => return None,
        })
    }

    /// True for the Windows flavour.
    pub fn is_windows(self) -> bool {
        matches!(self, PathClass::PureWindowsPath | PathClass::WindowsPath)
    }
}

/// A path split as pathlib splits it: the anchor (drive and root) and the names after it.
struct Split {
    drive: String,
    root: String,
    names: Vec<String>,
}

impl Split {
    fn posix(s: &str) -> Split {
        let root = if s.starts_with("//") && !s.starts_with("///") {
            "//"
        } else if s.starts_with('/') {
            "/"
        } else {
            ""
        };
        Split {
            drive: String::new(),
            root: root.into(),
            names: names(s, '/'),
        }
    }

    /// A Windows path as CPython 3.12-3.14's pathlib parses it (`PurePath._parse_path`):
    /// `ntpath.splitroot` after `/` is made `\`, and a UNC drive without a root
    /// (`\\server\share`, `\\?\UNC\server\share`) given one.
    fn windows(s: &str) -> Split {
        let s = s.replace('/', "\\");
        let (drive, mut root, rest) = nt_splitroot(&s);
        if root.is_empty() && drive.starts_with('\\') && !drive.ends_with('\\') {
            let parts: Vec<&str> = drive.split('\\').collect();
            // (Python's `parts[2] not in '?.'`: a substring test, which "" passes too.)
            if (parts.len() == 4 && !"?.".contains(parts[2])) || parts.len() == 6 {
                root = "\\";
            }
        }
        Split {
            names: names(rest, '\\'),
            drive: drive.to_string(),
            root: root.to_string(),
        }
    }

    fn parse(class: PathClass, s: &str) -> Split {
        if class.is_windows() {
            Split::windows(s)
        } else {
            Split::posix(s)
        }
    }

    /// `PurePath(*segments)`: Windows segments joined as CPython 3.12-3.14 join them
    /// (`ntpath.join`), then parsed; POSIX ones from the last segment back, up to and
    /// including the last one with a root (what `posixpath.join` makes).
    fn join(class: PathClass, segments: &[&str]) -> Split {
        if class.is_windows() {
            return match segments {
                [] => Split::windows(""),
                [one] => Split::windows(one),
                [first, rest @ ..] => Split::windows(&nt_join(first, rest)),
            };
        }
        let mut names = Vec::new();
        let (mut drive, mut root) = (String::new(), String::new());
        let mut it = segments.iter().rev().filter(|s| !s.is_empty());
        while let Some(seg) = it.next() {
            let s = Split::parse(class, seg);
            names.extend(s.names.into_iter().rev());
            if !s.drive.is_empty() || !s.root.is_empty() {
                (drive, root) = (s.drive, s.root);
                if drive.is_empty() {
                    if let Some(d) = it
                        .map(|earlier| Split::parse(class, earlier).drive)
                        .find(|d| !d.is_empty())
                    {
                        drive = d;
                    }
                }
                break;
            }
        }
        names.reverse();
        Split { drive, root, names }
    }

    fn anchor(&self) -> String {
        format!("{}{}", self.drive, self.root)
    }

    fn text(&self, sep: char) -> String {
        let mut s = self.anchor();
        if s.is_empty() && self.names.is_empty() {
            return ".".into();
        }
        // A relative Windows path whose first name reads as a drive (`.\c:x`) keeps a `.`
        // in front, as CPython 3.12-3.14 write it.
        if s.is_empty() && sep == '\\' && !nt_splitroot(&self.names[0]).0.is_empty() {
            s.push_str(".\\");
        }
        s.push_str(&self.names.join(&sep.to_string()));
        s
    }
}

/// `ntpath.splitroot(p)` of CPython 3.12-3.14: drive, root and the rest, as slices of `p`
/// (`/` and `\` both separators). A UNC drive is `\\server\share` or
/// `\\?\UNC\server\share` (any case), a device drive `\\?\x` or `\\.\x`; a drive letter
/// is any character before a `:`.
fn nt_splitroot(p: &str) -> (&str, &str, &str) {
    let mut chars = p.char_indices();
    let (c0, c1, c2) = (chars.next(), chars.next(), chars.next());
    match (c0, c1) {
        (Some((_, a)), Some((_, b))) if nt_sep(a) && nt_sep(b) => {
            let unc = p.len() >= 8
                && p.as_bytes()[..8]
                    .iter()
                    .zip(b"\\\\?\\UNC\\")
                    .all(|(&c, &want)| {
                        let c = if c == b'/' { b'\\' } else { c };
                        c.to_ascii_uppercase() == want
                    });
            let start = if unc { 8 } else { 2 };
            let find = |from: usize| p[from..].find(nt_sep).map(|i| i + from);
            match find(start).and_then(|i| find(i + 1)) {
                Some(j) => (&p[..j], &p[j..j + 1], &p[j + 1..]),
                None => (p, "", ""),
            }
        }
        (Some((_, a)), _) if nt_sep(a) => ("", &p[..1], &p[1..]),
        (Some(_), Some((i, ':'))) => {
            let d = i + 1;
            match c2 {
                Some((j, c)) if nt_sep(c) => (&p[..d], &p[j..j + 1], &p[j + 1..]),
                _ => (&p[..d], "", &p[d..]),
            }
        }
        _ => ("", "", p),
    }
}

/// A Windows path separator: `\` or `/`.
fn nt_sep(c: char) -> bool {
    c == '\\' || c == '/'
}

/// `ntpath.join(first, *rest)` of CPython 3.12-3.14 (each segment's own separators kept).
fn nt_join(first: &str, rest: &[&str]) -> String {
    let (d, r, p) = nt_splitroot(first);
    let (mut drive, mut root, mut path) = (d.to_string(), r.to_string(), p.to_string());
    for seg in rest {
        let (p_drive, p_root, p_path) = nt_splitroot(seg);
        if !p_root.is_empty() {
            // An absolute segment: it replaces the path, and the drive if it has one.
            if !p_drive.is_empty() || drive.is_empty() {
                drive = p_drive.to_string();
            }
            root = p_root.to_string();
            path = p_path.to_string();
            continue;
        }
        if !p_drive.is_empty() && p_drive != drive {
            if p_drive.to_lowercase() != drive.to_lowercase() {
                // Another drive: the path so far is dropped.
                (drive, root, path) = (p_drive.to_string(), String::new(), p_path.to_string());
                continue;
            }
            // The same drive in another case.
            drive = p_drive.to_string();
        }
        // Relative to the path so far.
        if path.chars().last().is_some_and(|c| !nt_sep(c)) {
            path.push('\\');
        }
        path.push_str(p_path);
    }
    // A separator between a UNC drive and a path without a root.
    if !path.is_empty()
        && root.is_empty()
        && drive.chars().last().is_some_and(|c| !nt_sep(c) && c != ':')
    {
        return format!("{drive}\\{path}");
    }
    format!("{drive}{root}{path}")
}

fn names(s: &str, sep: char) -> Vec<String> {
    s.split(sep)
        .filter(|n| !n.is_empty() && *n != ".")
        .map(String::from)
        .collect()
}

/// A `pathlib` path of one of the four concrete classes, kept as Python's `str()` of it.
///
/// ```
/// use pypickle::stdlib::{PathClass, PurePath};
/// let p = PurePath::new(PathClass::PosixPath, "/srv//data/./x.csv");
/// assert_eq!(p.as_str(), "/srv/data/x.csv");
/// assert_eq!(p.to_string(), "PosixPath('/srv/data/x.csv')");
/// let w = PurePath::new(PathClass::PureWindowsPath, "C:/Users/ada");
/// assert_eq!(w.as_str(), r"C:\Users\ada");
/// assert_eq!(w.to_string(), "PureWindowsPath('C:/Users/ada')");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PurePath {
    class: PathClass,
    text: String,
}

impl PurePath {
    /// The path `path` as the class normalises it (repeated separators and `.` dropped).
    pub fn new(class: PathClass, path: &str) -> PurePath {
        PurePath::from_segments(class, &[path])
    }

    fn from_segments(class: PathClass, segments: &[&str]) -> PurePath {
        let sep = if class.is_windows() { '\\' } else { '/' };
        PurePath {
            class,
            text: Split::join(class, segments).text(sep),
        }
    }

    /// The class.
    pub fn class(&self) -> PathClass {
        self.class
    }

    /// Python's `str()` of the path (`\` separators for Windows paths).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// `as_posix()`: the path with `/` separators.
    pub fn as_posix(&self) -> String {
        if self.class.is_windows() {
            self.text.replace('\\', "/")
        } else {
            self.text.clone()
        }
    }

    /// `parts`: the anchor (if any) and then each name, as CPython pickles them.
    pub fn parts(&self) -> Vec<String> {
        let s = Split::parse(self.class, &self.text);
        let anchor = s.anchor();
        let mut parts = Vec::with_capacity(s.names.len() + 1);
        if !anchor.is_empty() {
            parts.push(anchor);
        }
        parts.extend(s.names);
        parts
    }

    pub(crate) fn from_object(obj: &Object) -> Result<PurePath, Error> {
        // CPython 3.13 names the classes in `pathlib._local`; they are written as `pathlib`'s,
        // which every version loads.
        let class = if matches!(obj.class.module.as_str(), "pathlib" | "pathlib._local") {
            PathClass::from_name(&obj.class.name)
        } else {
            None
        };
        let class = class.ok_or_else(|| {
            invalid(
                "pathlib path",
                format_args!("{} is not a pathlib path class", obj.class),
            )
        })?;
        let what = format!("pathlib.{}", class.name());
        let segments = call_args(obj, &what)?
            .iter()
            .map(|v| {
                v.as_str()
                    .ok_or_else(|| invalid(&what, format_args!("segment {v} is not a str")))
            })
            .collect::<Result<Vec<&str>, Error>>()?;
        Ok(PurePath::from_segments(class, &segments))
    }
}

impl From<PurePath> for Value {
    /// `pathlib.<Class>(*parts)`, as CPython 3.8-3.12 write it; a Windows path whose parts
    /// would join into another path (`.\c:x`, `\é:x`: a name after the first that reads as
    /// a drive) as its str, one segment, which CPython 3.13 and later also write.
    fn from(p: PurePath) -> Value {
        let parts = p.parts();
        let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
        let parts = if PurePath::from_segments(p.class, &refs) == p {
            parts
        } else {
            vec![p.text.clone()]
        };
        let parts = parts.into_iter().map(Value::Str).collect();
        Value::Object(Box::new(call_object("pathlib", p.class.name(), parts)))
    }
}

impl Display for PurePath {
    /// `PurePosixPath('/a/b')`, `PureWindowsPath('C:/x')`.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.class.name(), Value::Str(self.as_posix()))
    }
}

impl TryFrom<&Value> for PurePath {
    type Error = Error;
    fn try_from(v: &Value) -> Result<PurePath, Error> {
        match v {
            Value::Object(o) => PurePath::from_object(o),
            other => Err(invalid(
                "pathlib path",
                format_args!("expected a pathlib path, found {}", other.type_name()),
            )),
        }
    }
}

super::via_value!(PurePath);

#[cfg(test)]
mod tests {
    use super::*;

    fn posix(segs: &[&str]) -> (String, Vec<String>) {
        let p = PurePath::from_segments(PathClass::PurePosixPath, segs);
        (p.to_string(), p.parts())
    }

    fn win(segs: &[&str]) -> (String, String, Vec<String>) {
        let p = PurePath::from_segments(PathClass::PureWindowsPath, segs);
        (p.to_string(), p.as_str().to_string(), p.parts())
    }

    #[test]
    fn posix_like_pathlib() {
        // Checked against CPython 3.11's repr() and __reduce__().
        assert_eq!(posix(&[]), ("PurePosixPath('.')".into(), vec![]));
        assert_eq!(posix(&["."]).1, Vec::<String>::new());
        assert_eq!(posix(&["//"]).1, ["//"]);
        assert_eq!(
            posix(&["///x"]),
            ("PurePosixPath('/x')".into(), vec!["/".into(), "x".into()])
        );
        assert_eq!(posix(&["//a/b"]).0, "PurePosixPath('//a/b')");
        assert_eq!(posix(&["a/./b/"]).0, "PurePosixPath('a/b')");
        assert_eq!(posix(&["../x"]).1, ["..", "x"]);
        assert_eq!(posix(&["a", "/b", "c"]).0, "PurePosixPath('/b/c')");
    }

    #[test]
    fn windows_extended_paths_like_pathlib() {
        // CPython 3.12-3.14: repr(), str() and parts of PureWindowsPath(case). (Not
        // `\\?\UNC\\x`, an empty server: CPython too reads its own str() of it back as
        // another path, and this type keeps the str.)
        for (case, repr, text, parts) in [
            (
                r"\\?\C:",
                r"PureWindowsPath('//?/C:')",
                r"\\?\C:",
                &[r"\\?\C:"][..],
            ),
            (
                r"\\?\C:\x\y",
                r"PureWindowsPath('//?/C:/x/y')",
                r"\\?\C:\x\y",
                &[r"\\?\C:\", r"x", r"y"][..],
            ),
            (
                r"//?/x",
                r"PureWindowsPath('//?/x')",
                r"\\?\x",
                &[r"\\?\x"][..],
            ),
            (
                r"//?/C:",
                r"PureWindowsPath('//?/C:')",
                r"\\?\C:",
                &[r"\\?\C:"][..],
            ),
            (
                r"\\?\UNC\srv\share\x",
                r"PureWindowsPath('//?/UNC/srv/share/x')",
                r"\\?\UNC\srv\share\x",
                &[r"\\?\UNC\srv\share\", r"x"][..],
            ),
            (
                r"\\?\UNC\srv\share",
                r"PureWindowsPath('//?/UNC/srv/share/')",
                r"\\?\UNC\srv\share\",
                &[r"\\?\UNC\srv\share\"][..],
            ),
            (
                r"\\?\UNC\srv",
                r"PureWindowsPath('//?/UNC/srv')",
                r"\\?\UNC\srv",
                &[r"\\?\UNC\srv"][..],
            ),
            (
                r"\\?\\x",
                r"PureWindowsPath('//?//x')",
                r"\\?\\x",
                &[r"\\?\\", r"x"][..],
            ),
            (
                r"\\?\c:x",
                r"PureWindowsPath('//?/c:x')",
                r"\\?\c:x",
                &[r"\\?\c:x"][..],
            ),
            (r"\\?\", r"PureWindowsPath('//?/')", r"\\?\", &[r"\\?\"][..]),
        ] {
            let (r, t, p) = win(&[case]);
            assert_eq!((r.as_str(), t.as_str()), (repr, text), "{case}");
            assert_eq!(p, parts, "{case}");
        }
    }

    #[test]
    fn windows_like_pathlib() {
        assert_eq!(
            win(&["C:/x/y"]),
            (
                "PureWindowsPath('C:/x/y')".into(),
                "C:\\x\\y".into(),
                vec!["C:\\".into(), "x".into(), "y".into()]
            )
        );
        assert_eq!(win(&["c:x"]).2, ["c:", "x"]);
        assert_eq!(win(&["//srv/share/x"]).1, "\\\\srv\\share\\x");
        assert_eq!(win(&["//srv/share/x"]).2, ["\\\\srv\\share\\", "x"]);
        assert_eq!(win(&["//srv/share"]).0, "PureWindowsPath('//srv/share/')");
        assert_eq!(win(&["/x"]).2, ["\\", "x"]);
        assert_eq!(win(&["C:"]).1, "C:");
        assert_eq!(win(&["C:/"]).1, "C:\\");
        assert_eq!(win(&[""]).0, "PureWindowsPath('.')");
        assert_eq!(
            win(&["C:/a", "/b", "D:c", "e"]).0,
            "PureWindowsPath('D:c/e')"
        );
    }
}
