//! Helpers shared by the per-object attribute codecs: typed attribute enums
//! convert to [`DefaultNla`] for emission and parse from an [`NlaBuffer`].

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use netlink_packet_core::{
    DecodeError, DefaultNla, Emitable, NLA_F_NESTED, NlaBuffer, NlasIterator, Parseable, parse_string,
};

/// A typed netlink attribute of one kernel object.
pub(crate) trait Attribute: Sized {
    /// The attribute as a raw kind + value pair (nested ones already emitted).
    fn to_nla(&self) -> DefaultNla;
    /// Parses one attribute; unknown kinds become the `Other` variant.
    fn parse(nla: &NlaBuffer<&[u8]>) -> Result<Self, DecodeError>;
}

/// `AF_INET`.
pub(crate) const AF_INET: u16 = 2;
/// `AF_INET6`.
pub(crate) const AF_INET6: u16 = 10;

/// Emits a list of attributes back to back (each 4-byte aligned).
pub(crate) fn emit_attributes<A: Attribute>(attrs: &[A]) -> Vec<u8> {
    let nlas: Vec<DefaultNla> = attrs.iter().map(Attribute::to_nla).collect();
    let mut buf = vec![0; nlas.as_slice().buffer_len()];
    nlas.as_slice().emit(&mut buf);
    buf
}

/// Parses a run of attributes, as found after a genl header or inside a nest.
pub(crate) fn parse_attributes<A: Attribute>(bytes: &[u8]) -> Result<Vec<A>, DecodeError> {
    NlasIterator::new(bytes).map(|nla| nla.and_then(|nla| A::parse(&nla))).collect()
}

/// A nested attribute holding `attrs` (with `NLA_F_NESTED` set).
pub(crate) fn nested<A: Attribute>(kind: u16, attrs: &[A]) -> DefaultNla {
    DefaultNla::new(kind | NLA_F_NESTED, emit_attributes(attrs))
}

/// An attribute with a raw value.
pub(crate) fn raw(kind: u16, value: &[u8]) -> DefaultNla {
    DefaultNla::new(kind, value.to_vec())
}

/// A NUL-terminated string attribute.
pub(crate) fn string(kind: u16, value: &str) -> DefaultNla {
    let mut bytes = value.as_bytes().to_vec();
    bytes.push(0);
    DefaultNla::new(kind, bytes)
}

/// An unknown attribute, kept verbatim.
pub(crate) fn other(nla: &NlaBuffer<&[u8]>) -> Result<DefaultNla, DecodeError> {
    DefaultNla::parse(nla)
}

/// A fixed-size value, or an error naming the attribute.
pub(crate) fn fixed<const N: usize>(nla: &NlaBuffer<&[u8]>, what: &str) -> Result<[u8; N], DecodeError> {
    nla.value()
        .try_into()
        .map_err(|_| DecodeError::from(format!("{what}: expected {N} bytes, got {}", nla.value().len())))
}

/// A host-order u8.
pub(crate) fn get_u8(nla: &NlaBuffer<&[u8]>, what: &str) -> Result<u8, DecodeError> {
    fixed::<1>(nla, what).map(|b| b[0])
}

/// A host-order u16.
pub(crate) fn get_u16(nla: &NlaBuffer<&[u8]>, what: &str) -> Result<u16, DecodeError> {
    fixed(nla, what).map(u16::from_ne_bytes)
}

/// A network-order u16 (ports).
pub(crate) fn get_be16(nla: &NlaBuffer<&[u8]>, what: &str) -> Result<u16, DecodeError> {
    fixed(nla, what).map(u16::from_be_bytes)
}

/// A host-order u32.
pub(crate) fn get_u32(nla: &NlaBuffer<&[u8]>, what: &str) -> Result<u32, DecodeError> {
    fixed(nla, what).map(u32::from_ne_bytes)
}

/// A NUL-terminated string.
pub(crate) fn get_string(nla: &NlaBuffer<&[u8]>, what: &str) -> Result<String, DecodeError> {
    // Drop anything after the first NUL (the kernel pads fixed-size names).
    let value = nla.value();
    let end = value.iter().position(|b| *b == 0).map_or(value.len(), |n| n + 1);
    parse_string(&value[..end]).map_err(|e| DecodeError::from(format!("{what}: {e}")))
}

/// A `union nf_inet_addr` (16 bytes; IPv4 in the first 4). Shorter values
/// (4 bytes) are accepted too.
pub(crate) fn get_addr(nla: &NlaBuffer<&[u8]>, what: &str) -> Result<[u8; 16], DecodeError> {
    let value = nla.value();
    if value.len() != 4 && value.len() != 16 {
        return Err(DecodeError::from(format!("{what}: expected 4 or 16 bytes, got {}", value.len())));
    }
    let mut bytes = [0; 16];
    bytes[..value.len()].copy_from_slice(value);
    Ok(bytes)
}

/// The 16-byte `nf_inet_addr` form of an address.
pub(crate) fn addr_bytes(addr: IpAddr) -> [u8; 16] {
    match addr {
        IpAddr::V4(a) => {
            let mut bytes = [0; 16];
            bytes[..4].copy_from_slice(&a.octets());
            bytes
        }
        IpAddr::V6(a) => a.octets(),
    }
}

/// The address in `bytes`, read as address family `family`.
pub(crate) fn addr_from(family: u16, bytes: [u8; 16]) -> Result<IpAddr, DecodeError> {
    match family {
        AF_INET => Ok(IpAddr::V4(Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]))),
        AF_INET6 => Ok(IpAddr::V6(Ipv6Addr::from(bytes))),
        other => Err(DecodeError::from(format!("unsupported address family {other}"))),
    }
}

/// A required attribute, or an error naming it.
pub(crate) fn required<T>(value: Option<T>, what: &str) -> Result<T, DecodeError> {
    value.ok_or_else(|| DecodeError::from(format!("missing {what}")))
}
