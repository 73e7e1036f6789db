//! `ipaddress`'s addresses, networks and interfaces. CPython pickles each as a call of its
//! class with one argument: `IPv4Address(int)`, `IPv6Address(str)` (`IPv6Address(int)` before
//! 3.11, which could not keep a scope id), and `IPv4Network('10.0.0.0/8')`,
//! `IPv6Interface('fe80::1%eth0/64')`: the `str()` of the object.

use std::fmt::{self, Display, Formatter};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use super::{call_args, call_object, invalid, via_value, FromPlain};
use crate::error::Error;
use crate::value::display::write_str_repr;
use crate::value::{Object, Value};

/// An `ipaddress.IPv4Address` or `IPv6Address`, an IPv6 one perhaps with a scope id
/// (`fe80::1%eth0`, Python 3.9+).
///
/// It reads from a pickle of either class, and from its `str()` (`"192.0.2.1"`) in other
/// formats; it writes the object CPython 3.11+ writes. A plain [`std::net::IpAddr`] (or
/// `Ipv4Addr`, `Ipv6Addr`) field reads such an object too, from its `str()`, but writes a str.
///
/// ```
/// use pypickle::stdlib::IpAddress;
/// use std::net::Ipv4Addr;
/// let a = IpAddress::from(Ipv4Addr::new(192, 0, 2, 1));
/// assert_eq!(a.to_string(), "IPv4Address('192.0.2.1')");
/// let back: IpAddress = pypickle::from_slice(&pypickle::to_vec(&a)?)?;
/// assert_eq!(back, a);
/// let scoped: IpAddress = "fe80::1%eth0".parse()?;
/// assert_eq!((scoped.addr().to_string().as_str(), scoped.scope_id()), ("fe80::1", Some("eth0")));
/// # Ok::<(), pypickle::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct IpAddress {
    addr: IpAddr,
    scope_id: Option<String>,
}

impl IpAddress {
    /// The address, with no scope id.
    pub fn new(addr: impl Into<IpAddr>) -> IpAddress {
        IpAddress {
            addr: addr.into(),
            scope_id: None,
        }
    }

    /// With the scope id `scope` (the part after `%`): an IPv6 address only, and as Python
    /// takes it, not empty and without `%` or `/`.
    pub fn with_scope_id(mut self, scope: &str) -> Result<IpAddress, Error> {
        if self.addr.is_ipv4() {
            return Err(invalid("IPv4Address", "an IPv4 address has no scope id"));
        }
        check_scope(scope)?;
        self.scope_id = Some(scope.to_string());
        Ok(self)
    }

    /// The address.
    pub fn addr(&self) -> IpAddr {
        self.addr
    }

    /// The scope id of an IPv6 address, if it has one.
    pub fn scope_id(&self) -> Option<&str> {
        self.scope_id.as_deref()
    }

    /// The Python class: `IPv4Address` or `IPv6Address`.
    fn class(&self) -> &'static str {
        match self.addr {
            IpAddr::V4(_) => "IPv4Address",
            IpAddr::V6(_) => "IPv6Address",
        }
    }

    /// The address's bits: 32 or 128.
    fn bits(&self) -> u8 {
        match self.addr {
            IpAddr::V4(_) => 32,
            IpAddr::V6(_) => 128,
        }
    }

    /// The address as an integer (`int(address)`).
    fn as_u128(&self) -> u128 {
        match self.addr {
            IpAddr::V4(a) => u128::from(u32::from(a)),
            IpAddr::V6(a) => u128::from(a),
        }
    }

    pub(crate) fn from_object(obj: &Object) -> Result<IpAddress, Error> {
        let name = obj.class.name.as_str();
        let v6 = match name {
            "IPv4Address" => false,
            "IPv6Address" => true,
            _ => {
                return Err(invalid(
                    "ipaddress address",
                    format_args!("not a class: {name}"),
                ))
            }
        };
        let [arg] = call_args(obj, name)? else {
            return Err(invalid(name, "expected one argument"));
        };
        // The integer (every CPython but IPv6 from 3.11), the text, or the packed bytes.
        let int = match arg {
            Value::Int(i) => u128::try_from(*i).ok(),
            Value::BigInt(b) => b.to_u128(),
            Value::Bytes(b) if v6 => <[u8; 16]>::try_from(b.as_slice())
                .ok()
                .map(u128::from_be_bytes),
            Value::Bytes(b) => <[u8; 4]>::try_from(b.as_slice())
                .ok()
                .map(|b| u32::from_be_bytes(b).into()),
            Value::Str(s) => return parse_address(s, Some(v6)),
            other => return Err(invalid(name, format_args!("unexpected argument {other}"))),
        };
        let addr = match (v6, int) {
            (false, Some(n)) => u32::try_from(n).ok().map(|n| IpAddr::V4(n.into())),
            (true, Some(n)) => Some(IpAddr::V6(n.into())),
            (_, None) => None,
        };
        addr.map(IpAddress::new)
            .ok_or_else(|| invalid(name, format_args!("{arg} is not an address")))
    }
}

