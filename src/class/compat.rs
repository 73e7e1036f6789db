//! Python 2 module and global names, mapped to their Python 3 homes the way CPython's
//! `_compat_pickle` maps them when it loads a protocol 0-2 pickle.

/// Python 2 modules that were renamed (whole module).
const MODULES: &[(&str, &str)] = &[
    ("__builtin__", "builtins"),
    ("copy_reg", "copyreg"),
    ("Queue", "queue"),
    ("SocketServer", "socketserver"),
    ("ConfigParser", "configparser"),
    ("repr", "reprlib"),
    ("tkFileDialog", "tkinter.filedialog"),
    ("tkSimpleDialog", "tkinter.simpledialog"),
    ("tkColorChooser", "tkinter.colorchooser"),
    ("tkCommonDialog", "tkinter.commondialog"),
    ("Dialog", "tkinter.dialog"),
    ("Tkdnd", "tkinter.dnd"),
    ("tkFont", "tkinter.font"),
    ("tkMessageBox", "tkinter.messagebox"),
    ("ScrolledText", "tkinter.scrolledtext"),
    ("Tkconstants", "tkinter.constants"),
    ("Tix", "tkinter.tix"),
    ("ttk", "tkinter.ttk"),
    ("Tkinter", "tkinter"),
    ("markupbase", "_markupbase"),
    ("_winreg", "winreg"),
    ("thread", "_thread"),
    ("dummy_thread", "_dummy_thread"),
    ("dbhash", "dbm.bsd"),
    ("dumbdbm", "dbm.dumb"),
    ("dbm", "dbm.ndbm"),
    ("gdbm", "dbm.gnu"),
    ("xmlrpclib", "xmlrpc.client"),
    ("SimpleXMLRPCServer", "xmlrpc.server"),
    ("httplib", "http.client"),
    ("htmlentitydefs", "html.entities"),
    ("HTMLParser", "html.parser"),
    ("Cookie", "http.cookies"),
    ("cookielib", "http.cookiejar"),
    ("BaseHTTPServer", "http.server"),
    ("test.test_support", "test.support"),
    ("commands", "subprocess"),
    ("urlparse", "urllib.parse"),
    ("robotparser", "urllib.robotparser"),
    ("urllib2", "urllib.request"),
    ("anydbm", "dbm"),
    ("_abcoll", "collections.abc"),
    ("cPickle", "pickle"),
    ("_elementtree", "xml.etree.ElementTree"),
    ("FileDialog", "tkinter.filedialog"),
    ("SimpleDialog", "tkinter.simpledialog"),
    ("DocXMLRPCServer", "xmlrpc.server"),
    ("SimpleHTTPServer", "http.server"),
    ("CGIHTTPServer", "http.server"),
    ("UserDict", "collections"),
    ("UserList", "collections"),
    ("UserString", "collections"),
    ("whichdb", "dbm"),
    ("StringIO", "io"),
    ("cStringIO", "io"),
];

/// Python 2 globals that moved individually: `(module, name) -> (module, name)`.
/// A `(module, name)` pair.
type Name = (&'static str, &'static str);

