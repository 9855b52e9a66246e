#!/usr/bin/env python3
"""A heartbeat peer that behaves like the original Piranha 0.8.6 pulse in LVS
mode (spec 2.4-2.5), byte for byte: 4-byte little-endian magics over UDP,
bound to its own address on the heartbeat port, the same validation order
and the same state table. It runs no lvsd and touches no VIPs; it prints
the original's log texts plus "send MAGIC" / "recv MAGIC" lines on stdout.

Written for the pulse test suite; it is not part of pulse.
"""
import argparse
import select
import socket
import struct
import sys
import time

RUNNING = 0xBDADDBDA
STOPPED = 0xADBDDABD
HOLD = 0xDEAFBABE
HELD = 0xDEAFDADA
STOPME = 0xDEADDADA
NAMES = {RUNNING: "RUNNING", STOPPED: "STOPPED", HOLD: "HOLD", HELD: "HELD", STOPME: "STOPME"}


def log(text):
    print(text, flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--role", choices=["master", "backup"], required=True)
    p.add_argument("--local", required=True)
    p.add_argument("--partner", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--keepalive", type=float, default=0.1)
    p.add_argument("--deadtime", type=float, default=0.5)
    p.add_argument("--forceactive", action="store_true")
    p.add_argument("--childfail", action="store_true", help="start as if our lvsd had died")
    p.add_argument("--lifetime", type=float, default=5.0, help="exit silently after this many seconds")
    a = p.parse_args()

    master = a.role == "master"
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((a.local, a.port))
    partner = (a.partner, a.port)
    active = False
    childfail = a.childfail

    def send(magic):
        s.sendto(struct.pack("<I", magic), partner)
        log("send " + NAMES[magic])

    log("STARTING PULSE AS " + ("MASTER" if master else "BACKUP"))
    start = time.monotonic()
    end = start + a.lifetime
    if a.forceactive:
        log("Forced active on startup: activating lvs")
        active = True
    send_at = start + a.keepalive
    dead_at = start + a.deadtime
    while True:
        now = time.monotonic()
        if now >= end:
            log("exiting")
            return
        timeout = max(0.0, min(send_at, dead_at, end) - now)
        readable, _, _ = select.select([s], [], [], timeout)
        if readable:
            data, (ip, _port) = s.recvfrom(4)
            if ip != a.partner:
                continue
            if len(data) != 4:
                log("bad heartbeat packet")
                continue
            (magic,) = struct.unpack("<I", data)
            if magic not in NAMES:
                log("Incompatible heartbeat received -- other system not using identical services")
                continue
            log("recv " + NAMES[magic])
            if magic in (RUNNING, STOPME):
                childfail = False
                if active and not master:
                    send(RUNNING)
                    log("partner active: deactivating LVS")
                    active = False
                elif active and master:
                    log("partner active: resending arps")
            elif magic == STOPPED:
                if not active and not childfail:
                    log(("backup" if master else "primary") + " inactive: activating lvs")
                    active = True
            dead_at = time.monotonic() + a.deadtime
        now = time.monotonic()
        if now >= send_at:
            send(RUNNING if active else STOPPED)
            send_at = now + a.keepalive
        if now >= dead_at:
            if not active and not childfail:
                log("partner dead: activating lvs")
                active = True
            dead_at = now + a.deadtime


if __name__ == "__main__":
    sys.exit(main())
