#!/usr/bin/env bash
# vm-timeout: 1500
# Benchmark (issue #5): the outage a client sees when the active router's
# cable is cut, our pulse against keepalived's VRRP, in the same VM run, on
# the two-router direct-routing lab of pair.sh:
#   - pulse, keepalive = 1, deadtime = 3 (the original's kind of setting);
#   - pulse, keepalive = 0.05, deadtime = 0.15 (sub-second);
#   - keepalived 2.2.7 VRRPv2, advert_int 1;
#   - keepalived 2.2.7 VRRPv3, advert_int 0.1.
# keepalived runs VRRP only (`--vrrp`); its routers get the IPVS table up
# front with `lvsctl apply` (keepalived would program it on both routers).
# Ours keeps the table on the active router only: the backup's warm-standby
# lvsd programs it at takeover.
#
# The client is open-loop: it starts a request to http://VIP/ (a new
# connection each) every 10 ms, whether or not the earlier ones have
# answered, so the first request sent after the takeover is served at once
# instead of waiting for a lost one to time out (a closed-loop client
# measures its own retry timer). The outage is the longest gap between the
# ends of two successive successful requests after the cut. The client also records every ARP
# frame it receives: the moment the new router's gratuitous ARP for the VIP
# arrives after the cut is the takeover as the client's network sees it, to
# the millisecond. The table splits each outage in two: that ARP against the
# dead interval (the takeover's share), and outage - ARP (mostly the
# client's: the answers lost in flight at the cut, then the wait for the next
# request and its trip through the lab; for pulse also whether the backup's
# lvsd has programmed the table by the time that request arrives).
# Each row is three cuts (LVS_BENCH_CUTS), each from a fresh start of the
# pair, reported as the median and every value: one cut under emulation
# varies by tens of ms.
# A takeover by the backup before the cut (the primary alive) is counted in
# each row: a cut after one measures a takeover already under way, not the
# cut. Both daemons run at real-time priority as they would in production:
# pulse as systemd/pulse.service starts it (round robin, priority
# $PULSE_RT_PRIORITY, reset on fork, LimitRTPRIO: lvsd raises itself to the
# priority below, nanny and the commands run as usual), keepalived's VRRP
# process with its own `vrrp_rt_priority`.
# pulse logs what an operator sees (no -v), and the real servers run a
# single-process web server (see LAB_HTTPD_BIN below) so that the lab's own
# load does not take them out of the table.
# Nothing is asserted about the figures (TCG); they are reported.
#
# LVS_BENCH_NATIVE=1 runs the same rows on this machine's own kernel, in
# network namespaces, without emulation (as root, outside the VM: `./bench
# native`), to measure the takeover where a millisecond is a millisecond.
# That kernel may have no IPVS, so there is no table and no real server:
# each router answers HTTP on the VIP itself (the same web server), the
# client is served by whichever router holds the VIP, and pulse starts an
# lvsd stand-in that takes its word and programs nothing. The native rows
# measure the heartbeat, the VIP and the ARP, pulse's part and VRRP's; the
# VM rows add the backup's lvsd programming the table. The client starts a
# request every LVS_BENCH_INTERVAL_MS (10 in the VM, 1 natively).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../pair.sh"
NATIVE=${LVS_BENCH_NATIVE:-0}
if ((NATIVE)); then
    [[ $(id -u) == 0 ]] || skip "the native rows need root (network namespaces)"
    : "${LVS_REPO:=$(cd "$(dirname "$0")/../../.." && pwd)}"
    need_bin pulse lvsctl
    INTERVAL_MS=${LVS_BENCH_INTERVAL_MS:-1}
else
    need_bin pulse lvsd nanny lvsctl
    INTERVAL_MS=${LVS_BENCH_INTERVAL_MS:-10}
fi
command -v keepalived >/dev/null || skip "keepalived not installed"
OUTAGE_CLIENT=$LVS_BIN_DIR/examples/outage-client
[[ -x $OUTAGE_CLIENT ]] || fail "no $OUTAGE_CLIENT: build with cargo build --release --examples"

