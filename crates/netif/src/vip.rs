//! A virtual IP address as pulse brings it up: address, prefix, broadcast and label, worked
//! out without I/O (spec §2.8).

use std::net::Ipv4Addr;

use thiserror::Error;

/// Longest interface name or address label the kernel stores (`IFNAMSIZ` - 1).
pub const MAX_LABEL_LEN: usize = 15;

/// A VIP to bring up or release: what `ifconfig DEV VIP netmask MASK broadcast BCAST up`
/// did, as `ip addr add VIP/LEN brd BCAST dev BASEDEV label DEV`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Vip {
    address: Ipv4Addr,
    prefix_len: u8,
    broadcast: Option<Ipv4Addr>,
    label: String,
}

impl Vip {
    /// The VIP `address` with lvs.cf's `vip_nmask` (`None` or `0.0.0.0` when not set) on
    /// `device`, the configured device such as `eth0:1`.
    ///
    /// With a netmask the prefix is its length and the broadcast address
    /// `(address & mask) | !mask`, as pulse computes it. Without one the address gets a
    /// `/32` and no broadcast address. This deliberately differs from Piranha, whose
    /// `ifconfig DEV VIP up` applied the classful default mask (a /8 for 10.x) and so routed
    /// a whole class network to the VIP's interface (spec §8 item 19).
    ///
    /// # Errors
    /// [`VipError`] for a netmask whose one bits are not contiguous, an empty device, an
    /// empty base device (`:1`) or a device longer than 15 bytes.
    pub fn new(address: Ipv4Addr, netmask: Option<Ipv4Addr>, device: &str) -> Result<Vip, VipError> {
        if device.is_empty() || base_device(device).is_empty() {
            return Err(VipError::Device(device.to_owned()));
        }
        if device.len() > MAX_LABEL_LEN {
            return Err(VipError::DeviceTooLong(device.to_owned()));
        }
        let (prefix_len, broadcast) = match netmask.filter(|m| !m.is_unspecified()) {
            None => (32, None),
            Some(mask) => {
                let bits = u32::from(mask);
                if bits.leading_ones() + bits.trailing_zeros() != 32 {
                    return Err(VipError::Netmask(mask));
                }
                let broadcast = (u32::from(address) & bits) | !bits;
                (prefix_len_of(bits), Some(Ipv4Addr::from(broadcast)))
            }
        };
        Ok(Vip { address, prefix_len, broadcast, label: device.to_owned() })
    }

    /// The address.
    pub fn address(&self) -> Ipv4Addr {
        self.address
    }

    /// The prefix length, 32 when no netmask was configured.
    pub fn prefix_len(&self) -> u8 {
        self.prefix_len
    }

    /// The broadcast address, when a netmask was configured.
    pub fn broadcast(&self) -> Option<Ipv4Addr> {
        self.broadcast
    }

    /// The address label: the device exactly as configured (`eth0:1`).
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The interface that carries the address and sends its ARP frames: the label up to
    /// its first `:` (`eth0`).
    pub fn base_device(&self) -> &str {
        base_device(&self.label)
    }
}

/// `eth0:1` → `eth0`: a device name truncated at its first `:` (spec §2.8 BASEDEV).
pub fn base_device(device: &str) -> &str {
    device.split_once(':').map_or(device, |(base, _)| base)
}

fn prefix_len_of(contiguous_mask: u32) -> u8 {
    u8::try_from(contiguous_mask.leading_ones()).expect("a u32 has at most 32 one bits")
}

/// Why a configured VIP cannot be brought up.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum VipError {
    /// The netmask's one bits are not contiguous (the kernel refuses such masks).
    #[error("netmask {0} is not contiguous")]
    Netmask(Ipv4Addr),
    /// No device, or no interface name before the `:`.
    #[error("invalid VIP device `{0}`")]
    Device(String),
    /// Longer than the kernel's 15-byte limit for labels.
    #[error("VIP device `{0}` is longer than 15 bytes")]
    DeviceTooLong(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> Ipv4Addr {
        text.parse().expect("test address")
    }

    #[test]
    fn spec_2_8_netmask_gives_prefix_and_broadcast() {
        let vip = Vip::new(ip("192.168.10.50"), Some(ip("255.255.255.0")), "eth0:1").unwrap();
        assert_eq!(vip.prefix_len(), 24);
        assert_eq!(vip.broadcast(), Some(ip("192.168.10.255")));
        assert_eq!(vip.label(), "eth0:1");
        assert_eq!(vip.base_device(), "eth0");

        let vip = Vip::new(ip("10.1.2.3"), Some(ip("255.255.240.0")), "bond0:web").unwrap();
        assert_eq!((vip.prefix_len(), vip.broadcast()), (20, Some(ip("10.1.15.255"))));
        assert_eq!(vip.base_device(), "bond0");

        let host = Vip::new(ip("10.1.2.3"), Some(ip("255.255.255.255")), "eth0:1").unwrap();
        assert_eq!((host.prefix_len(), host.broadcast()), (32, Some(ip("10.1.2.3"))));
    }

    #[test]
    fn spec_8_19_no_netmask_is_a_host_address_not_classful() {
        for mask in [None, Some(Ipv4Addr::UNSPECIFIED)] {
            let vip = Vip::new(ip("10.0.0.5"), mask, "eth0:1").unwrap();
            assert_eq!((vip.prefix_len(), vip.broadcast()), (32, None));
        }
    }

    #[test]
    fn bare_device_is_its_own_base() {
        let vip = Vip::new(ip("10.0.0.5"), None, "eth1").unwrap();
        assert_eq!((vip.label(), vip.base_device()), ("eth1", "eth1"));
        assert_eq!(base_device("eth0:1:2"), "eth0");
    }

    #[test]
    fn invalid_vips() {
        let vip = |mask: &str, dev: &str| Vip::new(ip("10.0.0.5"), Some(ip(mask)), dev);
        assert_eq!(vip("255.0.255.0", "eth0:1"), Err(VipError::Netmask(ip("255.0.255.0"))));
        assert_eq!(vip("0.255.255.255", "eth0:1"), Err(VipError::Netmask(ip("0.255.255.255"))));
        assert_eq!(vip("255.0.0.0", ""), Err(VipError::Device(String::new())));
        assert_eq!(vip("255.0.0.0", ":1"), Err(VipError::Device(":1".into())));
        assert_eq!(vip("255.0.0.0", "eth0:123456789a").map(|v| v.prefix_len()), Ok(8));
        assert_eq!(
            vip("255.0.0.0", "eth0:123456789ab"),
            Err(VipError::DeviceTooLong("eth0:123456789ab".into()))
        );
    }
}
