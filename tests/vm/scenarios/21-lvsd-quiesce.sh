#!/usr/bin/env bash
# vm-timeout: 300
# quiesce_server = 1: a failing real server stays in the table at weight 0
# (`-w 0` in ipvsadm -Sn) instead of leaving it, gets no new connections
# (the client sees no failure after the change), and is set back to its
# weight after reentry.
. "$(dirname "$0")/../lib.sh"
lvs_lab_start "quiesce_server = 1"
assert_rules - lvs < <(lvs_lab_rules 192.0.2.11:1 192.0.2.12:1 192.0.2.13:1)
client_start

t_stop=$(now)
lab_httpd_stop rs3
measure_until 30 eval 'lvs_dest 192.0.2.13 | grep -q -- "-w 0$"'
t_quiesced=$(now)
info "MEASURED rs3 at weight 0 $MEASURED s after its httpd stopped (timeout = 1)"
assert_rules - lvs < <(lvs_lab_rules 192.0.2.11:1 192.0.2.12:1 192.0.2.13:0)
info "client: $(client_count fail "$t_stop" "$t_quiesced") failed request(s) between the stop and weight 0"
client_clean 40 "after rs3 went to weight 0" "$t_quiesced"
# Still in the table (quiesced, not removed).
lvs_dest 192.0.2.13 >/dev/null || fail "rs3 left the table although quiesce_server = 1"

t_start=$(now)
lab_httpd rs3 80
measure_until 60 eval 'lvs_dest 192.0.2.13 | grep -q -- "-w 1$"'
back=$(since "$t_start")
info "MEASURED rs3 back at weight 1 $back s after its httpd was started (reentry = 6)"
# Timed from before the httpd starts: lab_httpd returns only once curl got
# an answer, which under a loaded emulator can be seconds later.
awk -v m="$back" 'BEGIN { exit !(m >= 5) }' || fail "rs3 returned after $back s, before reentry"
assert_rules - lvs < <(lvs_lab_rules 192.0.2.11:1 192.0.2.12:1 192.0.2.13:1)
client_clean 20 "after rs3 returned"
info "client totals: $(client_count ok) ok, $(client_count fail) failed"