work=$(mktemp -d)
rows=$work/rows
# Every log of the lab (the daemons', the client's line per request, the ARP
# watcher's) is written in the guest, whose /tmp is in memory, and copied to
# the share when the scenario ends: a write to the 9p share costs 0.6 ms
# with the VM idle and several ms under this load, spent on the host's CPUs
# that run the emulated ones. On the share, the few log lines on the
# takeover's path alone cost pulse and lvsd 10-25 ms, and the client's 100
# lines a second slowed the whole lab. A router logs to a local syslog.
if ((NATIVE)); then
    share=${LVS_VM_OUT:-$LVS_REPO/target/bench-native}
    mkdir -p "$share"
    # pulse's status socket: not the machine's /var/run.
    export LVS_RUN_DIR=$work/run
    mkdir -p "$LVS_RUN_DIR"
else
    share=${LVS_VM_OUT:-/tmp}
fi
out=$work/logs
mkdir -p "$out"
LVS_VM_OUT=$out
trap 'cleanup; cp -a "$out"/. "$share"/ 2>/dev/null || true' EXIT
# CPUSchedulingPolicy and CPUSchedulingPriority of the unit.
PULSE_RT_PRIORITY=$(awk -F= '$1 == "CPUSchedulingPriority" { print $2 }' "$LVS_REPO/systemd/pulse.service")
[[ -n $PULSE_RT_PRIORITY ]] || fail "systemd/pulse.service sets no CPUSchedulingPriority"
# LimitRTPRIO: the priority lvsd may raise itself to.
PULSE_RT_LIMIT=$(awk -F= '$1 == "LimitRTPRIO" { print $2 }' "$LVS_REPO/systemd/pulse.service")
[[ -n $PULSE_RT_LIMIT ]] || fail "systemd/pulse.service sets no LimitRTPRIO"

# fast_client_start: the open-loop client (crates/pulse/examples/
# outage-client.rs; lines "START END ok|fail" in $CLIENT_LOG): a new
# request every $INTERVAL_MS ms whatever happened to the earlier ones, each with a
# 1 s timeout, each in its own thread (a compiled client: Python cannot keep
# that pace under emulation).
fast_client_start() {
    CLIENT_LOG=$out/$SCENARIO.$1.client.log
    : >"$CLIENT_LOG"
    lab_spawn ip netns exec cl "$OUTAGE_CLIENT" "$LVS_VIP:80" "$CLIENT_LOG" "$INTERVAL_MS" 1000
    CLIENT_PID=$!
    wait_until 60 grep -q ' ok$' "$CLIENT_LOG"
}

# arp_watch_start NAME: log "TIME OP SENDER-MAC SENDER-IP" for every ARP
# frame the client receives, in $ARP_LOG.
arp_watch_start() {
    ARP_LOG=$out/$SCENARIO.$1.arp.log
    : >"$ARP_LOG"
    lab_spawn ip netns exec cl python3 -u -c '
import socket, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0806))
s.bind(("eth0", 0))
log = open(sys.argv[1], "a", buffering=1)
while True:
    f = s.recv(128)
    t = time.time()
    log.write("%.4f %d %s %s\n" % (t, int.from_bytes(f[20:22], "big"), f[22:28].hex(":"), socket.inet_ntoa(f[28:32])))
' "$ARP_LOG"
    ARP_PID=$!
}

# garp_ms FROM MAC: milliseconds from FROM to the first ARP frame for the VIP
# from MAC.
garp_ms() {
    awk -v from="$1" -v mac="$2" -v vip="$LVS_VIP" '
        $1 > from && $3 == mac && $4 == vip { printf "%.0f", ($1 - from) * 1000; found = 1; exit }
        END { if (!found) print "none" }' "$ARP_LOG"
}

