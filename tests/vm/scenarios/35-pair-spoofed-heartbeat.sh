#!/usr/bin/env bash
# vm-timeout: 480
# A third host forges heartbeats (issue #7): the client namespace sends UDP
# datagrams to the backup's port 539 with the primary's address as their
# source (raw IP socket), as anyone on the segment can.
#   - compatibility mode (no heartbeat_key, the original's 4-byte format):
#     one forged STOPPED makes the backup take over while the primary is
#     active (the original's hole, kept for wire compatibility);
#   - authenticated mode (heartbeat_key on both routers): a forged plain
#     STOPPED and a forged 32-byte datagram with a guessed tag are dropped
#     and logged, and the primary stays the only active router.
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

# ---- compatibility mode: one forged STOPPED, the backup takes over ----
pair_start
mark=$(pair_log_lines backup)
t_spoof=$(now)
spoof "$STOPPED"
info "forged STOPPED sent from the client's namespace with source ${PAIR_ADDR[primary]}"
measure_until 60 pair_logged_since backup "$mark" "primary inactive: activating lvs"
info "MEASURED plain heartbeats: the backup took over $MEASURED s after one forged datagram" \
    "(documented hole of the original format)"
# The primary, still active, then makes the backup step down again (both
# active: the primary wins), a flap caused by one datagram.
wait_until 60 pair_is_only primary
pair_logged_since backup "$mark" "partner active: deactivating LVS" ||
    fail "the backup did not step down after the flap"
info "the forged takeover flapped: $(tail -n +"$((mark + 1))" "${PAIR_LOG[backup]}" | grep -c 'activating lvs\|deactivating LVS') role changes on the backup"
pair_pulse_stop primary backup
wait_until 60 pair_inactive primary
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
info "authenticated mode: both forgeries dropped and logged; the primary is still the only active router:"
tail -n +"$((mark + 1))" "${PAIR_LOG[backup]}" | grep -F "dropped:" | sed 's/^/    backup: /'
pair_pulse_stop primary backup
