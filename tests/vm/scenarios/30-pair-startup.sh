#!/usr/bin/env bash
# vm-timeout: 480
# Two routers running our pulse (pair.sh lab: direct routing, keepalive 1,
# deadtime 3, heartbeat on UDP 539).
# Primary started first, then the backup:
# - the primary becomes active: the VIP with label eth0:1, rs1..rs3 in its
#   IPVS table once their probes pass; the backup holds no VIP and has an
#   empty table; both hear the partner's heartbeats;
# - the client's neighbour entry for the VIP is the primary's MAC and every
#   request through the VIP is answered.
# Both stopped (SIGTERM) and started at once (a cold start of the pair):
# the primary ends up active, alone, and the client is served. In the
# original this depends on timing (spec §2.5, §8 #17): a backup that hears
# the primary's first STOPPED before it sent any heartbeat activates, the
# primary then hears only RUNNING and stays inactive for good (seen here
# before the fix). pulse's cold-start guard (default; --no-cold-start-guard
# restores the original) makes the backup wait for a whole deadtime of
# STOPPED, by which time the primary is RUNNING.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../pair.sh"

pair_start
pair_assert_table primary
assert_eq "" "$(in_ns backup ipvsadm -Sn)" "backup's IPVS table"
pair_no_vip backup || fail "the backup holds the VIP"
info "primary's addresses: $(pair_addresses primary | paste -sd ',')"
for router in primary backup; do
    pair_logged "$router" "DEBUG -- Received Heartbeat from partner" || fail "$router heard no heartbeat"
done
pair_logged primary "partner dead: activating lvs" || fail "no 'partner dead: activating lvs' in the primary's log"
! pair_logged backup "activating lvs" || fail "the backup activated although the primary was active first"

client_start
client_clean 30 "through the primary"
wait_until 60 pair_client_sees primary
info "client's neighbour entry for $LVS_VIP: $(pair_client_mac) (primary $(pair_mac primary), backup $(pair_mac backup))"
for ns in "${LVS_RS[@]}"; do
    info "$ns answered $(client_count "ok $ns" "$CLIENT_FROM" "$CLIENT_TO") of them"
done
# Still the same picture after all those requests (no flapping).
pair_is_only primary || fail "the routers changed state while the client ran: VIP held by '$(pair_holders)'"
pair_assert_table primary

# ---- both stopped, then started at once ----
pair_pulse_stop primary backup
pair_inactive primary || fail "the primary's pulse exited leaving its VIP or table"
info "both pulses stopped: VIP released, tables empty"
marks=("$(pair_log_lines primary)" "$(pair_log_lines backup)")
t_start=$(now)
pair_pulse_start primary backup
measure_until 120 pair_one_active
active=$(pair_the_active)
info "MEASURED cold start of both: only the $active is active $MEASURED s after both started"
assert_eq primary "$active" "the active router after a cold start of both"
tail -n +"$((marks[0] + 1))" "${PAIR_LOG[primary]}" | grep -E 'activating lvs|deactivating LVS|resending arps' |
    sed 's/^/    primary: /' || true
tail -n +"$((marks[1] + 1))" "${PAIR_LOG[backup]}" | grep -E 'activating lvs|deactivating LVS|resending arps' |
    sed 's/^/    backup: /' || true
wait_until 60 pair_client_sees "$active"
client_clean 20 "after the cold start" "$(now)"
client_outage "$t_start"
info "MEASURED outage (longest gap between answered requests) $MEASURED s after both started"
pair_is_only "$active" || fail "state changed while the client ran: VIP held by '$(pair_holders)'"
