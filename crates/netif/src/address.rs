//! VIP addresses and link queries over rtnetlink: what pulse did with `ifconfig`,
//! `SIOCGIFHWADDR`, `SIOCGIFCONF` and ethtool.

use std::io;
use std::net::{IpAddr, Ipv4Addr};

use futures::TryStreamExt;
use netlink_packet_route::AddressFamily;
use netlink_packet_route::address::{AddressAttribute, AddressMessage};
use netlink_packet_route::link::{LinkAttribute, LinkFlags, LinkMessage, State};
use thiserror::Error;

use crate::arp::MacAddr;
use crate::garp::ArpTarget;
use crate::vip::Vip;

/// The host's network interfaces, reached over an rtnetlink socket.
///
/// Cheap to clone; every clone shares the one socket.
#[derive(Clone, Debug)]
pub struct Interfaces {
    handle: rtnetlink::Handle,
}

impl Interfaces {
    /// Opens an rtnetlink socket in the calling thread's network namespace and spawns its
    /// connection task on the current tokio runtime.
    ///
    /// # Panics
    /// Outside a tokio runtime.
    ///
    /// # Errors
    /// [`AddressError::Connect`] when the socket cannot be opened.
    pub fn connect() -> Result<Interfaces, AddressError> {
        let (connection, handle, _) = rtnetlink::new_connection().map_err(AddressError::Connect)?;
        tokio::spawn(connection);
        Ok(Interfaces { handle })
    }

    /// Brings a VIP up: `ip addr add VIP/LEN [brd BCAST] dev BASEDEV label DEV`.
    ///
    /// An address already present on the interface counts as success, so a repeated
    /// takeover changes nothing.
    ///
    /// # Errors
    /// [`AddressError::NoSuchLink`] when the base device does not exist, else the kernel's
    /// refusal.
    pub async fn add_vip(&self, vip: &Vip) -> Result<(), AddressError> {
        let index = self.link_index(vip.base_device()).await?;
        self.add_vip_at(index, vip).await
    }

    /// [`Interfaces::add_vip`] on the interface with index `index`, looked up
    /// already (with [`Interfaces::vip_link`]): one request to the kernel.
    ///
    /// # Errors
    /// The kernel's refusal (`ENODEV` when no interface has that index).
    pub async fn add_vip_at(&self, index: u32, vip: &Vip) -> Result<(), AddressError> {
        self.add_at(index, vip).await.map(|_| ())
    }

    /// Brings a VIP up on its base device and returns the device's index and
    /// where the VIP's gratuitous ARPs go (no target on a device without a
    /// MAC), like [`Interfaces::vip_link`] then [`Interfaces::add_vip_at`].
    ///
    /// With `known`, the index the device had when last looked up, the
    /// address is added there while the device is looked up again, the two
    /// requests in flight together: one round trip to the kernel on a
    /// takeover's path instead of two. If the device has another index now
    /// (it was re-created), the address goes to the new one; an address this
    /// call added at the old index (another device's by now, or the same
    /// device renamed) is taken back.
    ///
    /// # Errors
    /// [`AddressError::NoSuchLink`] when the base device does not exist, else the kernel's
    /// refusal.
    pub async fn bring_up_vip(
        &self,
        vip: &Vip,
        known: Option<u32>,
    ) -> Result<(u32, Option<ArpTarget>), AddressError> {
        let Some(guess) = known else {
            let (index, target) = self.vip_link(vip).await?;
            self.add_vip_at(index, vip).await?;
            return Ok((index, target));
        };
        let (added, link) = futures::join!(self.add_at(guess, vip), self.vip_link(vip));
        if matches!(&link, Ok((index, _)) if *index == guess) {
            added?;
            return link;
        }
        // The old index is another device's now, or no device has the VIP's
        // name any more (renamed, removed): take back what went there.
        if let Ok(true) = added {
            self.delete_at(guess, vip).await?;
        }
        let (index, target) = link?;
        self.add_vip_at(index, vip).await?;
        Ok((index, target))
    }