impl From<IpAddr> for IpAddress {
    fn from(addr: IpAddr) -> IpAddress {
        IpAddress::new(addr)
    }
}

impl From<Ipv4Addr> for IpAddress {
    fn from(addr: Ipv4Addr) -> IpAddress {
        IpAddress::new(addr)
    }
}

impl From<Ipv6Addr> for IpAddress {
    fn from(addr: Ipv6Addr) -> IpAddress {
        IpAddress::new(addr)
    }
}

impl Display for IpAddress {
    /// Python's `repr()`: `IPv4Address('192.0.2.1')`, `IPv6Address('fe80::1%eth0')`.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write_repr(f, self.class(), &self.python_str())
    }
}

impl IpAddress {
    /// Python's `str()`: `192.0.2.1`, `fe80::1%eth0`, an IPv6 address in the compressed
    /// form CPython 3.8-3.12 print (3.13 prints an IPv4-mapped one as `::ffff:192.0.2.1`,
    /// and reads both).
    pub fn python_str(&self) -> String {
        let mut s = match self.addr {
            IpAddr::V4(a) => a.to_string(),
            IpAddr::V6(a) => ipv6_text(a),
        };
        if let Some(scope) = &self.scope_id {
            s.push('%');
            s.push_str(scope);
        }
        s
    }
}

impl From<IpAddress> for Value {
    /// `IPv4Address(int)` or `IPv6Address(str)`, as CPython 3.11+ writes them (CPython 3.8+
    /// loads both; one with a scope id needs 3.9+).
    fn from(a: IpAddress) -> Value {
        let arg = match a.addr {
            IpAddr::V4(v4) => Value::Int(i64::from(u32::from(v4))),
            IpAddr::V6(_) => Value::Str(a.python_str()),
        };
        Value::Object(Box::new(call_object("ipaddress", a.class(), vec![arg])))
    }
}

impl FromStr for IpAddress {
    type Err = Error;

    /// Python's `str()` of an address: `192.0.2.1`, `fe80::1%eth0`.
    fn from_str(s: &str) -> Result<IpAddress, Error> {
        parse_address(s, None)
    }
}

impl FromPlain for IpAddress {
    fn from_plain(v: &Value) -> Option<Result<Self, Error>> {
        Some(v.as_str()?.parse())
    }
}

via_value!(IpAddress);

impl TryFrom<&Value> for IpAddress {
    type Error = Error;
    fn try_from(v: &Value) -> Result<Self, Error> {
        IpAddress::from_object(expect_ipaddress(v, &["IPv4Address", "IPv6Address"])?)
    }
}

