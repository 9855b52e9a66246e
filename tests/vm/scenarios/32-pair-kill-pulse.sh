#!/usr/bin/env bash
# vm-timeout: 480
# kill -9 of the active router's pulse: the backup's dead timer expires and
# it takes over (`partner dead: activating lvs`): VIP, IPVS table, the
# client's neighbour entry, requests answered. What the dead router leaves
# behind (spec §2.12: no PR_SET_PDEATHSIG on lvsd, so lvsd and the VIP stay)
# is logged and then cleaned up by hand, as its operator would have to.
# A pulse started again on the primary stays inactive (spec §2.5: no
# automatic fail-back).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../pair.sh"

pair_serving
lvsd=$(pair_lvsd_pid primary)

assert_eq pulse "$(cat "/proc/${PAIR_PULSE[primary]}/comm")" "process name of pid ${PAIR_PULSE[primary]}"

# ---- kill -9 the active pulse: the backup takes over ----
t_kill=$(now)
kill -KILL "${PAIR_PULSE[primary]}"
info "primary's pulse (pid ${PAIR_PULSE[primary]}) killed with SIGKILL"
measure_until 90 pair_client_sees backup
info "MEASURED client's neighbour entry for the VIP is the backup's MAC $MEASURED s after the kill"
measure_until 90 pair_active backup
info "MEASURED backup holds the VIP and rs1..rs3 $(since "$t_kill") s after the kill (deadtime $PAIR_DEADTIME)"
pair_logged backup "partner dead: activating lvs" || fail "no 'partner dead: activating lvs' in the backup's log"
pair_assert_table backup

# ---- what the dead primary left behind ----
# Nobody is left to release it: as with the original, the VIP and lvsd (with
# its table) stay in the primary's namespace. The VIP would answer ARP
# requests for the VIP there and compete with the backup, so remove it, and
# stop the orphaned lvsd, as the operator of the original must.
left=$(pair_addresses primary | grep "^$LVS_VIP/" || true)
info "left on the primary: VIP '${left:-none}', lvsd $lvsd $(kill -0 "$lvsd" 2>/dev/null && echo alive || echo gone)," \
    "$(lvs_rules primary | grep -c -- '^-a ' || true) real server(s) in its table"
[[ -z $left ]] || in_ns primary ip addr del "${left%% *}" dev eth0
for pid in $(pair_lvsd_pids primary); do kill -TERM "$pid"; done
wait_until 60 eval '[[ -z $(pair_lvsd_pids primary) ]]'
# lvsd removes its services on SIGTERM; had it died otherwise, clear them.
pair_table_empty primary || { info "clearing the primary's table by hand"; in_ns primary ipvsadm -C; }
pair_inactive primary || fail "the primary still holds the VIP or a table after the clean-up"
client_clean 20 "after the takeover" "$(now)"
client_outage "$t_kill"
info "MEASURED outage (longest gap between answered requests) $MEASURED s after the kill"

# ---- the primary's pulse comes back: it stays inactive ----
mark=$(pair_log_lines primary)
pair_pulse_start primary
wait_until 60 pair_logged_since primary "$mark" "DEBUG -- Received Heartbeat from partner"
# Some deadtimes with heartbeats flowing: the backup keeps the role.
client_clean 30 "after the primary's pulse came back" "$(now)"
! pair_logged_since primary "$mark" "activating lvs" || fail "the restarted primary activated"
pair_is_only backup || fail "after the primary's pulse came back: VIP held by '$(pair_holders)'"
pair_assert_table backup
