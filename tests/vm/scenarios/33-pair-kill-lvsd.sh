#!/usr/bin/env bash
# vm-timeout: 420
# kill -9 of lvsd on the active router. pulse's default (the original's, spec
# §2.5, §8 #8: heartbeat::Settings::lvsd_restarts = 0, which neither lvs.cf
# nor pulse's command line can change) is not to restart it: pulse logs the
# child's death, releases the VIP and goes inactive with CHILDFAIL, its
# heartbeats say STOPPED and the backup takes over (`primary inactive:
# activating lvs`): VIP, table, client's neighbour entry, requests answered.
# The primary stays inactive afterwards (no automatic fail-back).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../pair.sh"

pair_serving
lvsd=$(pair_lvsd_pid primary)

# ---- kill -9 lvsd: the primary gives up, the backup takes over ----
t_kill=$(now)
kill -KILL "$lvsd"
info "primary's lvsd (pid $lvsd) killed with SIGKILL"
wait_until 30 pair_logged primary "Child process $lvsd terminated with signal 9"
! pair_logged primary "restarting lvsd" || fail "pulse restarted lvsd although lvsd_restarts defaults to 0"
measure_until 60 pair_no_vip primary
info "MEASURED primary released the VIP $MEASURED s after the kill"
measure_until 90 pair_client_sees backup
info "MEASURED client's neighbour entry for the VIP is the backup's MAC $(since "$t_kill") s after the kill"
measure_until 90 pair_active backup
info "MEASURED backup holds the VIP and rs1..rs3 $(since "$t_kill") s after the kill"
pair_logged backup "primary inactive: activating lvs" ||
    fail "no 'primary inactive: activating lvs' in the backup's log"
pair_assert_table backup
client_clean 20 "after the takeover" "$(now)"
client_outage "$t_kill"
info "MEASURED outage (longest gap between answered requests) $MEASURED s after the kill"

# ---- the primary stays inactive ----
# A killed lvsd cannot remove its services, and pulse does not either (the
# original neither): harmless without the VIP, and the next lvsd converges
# the table. Logged, not asserted.
info "primary's table after its lvsd died: $(lvs_rules primary | grep -c -- '^-a ' || true) real server(s);" \
    "lvsd processes there: '$(pair_lvsd_pids primary | paste -sd ' ')'"
client_clean 20 "some deadtimes later" "$(now)"
pair_no_vip primary || fail "the primary took the VIP back"
pair_active backup || fail "the backup is no longer active: VIP held by '$(pair_holders)'"
grep -E 'Child process|activating lvs|deactivating LVS|resending arps' \
    "${PAIR_LOG[primary]}" "${PAIR_LOG[backup]}" | sed 's/^/    /'
