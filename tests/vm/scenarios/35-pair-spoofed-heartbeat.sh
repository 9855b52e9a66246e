#!/usr/bin/env bash
# vm-timeout: 600
# A third host forges heartbeats (issue #7): the client namespace sends UDP
# datagrams to the backup's port 539 with the primary's address as their
# source (raw IP socket), as anyone on the segment can.
#   - compatibility mode (no heartbeat_key, the original's 4-byte format):
#     a lone forged STOPPED no longer flips the pair (our cold-start guard
#     wants a whole deadtime of nothing but STOPPED; the original activates
#     at once, see crates/pulse/tests/heartbeat_exchange.rs), but forged
#     RUNNING datagrams keep a stopped primary "alive": nobody serves until
#     the forger stops (the hole of the original format, documented);
#   - authenticated mode (heartbeat_key on both routers): forged plain and
#     forged 32-byte datagrams are dropped and logged, and the backup takes
#     over from the stopped primary while the forger keeps sending.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../pair.sh"

# spoof HEX: one UDP datagram with payload HEX from 192.0.2.1:539 to the
# backup's 539, sent from the client's namespace.
spoof() {
    in_ns cl python3 -c '
import socket, struct, sys
src, dst, payload = sys.argv[1], sys.argv[2], bytes.fromhex(sys.argv[3])
udp = struct.pack("!HHHH", 539, 539, 8 + len(payload), 0) + payload
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0x4242, 0, 64, 17, 0,
                 socket.inet_aton(src), socket.inet_aton(dst))
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
s.sendto(ip + udp, (dst, 0))
' "${PAIR_ADDR[primary]}" "${PAIR_ADDR[backup]}" "$1"
}
STOPPED=bddabdad # 0xadbddabd little-endian
RUNNING=dadbadbd # 0xbdaddbda little-endian

# forger_start: forged RUNNING every 0.3 s, plain and as a 32-byte
# authenticated-looking datagram with a random tag, until forger_stop.
forger_start() {
    # ip netns exec execs python: $! is the forger itself (a shell function
    # put in the background would be a subshell, and killing it would leave
    # the forger running).
    ip netns exec cl python3 -c '
import os, socket, struct, sys, time
src, dst = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
def send(payload):
    udp = struct.pack("!HHHH", 539, 539, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0x4243, 0, 64, 17, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    s.sendto(ip + udp, (dst, 0))
running = bytes.fromhex("dadbadbd")
while True:
    send(running)
    send(running + b"LVH1" + struct.pack(">Q", int(time.time() * 1e6)) + os.urandom(16))
    time.sleep(0.3)
' "${PAIR_ADDR[primary]}" "${PAIR_ADDR[backup]}" &
    FORGER=$!
    LAB_PIDS+=("$FORGER")
}
forger_stop() { kill "$FORGER" 2>/dev/null || true; wait "$FORGER" 2>/dev/null || true; }

# stop_primary_under_forgery: stop the primary's pulse (SIGTERM: it releases
# the VIP and stops) while the forger runs.
stop_primary_under_forgery() {
    forger_start
    info "forger sending RUNNING as ${PAIR_ADDR[primary]} every 0.3 s from the client's namespace"
    sleep 1
    pair_pulse_stop primary
    T_STOP=$(now)
    info "primary's pulse stopped (SIGTERM): it released the VIP"
}

# ---- compatibility mode ----
pair_start
mark=$(pair_log_lines backup)
spoof "$STOPPED"
info "one forged STOPPED sent from the client's namespace with source ${PAIR_ADDR[primary]}"
sleep "$((2 * PAIR_DEADTIME))"
! pair_logged_since backup "$mark" "activating lvs" || fail "a lone forged STOPPED made the backup activate"
pair_is_only primary || fail "after a lone forged STOPPED: VIP held by '$(pair_holders)'"
info "a lone forged STOPPED: no takeover (the cold-start guard needs a deadtime of STOPPED only)"

mark=$(pair_log_lines backup)
stop_primary_under_forgery
sleep "$((3 * PAIR_DEADTIME))"
! pair_logged_since backup "$mark" "activating lvs" || fail "the backup took over despite the forged RUNNING (unexpected)"
pair_no_vip primary && pair_no_vip backup || fail "VIP held by '$(pair_holders)'"
info "MEASURED plain heartbeats: forged RUNNING kept the stopped primary alive for $(since "$T_STOP") s:" \
    "no router holds the VIP (the hole of the original format)"
forger_stop
measure_until 60 pair_logged_since backup "$mark" "activating lvs"
info "MEASURED the forger stopped; the backup took over $MEASURED s later"
wait_until 60 pair_active backup
pair_pulse_stop backup
wait_until 60 pair_inactive backup

# ---- authenticated mode ----
key=$(mktemp)
chmod 600 "$key"
head -c 32 /dev/urandom | base64 >"$key"
keyed=$(mktemp --suffix=.cf)
sed "s|^heartbeat_port = 539\$|heartbeat_port = 539\nheartbeat_key = $key|" "$PAIR_CF" >"$keyed"
grep -q "^heartbeat_key = $key" "$keyed" || fail "could not add heartbeat_key to $PAIR_CF"
PAIR_CF=$keyed
pair_pulse_start primary
wait_until 60 pair_has_vip primary
pair_pulse_start backup
wait_until 120 pair_is_only primary
for router in primary backup; do
    pair_logged "$router" "heartbeat authentication on (heartbeat_key)" || fail "$router: authentication not on"
done
mark=$(pair_log_lines backup)
wait_until 30 pair_logged_since backup "$mark" "DEBUG -- Received Heartbeat from partner"
info "authenticated heartbeats flow: the backup hears the primary"

spoof "$STOPPED"
wait_until 30 pair_logged_since backup "$mark" "heartbeat from ${PAIR_ADDR[primary]} dropped: not authenticated"
sleep 2 # past the one-line-a-second limit
stamp=$(printf '%016x' "$(($(date +%s) * 1000000))")
spoof "${STOPPED}4c564831${stamp}$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
wait_until 30 pair_logged_since backup "$mark" "heartbeat from ${PAIR_ADDR[primary]} dropped: authentication failed"
sleep 5 # several deadtimes
! pair_logged_since backup "$mark" "activating lvs" || fail "a forged heartbeat made the backup act"
pair_is_only primary || fail "after the forgeries: VIP held by '$(pair_holders)'"
info "authenticated mode: both forgeries dropped and logged; the primary is still the only active router"

mark=$(pair_log_lines backup)
stop_primary_under_forgery
measure_until 60 pair_logged_since backup "$mark" "activating lvs"
info "MEASURED authenticated heartbeats: the backup took over $MEASURED s after the primary stopped," \
    "the forger still sending (deadtime $PAIR_DEADTIME s)"
wait_until 60 pair_active backup
forger_stop
info "what the backup logged about the forgeries:"
tail -n +"$((mark + 1))" "${PAIR_LOG[backup]}" | grep -F "dropped:" | sed 's/^/    backup: /'
pair_pulse_stop backup
