#!/usr/bin/env bash
# vm-timeout: 1200
# Soak (not part of ./test: ten minutes; `bash tests/vm/run.sh '80-*'`):
# a router pair (pair.sh lab) with the client running, flapped for
# $LVS_SOAK_SECONDS (default 600): every cycle rs2's web server stops until
# it leaves the table and starts again until it is back; every other cycle
# the active router's cable is cut until the other one holds the VIP, then
# restored until exactly one router is active. Every 30 s the descriptors,
# resident memory and process count of pulse, lvsd and the nannies on both
# routers are sampled (out/80-soak-flapping.log has the table).
# Expected: pulse's descriptors end within 2 of the first sample (a status
# or netlink socket may be open at that moment) and its memory grows by less
# than 1 MiB; lvsd + nannies end with as many processes and within 4
# descriptors (probes in flight) of the first sample taken in the same
# state (failovers replace lvsd processes, so they are compared per router
# and state: active or standby).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../pair.sh"

SOAK=${LVS_SOAK_SECONDS:-600}
pair_serving

# ours ROUTER COMM: pids of COMM (pulse, lvsd, nanny) in ROUTER's namespace.
ours() { pair_procs "$@"; }
fds_of() { local n=0 pid; for pid in "$@"; do n=$((n + $(ls "/proc/$pid/fd" 2>/dev/null | wc -l))); done; echo "$n"; }
rss_of() {
    local n=0 pid
    for pid in "$@"; do n=$((n + $(awk '$1 == "VmRSS:" { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0))); done
    echo "$n"
}

# sample: one line per router: state, pulse fds/RSS, lvsd+nanny fds/RSS/count.
declare -A FIRST_PULSE_FDS=() FIRST_PULSE_RSS=() FIRST_CHILD=()
declare -A LAST_PULSE_FDS=() LAST_PULSE_RSS=() LAST_CHILD=()
sample() {
    local router state pulse children line
    for router in "${PAIR_ROUTERS[@]}"; do
        state=standby
        pair_has_vip "$router" && state=active
        pulse=$(ours "$router" pulse)
        children=$(ours "$router" lvsd; ours "$router" nanny)
        line="$(fds_of $children) fds $(rss_of $children) KiB in $(wc -w <<<"$children") processes"
        printf '%8s %-8s %-7s pulse %3s fds %6s KiB | lvsd+nannies %s\n' "$(since "$T0")" "$router" "$state" \
            "$(fds_of $pulse)" "$(rss_of $pulse)" "$line"
        LAST_PULSE_FDS[$router]=$(fds_of $pulse) LAST_PULSE_RSS[$router]=$(rss_of $pulse)
        : "${FIRST_PULSE_FDS[$router]:=${LAST_PULSE_FDS[$router]}}" "${FIRST_PULSE_RSS[$router]:=${LAST_PULSE_RSS[$router]}}"
        # lvsd + nannies, compared per router and state (their fds and count).
        LAST_CHILD[$router.$state]="$(fds_of $children) $(wc -w <<<"$children")"
        : "${FIRST_CHILD[$router.$state]:=${LAST_CHILD[$router.$state]}}"
    done
}

T0=$(now)
printf '%8s %-8s %-7s %s\n' seconds router state measures
sample
cycles=0 cuts=0 next_sample=30
while awk -v t="$T0" -v n="$(now)" -v s="$SOAK" 'BEGIN { exit !(n - t < s) }'; do
    cycles=$((cycles + 1))
    active=$(pair_the_active)
    lab_httpd_stop rs2
    wait_until 60 lvs_no_dest 192.0.2.12 "$active"
    lab_httpd rs2 80
    wait_until 60 pair_one_active
    if ((cycles % 2 == 0)); then
        active=$(pair_the_active)
        pair_link_cut "$active"
        wait_until 60 pair_has_vip "$(pair_other "$active")"
        pair_link_restore "$active"
        wait_until 90 pair_one_active
        cuts=$((cuts + 1))
    fi
    if awk -v t="$T0" -v n="$(now)" -v s="$next_sample" 'BEGIN { exit !(n - t >= s) }'; then
        sample
        next_sample=$((next_sample + 30))
    fi
done
wait_until 90 pair_one_active
sleep 5
sample
info "$cycles cycles in $(since "$T0") s: rs2 flapped $cycles times, the active router's cable cut $cuts times"

for router in "${PAIR_ROUTERS[@]}"; do
    info "$router pulse: fds ${FIRST_PULSE_FDS[$router]} -> ${LAST_PULSE_FDS[$router]}," \
        "RSS ${FIRST_PULSE_RSS[$router]} -> ${LAST_PULSE_RSS[$router]} KiB"
    ((LAST_PULSE_FDS[$router] <= FIRST_PULSE_FDS[$router] + 2)) || fail "$router pulse's descriptors grew"
    ((LAST_PULSE_RSS[$router] - FIRST_PULSE_RSS[$router] < 1024)) || fail "$router pulse grew by 1 MiB or more"
done
for key in "${!LAST_CHILD[@]}"; do
    read -r fds0 n0 <<<"${FIRST_CHILD[$key]}"
    read -r fds1 n1 <<<"${LAST_CHILD[$key]}"
    info "$key lvsd+nannies: fds $fds0 -> $fds1, processes $n0 -> $n1"
    assert_eq "$n0" "$n1" "$key: processes"
    ((fds1 <= fds0 + 4)) || fail "$key: the descriptors of lvsd and the nannies grew from $fds0 to $fds1"
done
echo "PASS: $cycles cycles over $(since "$T0") s; descriptors and memory flat"
