#!/usr/bin/env bash
# vm-timeout: 600
# The demo (./demo): tests/vm/demo.sh, the narrated two-router lab that
# ./demo runs in this VM when the host kernel has no IPVS, runs here with the
# lab's default lvs.cf. It must exit 0 and its narration must tell, in this
# order: requests spread over rs1, rs2 and rs3 (each > 0); rs2 leaving the
# IPVS table (with the seconds it took); the backup taking over after the
# primary's cable is cut, with the client's outage in ms; after the cable
# is back, exactly one router active and staying so; the clean-up done.
# Afterwards nothing of the lab is left: no namespace, bridge, process of
# ours or temporary file.
. "$(dirname "$0")/../lib.sh"
need_ipvs
need_bin pulse lvsd nanny lvsctl

out=${LVS_VM_OUT:-/tmp}
# Web server directories of earlier scenarios in this VM (e.g. 20's sorry
# server) are not the demo's: only new ones count as left behind.
httpd_before=$(compgen -G '/tmp/lab-httpd-*' | sort || true)
narration=$out/$SCENARIO.narration
logs=$out/$SCENARIO.logs
if ! bash "$(dirname "$0")/../demo.sh" --logs "$logs" | tee "$narration"; then
    fail "tests/vm/demo.sh failed (exit status ${PIPESTATUS[0]}); logs in $logs"
fi

# expect_event REGEX WHAT: a narration line after the previous event's
# matches REGEX (extended).
last=0
expect_event() {
    local n
    n=$(awk -v re="$1" -v after="$last" 'NR > after && $0 ~ re { print NR; exit }' "$narration")
    [[ -n $n ]] || fail "the narration does not tell: $2 (no line matching /$1/ after line $last)"
    info "event: $2 — line $n: $(sed -n "${n}p" "$narration" | sed 's/^ *//')"
    last=$n
}
expect_event 'requests spread over the real servers: rs1 [1-9][0-9]*, rs2 [1-9][0-9]*, rs3 [1-9][0-9]* [(]' \
    "requests spread over 3 real servers"
expect_event 'rs2 left the IPVS table [0-9]+[.][0-9] s after its web server stopped' "rs2 leaves the table"
expect_event 'rs2 rejoined the IPVS table [0-9]+[.][0-9] s after its web server was started' \
    "rs2 back in the table after reentry"
expect_event 'the backup took over: the client was answered again [0-9]+[.][0-9] s after the cut' \
    "the backup takes over"
expect_event 'client outage: [0-9]+ ms' "the client's outage in ms"
expect_event 'exactly one router active: the (backup|primary), and it stays so' \
    "the primary back, exactly one router active"
expect_event 'cleanup done: [0-9]+ processes stopped' "clean-up done"
expect_event '^demo: done: every expected event happened' "the verdict"

# Nothing of the lab is left.
assert_eq "" "$(ip netns list)" "network namespaces after the demo"
! ip link show lvbr0 >/dev/null 2>&1 || fail "the lab's bridge lvbr0 is left"
ours=""
for comm in /proc/[0-9]*/comm; do
    case $(cat "$comm" 2>/dev/null) in
        pulse | lvsd | nanny | busybox) ours+=" ${comm//[^0-9]/}" ;;
    esac
done
assert_eq "" "$ours" "pids of pulse/lvsd/nanny/busybox left running"
work=$(grep -o '(/tmp/lvs-demo[.][A-Za-z0-9]*)' "$narration" | tr -d '()' | head -n1)
[[ -n $work ]] || fail "the narration names no work directory"
[[ ! -e $work ]] || fail "the demo's work directory $work is left"
httpd_left=$(comm -13 <(echo "$httpd_before") <(compgen -G '/tmp/lab-httpd-*' | sort || true) | grep . || true)
[[ -z $httpd_left ]] || fail "web server directories left: $(echo $httpd_left)"
info "nothing left: no namespace, no bridge, no process of ours, $work removed"
