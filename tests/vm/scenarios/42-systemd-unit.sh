#!/usr/bin/env bash
# vm-timeout: 600
# The real unit file systemd/pulse.service under a real systemd: systemd runs
# as PID 1 of a container (systemd-nspawn over a writable overlay of the VM's
# root, in the pair lab's `primary` network namespace) with our pulse, lvsd
# and nanny in /usr/sbin and the pair's lvs.cf in /etc/sysconfig/ha; the
# backup router runs a plain pulse (pair.sh). Checked:
# - `systemctl start pulse`: the primary becomes active (VIP as eth0:1,
#   rs1..rs3 in its table), the backup stays inactive;
# - the unit's hardening reaches the daemons: pulse CapEff = CapBnd =
#   NET_ADMIN NET_RAW NET_BIND_SERVICE and SCHED_RR 10; lvsd CAP_NET_ADMIN
#   and SCHED_RR 9 in its main thread and the thread that reads pulse's
#   commands (it raises itself within the unit's LimitRTPRIO), nanny nothing
#   and SCHED_OTHER (reset on fork), both no_new_privs;
# - `systemctl reload pulse`: SIGHUP (`rereading configuration file`), same pid;
# - `kill -9` of the main pid, three times 1-4 s apart with a client running:
#   systemd starts a new pulse each time (Restart=on-failure), the primary is
#   active again, the client's failures and longest gap are reported and it
#   is served cleanly afterwards;
# - `systemctl stop pulse`: VIP released, table empty; the backup takes over;
#   and nothing of the unit is left running in the primary. After the kill
#   only the new pulse's lvsd runs: with the KillMode=process the unit had
#   before, the killed pulse's lvsd and nanny outlived it, beside the new
#   pulse's, and after the stop (and kept programming the primary's table);
#   KillMode=mixed kills them once pulse is gone.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../pair.sh"

need_bin pulse lvsd nanny lvsctl
NSPAWN=/usr/bin/systemd-nspawn
[[ -x $NSPAWN ]] || skip "systemd-nspawn not installed (Debian systemd-container)"
for tool in /lib/systemd/systemd nsenter chrt; do
    command -v "$tool" >/dev/null || fail "$tool not found (systemd-nspawn is installed, so it should be)"
done
UNIT=$LVS_REPO/systemd/pulse.service
[[ -r $UNIT ]] || fail "no $UNIT"

# Long enough that systemd's restart (RestartSec=1, then pulse's start-up under
# emulation) is done before the backup declares the killed primary dead.
PAIR_KEEPALIVE=1 PAIR_DEADTIME=15
OUT=${LVS_VM_OUT:-/tmp}
CONSOLE=$OUT/$SCENARIO.container.log   # the container's console (systemd's boot)
JOURNAL=$OUT/$SCENARIO.journal.log     # journalctl -u pulse, written at the end

# ---- the container's root: the VM's root with a tmpfs overlay on top ----
BASE="" MERGED="" CGROUP="" NSPAWN_PID="" CPID="" CGROUP_MOUNTED=""
teardown() {
    local rc=$1 i
    if ((rc != 0)) && [[ -s $CONSOLE ]]; then
        echo "---- last lines of the container's console ($CONSOLE):"
        tail -n 40 "$CONSOLE"
    fi
    if [[ -n $CPID ]] && kill -0 "$CPID" 2>/dev/null; then
        if ((rc != 0)); then
            echo "---- the container: state $(ctl systemctl is-system-running 2>&1), jobs and failed units:"
            ctl systemctl --no-pager list-jobs 2>&1 | head -n 30 || true
            ctl systemctl --no-pager --failed 2>&1 || true
            ctl systemctl --no-pager status pulse 2>&1 | head -n 40 || true
        fi
        ctl journalctl --no-pager -u pulse >"$JOURNAL" 2>&1 || true
        ctl journalctl --no-pager -b -p warning >"$OUT/$SCENARIO.journal-warnings.log" 2>&1 || true
    fi
    if [[ -n $NSPAWN_PID ]] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
        kill -TERM "$NSPAWN_PID" 2>/dev/null || true   # nspawn asks the container's systemd to halt
        for ((i = 0; i < 120; i++)); do kill -0 "$NSPAWN_PID" 2>/dev/null || break; sleep 0.5; done
        kill -KILL "$NSPAWN_PID" 2>/dev/null || true
        [[ -z $CPID ]] || kill -KILL "$CPID" 2>/dev/null || true
    fi
    if [[ -n $MERGED ]]; then
        for ((i = 0; i < 20; i++)); do umount "$MERGED" 2>/dev/null && break; sleep 0.5; done
        umount -l "$MERGED" 2>/dev/null || true
    fi
    [[ -z $BASE ]] || umount -l "$BASE" 2>/dev/null || true
    # The container's cgroups, deepest first (empty once its processes are gone).
    [[ -z $CGROUP || ! -d $CGROUP ]] || find "$CGROUP" -depth -type d -exec rmdir {} + 2>/dev/null || true
    [[ -z $CGROUP_MOUNTED ]] || umount /sys/fs/cgroup 2>/dev/null || true
}
trap 'teardown $?; cleanup' EXIT

