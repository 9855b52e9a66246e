# shellcheck shell=bash
# The two-router lab (scenarios 30-33): the whole stack with our pulse on a
# primary and a backup router. Source it after lib.sh:
#   . "$(dirname "$0")/../lib.sh"
#   . "$(dirname "$0")/../pair.sh"
#
# One L2 segment, direct routing: client `cl` 192.0.2.10, routers `primary`
# 192.0.2.1 and `backup` 192.0.2.2, real servers rs1..rs3 192.0.2.11-13 (the
# VIP 192.0.2.100 on lo, arp_ignore/arp_announce, a busybox httpd answering
# its namespace name). Each router runs
# `pulse -n -v -c $PAIR_CF --lvsd=$LVS_BIN_DIR/lvsd` (-v: PAIR_VERBOSE); pulse brings the VIP up
# as eth0:1 and starts lvsd (same log file: out/<scenario>.<router>.log).

PAIR_ROUTERS=(primary backup)
declare -A PAIR_ADDR=([primary]=192.0.2.1 [backup]=192.0.2.2)
declare -A PAIR_PULSE=()   # router -> pid of its pulse
declare -A PAIR_LOG=()     # router -> pulse's (and lvsd's) stdout/stderr
PAIR_CF=""                 # the lvs.cf both routers share
# Heartbeat timers of pair_cf (our pulse also accepts decimals, e.g. 0.2).
: "${PAIR_KEEPALIVE:=1}" "${PAIR_DEADTIME:=3}"
# A command line that pair_pulse_start puts before pulse (e.g. setpriv with the
# unit's capability sets, scenario 39); none by default.
PAIR_WRAP=()
# pulse's logging option: -v (the DEBUG lines several scenarios check) by
# default; "" for the operator's log only, as a production router runs.
PAIR_VERBOSE=(-v)
# The lvsd pulse starts (--lvsd=).
PAIR_LVSD=$LVS_BIN_DIR/lvsd

# pair_lab: the namespaces, real servers and httpds (no pulse yet).
pair_lab() {
    local router
    need_ipvs
    need_bin pulse lvsd nanny lvsctl
    lab_bridge
    lab_host cl 192.0.2.10/24
    for router in "${PAIR_ROUTERS[@]}"; do
        lvs_lab_router "$router" "${PAIR_ADDR[$router]}/24"
    done
    lvs_lab_servers
    info "lab up: client cl, routers primary ${PAIR_ADDR[primary]} and backup ${PAIR_ADDR[backup]}," \
        "real servers ${LVS_RS[*]}, VIP $LVS_VIP"
}

# pair_cf FILE [LINE...]: lvs.cf for the pair (backup_active = 1, heartbeat on
# UDP 539, $PAIR_KEEPALIVE/$PAIR_DEADTIME) with lvs_lab_virtual's `virtual
# web` (LINEs go into the virtual block).
pair_cf() {
    local file=$1
    shift
    {
        printf 'serial_no = 1\nprimary = %s\nbackup = %s\nbackup_active = 1\n' \
            "${PAIR_ADDR[primary]}" "${PAIR_ADDR[backup]}"
        printf 'service = lvs\nheartbeat = 1\nheartbeat_port = 539\n'
        printf 'keepalive = %s\ndeadtime = %s\nnetwork = direct\n' "$PAIR_KEEPALIVE" "$PAIR_DEADTIME"
        lvs_lab_virtual "$@"
    } >"$file"
    lvs_lab_check "$file"
}

# pair_pulse_start ROUTER...: run pulse in each ROUTER's namespace on
# $PAIR_CF, all at once (pid in PAIR_PULSE[ROUTER], output appended to
# PAIR_LOG[ROUTER]); returns once each has logged its role, which must be
# the router's.
pair_pulse_start() {
    local router role
    for router in "$@"; do
        PAIR_LOG[$router]=${LVS_VM_OUT:-/tmp}/$SCENARIO.$router.log
        echo "---- $(date +%T) pair_pulse_start $router" >>"${PAIR_LOG[$router]}"
        lab_spawn ip netns exec "$router" "${PAIR_WRAP[@]}" "$LVS_BIN_DIR/pulse" -n "${PAIR_VERBOSE[@]}" -c "$PAIR_CF" \
            --lvsd="$PAIR_LVSD" >>"${PAIR_LOG[$router]}" 2>&1
        PAIR_PULSE[$router]=$!
    done
    for router in "$@"; do
        role=MASTER
        [[ $router == primary ]] || role=BACKUP
        wait_until 60 pair_logged "$router" "STARTING PULSE AS"
        pair_logged "$router" "STARTING PULSE AS $role" || fail "pulse on $router did not start as $role"
        info "pulse on $router running as pid ${PAIR_PULSE[$router]} ($role), log in ${PAIR_LOG[$router]}"
    done
}

# pair_start [LINE...]: pair_lab, $PAIR_CF (pair_cf with these LINEs), the
# primary's pulse, and once it holds the VIP the backup's; returns once the
# primary is active and the backup holds nothing (pair_is_only primary).
# Started at once, either router may end up active (see 30-pair-startup).
pair_start() {
    pair_lab
    PAIR_CF=$(mktemp --suffix=.cf)
    pair_cf "$PAIR_CF" "$@"
    pair_pulse_start primary
    wait_until 60 pair_has_vip primary
    pair_pulse_start backup
    wait_until 120 pair_is_only primary
    info "primary active (VIP, rs1..rs3 in its table), backup inactive (no VIP, empty table)"
}