/// What makes an address a network or an interface: the address and its prefix length.
macro_rules! prefixed {
    ($t:ident, $kind:literal, $v4:literal, $v6:literal, $example:literal, $repr:literal) => {
        impl $t {
            /// The address.
            pub fn addr(&self) -> &IpAddress {
                &self.addr
            }

            /// The prefix length: up to 32 for IPv4, 128 for IPv6.
            pub fn prefix_len(&self) -> u8 {
                self.prefix
            }

            fn class(&self) -> &'static str {
                match self.addr.addr {
                    IpAddr::V4(_) => $v4,
                    IpAddr::V6(_) => $v6,
                }
            }

            /// Python's `str()`: `address/prefix`.
            pub fn python_str(&self) -> String {
                format!("{}/{}", self.addr.python_str(), self.prefix)
            }

            pub(crate) fn from_object(obj: &Object) -> Result<$t, Error> {
                let name = obj.class.name.as_str();
                let v6 = match name {
                    $v4 => false,
                    $v6 => true,
                    _ => return Err(invalid($kind, format_args!("not a class: {name}"))),
                };
                match call_args(obj, name)? {
                    [Value::Str(s)] => {
                        let (addr, prefix) = parse_prefixed(s, Some(v6))?;
                        $t::new(addr, prefix)
                    }
                    _ => Err(invalid(name, "expected one str argument")),
                }
            }
        }

        impl Display for $t {
            #[doc = concat!("Python's `repr()`: `", $repr, "`.")]
            fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
                write_repr(f, self.class(), &self.python_str())
            }
        }

        impl From<$t> for Value {
            #[doc = concat!("`", $v4, "(str)` or `", $v6, "(str)`, as CPython writes them.")]
            fn from(n: $t) -> Value {
                let arg = Value::Str(n.python_str());
                Value::Object(Box::new(call_object("ipaddress", n.class(), vec![arg])))
            }
        }

        impl FromStr for $t {
            type Err = Error;

            #[doc = concat!("Python's `str()` of one: `", $example, "`; without a prefix, the whole address.")]
            fn from_str(s: &str) -> Result<$t, Error> {
                let (addr, prefix) = parse_prefixed(s, None)?;
                $t::new(addr, prefix)
            }
        }

        impl FromPlain for $t {
            fn from_plain(v: &Value) -> Option<Result<Self, Error>> {
                Some(v.as_str()?.parse())
            }
        }

        via_value!($t);

        impl TryFrom<&Value> for $t {
            type Error = Error;
            fn try_from(v: &Value) -> Result<Self, Error> {
                $t::from_object(expect_ipaddress(v, &[$v4, $v6])?)
            }
        }
    };
}

/// An `ipaddress.IPv4Network` or `IPv6Network`: an address with no bits set past its prefix.
///
/// ```
/// use pypickle::stdlib::IpNetwork;
/// let n: IpNetwork = "10.0.0.0/8".parse()?;
/// assert_eq!(n.to_string(), "IPv4Network('10.0.0.0/8')");
/// assert_eq!(n.prefix_len(), 8);
/// assert!("10.0.0.1/8".parse::<IpNetwork>().is_err()); // host bits set, as Python refuses
/// # Ok::<(), pypickle::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct IpNetwork {
    addr: IpAddress,
    prefix: u8,
}

impl IpNetwork {
    /// The network of `addr` and `prefix`: an error if the prefix is longer than the address
    /// or the address has bits set past it (Python's `strict=True`).
    pub fn new(addr: impl Into<IpAddress>, prefix: u8) -> Result<IpNetwork, Error> {
        let (addr, class) = check_prefix(addr.into(), prefix, ["IPv4Network", "IPv6Network"])?;
        let host_bits = u128::MAX.checked_shr(u32::from(prefix) + 128 - u32::from(addr.bits()));
        if addr.as_u128() & host_bits.unwrap_or(0) != 0 {
            return Err(invalid(
                class,
                format_args!("{}/{prefix} has host bits set", addr.python_str()),
            ));
        }
        Ok(IpNetwork { addr, prefix })
    }
}

prefixed!(
    IpNetwork,
    "ipaddress network",
    "IPv4Network",
    "IPv6Network",
    "10.0.0.0/8",
    "IPv4Network('10.0.0.0/8')"
);

/// An `ipaddress.IPv4Interface` or `IPv6Interface`: an address and the prefix of its network.
///
/// ```
/// use pypickle::stdlib::IpInterface;
/// let i: IpInterface = "fe80::1%eth0/64".parse()?;
/// assert_eq!(i.to_string(), "IPv6Interface('fe80::1%eth0/64')");
/// assert_eq!((i.addr().scope_id(), i.prefix_len()), (Some("eth0"), 64));
/// # Ok::<(), pypickle::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct IpInterface {
    addr: IpAddress,
    prefix: u8,
}

impl IpInterface {
    /// The interface `addr/prefix`: an error if the prefix is longer than the address.
    pub fn new(addr: impl Into<IpAddress>, prefix: u8) -> Result<IpInterface, Error> {
        let (addr, _) = check_prefix(addr.into(), prefix, ["IPv4Interface", "IPv6Interface"])?;
        Ok(IpInterface { addr, prefix })
    }
}