    /// Adds the VIP's address at interface `index`; `Ok(false)` when it was
    /// there already.
    async fn add_at(&self, index: u32, vip: &Vip) -> Result<bool, AddressError> {
        let mut request = self.handle.address().add(index, IpAddr::V4(vip.address()), vip.prefix_len());
        let attributes = &mut request.message_mut().attributes;
        // The builder derives a broadcast from the prefix; ours is the one pulse computes.
        attributes.retain(|a| !matches!(a, AddressAttribute::Broadcast(_)));
        if let Some(broadcast) = vip.broadcast() {
            attributes.push(AddressAttribute::Broadcast(broadcast));
        }
        attributes.push(AddressAttribute::Label(vip.label().to_owned()));
        match request.execute().await {
            Ok(()) => Ok(true),
            Err(e) if errno(&e) == Some(libc::EEXIST) => Ok(false),
            Err(e) => Err(kernel("add address", e)),
        }
    }

    /// Deletes the VIP's address, with its prefix and label, from interface
    /// `index`; one that is gone already counts as success.
    async fn delete_at(&self, index: u32, vip: &Vip) -> Result<(), AddressError> {
        let mut message = AddressMessage::default();
        message.header.family = AddressFamily::Inet;
        message.header.prefix_len = vip.prefix_len();
        message.header.index = index;
        message.attributes.extend([
            AddressAttribute::Local(IpAddr::V4(vip.address())),
            AddressAttribute::Address(IpAddr::V4(vip.address())),
            AddressAttribute::Label(vip.label().to_owned()),
        ]);
        match self.handle.address().del(message).execute().await {
            Err(e) if matches!(errno(&e), Some(libc::EADDRNOTAVAIL | libc::ENODEV)) => Ok(()),
            result => result.map_err(|e| kernel("delete address", e)),
        }
    }

    /// Releases a VIP: deletes the address with this VIP's address and label from its base
    /// device, and nothing else.
    ///
    /// Piranha ran `ifconfig DEV down`, which took the whole NIC down when DEV was a bare
    /// interface name; this removes only the address (spec §8 item 19), and leaves alone
    /// the same address under another label (an administrator's own). A missing address or
    /// a missing interface counts as success.
    ///
    /// # Errors
    /// The kernel's refusal to list or delete addresses.
    pub async fn remove_vip(&self, vip: &Vip) -> Result<(), AddressError> {
        let index = match self.link_index(vip.base_device()).await {
            Err(AddressError::NoSuchLink(_)) => return Ok(()),
            other => other?,
        };
        let messages: Vec<AddressMessage> = self
            .handle
            .address()
            .get()
            .set_link_index_filter(index)
            .set_address_filter(IpAddr::V4(vip.address()))
            .execute()
            .try_collect()
            .await
            .map_err(|e| kernel("list addresses", e))?;
        for message in messages {
            if label(&message) != Some(vip.label()) {
                continue;
            }
            match self.handle.address().del(message).execute().await {
                Err(e) if errno(&e) == Some(libc::EADDRNOTAVAIL) => {}
                result => result.map_err(|e| kernel("delete address", e))?,
            }
        }
        Ok(())
    }

    /// Every IPv4 address of the host, secondaries and labelled aliases included (Piranha
    /// saw only each interface's primary address, spec §8 item 23).
    ///
    /// # Errors
    /// The kernel's refusal to dump addresses.
    pub async fn local_addresses(&self) -> Result<Vec<LocalAddress>, AddressError> {
        let messages: Vec<AddressMessage> = self
            .handle
            .address()
            .get()
            .execute()
            .try_collect()
            .await
            .map_err(|e| kernel("list addresses", e))?;
        Ok(messages.iter().filter_map(LocalAddress::from_message).collect())
    }