# ok_since T: successful requests that ended after T.
ok_since() { awk -v t="$1" '$3 == "ok" && $2 > t { n++ } END { print n + 0 }' "$CLIENT_LOG"; }
has_ok_since() { (($(ok_since "$1") >= $2)); }

# outage_ms FROM: the longest gap between the ends of successive successful
# requests, the later one ending after FROM, in milliseconds.
outage_ms() {
    sort -n -k2 "$CLIENT_LOG" | awk -v from="$1" '
        $3 == "ok" { if (prev != "" && $2 > from && $2 - prev > gap) gap = $2 - prev; prev = $2 }
        END { printf "%.0f", gap * 1000 }'
}

# reset: stop everything in the lab (pulse, lvsd, keepalived, the client)
# and remove it.
reset() {
    local ns
    for ns in "${LAB_NETNS[@]}"; do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    done
    cleanup
    sleep 1
}

# cut KEY NAME DEADTIME TAKEN_OVER TAKEOVERS: with the client running through
# the primary, cut the primary's cable, wait for TAKEN_OVER (a command) and
# for the client to be served again, then record the outage as a line of
# setting KEY.
# TAKEOVERS (a command) prints how many times the backup has taken over so
# far; those before the cut are false ones. The client runs through the
# primary for LVS_BENCH_HOLD seconds (default 10) before the cut, the window
# in which false takeovers are counted.
cut() {
    local key=$1 name=$2 deadtime=$3 taken_over=$4 takeovers=$5 t_cut ms garp arps false_takeovers stalls
    wait_until 60 has_ok_since "$(now)" 40
    sleep "${LVS_BENCH_HOLD:-10}"
    false_takeovers=$("$takeovers")
    # The cut's time is taken in the process that cuts, the moment the
    # kernel has taken the link down: python sets it down itself over
    # rtnetlink (RTM_NEWLINK clearing IFF_UP), which the kernel performs
    # inside the send. Timing `ip link set` from outside would add its exit
    # and the parent's wake-up, tens of ms under emulation.
    t_cut=$(lab_switch python3 -c '
import socket, struct, sys, time
index = socket.if_nametoindex(sys.argv[1])
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)  # NETLINK_ROUTE
s.bind((0, 0))
# struct ifinfomsg: family, pad, type, index, flags (IFF_UP cleared), change (IFF_UP)
body = struct.pack("BBHiII", socket.AF_UNSPEC, 0, 0, index, 0, 1)
# struct nlmsghdr: length, RTM_NEWLINK (16), NLM_F_REQUEST | NLM_F_ACK, seq, pid
s.send(struct.pack("IHHII", 16 + len(body), 16, 1 | 4, 1, 0) + body)
cut = time.time()
error = struct.unpack("i", s.recv(4096)[16:20])[0]
if error:
    raise OSError(-error, "RTM_NEWLINK " + sys.argv[1])
print("%.4f" % cut)' vprimary0)
    wait_until 60 "$taken_over"
    wait_until 60 has_ok_since "$(now)" 40
    ms=$(outage_ms "$t_cut")
    stalls=$(stalls_before "$t_cut")
    garp=$(garp_ms "$t_cut" "$(pair_mac backup)")
    # The backup's ARP frames for the VIP before the cut: a second witness of
    # a false takeover that does not depend on a daemon's log being written.
    arps=$(awk -v t="$t_cut" -v mac="$(pair_mac backup)" -v vip="$LVS_VIP" \
        '$1 < t && $3 == mac && $4 == vip { n++ } END { print n + 0 }' "$ARP_LOG")
    info "MEASURED $name (cut at $t_cut): client outage $ms ms after the cut, the backup's gratuitous ARP $garp ms after it" \
        "(dead interval $deadtime s); the backup took over $false_takeovers times before the cut" \
        "and sent $arps ARP frames for the VIP before it" \
        "($(since "$T_BACKUP_UP") s after it started); a real-time task at the same priority was kept off the" \
        "CPU for more than 100 ms ${stalls% *} times before the cut (longest ${stalls#* } ms)"
    # Two shares of the outage: the takeover as the client's network sees
    # it (its gratuitous ARP against the dead interval), and the client's
    # own (the answers in flight at the cut, then the first request after
    # the ARP: a new one every $INTERVAL_MS ms, each taking its time through
    # the lab).
    local arp_late client_share
    arp_late=$(awk -v g="$garp" -v d="$deadtime" 'BEGIN { if (g == "none") print "none"; else printf "%.0f", g - d * 1000 }')
    client_share=$(awk -v g="$garp" -v m="$ms" 'BEGIN { if (g == "none") print "none"; else printf "%.0f", m - g }')
    info "MEASURED $name: gratuitous ARP $arp_late ms after the dead interval; the client's share of the outage" \
        "(outage - ARP) $client_share ms"
    echo "$key|$name|$deadtime|$ms|$garp|$false_takeovers|$(since "$T_BACKUP_UP")|${stalls% *}|${stalls#* }|$arps|$arp_late|$client_share" >>"$rows"
    kill "$CLIENT_PID" "$ARP_PID" "$STALL_PID" 2>/dev/null || true
}