# ctl CMD...: run CMD inside the container (its mount, pid, ipc, uts and net namespaces).
ctl() { nsenter -t "$CPID" -m -u -i -n -p -- "$@"; }

pair_lab
PAIR_CF=$(mktemp --suffix=.cf)
pair_cf "$PAIR_CF"

modprobe overlay || fail "modprobe overlay failed"
if [[ $(stat -fc %T /sys/fs/cgroup 2>/dev/null) != cgroup2fs ]]; then
    mount -t cgroup2 none /sys/fs/cgroup || fail "cannot mount cgroup2 on /sys/fs/cgroup"
    CGROUP_MOUNTED=1
fi
BASE=$(mktemp -d /tmp/systemd-unit-XXXX)
mount -t tmpfs -o mode=755 tmpfs "$BASE"
mkdir "$BASE/upper" "$BASE/work" "$BASE/root"
mount -t overlay overlay -o "lowerdir=/,upperdir=$BASE/upper,workdir=$BASE/work" "$BASE/root" \
    || fail "cannot mount an overlay over / (lowerdir=/ on $(stat -fc %T /))"
MERGED=$BASE/root
install -m 755 "$LVS_BIN_DIR/pulse" "$LVS_BIN_DIR/lvsd" "$LVS_BIN_DIR/nanny" "$MERGED/usr/sbin/"
mkdir -p "$MERGED/etc/sysconfig/ha"
cp "$PAIR_CF" "$MERGED/etc/sysconfig/ha/lvs.cf"
echo 'OPTIONS="-v"' >"$MERGED/etc/sysconfig/pulse"
cp "$UNIT" "$MERGED/etc/systemd/system/pulse.service"
# A boot target with sysinit.target only (pulse.service requires it anyway);
# units that have no business in this container are masked.
cat >"$MERGED/etc/systemd/system/lvs-test.target" <<'EOF'
[Unit]
Description=piranha-rs VM test: sysinit.target and nothing else
Wants=sysinit.target
After=sysinit.target
AllowIsolate=yes
EOF
for unit in systemd-timesyncd.service systemd-pstore.service systemd-sysctl.service \
    systemd-networkd.service systemd-networkd.socket systemd-networkd-wait-online.service \
    systemd-resolved.service networking.service ifupdown-wait-online.service \
    NetworkManager.service NetworkManager-wait-online.service keepalived.service \
    postgresql.service e2scrub_reap.service getty@tty1.service console-getty.service \
    systemd-firstboot.service \
    apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer \
    fstrim.timer man-db.timer systemd-tmpfiles-clean.timer; do
    ln -sf /dev/null "$MERGED/etc/systemd/system/$unit"
done
info "container root: overlay of / (upper on tmpfs) at $MERGED; pulse, lvsd, nanny in /usr/sbin;" \
    "unit $UNIT; lvs.cf (keepalive $PAIR_KEEPALIVE, deadtime $PAIR_DEADTIME) in /etc/sysconfig/ha"