    /// The state of the interface that carries `address`, or `None` when no interface
    /// does (what the caller makes of that is its policy; Piranha counted it as "up").
    ///
    /// This is the interface matched by address, not the first one listed as in Piranha's
    /// link monitor (spec §8 item 22), and its state comes from the kernel's operstate and
    /// carrier rather than ethtool/MII ioctls.
    ///
    /// # Errors
    /// The kernel's refusal to dump addresses or links.
    pub async fn link_state_of(&self, address: Ipv4Addr) -> Result<Option<LinkState>, AddressError> {
        let found = self.local_addresses().await?.into_iter().find(|a| a.address == address);
        let Some(local) = found else { return Ok(None) };
        let link = self.handle.link().get().match_index(local.link_index).execute().try_next().await;
        match link {
            Ok(Some(message)) => Ok(Some(LinkState::from_message(&message))),
            // The interface went away between the two dumps.
            Ok(None) => Ok(None),
            Err(e) if errno(&e) == Some(libc::ENODEV) => Ok(None),
            Err(e) => Err(kernel("get link", e)),
        }
    }

    /// The index of interface `name`.
    ///
    /// # Errors
    /// [`AddressError::NoSuchLink`] when there is none.
    pub async fn link_index(&self, name: &str) -> Result<u32, AddressError> {
        Ok(self.link(name).await?.header.index)
    }

    /// The hardware address of interface `name` (what pulse read with `SIOCGIFHWADDR`).
    ///
    /// # Errors
    /// [`AddressError::NoSuchLink`], or [`AddressError::NoHardwareAddress`] for an
    /// interface without a 6-byte address.
    pub async fn link_mac(&self, name: &str) -> Result<MacAddr, AddressError> {
        mac_of(&self.link(name).await?).ok_or_else(|| AddressError::NoHardwareAddress(name.to_owned()))
    }

    /// Where the gratuitous ARPs for `vip` go out: its base device's index and MAC.
    ///
    /// # Errors
    /// As [`Interfaces::link_mac`].
    pub async fn arp_target(&self, vip: &Vip) -> Result<ArpTarget, AddressError> {
        self.vip_link(vip)
            .await?
            .1
            .ok_or_else(|| AddressError::NoHardwareAddress(vip.base_device().to_owned()))
    }

    /// The base device of `vip` in one request: its index, and where the
    /// VIP's gratuitous ARPs go (`None` for an interface without a 6-byte
    /// hardware address).
    ///
    /// # Errors
    /// [`AddressError::NoSuchLink`], or the kernel's refusal.
    pub async fn vip_link(&self, vip: &Vip) -> Result<(u32, Option<ArpTarget>), AddressError> {
        let link = self.link(vip.base_device()).await?;
        let index = link.header.index;
        Ok((index, mac_of(&link).map(|mac| ArpTarget { vip: vip.address(), ifindex: index, mac })))
    }

    async fn link(&self, name: &str) -> Result<LinkMessage, AddressError> {
        let found = self.handle.link().get().match_name(name.to_owned()).execute().try_next().await;
        match found {
            Ok(Some(message)) => Ok(message),
            Ok(None) => Err(AddressError::NoSuchLink(name.to_owned())),
            Err(e) if errno(&e) == Some(libc::ENODEV) => Err(AddressError::NoSuchLink(name.to_owned())),
            Err(e) => Err(kernel("get link", e)),
        }
    }
}

/// An IPv4 address configured on a local interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalAddress {
    /// The local address (`IFA_LOCAL`).
    pub address: Ipv4Addr,
    /// Its prefix length.
    pub prefix_len: u8,
    /// Index of the interface carrying it.
    pub link_index: u32,
    /// Its label (`eth0`, `eth0:1`), empty if the kernel gave none.
    pub label: String,
}

impl LocalAddress {
    fn from_message(message: &AddressMessage) -> Option<LocalAddress> {
        if message.header.family != AddressFamily::Inet {
            return None;
        }
        // IFA_LOCAL is the interface's own address; IFA_ADDRESS is the peer on
        // point-to-point links and equals IFA_LOCAL elsewhere.
        let ipv4 = |a: &AddressAttribute| match a {
            AddressAttribute::Local(IpAddr::V4(ip)) => Some(*ip),
            _ => None,
        };
        let fallback = |a: &AddressAttribute| match a {
            AddressAttribute::Address(IpAddr::V4(ip)) => Some(*ip),
            _ => None,
        };
        let address = message
            .attributes
            .iter()
            .find_map(ipv4)
            .or_else(|| message.attributes.iter().find_map(fallback))?;
        Some(LocalAddress {
            address,
            prefix_len: message.header.prefix_len,
            link_index: message.header.index,
            label: label(message).unwrap_or_default().to_owned(),
        })
    }
}