backup_serves() { pair_has_vip backup && pair_client_sees backup; }

# Takeovers by the backup so far, as its log tells them.
pulse_takeovers() {
    local n
    n=$(grep -c "partner dead: activating lvs" "${PAIR_LOG[backup]}" || true)
    echo $((n - ${PULSE_TAKEOVERS_BEFORE:-0}))
}
vrrp_takeovers() {
    local n
    n=$(grep -c "Entering MASTER STATE" "$out/$SCENARIO.keepalived-backup.log" || true)
    echo $((n - VRRP_TAKEOVERS_BEFORE))
}

# stall_probe_start NAME: a program at pulse's real-time priority that
# sleeps 5 ms at a time and logs "EPOCH GAP" (seconds) for every wake-up
# more than 40 ms after the previous one, in $STALL_LOG: a gap that
# long at that priority means the (emulated) CPUs themselves did not run
# it, which no daemon in the guest can help.
cat >"$work/stall-probe.c" <<'C'
#include <stdio.h>
#include <time.h>
static double at(clockid_t c) { struct timespec t; clock_gettime(c, &t); return t.tv_sec + t.tv_nsec / 1e9; }
int main(int argc, char **argv) {
    FILE *out = fopen(argv[1], "a");
    if (!out) { perror(argv[1]); return 1; }
    setvbuf(out, NULL, _IOLBF, 0);
    struct timespec pause = {0, 5000000};
    double last = at(CLOCK_MONOTONIC);
    for (;;) {
        nanosleep(&pause, NULL);
        double now = at(CLOCK_MONOTONIC);
        if (now - last > 0.040) fprintf(out, "%.3f %.3f\n", at(CLOCK_REALTIME), now - last);
        last = now;
    }
}
C
gcc -O2 -o "$work/stall-probe" "$work/stall-probe.c" || fail "cannot compile the stall probe"
stall_probe_start() {
    STALL_LOG=$out/$SCENARIO.$1.stalls.log
    : >"$STALL_LOG"
    lab_spawn chrt --rr "$PULSE_RT_PRIORITY" "$work/stall-probe" "$STALL_LOG"
    STALL_PID=$!
}
# stalls_before T: "N longest" for the probe's gaps over 100 ms that ended before T.
stalls_before() {
    awk -v t="$1" '$1 < t && $2 > 0.1 { n++; if ($2 > m) m = $2 } END { printf "%d %.0f", n, m * 1000 }' "$STALL_LOG"
}