# ---- boot systemd in the primary's network namespace ----
t_boot=$(now)
# No machined, no systemd on the VM: --register=no, and --keep-unit so that
# nspawn does not ask the (absent) system bus for a scope; it stays in the
# cgroup it is started in, a fresh one, and splits that itself. A namespace
# given by path does not get the container CAP_NET_ADMIN (only nspawn's own
# private network does): without it in the container's bounding set, systemd
# cannot give it to pulse (EPERM on the VIP and IPVS).
CGROUP=/sys/fs/cgroup/$SCENARIO
mkdir "$CGROUP"
# shellcheck disable=SC2016  # expanded by that sh
lab_spawn sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$CGROUP" \
    "$NSPAWN" --quiet --directory="$MERGED" --boot --register=no --keep-unit --link-journal=no --capability=CAP_NET_ADMIN \
    --network-namespace-path=/run/netns/primary --console=pipe --resolv-conf=off --timezone=off \
    systemd.unit=lvs-test.target systemd.log_color=0 </dev/null >"$CONSOLE" 2>&1
NSPAWN_PID=$!
# container_init: the pid (here) of the container's PID 1, systemd.
container_init() {
    local pid
    for pid in $(pgrep -x systemd); do
        [[ $(awk '$1 == "NSpid:" { print $NF }' "/proc/$pid/status") == 1 ]] && { echo "$pid"; return 0; }
    done
    return 1
}
booted() { [[ $(ctl systemctl is-system-running 2>/dev/null) =~ ^(running|degraded)$ ]]; }
wait_until 60 container_init
CPID=$(container_init)
wait_until 300 booted
info "MEASURED container booted $(since "$t_boot") s after systemd-nspawn started:" \
    "$(ctl systemctl is-system-running) (PID 1 is pid $CPID here, CapBnd $(awk '$1 == "CapBnd:" { print $2 }' "/proc/$CPID/status"))"
ctl systemctl --no-pager --failed --plain --no-legend | sed 's/^/    failed unit: /'

# ---- systemctl start pulse ----
# pulse_pids: the pulse processes in the primary's namespace (pids seen here).
pulse_pids() { pair_procs primary pulse; }
# unit_active: systemd reports pulse.service active.
unit_active() { [[ $(ctl systemctl is-active pulse) == active ]]; }
# main_pid: pulse's MainPID as seen here (systemd reports it in the container's pid namespace).
main_pid() {
    local inner pid
    inner=$(ctl systemctl show -p MainPID --value pulse)
    [[ $inner =~ ^[1-9][0-9]*$ ]] || return 1
    for pid in $(pulse_pids); do
        [[ $(awk '$1 == "NSpid:" { print $NF }' "/proc/$pid/status") == "$inner" ]] && { echo "$pid"; return 0; }
    done
    return 1
}
t0=$(now)
ctl systemctl start pulse || { ctl systemctl --no-pager status pulse || true; fail "systemctl start pulse failed"; }
info "MEASURED systemctl start pulse returned after $(since "$t0") s (Type=notify: pulse said READY=1)"
measure_until 90 pair_has_vip primary
info "MEASURED the primary holds the VIP $(since "$t0") s after systemctl start"
pair_pulse_start backup
measure_until 120 pair_is_only primary
info "MEASURED the primary alone is active (VIP, rs1..rs3) $(since "$t0") s after systemctl start;" \
    "backup inactive"
pair_assert_table primary
PULSE=$(main_pid) || fail "no pulse process matches the unit's MainPID"
assert_eq "$PULSE" "$(pulse_pids)" "pulse processes in the primary's namespace"
assert_eq 1 "$(wc -w <<<"$(pair_procs backup pulse)")" "pulse processes in the backup's namespace"
info "pulse.service active, main pid $PULSE (here)"

