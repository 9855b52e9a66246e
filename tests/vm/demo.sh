#!/usr/bin/env bash
# The demo, narrated: two LVS routers running our pulse (primary and backup)
# in front of three real web servers, a client requesting the VIP in a loop,
# then a real server fails, the active router's cable is cut, the cable comes
# back. Every step is told as it happens, with what was measured; an
# expected event that does not happen ends the demo with exit status 1.
#
#   tests/vm/demo.sh [--config FILE] [--logs DIR]   run it (root, a kernel with ip_vs)
#   tests/vm/demo.sh --print-config                 print the lab's default lvs.cf
#
# Run by ./demo (on this kernel, or inside the VM of tests/vm when it has no
# IPVS) and by VM scenario 41-demo, which checks the narration. It builds on
# the VM tier's lab (tests/vm/lib.sh, tests/vm/pair.sh): one bridge, the
# client `cl` 192.0.2.10, routers `primary` 192.0.2.1 and `backup` 192.0.2.2,
# real servers rs1..rs3 192.0.2.11-13 (busybox httpd answering its name, the
# VIP 192.0.2.100 on lo), direct routing.
#
# Environment: LVS_BIN_DIR, our release binaries (default: <repo>/target/release).
# --logs DIR keeps pulse's/lvsd's and the client's logs in DIR; otherwise
# they live in a temporary directory that the clean-up removes.
set -uo pipefail

DEMO_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DEMO_REPO=$(cd "$DEMO_HERE/../.." && pwd)

SCENARIO=demo
: "${LVS_BIN_DIR:=$DEMO_REPO/target/release}"
# shellcheck source=lib.sh
. "$DEMO_HERE/lib.sh"
# shellcheck source=pair.sh
. "$DEMO_HERE/pair.sh"
trap - EXIT   # ours is installed once the lab starts

# demo_default_config: the lab's lvs.cf (what ./demo --print-config prints).
demo_default_config() {
    cat <<'EOF'
# lvs.cf of the demo lab: both routers read this same file.
serial_no = 1
# the routers' own addresses on the lab's segment
primary = 192.0.2.1
backup = 192.0.2.2
# a backup router exists: heartbeats on UDP 539
backup_active = 1
service = lvs
heartbeat = 1
heartbeat_port = 539
# a heartbeat every 0.5 s; the partner is dead after 2 s of silence
# (decimals are our extension: the original accepts whole seconds only)
keepalive = 0.5
deadtime = 2
# direct routing: the real servers answer the client themselves
network = direct
# a router whose cable is cut gives up the active role
monitor_links = 1

virtual web {
	active = 1
	# the VIP, brought up on the active router as eth0:1
	address = 192.0.2.100 eth0:1
	port = 80
	scheduler = wlc
	# probe each real server every second (HTTP GET, no expect: connect)
	timeout = 1
	# a failed server must answer for 6 s before it is readmitted
	reentry = 6
	server rs1 {
		address = 192.0.2.11
		active = 1
		weight = 1
	}
	server rs2 {
		address = 192.0.2.12
		active = 1
		weight = 1
	}
	server rs3 {
		address = 192.0.2.13
		active = 1
		weight = 1
	}
}
EOF
}

demo_usage() {
    cat <<'EOF'
usage: tests/vm/demo.sh [--config FILE] [--logs DIR]
       tests/vm/demo.sh --config FILE --check-config
       tests/vm/demo.sh --print-config
Runs the narrated two-router lab (root, a kernel with ip_vs); see ./demo --help.
EOF
}

# ---- narration ----

# demo_us: microseconds since the epoch (no fork: $EPOCHREALTIME).
demo_us() { echo "${EPOCHREALTIME/./}"; }
# now: seconds since the epoch with fractions, as lib.sh's but without a
# fork (python's time.time() in the client uses the same clock).
now() { echo "$EPOCHREALTIME"; }
# demo_secs US: microseconds as seconds with one decimal.
demo_secs() { printf '%d.%d' "$(($1 / 1000000))" "$(($1 % 1000000 / 100000))"; }
# say TEXT: one narration line, stamped with the time since the demo began.
say() { printf '[%6s s] %s\n' "$(demo_secs "$(($(demo_us) - DEMO_T0))")" "$*"; }
# tell TEXT: a detail line under the last narration line.
tell() { printf '             %s\n' "$*"; }

