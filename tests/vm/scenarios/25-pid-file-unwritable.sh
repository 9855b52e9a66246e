#!/usr/bin/env bash
# vm-timeout: 420
# An unwritable pid file directory, then a full one: pulse is started in
# daemon mode (as the original's init script does; no -n) on the pair lab's
# primary, in a private mount namespace whose /var/run is a read-only tmpfs,
# then a full one (64 KiB, filled). Expected, as the original (spec §2.13)
# and for both pulse and the lvsd it starts: the failure is logged to
# syslog as `failed to open /var/run/NAME.pid: <strerror>`, the daemon
# carries on (the router becomes active: VIP up, rs1..rs3 in the table;
# the status socket in the same directory is logged as unavailable), and
# SIGTERM still releases everything: no VIP, an empty table, no process.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../pair.sh"

command -v unshare >/dev/null || skip "unshare (util-linux) not found"
pair_lab
PAIR_CF=$(mktemp --suffix=.cf)
pair_cf "$PAIR_CF"

# A syslog daemon for the daemons' lines (the VM runs none).
[[ -e /dev/log ]] && skip "/dev/log exists: another syslog daemon runs"
SYSLOG=${LVS_VM_OUT:-/tmp}/$SCENARIO.syslog
: >"$SYSLOG"
lab_spawn busybox syslogd -n -O "$SYSLOG"
wait_until 10 test -S /dev/log

RUN_DIR=$(readlink -f /var/run)
info "pid files go to /var/run ($RUN_DIR); syslog in $SYSLOG"

# ours COMM: pids of COMM in the primary's namespace.
ours() { pair_procs primary "$1"; }
nothing_runs() { [[ -z $(ours pulse; ours lvsd; ours nanny) ]]; }
logged() { grep -qE -- "$1" "$SYSLOG"; }

# start MODE (readonly or full): pulse in daemon mode over that /var/run.
start() {
    local mode=$1
    ip netns exec primary unshare -m --propagation private bash -c '
        set -e
        mount -t tmpfs -o size=64k tmpfs "$1"
        if [[ $2 == readonly ]]; then
            mount -o remount,ro "$1"
        else
            dd if=/dev/zero of="$1/fill" bs=4k 2>/dev/null || true
        fi
        exec "$3/pulse" -c "$4" --lvsd="$3/lvsd"
    ' start "$RUN_DIR" "$mode" "$LVS_BIN_DIR" "$PAIR_CF"
}

declare -A WHY=([readonly]="Read-only file system" [full]="No space left on device")
for mode in readonly full; do
    mark=$(wc -l <"$SYSLOG")
    t0=$(now)
    start "$mode" || fail "pulse (daemon mode, $mode /var/run) exited with $?"
    info "$mode: pulse detached (parent exit status 0), pid $(ours pulse)"
    wait_until 90 pair_active primary
    info "$mode: the primary is active $(since "$t0") s after the start: VIP up, rs1..rs3 in the table"
    for name in pulse lvs; do
        wait_until 20 logged "failed to open /var/run/$name.pid: ${WHY[$mode]}"
        info "$mode: logged: $(grep -F "failed to open /var/run/$name.pid" "$SYSLOG" | tail -n1)"
    done
    tail -n +"$((mark + 1))" "$SYSLOG" | grep -E 'status socket|pid' | sed 's/^/    syslog: /' || true
    [[ ! -e $RUN_DIR/pulse.pid ]] || fail "a pulse.pid appeared in the real $RUN_DIR"
    kill -TERM "$(ours pulse)"
    wait_until 60 nothing_runs
    pair_inactive primary || fail "$mode: after SIGTERM the primary still holds the VIP or a table"
    info "$mode: SIGTERM: pulse, lvsd and the nannies gone, no VIP, empty table"
done
rm -f /dev/log
echo "PASS: a read-only and a full /var/run are logged and the router works and stops cleanly"
