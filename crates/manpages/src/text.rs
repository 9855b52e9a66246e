//! The hand-written parts of the generated pages: whatis line, DESCRIPTION and the
//! sections after OPTIONS. Facts come from the README and the spec sections cited.

/// What a page adds to its clap command line.
pub(crate) struct Page {
    /// The NAME line after `name -`.
    pub whatis: &'static str,
    /// DESCRIPTION: lines of text, a blank line between paragraphs.
    pub description: &'static str,
    /// The sections after OPTIONS (and COMMANDS).
    pub sections: &'static [Section],
}

/// A section after OPTIONS.
pub(crate) struct Section {
    /// `.SH` heading.
    pub heading: &'static str,
    /// Its content.
    pub blocks: &'static [Block],
}

/// A piece of a section.
pub(crate) enum Block {
    /// A paragraph.
    Para(&'static str),
    /// A tagged paragraph: tag in bold, then the text.
    Item(&'static str, &'static str),
    /// Literal lines, indented, not filled.
    Code(&'static str),
}

use Block::{Code, Item, Para};

const CONFIG: Block = Item(
    "/etc/sysconfig/ha/lvs.cf",
    "The configuration of the router pair (see lvs.cf(5)); -c selects another file.",
);

/// The page of `name`, if it is one of [`crate::PAGES`].
pub(crate) fn page(name: &str) -> Option<&'static Page> {
    Some(match name {
        "pulse" => &PULSE,
        "lvsd" => &LVSD,
        "nanny" => &NANNY,
        "send_arp" => &SEND_ARP,
        "lvsctl" => &LVSCTL,
        _ => return None,
    })
}

static PULSE: Page = Page {
    whatis: "heartbeat daemon of an LVS router pair",
    description: "\
pulse runs on both routers of an LVS router pair and decides which of them is active. \
The two pulses exchange Piranha's 4-byte UDP heartbeat on heartbeat_port (539 by default) \
every keepalive seconds; a router that hears nothing from its partner for deadtime seconds \
takes over. The wire format is the original's, so one router may run Piranha's pulse while \
the other runs this one.

On takeover pulse runs active_cmd, starts lvsd(8), brings each virtual address up on its \
alias label and sends five gratuitous ARP replies per address, one second apart. On release \
it undoes this at address level (it never takes a network interface down) and runs \
inactive_cmd. With syncdaemon = 1 it switches the IPVS connection sync daemon between backup \
and master.

On the inactive router pulse runs lvsd --standby, whose health checks keep running while the \
IPVS table is left alone; on takeover that lvsd programs the whole table in one batch. An lvsd \
that dies while active is restarted up to --lvsd-restarts times per activation, with the \
virtual addresses left up; after that the router gives up the active role.

SIGHUP re-reads lvs.cf and is passed on to lvsd when one runs. SIGTERM and SIGINT stop \
pulse in order: lvsd is stopped and the virtual addresses released.",
    sections: &[
        Section {
            heading: "FILES",
            blocks: &[
                CONFIG,
                Item(
                    "/etc/sysconfig/pulse",
                    "OPTIONS= holds extra pulse options for the systemd unit pulse.service.",
                ),
                Item("/var/run/pulse.pid", "The pid file, in daemon mode."),
                Item(
                    "/var/run/pulse.sock",
                    "The status socket (mode 0600) read by lvsctl status: role, state, partner, \
                     VIPs held, the lvsd that runs. LVS_RUN_DIR in the environment moves it (and \
                     lvsd's) into another directory.",
                ),
            ],
        },
        Section {
            heading: "SEE ALSO",
            blocks: &[Para("lvs.cf(5), lvsd(8), nanny(8), send_arp(8), lvsctl(8), ipvsadm(8)")],
        },
    ],
};

static LVSD: Page = Page {
    whatis: "controller of the active LVS router: IPVS table and health checks",
    description: "\
lvsd is started by pulse(8) on the active router and is the only owner of the IPVS table. \
At start it makes the kernel's table match lvs.cf, then runs one nanny(8) worker per active \
virtual service. A real server is added when its first probe succeeds and removed when a \
probe fails (with quiesce_server = 1 its weight is set to 0 instead); the sorry_server is \
used while no real server of a service is up.

A nanny that dies or hangs is restarted with backoff, without touching the table; with \
hard_shutdown = 1, more than five deaths a minute shut lvsd down so that pulse can fail over.

SIGHUP re-reads lvs.cf and applies only the difference; a file with errors leaves the \
running configuration in force. SIGTERM removes lvsd's services from the table and stops \
the workers. SIGUSR1 and SIGUSR2 are ignored.

lvsd keeps CAP_NET_ADMIN and drops every other capability as it starts, and sets \
no_new_privs, so the nannies it runs cannot get more. Started by a pulse that runs at \
real-time priority, lvsd takes round robin one priority below it, within RLIMIT_RTPRIO \
(LimitRTPRIO= of pulse.service), so that a takeover does not wait for the CPU; its nannies \
run under the normal scheduler.",
    sections: &[
        Section {
            heading: "FILES",
            blocks: &[
                CONFIG,
                Item("/var/run/lvs.pid", "The pid file (named lvs, as in Piranha)."),
                Item(
                    "/var/run/lvsd.sock",
                    "The status socket (mode 0600) read by lvsctl status: services, real servers, \
                     their health and last probe, nanny pids; a standby lvsd answers too. \
                     LVS_RUN_DIR in the environment moves it into another directory.",
                ),
            ],
        },
        Section {
            heading: "SEE ALSO",
            blocks: &[Para("lvs.cf(5), pulse(8), nanny(8), lvsctl(8), ipvsadm(8)")],
        },
    ],
};

static NANNY: Page = Page {
    whatis: "health monitor for the real servers of an LVS router",
    description: "\
nanny probes real servers and judges whether they are up: it connects over TCP (or sends \
over UDP), sends the send string, and compares the reply with the expect string; or it runs \
the external program given with -e. It never changes the IPVS table.

In worker mode (--worker), which lvsd(8) uses, the real servers arrive on standard input \
and nanny reports its verdicts on standard output; lvsd changes the table. Run by hand \
with the original options, nanny watches one real server and logs its verdicts (see EXAMPLES).

nanny drops every capability as it starts and sets no_new_privs, so the program of -e runs \
without capabilities too, even as root.",
    sections: &[
        Section {
            heading: "EXAMPLES",
            blocks: &[
                Para("Probe 10.0.0.11:80 every 2 seconds with an HTTP request, in the foreground:"),
                Code(
                    "nanny -c -h 10.0.0.11 -p 80 -s 'GET / HTTP/1.0\\r\\n\\r\\n' -x HTTP -t 2 -a 6 --lvs -n",
                ),
            ],
        },
        Section {
            heading: "NOTES",
            blocks: &[Para(
                "The long option spellings of Piranha's nanny(8) manual page (--send_str, \
                 --expect_str, --UDP, --quiesce-server) are accepted as aliases of \
                 the spellings its code used.",
            )],
        },
        Section { heading: "SEE ALSO", blocks: &[Para("lvs.cf(5), lvsd(8), pulse(8)")] },
    ],
};

static SEND_ARP: Page = Page {
    whatis: "send one gratuitous ARP reply",
    description: "\
send_arp sends one 60-byte ARP reply out of DEVICE (eth0 by default) to the Ethernet \
address TARGET_MAC, announcing that SRC_IP is at SRC_MAC. Sender and target fields of the \
ARP packet both carry SRC_IP and SRC_MAC. pulse(8) runs the equivalent itself, five times \
per virtual address after a takeover.

The command line, messages and exit statuses are those of Piranha's send_arp, so scripts \
can run it unchanged. The frame is sent through an AF_PACKET socket, which needs \
CAP_NET_RAW.",
    sections: &[
        Section {
            heading: "EXIT STATUS",
            blocks: &[
                Item("0", "The frame was sent."),
                Item(
                    "1",
                    "Wrong arguments (the usage text is printed), an invalid hardware address, \
                     an unknown host, or the socket could not be opened or the frame not sent.",
                ),
            ],
        },
        Section { heading: "SEE ALSO", blocks: &[Para("pulse(8), arping(8)")] },
    ],
};

static LVSCTL: Page = Page {
    whatis: "check lvs.cf, show the IPVS table it asks for, apply it, show the router's status",
    description: "\
lvsctl is the administrator's tool for an LVS router pair using lvs.cf. check reports every \
error and warning of the file with its line and column; show prints the configuration with \
all defaults resolved, or with --rules the IPVS table it asks for in ipvsadm -Sn format; \
apply makes the kernel's table equal to that table, changing only what differs, and never \
flushes; syncd starts, stops or lists the IPVS connection sync daemon.

status shows which router is active, the partner and when it was last heard, the VIPs \
held, and the live IPVS table (read from the kernel over generic netlink) with each real \
server's health as its nanny sees it (up or down, since when, the last probe result), and \
the pids of lvsd and the nanny workers. It asks pulse and lvsd over their root-only status \
sockets and works with whichever of them runs; kernel entries lvsd does not know are shown \
as such. --json prints one document whose fields are described in docs/status-protocol.md.

Without pulse and lvsd, lvsctl apply is a complete static load balancer with no health \
checks.",
    sections: &[
        Section {
            heading: "EXIT STATUS",
            blocks: &[
                Item("0", "Success."),
                Item(
                    "1",
                    "The configuration or the kernel refused; for status, neither pulse nor lvsd answered.",
                ),
                Item("2", "Bad command line."),
            ],
        },
        Section {
            heading: "EXAMPLES",
            blocks: &[
                Para("Compare the configuration with the kernel's table:"),
                Code("lvsctl show --rules | sort | diff - <(ipvsadm -Sn | sort)"),
                Para("Follow the router's state and the real servers' health:"),
                Code("watch -n 2 lvsctl status"),
            ],
        },
        Section {
            heading: "FILES",
            blocks: &[
                CONFIG,
                Item(
                    "/var/run/pulse.sock, /var/run/lvsd.sock",
                    "The daemons' status sockets read by status (in $LVS_RUN_DIR when set, or in \
                     the directory given with --run-dir).",
                ),
            ],
        },
        Section { heading: "SEE ALSO", blocks: &[Para("lvs.cf(5), pulse(8), lvsd(8), ipvsadm(8)")] },
    ],
};