DEMO_FAILURE=""
# demo_fail TEXT: stop here; the exit trap cleans up and says why.
demo_fail() {
    DEMO_FAILURE=$*
    exit 1
}
# lib.sh's helpers report through `fail`: make theirs ours.
fail() { demo_fail "$*"; }

# expect_within SECONDS WHAT CMD...: poll CMD every 0.2 s until it succeeds;
# MEASURED = the seconds it took (one decimal). If it does not within
# SECONDS, the demo fails: "expected event did not happen: WHAT".
expect_within() {
    local limit=$1 what=$2 t0 deadline
    shift 2
    t0=$(demo_us)
    deadline=$((t0 + limit * 1000000))
    until "$@" >/dev/null 2>&1; do
        (($(demo_us) < deadline)) || demo_fail "expected event did not happen within $limit s: $what"
        sleep 0.2
    done
    MEASURED=$(demo_secs "$(($(demo_us) - t0))")
}

# router_news ROUTER MARK: ROUTER's log lines after line MARK that are not
# heartbeat chatter (at most 8), indented under the narration.
router_news() {
    tail -n +"$(($2 + 1))" "${PAIR_LOG[$1]}" | grep -v -e 'DEBUG -- ' -e '^----' | head -n 8 |
        sed "s/^/             $1| /" || true
}

# ---- the lab's state ----

# demo_dests ROUTER: the real servers (IP) in ROUTER's table for VIP:80
# with a weight above 0, one a line.
demo_dests() {
    in_ns "$1" ipvsadm -Sn | awk -v svc="$LVS_VIP:80" '
        $1 == "-a" && $3 == svc { w = $NF; ip = $5; sub(/:[0-9]+$/, "", ip); if (w + 0 > 0) print ip }' | sort
}
# demo_names IP...: the real servers' names (192.0.2.1N -> rsN), space-separated.
demo_names() {
    local ip names=()
    for ip in "$@"; do names+=("rs${ip##*.1}"); done
    echo "${names[*]}"
}
# in_rotation ROUTER IP: IP is in ROUTER's table with a weight above 0.
in_rotation() { demo_dests "$1" | grep -qx -- "$2"; }
out_of_rotation() { ! in_rotation "$@"; }
# router_serving ROUTER: ROUTER holds the VIP and at least one real server.
router_serving() { ! pair_no_vip "$1" && [[ -n $(demo_dests "$1") ]]; }
# router_full ROUTER: ROUTER holds the VIP and every configured real server.
router_full() { ! pair_no_vip "$1" && [[ $(demo_dests "$1" | paste -sd ' ') == "${DEMO_RS_IPS[*]}" ]]; }
# router_idle ROUTER: no VIP, and no service for the VIP in its table.
router_idle() { pair_no_vip "$1" && ! in_ns "$1" ipvsadm -Sn | grep -q -- "-A -t $LVS_VIP:80 "; }
# only_active: the name of the one router serving while the other is idle;
# fails when that is not the case.
only_active() {
    if router_serving primary && router_idle backup; then
        echo primary
    elif router_serving backup && router_idle primary; then
        echo backup
    else
        return 1
    fi
}
one_active() { only_active >/dev/null; }
# heard_since ROUTER MARK: ROUTER received a heartbeat after log line MARK.
heard_since() { pair_logged_since "$1" "$2" "Received Heartbeat from partner"; }

# ---- the client: 3 threads requesting http://VIP/, a new connection each ----

