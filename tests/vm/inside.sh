#!/usr/bin/env bash
# Runs inside the VM (started by run.sh through vng --exec). Usage: inside.sh OUT_DIR
# Reads OUT_DIR/plan (scenario paths) and OUT_DIR/env, runs each scenario in a
# clean state with a timeout, logs it to OUT_DIR/<name>.log and appends one
# record per scenario to OUT_DIR/results: 'STATUS name seconds end'.
set -uo pipefail

# Everything is in main so that bash reads the whole file before running it:
# changing the file during a run (git checkout, an editor) cannot derail it.
main() {
    out=${1:?usage: inside.sh OUT_DIR}
    here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
    export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH

    record() { printf '%s %s %s end\n' "$1" "$2" "$3" >>"$out/results"; }

    # shellcheck source=/dev/null
    . "$out/env"
    export LVS_BIN_DIR LVS_REPO
    [[ -z ${LVS_BENCH_ROWS:-} ]] || export LVS_BENCH_ROWS
    [[ -z ${LVS_BENCH_HOLD:-} ]] || export LVS_BENCH_HOLD
    [[ -z ${LVS_BENCH_CUTS:-} ]] || export LVS_BENCH_CUTS
    export LVS_VM_OUT=$out LVS_VM_LIB=$here/lib.sh

    # third field: guest uptime at this point, i.e. the kernel boot time
    record BOOTED "$(uname -r)" "$(cut -d. -f1 /proc/uptime)"

    # Leave nothing of one scenario to the next: IPVS table, sync daemons,
    # timeouts, namespaces, links and extra loopback addresses.
    reset_state() {
        if [[ -e /proc/net/ip_vs ]]; then
            ipvsadm -C
            ipvsadm --stop-daemon master 2>/dev/null
            ipvsadm --stop-daemon backup 2>/dev/null
            ipvsadm --set 900 120 300   # the kernel's defaults
        fi
        ip -all netns delete 2>/dev/null
        local link
        for link in $(ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1); do
            [[ $link == lo ]] || ip link delete "$link" 2>/dev/null
        done
        local addr
        for addr in $(ip -o -4 addr show dev lo | awk '{print $4}'); do
            [[ $addr == 127.0.0.1/8 ]] || ip addr del "$addr" dev lo
        done
    }

    while IFS= read -r path; do
        [[ -n $path ]] || continue
        name=$(basename "$path" .sh)
        log=$out/$name.log
        limit=$(sed -n 's/^# *vm-timeout: *\([0-9][0-9]*\).*/\1/p' "$path" | head -n1)
        limit=${limit:-$LVS_VM_SCENARIO_TIMEOUT}
        reset_state
        echo "== $name (timeout $limit s, kernel $(uname -r), started $(date +%T))" >"$log"
        start=$(date +%s)
        # Own session: timeout then signals the scenario's whole process group,
        # and the kill below reaps anything it left running in the background.
        SCENARIO=$name setsid --wait timeout -k 10 "$limit" bash "$path" >>"$log" 2>&1 </dev/null &
        pid=$!
        wait "$pid"
        rc=$?
        kill -KILL -- "-$pid" 2>/dev/null
        secs=$(($(date +%s) - start))
        case $rc in
            0) status=PASS ;;
            77) status=SKIP ;;
            124 | 137) status=FAIL; echo "== $name: timed out after $limit s" >>"$log" ;;
            *) status=FAIL; echo "== $name: exit status $rc" >>"$log" ;;
        esac
        echo "== $status $name ($secs s)"
        record "$status" "$name" "$secs"
    done <"$out/plan"
    reset_state

    record DONE - 0
}

main "$@"
