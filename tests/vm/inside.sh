#!/usr/bin/env bash
# Runs inside the VM (started by run.sh through vng --exec). Usage: inside.sh OUT_DIR
# Reads OUT_DIR/plan (scenario paths) and OUT_DIR/env, runs each scenario in a
# clean state with a timeout, logs it to OUT_DIR/<name>.log and appends
# records to OUT_DIR/results, one line each, ending in 'end':
#   START name limit        a scenario starts, with its time limit in seconds
#   PASS|FAIL|SKIP name s   it ended after s seconds
#   STALLED what s          the kernel did not finish a step in time (the
#                           clean-up between scenarios, or a scenario's
#                           processes after its timeout): diagnostics are in
#                           OUT_DIR/stall-<what>.log, and this boot stops so
#                           that run.sh can boot again for the rest
#   BOOTED kernel s / DONE - 0
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

    # A task stuck in the kernel is reported in dmesg after 60 s, with its
    # stack; sysrq 'w' lists every blocked task on demand (stall_report).
    echo 60 >/proc/sys/kernel/hung_task_timeout_secs 2>/dev/null
    echo 1 >/proc/sys/kernel/sysrq 2>/dev/null

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

    # finished_within SECONDS PID: waits for our child PID at most SECONDS;
    # its exit status, or 124 when it is still running then (left as is).
    finished_within() {
        local until=$((SECONDS + $1)) pid=$2
        while kill -0 "$pid" 2>/dev/null; do
            ((SECONDS < until)) || return 124
            sleep 0.2
        done
        wait "$pid"
    }

    # stall_report WHAT: what the kernel says about stuck tasks, to
    # OUT_DIR/stall-WHAT.log and the console; records STALLED.
    stall_report() {
        local what=$1 secs=$2 report=$out/stall-$1.log
        echo 'w' >/proc/sysrq-trigger 2>/dev/null
        {
            echo "== $what: not finished after $secs s ($(date +%T)); every process (STAT D: stuck in the kernel):"
            ps -eo pid,ppid,stat,wchan:32,args
            local task
            for task in $(ps -eo pid,stat | awk '$2 ~ /D/ {print $1}'); do
                echo "-- /proc/$task/stack ($(cat "/proc/$task/comm" 2>/dev/null)):"
                cat "/proc/$task/stack" 2>/dev/null
            done
            echo "== the kernel's last messages:"
            dmesg | tail -n 150
        } >"$report" 2>&1
        echo "== STALLED $what ($secs s); see $report"
        tail -n 40 "$report"
        record STALLED "$what" "$secs"
    }

    # clean_up AFTER: reset_state, given 120 s; when it is not done by then,
    # a stall report for the clean-up after scenario AFTER, and false.
    clean_up() {
        reset_state &
        finished_within 120 $! && return 0
        stall_report "cleanup-after-$1" 120
        return 1
    }

    previous=boot
    while IFS= read -r path; do
        [[ -n $path ]] || continue
        name=$(basename "$path" .sh)
        log=$out/$name.log
        limit=$(sed -n 's/^# *vm-timeout: *\([0-9][0-9]*\).*/\1/p' "$path" | head -n1)
        limit=${limit:-$LVS_VM_SCENARIO_TIMEOUT}
        clean_up "$previous" || return 0
        echo "== $name (timeout $limit s, kernel $(uname -r), started $(date +%T))" >"$log"
        record START "$name" "$limit"
        start=$(date +%s)
        # Own session: timeout then signals the scenario's whole process group,
        # and the kill below reaps anything it left running in the background.
        SCENARIO=$name setsid --wait timeout -k 10 "$limit" bash "$path" >>"$log" 2>&1 </dev/null &
        pid=$!
        # timeout kills at limit + 10 s; a scenario not gone a minute later
        # has processes stuck in the kernel.
        finished_within $((limit + 70)) "$pid"
        rc=$?
        stuck=$((rc == 124 && $(date +%s) - start > limit + 60))
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
        if ((stuck)); then
            echo "== $name: its processes did not end after the timeout (stuck in the kernel)" >>"$log"
            stall_report "$name" "$secs"
            return 0
        fi
        previous=$name
    done <"$out/plan"
    clean_up "$previous" || return 0

    record DONE - 0
}

main "$@"