# demo_client_start: lines "START END ok BODY" / "START END fail ERROR" in
# $CLIENT_LOG (lib.sh's format, so client_count works on it). A 1 s timeout
# per request keeps the outage figures fine-grained: a request sent into a
# dead path is abandoned after 1 s and the thread tries again.
demo_client_start() {
    CLIENT_LOG=$LVS_VM_OUT/$SCENARIO.client.log
    : >"$CLIENT_LOG"
    lab_spawn ip netns exec cl python3 -u -c '
import http.client, sys, threading, time
vip, log = sys.argv[1], open(sys.argv[2], "a", buffering=1)
lock = threading.Lock()
def run():
    while True:
        start = time.time()
        try:
            c = http.client.HTTPConnection(vip, 80, timeout=1)
            c.request("GET", "/")
            r = c.getresponse()
            body = r.read().decode(errors="replace").strip() or "-"
            c.close()
            res = "ok " + body if r.status == 200 else "fail status-%d" % r.status
        except Exception as e:
            res = "fail " + type(e).__name__
        with lock:
            log.write("%.4f %.4f %s\n" % (start, time.time(), res))
        time.sleep(0.05)
for _ in range(3):
    threading.Thread(target=run, daemon=True).start()
while True:
    time.sleep(60)
' "$LVS_VIP" "$CLIENT_LOG"
    DEMO_CLIENT_PID=$!
}

# answered_since T: requests started at or after T that were answered.
answered_since() { client_count ok "$1"; }
has_answered_since() { (($(answered_since "$1") >= $2)); }
# spread FROM TO: "rs1 N, rs2 N, ..." (answered requests started in
# [FROM, TO) per configured real server, then any other answer).
spread() {
    local ip name parts=() other
    for ip in "${DEMO_RS_IPS[@]}"; do
        name=$(demo_names "$ip")
        parts+=("$name $(client_count "ok $name" "$1" "$2")")
    done
    other=$(awk -v from="$1" -v to="$2" -v known=" ${DEMO_RS_NAMES[*]} " '
        $1 >= from && $1 < to && $3 == "ok" && index(known, " " $4 " ") == 0 { n++ } END { print n + 0 }' "$CLIENT_LOG")
    ((other == 0)) || parts+=("other $other")
    local IFS=,
    echo "${parts[*]}" | sed 's/,/, /g'
}
# outage_ms FROM: the longest gap in ms between the ends of two successive
# answered requests, the later one ending after FROM.
outage_ms() {
    sort -n -k2 "$CLIENT_LOG" | awk -v from="$1" '
        $3 == "ok" { if (prev != "" && $2 > from && $2 - prev > gap) gap = $2 - prev; prev = $2 }
        END { printf "%.0f", gap * 1000 }'
}
# answered_again_after T: seconds (one decimal) from T to the end of the
# answer that closed the longest gap (outage_ms's): when the client was
# served again. (The first answer after T can be one that got through just
# before the failure took effect.)
answered_again_after() {
    sort -n -k2 "$CLIENT_LOG" | awk -v from="$1" '
        $3 == "ok" { if (prev != "" && $2 > from && $2 - prev > gap) { gap = $2 - prev; end = $2 } prev = $2 }
        END { if (end == "") print "never"; else printf "%.1f", end - from }'
}
# window FROM TO: "N answered, M failed" for requests started in [FROM, TO).
window() { echo "$(client_count ok "$1" "$2") answered, $(client_count fail "$1" "$2") failed"; }
# answered_window N WHAT: wait for N answered requests started from now on;
# sets WINDOW_FROM / WINDOW_TO.
answered_window() {
    WINDOW_FROM=$(now)
    expect_within 120 "the client gets $1 answers $2" has_answered_since "$WINDOW_FROM" "$1"
    WINDOW_TO=$(now)
}

# ---- the configuration ----

# cf_global KEY DEFAULT: a global keyword's value in `lvsctl show` output.
cf_global() {
    awk -v k="$1" -v d="$2" '
        /^virtual / { exit } $1 == k && $2 == "=" { v = $3 } END { print (v == "" ? d : v) }' <<<"$DEMO_SHOW"
}
# cf_virtual KEY DEFAULT: a keyword of the virtual service on the VIP.
cf_virtual() {
    awk -v k="$1" -v d="$2" -v vip="$LVS_VIP" '
        /^virtual / { depth = 1; addr = ""; delete kv; next }
        depth == 1 && /^\tserver / { depth = 2; next }
        depth == 2 && /^\t}/ { depth = 1; next }
        depth == 1 && /^}/ { if (addr == vip && !found) { found = 1; v = kv[k] } depth = 0; next }
        depth == 1 && $2 == "=" { kv[$1] = $3; if ($1 == "address") addr = $3 }
        END { print (v == "" ? d : v) }' <<<"$DEMO_SHOW"
}