/// RFC 2863 operational state of an interface, as the kernel reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OperState {
    /// The driver does not report a state (loopback, dummy, some virtual NICs).
    Unknown,
    /// The device is gone.
    NotPresent,
    /// Administratively or physically down.
    Down,
    /// Down because a lower device is down (a veth whose peer is down, a VLAN on a down NIC).
    LowerLayerDown,
    /// In a test mode.
    Testing,
    /// Waiting for an external event (802.1X).
    Dormant,
    /// Operational.
    Up,
}

/// The state of one interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkState {
    /// Interface index.
    pub index: u32,
    /// Interface name.
    pub name: String,
    /// `IFF_UP`: administratively up.
    pub admin_up: bool,
    /// Operational state.
    pub operstate: OperState,
    /// Carrier (`IFLA_CARRIER`), when reported.
    pub carrier: Option<bool>,
}

impl LinkState {
    /// Whether the interface can carry traffic: administratively up, and operationally up
    /// (or, for drivers that report no operstate, with carrier).
    pub fn has_link(&self) -> bool {
        self.admin_up
            && match self.operstate {
                OperState::Up => true,
                OperState::Unknown => self.carrier != Some(false),
                _ => false,
            }
    }

    fn from_message(message: &LinkMessage) -> LinkState {
        let mut state = LinkState {
            index: message.header.index,
            name: String::new(),
            admin_up: message.header.flags.contains(LinkFlags::Up),
            operstate: OperState::Unknown,
            carrier: None,
        };
        for attribute in &message.attributes {
            match attribute {
                LinkAttribute::IfName(name) => state.name.clone_from(name),
                LinkAttribute::Carrier(carrier) => state.carrier = Some(*carrier != 0),
                LinkAttribute::OperState(operstate) => state.operstate = oper_state(*operstate),
                _ => {}
            }
        }
        state
    }
}

fn oper_state(state: State) -> OperState {
    match state {
        State::NotPresent => OperState::NotPresent,
        State::Down => OperState::Down,
        State::LowerLayerDown => OperState::LowerLayerDown,
        State::Testing => OperState::Testing,
        State::Dormant => OperState::Dormant,
        State::Up => OperState::Up,
        _ => OperState::Unknown,
    }
}

fn label(message: &AddressMessage) -> Option<&str> {
    message.attributes.iter().find_map(|a| match a {
        AddressAttribute::Label(label) => Some(label.as_str()),
        _ => None,
    })
}

fn mac_of(link: &LinkMessage) -> Option<MacAddr> {
    link.attributes.iter().find_map(|a| match a {
        LinkAttribute::Address(bytes) => <[u8; 6]>::try_from(bytes.as_slice()).ok().map(MacAddr),
        _ => None,
    })
}

/// The errno of a kernel refusal.
fn errno(error: &rtnetlink::Error) -> Option<i32> {
    match error {
        rtnetlink::Error::NetlinkError(message) => Some(message.raw_code().abs()),
        _ => None,
    }
}

fn kernel(step: &'static str, error: rtnetlink::Error) -> AddressError {
    let source = match error {
        rtnetlink::Error::NetlinkError(message) => message.to_io(),
        other => io::Error::other(other),
    };
    AddressError::Kernel { step, source }
}

/// A failed rtnetlink operation.
#[derive(Debug, Error)]
pub enum AddressError {
    /// The rtnetlink socket could not be opened.
    #[error("cannot open an rtnetlink socket: {0}")]
    Connect(#[source] io::Error),
    /// No interface of that name.
    #[error("no such network interface: {0}")]
    NoSuchLink(String),
    /// The interface has no Ethernet address.
    #[error("network interface {0} has no Ethernet hardware address")]
    NoHardwareAddress(String),
    /// The kernel refused a request.
    #[error("{step}: {source}")]
    Kernel {
        /// What was being done (`add address`, `list addresses`, ...).
        step: &'static str,
        /// The kernel's error.
        #[source]
        source: io::Error,
    },
}
