#!/usr/bin/env bash
# vm-timeout: 420
# lvsd + nanny keep the table right while real servers fail (direct routing
# lab of lib.sh, `lvsd -n`, timeout 1, reentry 6, a sorry server):
# - all three real servers enter the table;
# - a stopped real server leaves it within seconds, after which the client
#   (requesting through the VIP in a loop) sees no failure;
# - started again, it returns only after reentry;
# - all stopped: the sorry server is in the table and the client gets the
#   sorry page; one back: the sorry server leaves.
. "$(dirname "$0")/../lib.sh"
lvs_lab_start "sorry_server = 192.0.2.20"
assert_rules - lvs < <(lvs_lab_rules 192.0.2.11:1 192.0.2.12:1 192.0.2.13:1)
lvsd_logged "starting virtual service web active: 80" || fail "no start line in $LVSD_LOG"
for ns in "${LVS_RS[@]}"; do
    lvsd_logged "create_monitor for web/$ns running as pid" || fail "no create_monitor line for $ns"
done
client_start

# ---- one real server stops: it leaves, and the client sees no failure after ----
t_stop=$(now)
lab_httpd_stop rs2
measure_until 30 lvs_no_dest 192.0.2.12
t_left=$(now)
info "MEASURED rs2 left the table $MEASURED s after its httpd stopped (timeout = 1)"
assert_rules - lvs < <(lvs_lab_rules 192.0.2.11:1 192.0.2.13:1)
info "client: $(client_count fail "$t_stop" "$t_left") failed request(s) between the stop and the removal"
client_clean 40 "after rs2 left the table" "$t_left"
assert_eq 0 "$(client_count 'ok rs2' "$CLIENT_FROM" "$CLIENT_TO")" "requests answered by rs2 after it left"

# ---- it starts again: back after reentry (6 s = 6 good probes, 1 s apart) ----
t_start=$(now)
lab_httpd rs2 80
measure_until 60 lvs_dest 192.0.2.12
back=$(since "$t_start")
info "MEASURED rs2 back in the table $back s after its httpd was started (reentry = 6)"
# Six successful probes an interval apart take at least 5 s: a lower bound
# only (slowness can only make it later).
# Timed from before the httpd starts: lab_httpd returns only once curl got
# an answer, which under a loaded emulator can be seconds later.
awk -v m="$back" 'BEGIN { exit !(m >= 5) }' || fail "rs2 returned after $back s, before reentry"
assert_rules - lvs < <(lvs_lab_rules 192.0.2.11:1 192.0.2.12:1 192.0.2.13:1)
client_clean 20 "after rs2 returned"
info "rs2 answered $(client_count 'ok rs2' "$CLIENT_FROM" "$CLIENT_TO") of them" \
    "(not asserted: the scheduler's choice; connection counters:)"
in_ns lvs ipvsadm -Ln

# ---- all stop: the sorry server takes over ----
t_stop=$(now)
for ns in "${LVS_RS[@]}"; do lab_httpd_stop "$ns"; done
measure_until 30 lvs_dest 192.0.2.20
info "MEASURED sorry server in the table $MEASURED s after the last real server stopped"
wait_until 30 lvsd_logged "Virtual Server web: No real servers; activate sorry_server 192.0.2.20"
assert_rules - lvs < <(lvs_lab_rules 192.0.2.20:1)
t_sorry=$(now)
info "client: $(client_count fail "$t_stop" "$t_sorry") failed request(s) between the stop and the sorry server"
client_clean 10 "while the sorry server serves" "$t_sorry"
assert_eq "$(client_count '' "$CLIENT_FROM" "$CLIENT_TO")" "$(client_count 'ok sorry' "$CLIENT_FROM" "$CLIENT_TO")" \
    "requests answered with the sorry page"

# ---- one comes back: the sorry server leaves ----
lab_httpd rs1 80
measure_until 60 lvs_no_dest 192.0.2.20
info "MEASURED sorry server left $MEASURED s after rs1 started"
wait_until 30 lvsd_logged "Virtual Server web: 1 real servers; deactivate sorry_server 192.0.2.20"
assert_rules - lvs < <(lvs_lab_rules 192.0.2.11:1)
client_clean 10 "after rs1 returned"
assert_eq "$(client_count '' "$CLIENT_FROM" "$CLIENT_TO")" "$(client_count 'ok rs1' "$CLIENT_FROM" "$CLIENT_TO")" \
    "requests answered by rs1"
info "client totals: $(client_count ok) ok, $(client_count fail) failed"