# pair_pulse_stop ROUTER...: SIGTERM to each ROUTER's pulse; returns once they exited.
pair_pulse_stop() {
    local router
    for router in "$@"; do kill -TERM "${PAIR_PULSE[$router]}"; done
    for router in "$@"; do wait "${PAIR_PULSE[$router]}" || true; done
}

# pair_serving [LINE...]: pair_start, then the client (client_start) until
# 10 requests were answered through the primary without a failure.
pair_serving() {
    pair_start "$@"
    client_start
    client_clean 10 "before the failure"
}

# pair_logged ROUTER TEXT: ROUTER's log has a line containing TEXT.
pair_logged() { grep -qF -- "$2" "${PAIR_LOG[$1]}"; }
# pair_log_lines ROUTER: the number of lines in ROUTER's log (a mark for
# pair_logged_since).
pair_log_lines() { wc -l <"${PAIR_LOG[$1]}"; }
# pair_logged_since ROUTER LINES TEXT: a line after the first LINES lines has TEXT.
pair_logged_since() { tail -n +"$(($2 + 1))" "${PAIR_LOG[$1]}" | grep -qF -- "$3"; }

# pair_has_vip ROUTER: ROUTER holds the VIP on eth0 with the label eth0:1.
pair_has_vip() { in_ns "$1" ip -4 -o addr show dev eth0 label eth0:1 | grep -q " $LVS_VIP/"; }
# pair_no_vip ROUTER: ROUTER holds the VIP on no interface at all.
pair_no_vip() { ! in_ns "$1" ip -4 -o addr show | grep -q " $LVS_VIP/"; }
# pair_table_empty ROUTER: ROUTER's IPVS table is empty.
pair_table_empty() { [[ -z $(in_ns "$1" ipvsadm -Sn) ]]; }
# pair_active ROUTER: the VIP and rs1..rs3 at weight 1 in its table.
pair_active() { pair_has_vip "$1" && lvs_lab_all_up "$1"; }
# pair_inactive ROUTER: no VIP and an empty table.
pair_inactive() { pair_no_vip "$1" && pair_table_empty "$1"; }
# pair_other ROUTER: the other router.
pair_other() { if [[ $1 == primary ]]; then echo backup; else echo primary; fi; }
# pair_is_only ROUTER: ROUTER is active and the other one inactive.
pair_is_only() { pair_active "$1" && pair_inactive "$(pair_other "$1")"; }
# pair_addresses ROUTER: ROUTER's IPv4 addresses as "ADDRESS/PREFIX LABEL", one a line.
pair_addresses() { in_ns "$1" ip -4 addr show | awk '$1 == "inet" { print $2, $NF }'; }
# pair_one_active: one router is active and the other inactive.
pair_one_active() { pair_is_only primary || pair_is_only backup; }
# pair_the_active: the name of the active router (fails unless pair_one_active).
pair_the_active() {
    if pair_is_only primary; then echo primary; elif pair_is_only backup; then echo backup; else
        fail "not exactly one active router: VIP held by '$(pair_holders)'"
    fi
}
# pair_holders: the routers holding the VIP (space-separated, maybe none).
pair_holders() {
    local router held=()
    for router in "${PAIR_ROUTERS[@]}"; do
        if ! pair_no_vip "$router"; then held+=("$router"); fi
    done
    echo "${held[*]}"
}

# pair_assert_table ROUTER: its table is the lab's service with rs1..rs3.
pair_assert_table() { assert_rules - "$1" < <(lvs_lab_rules 192.0.2.11:1 192.0.2.12:1 192.0.2.13:1); }

# pair_mac ROUTER: the MAC address of ROUTER's eth0.
pair_mac() { in_ns "$1" cat /sys/class/net/eth0/address; }
# pair_client_mac: the MAC the client's neighbour table has for the VIP.
pair_client_mac() {
    in_ns cl ip neigh show "$LVS_VIP" | awk '{ for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1) }'
}
# pair_client_sees ROUTER: the client's neighbour entry for the VIP is ROUTER's MAC.
pair_client_sees() { [[ $(pair_client_mac) == "$(pair_mac "$1")" ]]; }

# pair_procs NS COMM: the pids of the processes named COMM in namespace NS.
pair_procs() {
    local pid
    for pid in $(ip netns pids "$1"); do
        [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$2" ]] && echo "$pid"
    done
    return 0
}

# pair_lvsd_pids ROUTER: the pids of the lvsd processes in ROUTER's namespace
# (also an lvsd whose pulse is gone).
pair_lvsd_pids() { pair_procs "$1" lvsd; }

# pair_lvsd_pid ROUTER: the pid of the lvsd in ROUTER's namespace; fails
# unless there is exactly one.
pair_lvsd_pid() {
    local pids
    pids=$(pair_lvsd_pids "$1")
    assert_eq 1 "$(wc -w <<<"$pids")" "lvsd processes in $1 ($pids)"
    echo "$pids"
}

# pair_link_cut ROUTER / pair_link_restore ROUTER: pull / plug ROUTER's cable:
# its veth peer on the bridge goes down, so ROUTER's eth0 loses carrier
# (NO-CARRIER) while staying administratively up, as with a cut cable.
pair_link_cut() { lab_ip link set "v${1}0" down; }
pair_link_restore() { lab_ip link set "v${1}0" up; }

# client_outage FROM: sets MEASURED to the longest gap (seconds, one decimal)
# between the ends of two successive successful client requests, the later
# one ending after FROM (the last one before FROM counts as the gap's start).
client_outage() {
    MEASURED=$(awk -v from="$1" '
        $3 == "ok" { if (prev != "" && $2 > from && $2 - prev > gap) gap = $2 - prev; prev = $2 }
        END { printf "%.1f", gap + 0 }' "$CLIENT_LOG")
}