const NAMES: &[(Name, Name)] = &[
    (("__builtin__", "xrange"), ("builtins", "range")),
    (("__builtin__", "reduce"), ("functools", "reduce")),
    (("__builtin__", "intern"), ("sys", "intern")),
    (("__builtin__", "unichr"), ("builtins", "chr")),
    (("__builtin__", "unicode"), ("builtins", "str")),
    (("__builtin__", "long"), ("builtins", "int")),
    (("__builtin__", "basestring"), ("builtins", "str")),
    (("itertools", "izip"), ("builtins", "zip")),
    (("itertools", "imap"), ("builtins", "map")),
    (("itertools", "ifilter"), ("builtins", "filter")),
    (("itertools", "ifilterfalse"), ("itertools", "filterfalse")),
    (("itertools", "izip_longest"), ("itertools", "zip_longest")),
    (
        ("UserDict", "IterableUserDict"),
        ("collections", "UserDict"),
    ),
    (("UserList", "UserList"), ("collections", "UserList")),
    (("UserString", "UserString"), ("collections", "UserString")),
    (("whichdb", "whichdb"), ("dbm", "whichdb")),
    (("_socket", "fromfd"), ("socket", "fromfd")),
    (
        ("_multiprocessing", "Connection"),
        ("multiprocessing.connection", "Connection"),
    ),
    (
        ("multiprocessing.process", "Process"),
        ("multiprocessing.context", "Process"),
    ),
    (
        ("multiprocessing.forking", "Popen"),
        ("multiprocessing.popen_fork", "Popen"),
    ),
    (
        ("urllib", "ContentTooShortError"),
        ("urllib.error", "ContentTooShortError"),
    ),
    (("urllib", "getproxies"), ("urllib.request", "getproxies")),
    (
        ("urllib", "pathname2url"),
        ("urllib.request", "pathname2url"),
    ),
    (("urllib", "quote_plus"), ("urllib.parse", "quote_plus")),
    (("urllib", "quote"), ("urllib.parse", "quote")),
    (("urllib", "unquote_plus"), ("urllib.parse", "unquote_plus")),
    (("urllib", "unquote"), ("urllib.parse", "unquote")),
    (
        ("urllib", "url2pathname"),
        ("urllib.request", "url2pathname"),
    ),
    (("urllib", "urlcleanup"), ("urllib.request", "urlcleanup")),
    (("urllib", "urlencode"), ("urllib.parse", "urlencode")),
    (("urllib", "urlopen"), ("urllib.request", "urlopen")),
    (("urllib", "urlretrieve"), ("urllib.request", "urlretrieve")),
    (("urllib2", "HTTPError"), ("urllib.error", "HTTPError")),
    (("urllib2", "URLError"), ("urllib.error", "URLError")),
    (("UserDict", "UserDict"), ("collections", "UserDict")),
    (("socket", "_socketobject"), ("socket", "SocketType")),
    (
        ("multiprocessing", "AuthenticationError"),
        ("multiprocessing.context", "AuthenticationError"),
    ),
    (
        ("multiprocessing", "BufferTooShort"),
        ("multiprocessing.context", "BufferTooShort"),
    ),
    (
        ("multiprocessing", "ProcessError"),
        ("multiprocessing.context", "ProcessError"),
    ),
    (
        ("multiprocessing", "TimeoutError"),
        ("multiprocessing.context", "TimeoutError"),
    ),
];

/// Python 2 exception names that moved from `exceptions` to `builtins`.
const EXCEPTIONS: &[&str] = &[
    "ArithmeticError",
    "AssertionError",
    "AttributeError",
    "BaseException",
    "BufferError",
    "BytesWarning",
    "DeprecationWarning",
    "EOFError",
    "EnvironmentError",
    "Exception",
    "FloatingPointError",
    "FutureWarning",
    "GeneratorExit",
    "IOError",
    "ImportError",
    "ImportWarning",
    "IndentationError",
    "IndexError",
    "KeyError",
    "KeyboardInterrupt",
    "LookupError",
    "MemoryError",
    "NameError",
    "NotImplementedError",
    "OSError",
    "OverflowError",
    "PendingDeprecationWarning",
    "ReferenceError",
    "RuntimeError",
    "RuntimeWarning",
    "StopIteration",
    "SyntaxError",
    "SyntaxWarning",
    "SystemError",
    "SystemExit",
    "TabError",
    "TypeError",
    "UnboundLocalError",
    "UnicodeDecodeError",
    "UnicodeEncodeError",
    "UnicodeError",
    "UnicodeTranslateError",
    "UnicodeWarning",
    "UserWarning",
    "ValueError",
    "Warning",
    "ZeroDivisionError",
];

/// Map a Python 2 `(module, name)` to its Python 3 name, as CPython does for protocols < 3.
pub(crate) fn fix_import<'a>(module: &'a str, name: &'a str) -> (&'a str, &'a str) {
    if let Some((_, to)) = NAMES.iter().find(|(from, _)| *from == (module, name)) {
        return *to;
    }
    if module == "exceptions" {
        if EXCEPTIONS.contains(&name) {
            return ("builtins", name);
        }
        if name == "StandardError" {
            return ("builtins", "Exception");
        }
    }
    if let Some((_, to)) = MODULES.iter().find(|(from, _)| *from == module) {
        return (to, name);
    }
    (module, name)
}

#[cfg(test)]
mod tests {
    use super::fix_import;

    #[test]
    fn python2_names_map_like_cpython() {
        assert_eq!(fix_import("__builtin__", "set"), ("builtins", "set"));
        assert_eq!(fix_import("__builtin__", "unicode"), ("builtins", "str"));
        assert_eq!(
            fix_import("copy_reg", "_reconstructor"),
            ("copyreg", "_reconstructor")
        );
        assert_eq!(
            fix_import("exceptions", "ValueError"),
            ("builtins", "ValueError")
        );
        assert_eq!(fix_import("commands", "Popen"), ("subprocess", "Popen"));
        assert_eq!(fix_import("mymod", "C"), ("mymod", "C"));
    }
}