# ---- the unit's hardening, as the daemons hold it ----
field() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
caps_line() { grep -E '^(Cap|NoNewPrivs)' "/proc/$1/status" | tr '\t\n' '  '; }
# expect_sched WHAT PID POLICY PRIORITY: chrt -p PID says POLICY (flags such as
# |SCHED_RESET_ON_FORK aside) and PRIORITY.
expect_sched() {
    local what=$1 pid=$2 out policy prio
    out=$(chrt -p "$pid")
    policy=$(sed -n "s/.*scheduling policy: \([A-Z_]*\).*/\1/p" <<<"$out")
    prio=$(sed -n "s/.*scheduling priority: \([0-9]*\).*/\1/p" <<<"$out")
    info "$what (pid $pid): $(tr '\n' ';' <<<"$out")"
    assert_eq "$3" "$policy" "$what scheduling policy"
    assert_eq "$4" "$prio" "$what scheduling priority"
}
# expect_caps WHAT PID CAPEFF [NO_NEW_PRIVS]
expect_caps() {
    info "$1 (pid $2): $(caps_line "$2")"
    assert_eq "$3" "$(field "$2" CapEff)" "$1 CapEff"
    [[ -z ${4:-} ]] || assert_eq "$4" "$(field "$2" NoNewPrivs)" "$1 NoNewPrivs"
}
PULSE_CAPS=0000000000003400 LVSD_CAPS=0000000000001000 NONE=0000000000000000
expect_caps pulse "$PULSE" $PULSE_CAPS
assert_eq $PULSE_CAPS "$(field "$PULSE" CapBnd)" "pulse CapBnd"
expect_sched pulse "$PULSE" SCHED_RR 10
LVSD=$(pair_lvsd_pid primary)
expect_caps lvsd "$LVSD" $LVSD_CAPS 1
# The main thread and the one that reads pulse's word at a takeover
# (`standby-input`); reset on fork puts any other thread back to normal.
rt_threads=0
for task in /proc/"$LVSD"/task/*; do
    comm=$(cat "$task/comm")
    case $comm in
        lvsd | standby-input) expect_sched "lvsd thread $comm" "${task##*/}" SCHED_RR 9; rt_threads=$((rt_threads + 1)) ;;
        *) info "lvsd thread $comm (tid ${task##*/}): $(chrt -p "${task##*/}" | tr '\n' ';')" ;;
    esac
done
assert_eq 2 "$rt_threads" "lvsd threads named lvsd and standby-input"
has_nannies() { [[ -n $(pair_procs primary nanny) ]]; }
wait_until 60 has_nannies
nannies=$(pair_procs primary nanny)
for pid in $nannies; do
    expect_caps nanny "$pid" $NONE 1
    expect_sched nanny "$pid" SCHED_OTHER 0
done
info "unit hardening reached the daemons: pulse $PULSE_CAPS (bounding too), SCHED_RR 10;" \
    "lvsd $LVSD_CAPS, SCHED_RR 9; $(wc -w <<<"$nannies") nanny(ies) nothing, SCHED_OTHER; lvsd and nanny no_new_privs"

# ---- systemctl reload pulse: SIGHUP, same process ----
# reloads: the number of pulse's `rereading configuration file` lines in the journal.
reloads() { ctl journalctl --no-pager -o cat -u pulse | grep -cF 'pulse: rereading configuration file' || true; }
# more_reloads N: more than N such lines.
more_reloads() { (($(reloads) > $1)); }
before=$(reloads)
ctl systemctl reload pulse || fail "systemctl reload pulse failed"
measure_until 60 more_reloads "$before"
info "MEASURED systemctl reload pulse: 'pulse: rereading configuration file' in the journal $MEASURED s later"
assert_eq "$PULSE" "$(main_pid)" "pulse's main pid after the reload"
unit_active || fail "pulse.service not active after the reload"
pair_is_only primary || fail "after the reload: VIP held by '$(pair_holders)'"

# ---- kill -9 of the main pid, three times at random moments: systemd restarts pulse ----
# restarted OLD: a pulse other than OLD is the unit's main pid, and the unit is active.
restarted() { local pid; pid=$(main_pid) && [[ $pid != "$1" ]] && unit_active; }
# children_of PID COMM: the pids of PID's children named COMM.
children_of() { pgrep -P "$1" -x "$2" || true; }
has_lvsd() { [[ -n $(children_of "$1" lvsd) ]]; }
# only_the_new_lvsd: the lvsd in the primary are the new pulse's (the killed
# pulse's lvsd and nanny are gone, KillMode=mixed, not running beside the new ones).
only_the_new_lvsd() { [[ $(pair_lvsd_pids primary | paste -sd ' ') == "$(children_of "$NEW" lvsd | paste -sd ' ')" ]]; }
# activations: the unit's "... activating lvs" lines so far (the VIP and the
# table outlive a killed pulse, so they do not tell that the new one took over).
activations() { ctl journalctl --no-pager -o cat -u pulse | grep -c 'activating lvs' || true; }
more_activations() { (($(activations) > $1)); }
client_start
client_clean 10 "before the kill loop"
t_loop=$(now)
for round in 1 2 3; do
    sleep "$(awk -v r="$RANDOM" 'BEGIN { printf "%.1f", 1 + 3 * r / 32767 }')"
    before=$(activations)
    t_kill=$(now)
    kill -KILL "$PULSE"
    measure_until 60 restarted "$PULSE"
    NEW=$(main_pid)
    info "MEASURED round $round: pulse $PULSE killed with SIGKILL, systemd started pulse $NEW $MEASURED s later" \
        "(NRestarts=$(ctl systemctl show -p NRestarts --value pulse))"
    assert_eq "$round" "$(ctl systemctl show -p NRestarts --value pulse)" "pulse.service NRestarts"
    measure_until 60 more_activations "$before"
    pair_is_only primary || wait_until 30 pair_is_only primary
    info "MEASURED round $round: the new pulse activated the primary $(since "$t_kill") s after the kill" \
        "($(ctl journalctl --no-pager -o cat -u pulse | grep 'activating lvs' | tail -1))"
    assert_eq "$NEW" "$(pulse_pids)" "pulse processes in the primary's namespace after the restart"
    wait_until 60 has_lvsd "$NEW"
    wait_until 30 only_the_new_lvsd
    info "round $round: lvsd in the primary: $(pair_lvsd_pids primary | paste -sd ' ') (the new pulse's)," \
        "nanny: $(pair_procs primary nanny | paste -sd ' ')"
    PULSE=$NEW
done
t_end=$(now)
failed=$(client_count fail "$t_loop" "$t_end")
client_outage "$t_loop"
info "MEASURED client during the kill loop: $failed failed of $(client_count '' "$t_loop" "$t_end") requests," \
    "longest gap between answered requests $MEASURED s"
client_clean 10 "after the kill loop" "$(now)"
[[ $(pair_procs primary nanny | wc -w) == 1 ]] || fail "nannies in the primary after the loop: $(pair_procs primary nanny)"
expect_caps "restarted pulse" "$PULSE" $PULSE_CAPS
assert_eq $PULSE_CAPS "$(field "$PULSE" CapBnd)" "restarted pulse CapBnd"
expect_sched "restarted pulse" "$PULSE" SCHED_RR 10

# ---- systemctl stop pulse: everything released, the backup takes over ----
t0=$(now)
ctl systemctl stop pulse || fail "systemctl stop pulse failed"
info "MEASURED systemctl stop pulse returned after $(since "$t0") s"
[[ $(ctl systemctl is-active pulse) == inactive ]] || fail "pulse.service is $(ctl systemctl is-active pulse) after stop"
[[ -z $(pulse_pids) ]] || fail "pulse still runs in the primary after systemctl stop: $(pulse_pids)"
pair_no_vip primary || fail "the primary still holds the VIP after systemctl stop"
pair_table_empty primary || fail "the primary's table is not empty after systemctl stop: $(lvs_rules primary)"
info "pulse stopped: the primary's VIP released and its table empty"
measure_until 90 pair_active backup
info "MEASURED the backup took over (VIP, rs1..rs3) $(since "$t0") s after systemctl stop"
# Nothing of the unit may be left running: an lvsd left in the primary keeps
# (re)programming the primary's table.
left=$(pair_lvsd_pids primary; pair_procs primary nanny)
if [[ -n $left ]]; then
    for pid in $left; do info "left running in the primary: pid $pid $(tr '\0' ' ' <"/proc/$pid/cmdline")"; done
    ctl systemctl --no-pager status pulse | sed -n '/CGroup:/,/^$/p' || true
    sleep 10
    info "the primary's table 10 s later: $(lvs_rules primary | tr '\n' ';')"
    fail "pulse.service is stopped but lvsd/nanny still run in its cgroup"
fi
wait_until 30 pair_is_only backup
echo "PASS: pulse.service started, hardened, reloaded, restarted after kill -9 and stopped under systemd"