# demo_read_config FILE: check FILE against the lab; sets DEMO_RS_IPS,
# DEMO_RS_NAMES, DEMO_KEEPALIVE, DEMO_DEADTIME, DEMO_TIMEOUT, DEMO_REENTRY,
# DEMO_MONITOR_LINKS, DEMO_QUIESCE.
demo_read_config() {
    local file=$1 check rules bad tab=$'\t'
    check=$("$LVS_BIN_DIR/lvsctl" check -c "$file" 2>&1) ||
        demo_fail "lvsctl check rejects $file:"$'\n'"$check"
    DEMO_SHOW=$("$LVS_BIN_DIR/lvsctl" show -c "$file" 2>/dev/null)
    rules=$("$LVS_BIN_DIR/lvsctl" show --rules -c "$file" 2>/dev/null)
    [[ $(cf_global primary 0.0.0.0) == 192.0.2.1 ]] ||
        demo_fail "$file: the lab's primary router is 192.0.2.1 (primary = $(cf_global primary unset))"
    [[ $(cf_global backup 0.0.0.0) == 192.0.2.2 ]] ||
        demo_fail "$file: the lab's backup router is 192.0.2.2 (backup = $(cf_global backup unset))"
    [[ $(cf_global backup_active 0) == 1 ]] ||
        demo_fail "$file: the demo needs both routers: backup_active = 1"
    grep -q -- "^-A -t $LVS_VIP:80 " <<<"$rules" ||
        demo_fail "$file: no active virtual service on $LVS_VIP port 80 (tcp), the address the client requests"
    [[ $(cf_virtual address "") == "$LVS_VIP" ]] || demo_fail "$file: cannot find the virtual service on $LVS_VIP"
    mapfile -t DEMO_RS_IPS < <(awk -v svc="$LVS_VIP:80" '$1 == "-a" && $3 == svc { ip = $5; sub(/:[0-9]+$/, "", ip); print ip }' <<<"$rules" | sort)
    ((${#DEMO_RS_IPS[@]})) || demo_fail "$file: the virtual service on $LVS_VIP:80 has no active real server"
    bad=$(printf '%s\n' "${DEMO_RS_IPS[@]}" | grep -vx -e 192.0.2.11 -e 192.0.2.12 -e 192.0.2.13 | paste -sd ' ' || true)
    [[ -z $bad ]] || demo_fail "$file: real server(s) $bad are not in the lab (192.0.2.11, .12, .13)"
    ! grep -- "^-a -t $LVS_VIP:80 " <<<"$rules" | grep -qv -- ' -g ' ||
        demo_fail "$file: the lab is wired for direct routing: network = direct"
    grep -q "^$tab""address = $LVS_VIP eth0:" <<<"$DEMO_SHOW" ||
        demo_fail "$file: the routers' interface is eth0: address = $LVS_VIP eth0:1"
    read -ra DEMO_RS_NAMES <<<"$(demo_names "${DEMO_RS_IPS[@]}")"
    DEMO_KEEPALIVE=$(cf_global keepalive 2)
    DEMO_DEADTIME=$(cf_global deadtime 5)
    DEMO_MONITOR_LINKS=$(cf_global monitor_links 0)
    DEMO_TIMEOUT=$(cf_virtual timeout 10)
    DEMO_REENTRY=$(cf_virtual reentry 180)
    DEMO_QUIESCE=$(cf_virtual quiesce_server 0)
}

# secs_up X: X (seconds, maybe decimal) rounded up to a whole number.
secs_up() { awk -v x="$1" 'BEGIN { n = int(x); if (n < x) n++; print n }'; }

# ---- clean-up (also on failure and on ^C) ----

DEMO_CLEANED=0
demo_cleanup() {
    local ns pid pids=() left=() nss=() links=() files=0 f deadline router t0 stopped_in=""
    ((DEMO_CLEANED == 0)) || return 0
    DEMO_CLEANED=1
    nss=("${LAB_NETNS[@]}") links=("${LAB_LINKS[@]}")
    for ns in "${nss[@]}"; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do pids+=("$pid"); done
    done
    # pulse first: on SIGTERM it releases the VIP and stops its lvsd (and
    # that lvsd its nannies), as `systemctl stop pulse` would.
    for router in "${!PAIR_PULSE[@]}"; do kill -TERM "${PAIR_PULSE[$router]}" 2>/dev/null || true; done
    t0=$(demo_us)
    deadline=$((t0 + 30000000))
    for router in "${!PAIR_PULSE[@]}"; do
        while kill -0 "${PAIR_PULSE[$router]}" 2>/dev/null && (($(demo_us) < deadline)); do sleep 0.1; done
    done
    ((${#PAIR_PULSE[@]} == 0)) || stopped_in=" (both pulses stopped in $(demo_secs $(($(demo_us) - t0))) s)"
    # Then everything else in the lab's namespaces (httpds, the client).
    disown -a 2>/dev/null || true
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    deadline=$(($(demo_us) + 5000000))
    for pid in "${pids[@]}"; do
        while kill -0 "$pid" 2>/dev/null && (($(demo_us) < deadline)); do sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    done
    LAB_PIDS=()
    cleanup   # lib.sh: the namespaces and the bridge with its veths
    for ns in "${LVS_RS[@]}"; do DEMO_FILES+=("/tmp/lab-httpd-$ns"); done
    for f in "${DEMO_FILES[@]}"; do
        [[ -e $f ]] || continue
        files=$((files + $(find "$f" | wc -l)))
        rm -rf "$f"
    done
    # Check that nothing is left.
    for pid in "${pids[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then left+=("process $pid ($(cat "/proc/$pid/comm" 2>/dev/null))"); fi
    done
    for ns in "${nss[@]}"; do [[ ! -e /run/netns/$ns ]] || left+=("namespace $ns"); done
    for f in "${links[@]}"; do ! ip link show "$f" >/dev/null 2>&1 || left+=("link $f"); done
    for f in "${DEMO_FILES[@]}"; do [[ ! -e $f ]] || left+=("file $f"); done
    if ((${#left[@]})); then
        say "clean-up incomplete, left behind: ${left[*]}"
        return 1
    fi
    say "cleanup done: ${#pids[@]} processes stopped (pulse, lvsd, nanny, httpd, client)$stopped_in," \
        "${#nss[@]} network namespaces and ${#links[@]} links deleted, $files temporary files removed" \
        "($DEMO_WORK)${DEMO_LOGS:+; logs kept in $DEMO_LOGS}"
}

demo_exit() {
    local rc=$? router
    trap - EXIT INT TERM HUP
    if ((rc != 0)); then
        [[ -n $DEMO_FAILURE ]] || DEMO_FAILURE="a step of the lab failed (exit status $rc, see above)"
        say "FAILED: $DEMO_FAILURE"
        for router in "${!PAIR_LOG[@]}"; do
            [[ -s ${PAIR_LOG[$router]} ]] || continue
            tell "last lines of $router's pulse/lvsd log:"
            grep -v 'DEBUG -- ' "${PAIR_LOG[$router]}" | tail -n 10 | sed "s/^/             $router| /"
        done
        say "cleaning up"
    fi
    if ! demo_cleanup; then
        rc=1
        [[ -n $DEMO_FAILURE ]] || DEMO_FAILURE="the clean-up left things behind (see above)"
    fi
    if ((rc == 0)); then
        echo "demo: done: every expected event happened ($(demo_secs "$(($(demo_us) - DEMO_T0))") s)"
    else
        echo "demo: FAILED: $DEMO_FAILURE"
    fi
    exit "$rc"
}
# ---- the story ----

demo_lab() {
    PAIR_CF=$DEMO_WORK/lvs.cf
    if [[ -n $DEMO_CONFIG ]]; then
        cp "$DEMO_CONFIG" "$PAIR_CF" || demo_fail "cannot read $DEMO_CONFIG"
        say "lvs.cf for both routers: your $DEMO_CONFIG (server blocks shown on one line):"
    else
        demo_default_config >"$PAIR_CF"
        say "lvs.cf for both routers (./demo --print-config prints it with comments; server blocks on one line here):"
    fi
    demo_read_config "$PAIR_CF"
    # Without comments and blank lines, each server block on one line.
    awk '/^[[:space:]]*(#|$)/ { next }
         /^[[:space:]]*server / { block = $0; inside = 1; next }
         inside { sub(/^[[:space:]]+/, ""); block = block "  " $0; if ($0 ~ /^}/) { print block; inside = 0 } next }
         { print }' "$PAIR_CF" | sed 's/^/             | /'
    tell "in short: VIP $LVS_VIP:80 over ${DEMO_RS_NAMES[*]}; heartbeat every $DEMO_KEEPALIVE s," \
        "partner dead after $DEMO_DEADTIME s; probes every $DEMO_TIMEOUT s, reentry $DEMO_REENTRY s;" \
        "monitor_links $([[ $DEMO_MONITOR_LINKS == 0 ]] && echo off || echo on)"
    say "building the lab on kernel $(uname -r): one Ethernet segment (a bridge) with the client cl 192.0.2.10," \
        "the routers primary 192.0.2.1 and backup 192.0.2.2, and the real servers rs1, rs2, rs3" \
        "192.0.2.11-13, each a network namespace; each real server runs a web server answering its" \
        "own name and holds the VIP $LVS_VIP on lo (direct routing)"
    pair_lab >/dev/null
    say "lab up"
}

demo_routers() {
    local dead
    dead=$(secs_up "$DEMO_DEADTIME")
    local t0
    say "starting pulse on the primary: pulse -n -v -c lvs.cf --lvsd=$LVS_BIN_DIR/lvsd"
    t0=$(demo_us)
    pair_pulse_start primary >/dev/null
    expect_within $((dead + 90)) "the primary becomes active (VIP and every real server in its table)" \
        router_full primary
    say "the primary is active $(demo_secs $(($(demo_us) - t0))) s after its pulse started: it holds the VIP" \
        "$LVS_VIP (eth0:1) and its IPVS table lists $(demo_names $(demo_dests primary)), which its health" \
        "checks found up"
    router_news primary 0
    say "starting pulse on the backup"
    local mark
    mark=$(pair_log_lines primary)
    pair_pulse_start backup >/dev/null
    expect_within 60 "the routers hear each other's heartbeats" \
        eval 'heard_since primary "$mark" && pair_logged backup "Received Heartbeat from partner"'
    expect_within 60 "the backup's standby lvsd starts" pair_logged backup "standby lvsd running as pid"
    one_active && [[ $(only_active) == primary ]] ||
        demo_fail "expected the primary active alone; VIP held by '$(pair_holders)'"
    say "the backup is standby: it hears the primary's heartbeat, holds no VIP, its IPVS table is empty;" \
        "its lvsd already probes the real servers (warm standby)"
    router_news backup 0
}

demo_spread() {
    say "the client starts: 3 threads requesting http://$LVS_VIP/ in a loop, a new connection each time"
    demo_client_start
    expect_within 90 "the client gets its first answer" has_answered_since 0 1
    answered_window 30 "through the primary"
    local counts ip name
    counts=$(spread "$WINDOW_FROM" "$WINDOW_TO")
    say "requests spread over the real servers: $counts ($(window "$WINDOW_FROM" "$WINDOW_TO"))"
    for ip in "${DEMO_RS_IPS[@]}"; do
        name=$(demo_names "$ip")
        (($(client_count "ok $name" "$WINDOW_FROM" "$WINDOW_TO") > 0)) ||
            demo_fail "expected event did not happen: requests spread over every real server ($name got none: $counts)"
    done
}

demo_server_fails() {
    local victim ip t_stop mark gone_in how
    victim=rs2
    [[ " ${DEMO_RS_NAMES[*]} " == *" rs2 "* ]] || victim=${DEMO_RS_NAMES[0]}
    ip=192.0.2.1${victim#rs}
    mark=$(pair_log_lines primary)
    t_stop=$(now)
    lab_httpd_stop "$victim"
    say "$victim fails: its web server is stopped"
    expect_within $((3 * $(secs_up "$DEMO_TIMEOUT") + 60)) "$victim leaves the primary's IPVS table" \
        out_of_rotation primary "$ip"
    gone_in=$MEASURED
    how="left the IPVS table"
    if [[ $DEMO_QUIESCE != 0 ]] && demo_rules_has primary "$ip"; then how="left the IPVS table (quiesced: weight 0)"; fi
    say "$victim $how $gone_in s after its web server stopped; $(client_count fail "$t_stop") requests" \
        "failed meanwhile"
    router_news primary "$mark"
    answered_window 20 "without $victim"
    say "requests now: $(spread "$WINDOW_FROM" "$WINDOW_TO") ($(window "$WINDOW_FROM" "$WINDOW_TO"))"

    # Timed from before the web server starts: it may take seconds under
    # emulation before it answers its first probe.
    local t_start
    t_start=$(demo_us)
    lab_httpd "$victim" 80
    say "$victim's web server is started again"
    if ((DEMO_REENTRY <= 60)); then
        expect_within $((DEMO_REENTRY + 3 * $(secs_up "$DEMO_TIMEOUT") + 60)) \
            "$victim rejoins the primary's IPVS table" in_rotation primary "$ip"
        say "$victim rejoined the IPVS table $(demo_secs $(($(demo_us) - t_start))) s after its web server" \
            "was started (reentry = $DEMO_REENTRY s: it must answer that long first)"
        answered_window 20 "with $victim back"
        say "requests now: $(spread "$WINDOW_FROM" "$WINDOW_TO") ($(window "$WINDOW_FROM" "$WINDOW_TO"))"
    else
        say "$victim rejoins after reentry = $DEMO_REENTRY s; the demo goes on without waiting"
    fi
}
# demo_rules_has ROUTER IP: IP is in ROUTER's table at any weight.
demo_rules_has() { in_ns "$1" ipvsadm -Sn | grep -q -- "-r $2:80 "; }

demo_router_fails() {
    local t_cut mark_p mark_b took outage failed
    # The backup's nannies have had a few probes since the real server came back.
    sleep "$(secs_up "$DEMO_TIMEOUT")"
    mark_p=$(pair_log_lines primary) mark_b=$(pair_log_lines backup)
    t_cut=$(now)
    pair_link_cut primary
    say "the active router fails: the primary's network cable is cut (its port on the bridge goes down)"
    expect_within $(($(secs_up "$DEMO_DEADTIME") + 90)) \
        "the backup takes over (VIP and real servers in its table)" router_serving backup
    answered_window 20 "through the backup"
    outage=$(outage_ms "$t_cut")
    failed=$(client_count fail "$t_cut" "$WINDOW_FROM")
    took=$(answered_again_after "$t_cut")
    say "the backup took over: the client was answered again $took s after the cut (deadtime" \
        "$DEMO_DEADTIME s); the backup holds the VIP and its table lists $(demo_names $(demo_dests backup))"
    router_news backup "$mark_b"
    router_news primary "$mark_p"
    say "client outage: $outage ms (the longest gap between two answered requests);" \
        "$failed requests failed during the takeover; since: $(window "$WINDOW_FROM" "$WINDOW_TO")," \
        "$(spread "$WINDOW_FROM" "$WINDOW_TO")"
}

demo_router_back() {
    local t_back mark_p mark_b active stable_for deadline samples=0 outage
    mark_p=$(pair_log_lines primary) mark_b=$(pair_log_lines backup)
    t_back=$(now)
    pair_link_restore primary
    say "the failed router comes back: the primary's cable is plugged in again"
    expect_within 60 "the routers hear each other again" \
        eval 'heard_since primary "$mark_p" && heard_since backup "$mark_b"'
    say "the routers hear each other again $MEASURED s later"
    expect_within $(($(secs_up "$DEMO_DEADTIME") + 60)) "exactly one router active" one_active
    active=$(only_active)
    # Exactly one, and the same one, for a while: two deadtimes (at least 4 s)
    # and at least 3 checks (one takes seconds on a loaded host).
    stable_for=$((2 * $(secs_up "$DEMO_DEADTIME")))
    ((stable_for >= 4)) || stable_for=4
    deadline=$(($(demo_us) + stable_for * 1000000))
    while (($(demo_us) < deadline || samples < 3)); do
        [[ $(only_active 2>/dev/null) == "$active" ]] ||
            demo_fail "expected event did not happen: exactly one router active (it changed: VIP held by '$(pair_holders)')"
        samples=$((samples + 1))
        sleep 0.3
    done
    answered_window 20 "after the primary's return"
    outage=$(outage_ms "$t_back")
    if [[ $active == backup ]]; then
        say "exactly one router active: the backup, and it stays so (checked $samples times over $stable_for s);" \
            "the primary is standby: no VIP, empty table (no automatic fail-back, as with Piranha)"
    else
        say "exactly one router active: the primary, and it stays so (checked $samples times over $stable_for s);" \
            "both were active for a moment and the primary wins; the backup is standby again"
    fi
    router_news primary "$mark_p"
    router_news backup "$mark_b"
    say "client since the cable came back: $(window "$t_back" "$WINDOW_TO"), longest gap $outage ms"
}

# ---- main ----

# Everything runs from this function, so bash has read the whole file before
# the lab starts (an edit or checkout during a run cannot derail it).
demo_main() {
    DEMO_CONFIG="" DEMO_LOGS="" DEMO_CHECK_ONLY=0
    while (($#)); do
        case $1 in
            --config) DEMO_CONFIG=${2:?--config needs a file}; shift 2 ;;
            --config=*) DEMO_CONFIG=${1#*=}; shift ;;
            --logs) DEMO_LOGS=${2:?--logs needs a directory}; shift 2 ;;
            --logs=*) DEMO_LOGS=${1#*=}; shift ;;
            --check-config) DEMO_CHECK_ONLY=1; shift ;;
            --print-config) demo_default_config; exit 0 ;;
            -h | --help) demo_usage; exit 0 ;;
            *) demo_usage >&2; echo "tests/vm/demo.sh: unknown argument: $1" >&2; exit 2 ;;
        esac
    done

    if ((DEMO_CHECK_ONLY)); then
        # Only check the configuration against the lab (no root needed).
        [[ -n $DEMO_CONFIG ]] || { echo "tests/vm/demo.sh: --check-config needs --config FILE" >&2; exit 2; }
        [[ -r $DEMO_CONFIG ]] || { echo "demo: cannot read $DEMO_CONFIG" >&2; exit 1; }
        demo_fail() { echo "demo: $*" >&2; exit 1; }
        demo_read_config "$DEMO_CONFIG"
        echo "demo: $DEMO_CONFIG fits the lab: VIP $LVS_VIP:80 over ${DEMO_RS_NAMES[*]}"
        exit 0
    fi

    # One stream, in order: the narration and whatever goes wrong.
    exec 2>&1
    DEMO_T0=${EPOCHREALTIME/./}          # microseconds
    DEMO_WORK=$(mktemp -d /tmp/lvs-demo.XXXXXX)
    DEMO_FILES=("$DEMO_WORK")            # removed by the clean-up
    if [[ -n $DEMO_LOGS ]]; then
        mkdir -p "$DEMO_LOGS"
        DEMO_LOGS=$(cd "$DEMO_LOGS" && pwd)
    fi
    LVS_VM_OUT=${DEMO_LOGS:-$DEMO_WORK}
    trap demo_exit EXIT
    trap 'DEMO_FAILURE="interrupted"; exit 130' INT TERM HUP

    demo_lab
    demo_routers
    demo_spread
    demo_server_fails
    demo_router_fails
    demo_router_back
    say "the demo is over: stopping everything"
    exit 0
}

demo_main "$@"