prefixed!(
    IpInterface,
    "ipaddress interface",
    "IPv4Interface",
    "IPv6Interface",
    "192.0.2.1/24",
    "IPv4Interface('192.0.2.1/24')"
);

/// Python's `repr()` of every `ipaddress` object: its class called with its `str()`,
/// `IPv4Network('10.0.0.0/8')`.
fn write_repr(f: &mut Formatter<'_>, class: &str, text: &str) -> fmt::Result {
    write!(f, "{class}(")?;
    write_str_repr(f, text)?;
    f.write_str(")")
}

/// `addr` if `prefix` fits it, and which of the `[IPv4, IPv6]` classes it makes.
fn check_prefix(
    addr: IpAddress,
    prefix: u8,
    [v4, v6]: [&'static str; 2],
) -> Result<(IpAddress, &'static str), Error> {
    let class = if addr.addr.is_ipv4() { v4 } else { v6 };
    if prefix > addr.bits() {
        return Err(invalid(
            class,
            format_args!("prefix /{prefix} is longer than the address"),
        ));
    }
    Ok((addr, class))
}

/// A scope id as Python takes it: not empty, without `%` or `/`.
fn check_scope(scope: &str) -> Result<(), Error> {
    if scope.is_empty() || scope.contains(['%', '/']) {
        return Err(invalid(
            "IPv6Address",
            format_args!("invalid scope id {scope:?}"),
        ));
    }
    Ok(())
}

/// The object in `v` if it is an instance of one of the `ipaddress` `classes`.
fn expect_ipaddress<'a>(v: &'a Value, classes: &[&str]) -> Result<&'a Object, Error> {
    match v {
        Value::Object(o)
            if o.class.module == "ipaddress" && classes.contains(&o.class.name.as_str()) =>
        {
            Ok(o)
        }
        _ => super::expect_object(v, "ipaddress", &classes.join(" or ipaddress.")),
    }
}

/// An address as Python's `str()` writes it (`v6`: which version the class wants, if one).
/// Strict where Python's constructors are: no leading zeros in IPv4 octets, no `/`.
fn parse_address(s: &str, v6: Option<bool>) -> Result<IpAddress, Error> {
    let what = match v6 {
        Some(false) => "IPv4Address",
        Some(true) => "IPv6Address",
        None => "IP address",
    };
    let bad = || invalid(what, format_args!("{s:?} is not an address"));
    let (text, scope) = match s.split_once('%') {
        Some((text, scope)) => (text, Some(scope)),
        None => (s, None),
    };
    // Python's parsers take ASCII only (`str.isdigit` would take other digits: it checks).
    if !text.is_ascii() || text.is_empty() {
        return Err(bad());
    }
    let addr = match text.contains(':') {
        false if v6 != Some(true) && scope.is_none() => {
            IpAddr::V4(Ipv4Addr::from_str(text).map_err(|_| bad())?)
        }
        true if v6 != Some(false) => IpAddr::V6(Ipv6Addr::from_str(text).map_err(|_| bad())?),
        _ => return Err(bad()),
    };
    let addr = IpAddress::new(addr);
    match scope {
        Some(scope) => addr.with_scope_id(scope),
        None => Ok(addr),
    }
}

/// `address/prefix` as Python's `str()` of a network or interface writes it; a prefix of
/// ASCII digits (leading zeros allowed, as Python allows them, up to its 4300 digits), an
/// IPv4 netmask or hostmask, or none for the whole address.
fn parse_prefixed(s: &str, v6: Option<bool>) -> Result<(IpAddress, u8), Error> {
    let (text, prefix) = match s.split_once('/') {
        Some((text, prefix)) => (text, Some(prefix)),
        None => (s, None),
    };
    let addr = parse_address(text, v6)?;
    let prefix = match prefix {
        None => addr.bits(),
        Some(p)
            if !p.is_empty()
                && p.len() <= crate::value::bigint::MAX_STR_DIGITS
                && p.bytes().all(|b| b.is_ascii_digit()) =>
        {
            let digits = p.trim_start_matches('0');
            match digits.parse::<u8>() {
                Ok(n) => n,
                Err(_) if digits.is_empty() => 0,
                Err(_) => u8::MAX,
            }
        }
        // An IPv4 netmask (`255.0.0.0`) or hostmask (`0.255.255.255`), as Python takes them.
        Some(p) => match (addr.addr, Ipv4Addr::from_str(p)) {
            (IpAddr::V4(_), Ok(mask)) if p.is_ascii() => {
                let mask = u32::from(mask);
                let ones = |m: u32| {
                    (m.leading_ones() + m.trailing_zeros() == 32).then_some(m.leading_ones())
                };
                match ones(mask).or_else(|| ones(!mask)) {
                    Some(n) => n as u8,
                    None => return Err(not_a_prefix(p)),
                }
            }
            _ => return Err(not_a_prefix(p)),
        },
    };
    Ok((addr, prefix))
}

