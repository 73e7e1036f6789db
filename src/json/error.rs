//! The error of the JSON mapping: what went wrong and where, as a JSON pointer.

use std::fmt;

/// `Result<T, pypickle::json::Error>`.
pub type Result<T> = std::result::Result<T, Error>;

/// Why a value could not be mapped to or from JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A global or an object, which the options do not let through
    /// ([`JsonOptions::objects`](super::JsonOptions::objects)).
    Refused,
    /// JSON that is not a form of the mapping: an unknown `$` tag, a tag with the wrong kind
    /// of content, malformed base64, an integer that is not decimal digits, ...
    Invalid,
    /// Nesting deeper than [`JsonOptions::max_depth`](super::JsonOptions::max_depth).
    Depth,
}

/// An error of [`to_json`](super::to_json) or [`from_json`](super::from_json).
///
/// [`pointer`](Error::pointer) says where: a JSON pointer (RFC 6901) into the JSON document,
/// the one read by `from_json` or the one `to_json` would have written.
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    /// Path segments, innermost first (pushed while the error travels outwards).
    rev_path: Vec<String>,
}

impl Error {
    #[cold]
    pub(super) fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
            rev_path: Vec::new(),
        }
    }

    #[cold]
    pub(super) fn invalid(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Invalid, message)
    }

    /// The same error, one level further out: `segment` is the key or index of the place
    /// where it happened inside its container.
    #[cold]
    pub(super) fn within(mut self, segment: impl ToString) -> Error {
        self.rev_path.push(segment.to_string());
        self
    }

    /// What kind of error this is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Where in the JSON document: a JSON pointer such as `/items/$tuple/2`, `""` for the
    /// top level.
    pub fn pointer(&self) -> String {
        let mut s = String::new();
        for seg in self.rev_path.iter().rev() {
            s.push('/');
            s.push_str(&seg.replace('~', "~0").replace('/', "~1"));
        }
        s
    }

    /// The message without the position.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.rev_path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{} (at JSON pointer {:?})", self.message, self.pointer())
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.kind)
            .field("pointer", &self.pointer())
            .field("message", &self.message)
            .finish()
    }
}

impl std::error::Error for Error {}