# The real servers' web server: busybox httpd forks a process per
# connection, and under emulation the client's 100 connections a second plus
# the routers' health checks fill its listen queue (backlog 9): SYNs are
# dropped, requests and health checks time out and nanny takes servers out
# and back in all through the row. This one answers every connection in its
# one process, with a long listen queue, so the rows measure the routers.
cat >"$work/lite-httpd.c" <<'C'
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
int main(int argc, char **argv) {
    char body[256], answer[512], request[1024];
    FILE *f = fopen(argv[2], "r");
    if (!f) { perror(argv[2]); return 1; }
    size_t n = fread(body, 1, sizeof body - 1, f);
    body[n] = 0;
    int len = snprintf(answer, sizeof answer,
        "HTTP/1.0 200 OK\r\nContent-Type: text/html\r\nContent-Length: %zu\r\n\r\n%s", n, body);
    signal(SIGPIPE, SIG_IGN);
    int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in at = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[1])) };
    if (bind(s, (struct sockaddr *)&at, sizeof at) || listen(s, 4096)) { perror("bind/listen"); return 1; }
    for (;;) {
        int c = accept(s, NULL, NULL);
        if (c < 0) continue;
        struct timeval limit = {1, 0};
        setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
        setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
        /* Read the request up to its blank line (or a timeout), then answer. */
        size_t have = 0;
        ssize_t got;
        while (have < sizeof request - 1 && (got = read(c, request + have, sizeof request - 1 - have)) > 0) {
            have += got;
            request[have] = 0;
            if (strstr(request, "\r\n\r\n")) break;
        }
        if (write(c, answer, len) < 0) { /* the client is gone */ }
        close(c);
    }
}
C
gcc -O2 -o "$work/lite-httpd" "$work/lite-httpd.c" || fail "cannot compile the lab's web server"
LAB_HTTPD_BIN=$work/lite-httpd

if ((NATIVE)); then
    LAB_SWITCH_NS=lvsw
    # The native lab: the client and the two routers on one bridge, each
    # router's web server on port 80 of every address (the VIP included).
    pair_lab() {
        local router
        lab_bridge
        lab_host cl 192.0.2.10/24
        for router in "${PAIR_ROUTERS[@]}"; do
            lab_host "$router" "${PAIR_ADDR[$router]}/24"
            lab_httpd "$router" 80
        done
        info "native lab up: client cl, routers primary ${PAIR_ADDR[primary]} and backup ${PAIR_ADDR[backup]}, each answering on the VIP"
    }
    # No table: a router is active when it holds the VIP.
    lvs_lab_all_up() { true; }
    pair_table_empty() { true; }
    # The lvsd stand-in (no IPVS to program): reads pulse's words on the
    # socket pulse gives it as standard input, answers `standby` as lvsd
    # does when pulse releases, and runs until pulse closes the socket or
    # stops it. It carries the mark by which pulse knows an lvsd with a
    # standby mode, so that pulse keeps it warm on the backup as it does
    # ours. (An active start gets no socket: then it just waits.)
    PAIR_LVSD=$work/lvsd-stand-in
    cat >"$PAIR_LVSD" <<'SH'
#!/bin/bash
# A component of:		piranha-rs-bench (lvsd stand-in)
if [[ $* == *--standby* ]]; then
    while read -r word; do [[ $word != standby ]] || echo standby >&0; done
else
    exec sleep 2147483647
fi
SH
    chmod +x "$PAIR_LVSD"
fi