#[cold]
fn not_a_prefix(p: &str) -> Error {
    invalid(
        "ipaddress network",
        format_args!("{p:?} is not a prefix length or netmask"),
    )
}

/// An IPv6 address as CPython 3.8-3.12 print it: lower-case hex groups without leading zeros,
/// the longest run of two or more zero groups (the first of equals) as `::`.
fn ipv6_text(a: Ipv6Addr) -> String {
    let groups = a.segments();
    let (mut best, mut run) = ((0, 0), (0, 0));
    for (i, g) in groups.iter().enumerate() {
        if *g == 0 {
            run = if run.1 == 0 {
                (i, 1)
            } else {
                (run.0, run.1 + 1)
            };
            if run.1 > best.1 {
                best = run;
            }
        } else {
            run = (0, 0);
        }
    }
    let hex = |gs: &[u16]| {
        gs.iter()
            .map(|g| format!("{g:x}"))
            .collect::<Vec<_>>()
            .join(":")
    };
    if best.1 < 2 {
        return hex(&groups);
    }
    let (start, end) = (best.0, best.0 + best.1);
    format!("{}::{}", hex(&groups[..start]), hex(&groups[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_text_compresses_as_cpython() {
        for (text, want) in [
            ("::", "::"),
            ("1::", "1::"),
            ("::1", "::1"),
            ("1:0:0:2:0:0:3:4", "1::2:0:0:3:4"),
            ("1:0:0:1:0:0:0:1", "1:0:0:1::1"),
            ("1:2:3:4:5:6:7:0", "1:2:3:4:5:6:7:0"),
            ("0:0:1::", "0:0:1::"),
            ("::ffff:1.2.3.4", "::ffff:102:304"),
            ("FE80::0001", "fe80::1"),
        ] {
            assert_eq!(ipv6_text(text.parse().unwrap()), want, "{text}");
        }
    }

    #[test]
    fn prefixes_and_scopes_are_checked_as_python_checks_them() {
        assert!("10.0.0.0/33".parse::<IpNetwork>().is_err());
        assert!("10.0.0.0/+8".parse::<IpNetwork>().is_err());
        assert!("10.0.0.0/".parse::<IpNetwork>().is_err());
        assert_eq!("10.0.0.0/008".parse::<IpNetwork>().unwrap().prefix_len(), 8);
        // Python's int() takes 4300 digits at most, leading zeros counted (found by a review).
        let prefix = |zeros: usize| format!("10.0.0.0/{}8", "0".repeat(zeros));
        assert_eq!(prefix(4299).parse::<IpNetwork>().unwrap().prefix_len(), 8);
        assert!(prefix(4300).parse::<IpNetwork>().is_err());
        assert_eq!("::/0".parse::<IpNetwork>().unwrap().prefix_len(), 0);
        assert_eq!("1.2.3.4".parse::<IpInterface>().unwrap().prefix_len(), 32);
        assert!("1.2.3.4%x".parse::<IpAddress>().is_err());
        assert!("fe80::1%".parse::<IpAddress>().is_err());
        assert!("fe80::1%a%b".parse::<IpAddress>().is_err());
        assert!("01.2.3.4".parse::<IpAddress>().is_err());
        assert!(" 1.2.3.4".parse::<IpAddress>().is_err());
        assert!(IpAddress::from(Ipv4Addr::LOCALHOST)
            .with_scope_id("x")
            .is_err());
    }
}
