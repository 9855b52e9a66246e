#!/usr/bin/env bash
# vm-timeout: 420
# kill -9 of lvsd on the active router. pulse restarts it (up to
# --lvsd-restarts, default 3, per activation; the original never did, spec
# §8 #8): the VIP stays where it is, the new lvsd adopts the table the dead
# one left, the backup stays inactive and the client keeps being served.
# Once the bound is used up, the next death makes the primary give up the
# active role (CHILDFAIL, heartbeats say STOPPED) and the backup takes over
# (`primary inactive: activating lvs`): VIP, table, client's neighbour
# entry, requests answered; the primary stays inactive (no fail-back).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../pair.sh"

# new_lvsd OLD: exactly one lvsd runs on the primary, and it is not OLD.
new_lvsd() {
    local pids
    pids=$(pair_lvsd_pids primary)
    [[ $(wc -w <<<"$pids") == 1 && $pids != "$1" ]]
}

pair_serving
lvsd=$(pair_lvsd_pid primary)

# ---- kill -9 lvsd: restarted, VIP untouched ----
vip_before=$(in_ns primary ip -o addr show dev eth0 label eth0:1)
mark=$(pair_log_lines primary)
t_kill=$(now)
kill -KILL "$lvsd"
info "primary's lvsd (pid $lvsd) killed with SIGKILL"
wait_until 30 pair_logged primary "Child process $lvsd terminated with signal 9"
wait_until 30 pair_logged primary "restarting lvsd (1 of 3)"
wait_until 60 new_lvsd "$lvsd"
lvsd2=$(pair_lvsd_pid primary)
info "MEASURED new lvsd pid $lvsd2 $(since "$t_kill") s after the kill"
pair_has_vip primary || fail "the primary lost the VIP"
assert_eq "$vip_before" "$(in_ns primary ip -o addr show dev eth0 label eth0:1)" "the VIP's address line"
pair_inactive backup || fail "the backup took over: VIP held by '$(pair_holders)'"
wait_until 60 pair_active primary
pair_assert_table primary
client_clean 20 "after the lvsd restart" "$(now)"
client_outage "$t_kill"
info "MEASURED outage (longest gap between answered requests) $MEASURED s around the restart"
! pair_logged_since primary "$mark" "partner dead" || fail "the primary's pulse lost the backup's heartbeats"
pair_no_vip backup || fail "the backup holds the VIP"

# ---- the bound: three more deaths use it up; the primary gives up ----
for n in 2 3 4; do
    wait_until 60 new_lvsd "$lvsd"
    lvsd=$(pair_lvsd_pid primary)
    kill -KILL "$lvsd"
    wait_until 30 pair_logged primary "Child process $lvsd terminated with signal 9"
    if ((n < 4)); then wait_until 30 pair_logged primary "restarting lvsd ($n of 3)"; fi
done
t_kill=$(now)
! pair_logged primary "restarting lvsd (4 of 3)" || fail "more restarts than the bound"
measure_until 60 pair_no_vip primary
info "MEASURED primary released the VIP $MEASURED s after the last kill"
measure_until 90 pair_client_sees backup
info "MEASURED client's neighbour entry for the VIP is the backup's MAC $(since "$t_kill") s after the last kill"
measure_until 90 pair_active backup
info "MEASURED backup holds the VIP and rs1..rs3 $(since "$t_kill") s after the last kill"
pair_logged backup "primary inactive: activating lvs" ||
    fail "no 'primary inactive: activating lvs' in the backup's log"
pair_assert_table backup
client_clean 20 "after the takeover" "$(now)"
client_outage "$t_kill"
info "MEASURED outage (longest gap between answered requests) $MEASURED s after the last kill"

# ---- the primary stays inactive ----
# A killed lvsd cannot remove its services, and pulse does not either (the
# original neither): harmless without the VIP, and the next lvsd converges
# the table. Logged, not asserted.
info "primary's table after its lvsd died: $(lvs_rules primary | grep -c -- '^-a ' || true) real server(s);" \
    "lvsd processes there: '$(pair_lvsd_pids primary | paste -sd ' ')'"
client_clean 20 "some deadtimes later" "$(now)"
pair_no_vip primary || fail "the primary took the VIP back"
pair_active backup || fail "the backup is no longer active: VIP held by '$(pair_holders)'"
grep -E 'Child process|restarting lvsd|activating lvs|deactivating LVS|resending arps|takeover:' \
    "${PAIR_LOG[primary]}" "${PAIR_LOG[backup]}" | sed 's/^/    /'