# ---- ours ----
# ours KEEPALIVE DEADTIME CUT: one cut with our pulse (CUT numbers the logs).
ours() {
    local keepalive=$1 deadtime=$2 logs=pulse-$2.$3
    PAIR_KEEPALIVE=$keepalive PAIR_DEADTIME=$deadtime
    PAIR_WRAP=(prlimit --rtprio="$PULSE_RT_LIMIT" chrt --rr --reset-on-fork "$PULSE_RT_PRIORITY")
    # Natively the stand-in needs no real-time limit (and raising the hard
    # limit needs CAP_SYS_RESOURCE, which a container may not grant).
    ((!NATIVE)) || PAIR_WRAP=("${PAIR_WRAP[@]:2}")
    # The operator's log only, as a production router runs (-v writes two
    # DEBUG lines per heartbeat, to the 9p share here).
    PAIR_VERBOSE=()
    PULSE_TAKEOVERS_BEFORE=$(cat "$out/$SCENARIO.backup.log" 2>/dev/null | grep -c "partner dead: activating lvs" || true)
    pair_start
    T_BACKUP_UP=$(now)
    stall_probe_start "$logs"
    # The backup's standby lvsd knows the real servers' health before the cut.
    wait_until 60 pair_logged backup "standby lvsd running as pid"
    sleep 5
    arp_watch_start "$logs"
    fast_client_start "$logs"
    cut "pulse-$deadtime" "pulse keepalive $keepalive, deadtime $deadtime" "$deadtime" backup_serves pulse_takeovers
    grep -F "takeover:" "${PAIR_LOG[backup]}" | tail -2 | sed 's/^/    backup: /' || true
    reset
}

# ---- keepalived ----
keepalived_conf() { # ROUTER STATE PRIORITY VERSION ADVERT
    cat <<EOF
global_defs {
    router_id $1
    vrrp_version $4
    vrrp_rt_priority $PULSE_RT_PRIORITY
    # keepalived kills its own real-time VRRP process when it runs this many
    # microseconds of CPU without blocking (RLIMIT_RTTIME, default 10 ms):
    # under emulation a burst that takes well under a millisecond natively
    # crosses that, and the master's VRRP process died and respawned
    # ("exited due to signal 9 - has rlimit_rttime been exceeded?") with the
    # backup taking over before the cut.
    vrrp_rlimit_rtime 1000000
}
vrrp_instance web {
    state $2
    interface eth0
    virtual_router_id 51
    priority $3
    advert_int $5
    virtual_ipaddress {
        $LVS_VIP/24 dev eth0 label eth0:1
    }
}
EOF
}

# vrrp VERSION ADVERT CUT: one cut with keepalived.
vrrp() {
    local version=$1 advert=$2 logs=vrrp$1-$2.$3 router state prio cf
    pair_lab
    cf=$work/lvs.cf
    pair_cf "$cf"
    VRRP_TAKEOVERS_BEFORE=$(grep -c "Entering MASTER STATE" "$out/$SCENARIO.keepalived-backup.log" 2>/dev/null || true)
    for router in primary backup; do
        state=BACKUP prio=100
        [[ $router == primary ]] && state=MASTER prio=150
        keepalived_conf "$router" "$state" "$prio" "$version" "$advert" >"$work/$router.conf"
        ((NATIVE)) || in_ns "$router" "$LVS_BIN_DIR/lvsctl" apply -c "$cf" >/dev/null
        # The last cut's keepalived was killed (reset): its pid files stay,
        # and a pid of theirs taken since by another process reads as
        # "daemon is already running" (seen natively, where pids turn over fast).
        rm -f "$work/$router.pid" "$work/$router.vrrp.pid"
        lab_spawn ip netns exec "$router" keepalived -n -l -D --vrrp -f "$work/$router.conf" \
            -p "$work/$router.pid" -r "$work/$router.vrrp.pid" >>"$out/$SCENARIO.keepalived-$router.log" 2>&1
    done
    T_BACKUP_UP=$(now)
    stall_probe_start "$logs"
    wait_until 60 pair_has_vip primary
    arp_watch_start "$logs"
    fast_client_start "$logs"
    # keepalived's advert_int also sets its dead interval: 3 x advert_int + skew.
    cut "vrrp$version-$advert" "keepalived VRRPv$version advert_int $advert" \
        "$(awk -v a="$advert" 'BEGIN { print 3 * a }')" backup_serves vrrp_takeovers
    reset
}

