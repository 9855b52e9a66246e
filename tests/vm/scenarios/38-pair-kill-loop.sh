#!/usr/bin/env bash
# vm-timeout: 600
# kill -9 in a loop at random moments (issue #7): 8 rounds, 1-4 s apart,
# each killing one daemon process of the pair in turn: the active router's
# nanny worker, the backup's standby nanny worker, the backup's standby
# lvsd, the active router's lvsd (twice in all, within pulse's restart
# bound of 3 per activation). Each death must heal (a new process of the
# same kind, the same role layout), and the client must keep being served:
# failed requests and the longest gap are reported, and after the loop the
# primary is still the only active router with the whole table.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../pair.sh"

# ns_pids NS COMM: pids of processes named COMM in namespace NS.
ns_pids() { pair_procs "$@"; }
# healed NS COMM OLD: exactly one COMM runs in NS and it is not OLD.
healed() {
    local pids
    pids=$(ns_pids "$1" "$2")
    [[ $(wc -w <<<"$pids") == 1 && $pids != "$3" ]]
}

pair_serving
wait_until 60 pair_logged backup "standby lvsd running as pid"
wait_until 60 eval '[[ -n $(ns_pids backup nanny) ]]'
t_loop=$(now)
targets=("primary nanny" "backup nanny" "backup lvsd" "primary lvsd")
for round in $(seq 0 7); do
    sleep "$(awk -v r="$RANDOM" 'BEGIN { printf "%.1f", 1 + 3 * r / 32767 }')"
    read -r router comm <<<"${targets[round % 4]}"
    victim=$(ns_pids "$router" "$comm")
    [[ $(wc -w <<<"$victim") == 1 ]] || fail "round $round: expected one $comm on $router, found '$victim'"
    t_kill=$(now)
    kill -KILL "$victim"
    measure_until 120 healed "$router" "$comm" "$victim"
    info "MEASURED round $round: $comm on $router (pid $victim) killed, a new one runs $MEASURED s later"
    pair_is_only primary || wait_until 60 pair_is_only primary
done
info "8 kills in $(since "$t_loop") s"
pair_logged primary "restarting lvsd (2 of 3)" || fail "pulse did not log the second lvsd restart"
client_clean 20 "after the kill loop" "$(now)"
t_end=$(now)
failed=$(client_count fail "$t_loop" "$t_end")
client_outage "$t_loop"
info "MEASURED client during the kill loop: $failed failed of $(client_count '' "$t_loop" "$t_end") requests," \
    "longest gap between answered requests $MEASURED s"
pair_is_only primary || fail "after the loop: VIP held by '$(pair_holders)'"
pair_assert_table primary
pair_pulse_stop primary backup
