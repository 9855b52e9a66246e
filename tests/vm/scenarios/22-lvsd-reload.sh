#!/usr/bin/env bash
# vm-timeout: 360
# SIGHUP reloads only the difference: lvs.cf with one changed weight gives
# exactly one `-e` (the ipvsadm -Sn dumps before/after differ in that line
# only; lvsd -v logs one operation) and not one failed client request. A bad
# lvs.cf on SIGHUP is logged with its line and changes nothing.
. "$(dirname "$0")/../lib.sh"
lvs_lab_start
cf=$LVS_CF
client_start
before=$(lvs_rules)
info "table before the reload:"$'\n'"$before"

# ---- one weight changes: 1 -> 2 for rs2 ----
# nanny's slow start raises a weight at its next ~20 s weight period, so the
# `-e` may come up to ~20 s (much more under emulation) after the SIGHUP.
sed -i '/server rs2 {/,/}/ s/weight = 1/weight = 2/' "$cf"
grep -q 'weight = 2' "$cf" || fail "could not edit $cf"
ops_before=$(grep -c 'lvs: ipvsadm ' "$LVSD_LOG" || true)
t_hup=$(now)
kill -HUP "$LVSD_PID"
wait_until 30 lvsd_logged "rereading configuration file"
measure_until 120 eval 'lvs_dest 192.0.2.12 | grep -q -- "-w 2$"'
info "MEASURED the new weight reached the table $MEASURED s after SIGHUP"
sleep 3
after=$(lvs_rules)
t_end=$(now)
changes=$(diff <(echo "$before") <(echo "$after") | grep '^[<>]' || true)
info "ipvsadm -Sn difference:"$'\n'"$changes"
assert_eq "< -a -t $LVS_VIP:80 -r 192.0.2.12:80 -g -w 1
> -a -t $LVS_VIP:80 -r 192.0.2.12:80 -g -w 2" "$changes" "table difference after the reload"
ops=$(grep 'lvs: ipvsadm ' "$LVSD_LOG" | tail -n +"$((ops_before + 1))" || true)
info "IPVS operations lvsd logged since the SIGHUP:"$'\n'"$ops"
assert_eq "lvs: ipvsadm -e -t $LVS_VIP:80 -r 192.0.2.12:80 -g -w 2" "$ops" "operations of the reload"
failed=$(client_count fail "$t_hup" "$t_end")
info "MEASURED client during the reload: $failed failed of $(client_count '' "$t_hup" "$t_end") requests"
assert_eq 0 "$failed" "failed client requests during the reload"

# ---- a bad file: logged, the running table stays ----
good=$(cat "$cf")
echo 'bogus_keyword = 7' >>"$cf"
bad_line=$(grep -n bogus_keyword "$cf" | cut -d: -f1)
"$LVS_BIN_DIR/lvsctl" check -c "$cf" >/dev/null 2>&1 && fail "lvsctl check accepts the broken file"
ops_before=$(grep -c 'lvs: ipvsadm ' "$LVSD_LOG" || true)
t_hup=$(now)
kill -HUP "$LVSD_PID"
wait_until 30 lvsd_logged "error parsing $cf on line"
info "lvsd: $(grep "error parsing $cf" "$LVSD_LOG")"
lvsd_logged "error parsing $cf on line $bad_line." || fail "the error does not name line $bad_line"
sleep 5
assert_eq "$after" "$(lvs_rules)" "table after the bad reload"
assert_eq "$ops_before" "$(grep -c 'lvs: ipvsadm ' "$LVSD_LOG" || true)" "IPVS operations after the bad reload"
kill -0 "$LVSD_PID" || fail "lvsd died on a bad lvs.cf"
t_end=$(now)
assert_eq 0 "$(client_count fail "$t_hup" "$t_end")" "failed client requests during the bad reload"

# ---- the running configuration is still live: a failure is still handled ----
printf '%s\n' "$good" >"$cf"
lab_httpd_stop rs1
measure_until 30 lvs_no_dest 192.0.2.11
info "MEASURED rs1 left the table $MEASURED s after its httpd stopped (after the bad reload)"
info "client totals: $(client_count ok) ok, $(client_count fail) failed"