# LVS_BENCH_ROWS (words: pulse-3 pulse-0.15 vrrp2-1 vrrp3-0.1) runs only
# those rows, e.g. to study one; each row is LVS_BENCH_CUTS cuts (default 3),
# each from a fresh start of the pair, reported as the median and every value.
rows_wanted=" ${LVS_BENCH_ROWS:-pulse-3 pulse-0.15 vrrp2-1 vrrp3-0.1} "
cuts=${LVS_BENCH_CUTS:-3}
for ((i = 1; i <= cuts; i++)); do
    [[ $rows_wanted == *" pulse-3 "* ]] && ours 1 3 "$i"
    [[ $rows_wanted == *" pulse-0.15 "* ]] && ours 0.05 0.15 "$i"
    [[ $rows_wanted == *" vrrp2-1 "* ]] && vrrp 2 1 "$i"
    [[ $rows_wanted == *" vrrp3-0.1 "* ]] && vrrp 3 0.1 "$i"
done

venue="under TCG"
((!NATIVE)) || venue="natively (network namespaces, no emulation, no IPVS: the routers answer on the VIP)"
echo "Client-observed outage when the active router's cable is cut, kernel $(uname -r) $venue, a request every $INTERVAL_MS ms, $cuts cuts per row"
echo "(pulse at real-time priority $PULSE_RT_PRIORITY as its unit runs it, keepalived with vrrp_rt_priority $PULSE_RT_PRIORITY)"
echo "| setting | dead interval (s) | client outage (ms): median (each cut) | outage - dead interval (ms), median | cut -> new router's gratuitous ARP at the client (ms): median (each cut) | ARP - dead interval (ms): median (each cut) | outage - ARP, the client's share (ms): median (each cut) | false takeovers by the backup before the cuts (its ARP frames for the VIP before the cuts) | real-time stalls > 100 ms before the cuts (longest) |"
echo "|---|---|---|---|---|---|---|---|---|"
# One table line per setting, in the order of the rows; `summary KEY FIELD`
# prints the median of FIELD (4 outage, 5 gratuitous ARP, 11 ARP - dead
# interval, 12 outage - ARP) over KEY's cuts.
summary() {
    awk -F'|' -v key="$1" -v f="$2" '$1 == key && $f != "none" { v[++n] = $f } END {
        if (!n) { print "none"; exit }
        for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
        print (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2 }' "$rows"
}
each() { awk -F'|' -v key="$1" -v f="$2" '$1 == key { printf "%s%s", sep, $f; sep = ", " }' "$rows"; }
for key in $(awk -F'|' '!seen[$1]++ { print $1 }' "$rows"); do
    dead=$(awk -F'|' -v key="$key" '$1 == key { print $3; exit }' "$rows")
    name=$(awk -F'|' -v key="$key" '$1 == key { print $2; exit }' "$rows")
    ms=$(summary "$key" 4)
    echo "| $name | $dead | $ms ($(each "$key" 4)) | $(awk -v m="$ms" -v d="$dead" 'BEGIN { printf "%.0f", m - d * 1000 }') |" \
        "$(summary "$key" 5) ($(each "$key" 5)) |" \
        "$(summary "$key" 11) ($(each "$key" 11)) |" \
        "$(summary "$key" 12) ($(each "$key" 12)) |" \
        "$(awk -F'|' -v key="$key" '$1 == key { n += $6; s += $7; a += $10 } END { printf "%d in %.0f s (%d)", n, s, a }' "$rows") |" \
        "$(awk -F'|' -v key="$key" '$1 == key { n += $8; if ($9 > m) m = $9 } END { printf "%d (%d ms)", n, m }' "$rows") |"
done
if [[ $(summary pulse-0.15 4) != none && $(summary vrrp3-0.1 4) != none ]]; then
    echo "sub-second pulse / VRRPv3 0.1, medians: outage" \
        "$(awk -v a="$(summary pulse-0.15 4)" -v b="$(summary vrrp3-0.1 4)" 'BEGIN { printf "%.2f", a / b }'), gratuitous ARP" \
        "$(awk -v a="$(summary pulse-0.15 5)" -v b="$(summary vrrp3-0.1 5)" 'BEGIN { printf "%.2f", a / b }')"
fi
