#!/usr/bin/env bash
# vm-timeout: 300
# A nanny worker killed with SIGKILL is restarted by lvsd (a new pid, the
# log lines) and the IPVS table does not change at any moment meanwhile;
# then SIGTERM stops lvsd with exit status 0, its workers gone, and its
# services removed from the table. (A service added by hand before lvsd
# started is gone once lvsd runs: it converges the table to lvs.cf.)
. "$(dirname "$0")/../lib.sh"
lvs_lab
cf=$(mktemp --suffix=.cf)
lvs_lab_cf "$cf"
# A service added by hand before lvsd starts, on another port: lvsd converges
# the table to lvs.cf, so it is removed at start (no flush needed).
in_ns lvs ipvsadm -A -t "$LVS_VIP:8080" -s rr
lvsd_start "$cf"
lvs_lab_wait_up
expected=$(lvs_lab_rules 192.0.2.11:1 192.0.2.12:1 192.0.2.13:1 | sort)
assert_rules - lvs <<<"$expected"
client_start

# ---- kill -9 the worker ----
workers() { in_ns lvs pgrep -f 'nanny --worker' || true; }
old=$(workers)
assert_eq 1 "$(wc -w <<<"$old")" "nanny workers before the kill ($old)"
info "nanny worker pid $old; killing it with SIGKILL"
t_kill=$(now)
kill -KILL "$old"
# Watch the table continuously until the new worker has reported for a while.
changed=0 samples=0
t_watch_end=""
new=""
deadline=$(($(date +%s) + 90))
while :; do
    table=$(lvs_rules)
    samples=$((samples + 1))
    if [[ $table != "$expected" ]]; then
        changed=$((changed + 1))
        info "table differs at $(since "$t_kill") s after the kill:"$'\n'"$table"
    fi
    if [[ -z $new ]]; then
        new=$(workers)
        [[ -n $new ]] && info "MEASURED new worker pid $new seen $(since "$t_kill") s after the kill" &&
            t_watch_end=$(($(date +%s) + 10))
    elif (($(date +%s) >= t_watch_end)); then
        break
    fi
    (($(date +%s) < deadline)) || fail "no new nanny worker within 90 s"
    sleep 0.2
done
info "table sampled $samples times during the restart: $changed differing sample(s)"
assert_eq 0 "$changed" "samples where the table differed"
[[ $new != "$old" ]] || fail "worker pid unchanged ($new)"
assert_eq 1 "$(wc -w <<<"$new")" "nanny workers after the restart ($new)"
wait_until 30 lvsd_logged "nanny for virtual service web exited"
grep -E 'nanny for virtual service web (exited|died)' "$LVSD_LOG" | sed 's/^/    /'
lvsd_logged "nanny for virtual service web died; restarting it in 1 s" || fail "no restart line"
lvsd_logged "create_monitor for web/rs1 running as pid $new" || fail "no create_monitor line for pid $new"
# The new worker still judges: a failure is still acted upon.
lab_httpd_stop rs3
measure_until 30 lvs_no_dest 192.0.2.13
info "MEASURED rs3 left the table $MEASURED s after its httpd stopped (new worker)"
t_end=$(now)
info "client: $(client_count fail "$t_kill" "$t_end") failed of $(client_count '' "$t_kill" "$t_end") since the kill" \
    "(failures expected only after rs3 stopped)"

# ---- SIGTERM ----
kill -TERM "$LVSD_PID"
rc=0
wait "$LVSD_PID" || rc=$?
info "lvsd exited with status $rc"
assert_eq 0 "$rc" "lvsd exit status after SIGTERM"
lvsd_logged "shutting down due to signal 15" || fail "no 'shutting down due to signal 15' line"
lvsd_logged "shutting down virtual service web" || fail "no 'shutting down virtual service web' line"
assert_eq "" "$(lvs_rules)" "table after SIGTERM"
wait_until 10 test -z "$(workers)"
info "after SIGTERM: empty table, no nanny worker left"
tail -n 5 "$LVSD_LOG" | sed 's/^/    /'
