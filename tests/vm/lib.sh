# shellcheck shell=bash
# Helpers for VM scenarios. Source it first thing in a scenario:
#   . "$(dirname "$0")/../lib.sh"
# It turns on errexit/nounset/pipefail and installs an EXIT trap that calls
# `cleanup` (a scenario with its own trap should call cleanup from it).
# Exit 77 (via `skip`) marks a scenario SKIP instead of FAIL.
set -euo pipefail

: "${SCENARIO:=$(basename "$0" .sh)}"
: "${LVS_BIN_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/target/release}"
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH

LAB_NETNS=()   # namespaces created by lab_host
LAB_LINKS=()   # root-namespace links created by lab_bridge/lab_host
LAB_PIDS=()    # background processes started by lab_spawn

info() { printf '[%s] %s\n' "$(date +%T)" "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
skip() { printf 'SKIP: %s\n' "$*"; exit 77; }

# Run a command inside a network namespace: in_ns NS CMD...
in_ns() { ip netns exec "$@"; }

# Load ip_vs and every scheduler module the kernel ships (Piranha's
# scheduler keywords: rr wrr lc wlc lblc lblcr dh sh sed nq; plus mh fo ovf).
need_ipvs() {
    modprobe ip_vs || fail "modprobe ip_vs failed (kernel $(uname -r))"
    local s
    for s in rr wrr lc wlc lblc lblcr dh sh sed nq mh fo ovf; do
        modprobe "ip_vs_$s" 2>/dev/null || info "note: no ip_vs_$s module"
    done
    [[ -e /proc/net/ip_vs ]] || fail "/proc/net/ip_vs missing after modprobe ip_vs"
}

# need_bin NAME... : skip unless our binaries are built in $LVS_BIN_DIR.
# Use them as "$LVS_BIN_DIR/NAME".
need_bin() {
    local b
    for b in "$@"; do
        [[ -x $LVS_BIN_DIR/$b ]] || skip "$LVS_BIN_DIR/$b not built (cargo build --release)"
    done
}

# assert_eq EXPECTED ACTUAL [WHAT]
assert_eq() {
    [[ $1 == "$2" ]] || fail "${3:-value}: expected '$1', got '$2'"
}

# assert_contains HAYSTACK NEEDLE [WHAT]
assert_contains() {
    [[ $1 == *"$2"* ]] || fail "${3:-output} does not contain '$2'; it is: $1"
}

# assert_rules EXPECTED_FILE [NETNS]: the IPVS table (`ipvsadm -Sn`, in NETNS
# if given) equals EXPECTED_FILE, both sorted; '#' comments and blank lines in
# the file are ignored, '-' reads stdin. Prints a unified diff on mismatch.
assert_rules() {
    local file=$1 ns=${2:-} expected actual
    expected=$(mktemp) actual=$(mktemp)
    grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$file" | sort >"$expected" || true
    if [[ -n $ns ]]; then in_ns "$ns" ipvsadm -Sn; else ipvsadm -Sn; fi | sort >"$actual"
    if ! diff -u --label expected --label "ipvsadm -Sn${ns:+ (netns $ns)}" "$expected" "$actual"; then
        rm -f "$expected" "$actual"
        fail "IPVS rules differ from $file"
    fi
    rm -f "$expected" "$actual"
}

# wait_until SECONDS CMD... : poll CMD every 0.5 s until it succeeds.
# Everything is 10-50x slower in the VM: be generous with SECONDS.
wait_until() {
    local limit=$1 deadline
    shift
    deadline=$(($(date +%s) + limit))
    until "$@" >/dev/null 2>&1; do
        (($(date +%s) < deadline)) || fail "timed out after ${limit} s waiting for: $*"
        sleep 0.5
    done
}

# lab_spawn CMD... : start a background process that cleanup will stop.
lab_spawn() {
    "$@" &
    LAB_PIDS+=($!)
}

# ---- network lab: one L2 segment (a bridge) with one namespace per host ----
# Addresses: use only documentation ranges (192.0.2.0/24, 198.51.100.0/24,
# 203.0.113.0/24) or 10.x inside these namespaces; nothing leaves the VM.

# LAB_SWITCH_NS: the namespace that holds the bridge and the veth ends
# plugged into it; unset, the VM's root namespace. The native benchmark sets
# it: a machine's own root namespace may filter bridged traffic (here, one
# forwarded no unicast UDP between two ports).
LAB_SWITCH_NS=${LAB_SWITCH_NS:-}
# lab_ip ARGS...: `ip ARGS` where the bridge is; lab_switch CMD...: CMD there.
lab_ip() { ip ${LAB_SWITCH_NS:+-n "$LAB_SWITCH_NS"} "$@"; }
lab_switch() { if [[ -n $LAB_SWITCH_NS ]]; then in_ns "$LAB_SWITCH_NS" "$@"; else "$@"; fi; }

# lab_bridge [BRIDGE]: create an up bridge in the VM's root namespace (or
# in LAB_SWITCH_NS, created if need be).
lab_bridge() {
    local br=${1:-lvbr0}
    if [[ -n $LAB_SWITCH_NS && ! -e /run/netns/$LAB_SWITCH_NS ]]; then
        ip netns add "$LAB_SWITCH_NS"
        LAB_NETNS+=("$LAB_SWITCH_NS")
    fi
    lab_ip link add "$br" type bridge
    lab_ip link set "$br" up
    LAB_LINKS+=("$br")
}

# lab_host NS ADDR/PREFIX [BRIDGE] [IFNAME]: namespace NS with interface
# IFNAME (default eth0) holding ADDR, plugged into BRIDGE (default lvbr0).
# Call again with another bridge to give a host a second interface (eth1...).
lab_host() {
    local ns=$1 addr=$2 br=${3:-lvbr0} ifname=${4:-eth0}
    local peer="v${ns}${ifname#eth}"
    ((${#peer} <= 15)) || fail "lab_host: interface name $peer too long; use a shorter namespace name"
    if [[ ! -e /run/netns/$ns ]]; then
        ip netns add "$ns"
        LAB_NETNS+=("$ns")
        in_ns "$ns" ip link set lo up
    fi
    lab_ip link add "$peer" type veth peer name "$ifname" netns "$ns"
    LAB_LINKS+=("$peer")
    lab_ip link set "$peer" master "$br" up
    in_ns "$ns" ip addr add "$addr" dev "$ifname"
    in_ns "$ns" ip link set "$ifname" up
}

# lab_dr_realserver NS VIP...: make NS a direct-routing real server: the
# VIPs on lo, and no ARP answers or announcements for them.
lab_dr_realserver() {
    local ns=$1 vip k
    shift
    for k in all default eth0; do
        in_ns "$ns" sysctl -qw "net.ipv4.conf.$k.arp_ignore=1" "net.ipv4.conf.$k.arp_announce=2"
    done
    for vip in "$@"; do
        in_ns "$ns" ip addr add "$vip/32" dev lo
    done
}

# lab_http PORT NS...: an HTTP server on 0.0.0.0:PORT in each NS whose index
# page is the namespace name; returns once all answer. Started together,
# since a python start-up takes many seconds under emulation.
lab_http() {
    local port=$1 ns dir
    shift
    for ns in "$@"; do
        dir=$(mktemp -d "/tmp/lab-http-$ns-XXXX")
        printf '%s\n' "$ns" >"$dir/index.html"
        lab_spawn ip netns exec "$ns" python3 -m http.server --bind 0.0.0.0 --directory "$dir" "$port" \
            >"$dir.log" 2>&1
    done
    for ns in "$@"; do
        wait_until 90 in_ns "$ns" curl -sf --max-time 5 "http://127.0.0.1:$port/"
    done
}

# http_get NS URL: print the body fetched from NS (fails on HTTP errors).
http_get() {
    in_ns "$1" curl -sf --max-time 10 "$2"
}

# cleanup: stop spawned processes, remove lab namespaces and links.
# Runs on EXIT; inside.sh also resets everything between scenarios.
cleanup() {
    local pid ns link
    for pid in "${LAB_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for ns in "${LAB_NETNS[@]}"; do ip netns delete "$ns" 2>/dev/null || true; done
    for link in "${LAB_LINKS[@]}"; do lab_ip link delete "$link" 2>/dev/null || true; done
    LAB_PIDS=() LAB_NETNS=() LAB_LINKS=()
}
trap cleanup EXIT

# ---- the lvsd lab (scenarios 20-23): lvsd + nanny in a router namespace ----
# One L2 segment, direct routing: client `cl` 192.0.2.10, router `lvs`
# 192.0.2.1 (+ the VIP, added by hand as pulse would), real servers
# rs1..rs3 192.0.2.11-13 and a sorry server `sorry` 192.0.2.20, each with the
# VIP on lo and a busybox httpd answering its namespace name.

LVS_VIP=192.0.2.100
LVS_RS=(rs1 rs2 rs3)
declare -A LAB_HTTPD=()   # namespace -> pid of its busybox httpd
LVSD_PID=""               # lvsd started by lvsd_start
LVSD_LOG=""               # its stdout/stderr

# now: seconds since the epoch with fractions (same clock as python's time.time()).
now() { date +%s.%N; }
# since T: seconds elapsed since T (one decimal).
since() { awk -v t="$1" -v n="$(now)" 'BEGIN { printf "%.1f", n - t }'; }

# measure_until SECONDS CMD...: like wait_until, but polls every 0.2 s and
# sets MEASURED to the seconds it took (one decimal).
MEASURED=""
measure_until() {
    local limit=$1 t0
    shift
    t0=$(now)
    until "$@" >/dev/null 2>&1; do
        awk -v t="$t0" -v n="$(now)" -v l="$limit" 'BEGIN { exit !(n - t < l) }' ||
            fail "timed out after ${limit} s waiting for: $*"
        sleep 0.2
    done
    MEASURED=$(since "$t0")
}

# lab_httpd NS PORT [BODY]: busybox httpd on 0.0.0.0:PORT in NS serving BODY
# (default: the namespace name) as its index page; starts in well under a
# second, unlike python. Returns once it answers. Stop it with lab_httpd_stop.
# With LAB_HTTPD_BIN set, `$LAB_HTTPD_BIN PORT INDEX-FILE` serves instead
# (bench 92's server without a process per connection).
LAB_HTTPD_BIN=""
lab_httpd() {
    local ns=$1 port=$2 body=${3:-$1} dir=/tmp/lab-httpd-$1
    mkdir -p "$dir"
    printf '%s\n' "$body" >"$dir/index.html"
    if [[ -n $LAB_HTTPD_BIN ]]; then
        lab_spawn ip netns exec "$ns" "$LAB_HTTPD_BIN" "$port" "$dir/index.html"
    else
        lab_spawn ip netns exec "$ns" busybox httpd -f -p "0.0.0.0:$port" -h "$dir"
    fi
    LAB_HTTPD[$ns]=$!
    wait_until 30 in_ns "$ns" curl -sf --max-time 5 "http://127.0.0.1:$port/"
}

# lab_httpd_stop NS: stop the httpd of NS (connections are then refused).
lab_httpd_stop() {
    local pid=${LAB_HTTPD[$1]:?no httpd in $1}
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    unset "LAB_HTTPD[$1]"
}

# lvs_lab: build the lab above, every web server answering on port 80.
lvs_lab() {
    need_ipvs
    lab_bridge
    lab_host cl 192.0.2.10/24
    lvs_lab_router lvs 192.0.2.1/24
    in_ns lvs ip addr add "$LVS_VIP/24" dev eth0 label eth0:1
    lvs_lab_servers
    lvs_lab_server sorry 192.0.2.20/24
    info "lab up: client cl, router lvs (VIP $LVS_VIP), real servers ${LVS_RS[*]}, sorry server"
}

# lvs_lab_router NS ADDR/PREFIX: a router namespace on the lab bridge.
lvs_lab_router() {
    lab_host "$1" "$2"
    # What an LVS admin sets (keepalived's and ldirectord's docs advise it
    # too): without it, a client whose new connection reuses the source port
    # of a connection to a real server that has since left the table has its
    # SYNs dropped until that entry expires (minutes), and the request fails.
    in_ns "$1" sysctl -qw net.ipv4.vs.expire_nodest_conn=1
}

# lvs_lab_server NS ADDR/PREFIX: a direct-routing real server on the lab
# bridge (the VIP on lo) with a busybox httpd on port 80.
lvs_lab_server() {
    lab_host "$1" "$2"
    lab_dr_realserver "$1" "$LVS_VIP"
    lab_httpd "$1" 80
}

# lvs_lab_servers: the real servers rs1..rs3 (192.0.2.11-13).
lvs_lab_servers() {
    local ns
    for ns in "${LVS_RS[@]}"; do lvs_lab_server "$ns" "192.0.2.$((10 + ${ns#rs}))/24"; done
}

# lvs_lab_cf FILE [LINE...]: lvs.cf for the lab: virtual service `web` on
# VIP:80, direct routing, default HTTP probe every second, reentry 6 s,
# rs1..rs3 at weight 1; each LINE is added to the virtual block.
lvs_lab_cf() {
    local file=$1
    shift
    {
        printf 'serial_no = 1\nprimary = 192.0.2.1\nservice = lvs\nbackup_active = 0\nnetwork = direct\n'
        lvs_lab_virtual "$@"
    } >"$file"
    lvs_lab_check "$file"
}

# lvs_lab_virtual [LINE...]: print the `virtual web` block of lvs_lab_cf.
lvs_lab_virtual() {
    local ns line
    printf 'virtual web {\n\tactive = 1\n\taddress = %s eth0:1\n\tport = 80\n\tscheduler = wlc\n' "$LVS_VIP"
    printf '\ttimeout = 1\n\treentry = 6\n'
    for line in "$@"; do printf '\t%s\n' "$line"; done
    for ns in "${LVS_RS[@]}"; do
        printf '\tserver %s {\n\t\taddress = 192.0.2.%s\n\t\tactive = 1\n\t\tweight = 1\n\t}\n' \
            "$ns" "$((10 + ${ns#rs}))"
    done
    printf '}\n'
}

# lvs_lab_check FILE: fail unless `lvsctl check` accepts FILE.
lvs_lab_check() {
    "$LVS_BIN_DIR/lvsctl" check -c "$1" >/dev/null || fail "lvsctl check rejects $1"
}

# lvs_rules [NS]: the IPVS table (ipvsadm -Sn) of router NS (default lvs), sorted.
lvs_rules() { in_ns "${1:-lvs}" ipvsadm -Sn | sort; }

# lvs_dest IP [NS]: the table line of real server IP:80 in router NS
# (default lvs); fails if absent.
lvs_dest() { in_ns "${2:-lvs}" ipvsadm -Sn | grep -- "-r $1:80 "; }
lvs_no_dest() { ! lvs_dest "$@"; }

# lvs_lab_wait_up: wait until rs1..rs3 are all in the table at weight 1.
lvs_lab_wait_up() { wait_until 60 lvs_lab_all_up; }
# lvs_lab_all_up [NS]: rs1..rs3 are in the table of NS (default lvs) at weight 1.
lvs_lab_all_up() { (($(lvs_rules "$@" | grep -c -- ' -w 1$') == ${#LVS_RS[@]})); }

# lvs_lab_rules [IP:WEIGHT...]: the expected table with these real servers.
lvs_lab_rules() {
    local d
    echo "-A -t $LVS_VIP:80 -s wlc"
    for d in "$@"; do echo "-a -t $LVS_VIP:80 -r ${d%:*}:80 -g -w ${d#*:}"; done
}

# lvsd_start CF: run `lvsd -n -v -c CF` in the router namespace (log in
# $LVSD_LOG, pid in $LVSD_PID); returns once its virtual services started.
lvsd_start() {
    need_bin lvsd nanny lvsctl
    LVSD_LOG=${LVS_VM_OUT:-/tmp}/$SCENARIO.lvsd.log
    lab_spawn ip netns exec lvs "$LVS_BIN_DIR/lvsd" -n -v -c "$1" >"$LVSD_LOG" 2>&1
    LVSD_PID=$!
    wait_until 60 grep -q 'starting virtual service' "$LVSD_LOG"
    info "lvsd running as pid $LVSD_PID, log in $LVSD_LOG"
}

# lvs_lab_start [LINE...]: lvs_lab, lvs.cf ($LVS_CF, lvs_lab_cf with these
# LINEs), lvsd started on it; returns once rs1..rs3 are in the table.
LVS_CF=""
lvs_lab_start() {
    lvs_lab
    LVS_CF=$(mktemp --suffix=.cf)
    lvs_lab_cf "$LVS_CF" "$@"
    lvsd_start "$LVS_CF"
    lvs_lab_wait_up
    info "rs1..rs3 in the table"
}

# lvsd_logged TEXT: lvsd's log has a line containing TEXT.
lvsd_logged() { grep -qF -- "$1" "$LVSD_LOG"; }

# ---- client: one python process requesting http://VIP/ in a loop ----
# Each request is a new connection; one line per request in $CLIENT_LOG:
# "START END ok BODY" or "START END fail ERROR" (epoch seconds).
CLIENT_LOG=""
client_start() {
    CLIENT_LOG=${LVS_VM_OUT:-/tmp}/$SCENARIO.client.log
    : >"$CLIENT_LOG"
    lab_spawn ip netns exec cl python3 -u -c '
import http.client, sys, time
vip, log = sys.argv[1], open(sys.argv[2], "a", buffering=1)
while True:
    start = time.time()
    try:
        c = http.client.HTTPConnection(vip, 80, timeout=5)
        c.request("GET", "/")
        r = c.getresponse()
        body = r.read().decode(errors="replace").strip()
        c.close()
        res = "ok " + body if r.status == 200 else "fail status %d" % r.status
    except Exception as e:
        res = "fail " + type(e).__name__ + ":" + str(e).replace("\n", " ")
    log.write("%.3f %.3f %s\n" % (start, time.time(), res))
    time.sleep(0.05)
' "$LVS_VIP" "$CLIENT_LOG"
    wait_until 90 grep -q ' ok ' "$CLIENT_LOG"
    info "client requesting http://$LVS_VIP/ in a loop, log in $CLIENT_LOG"
}

# client_count WHAT [FROM [TO]]: requests started in [FROM, TO) whose result
# is WHAT (ok, fail, or "ok BODY").
client_count() {
    awk -v what="$1" -v from="${2:-0}" -v to="${3:-1e12}" '
        $1 >= from && $1 < to && (what == "" || $3 == what || $3 " " $4 == what) { n++ }
        END { print n + 0 }' "$CLIENT_LOG"
}

# client_wait_requests N FROM: wait until N requests started after FROM ended.
client_wait_requests() { wait_until 120 client_has "$@"; }
# client_clean N WHAT [FROM]: wait for N requests started after FROM
# (default: now) and fail if any of them failed; logs the count as WHAT and
# leaves the window in CLIENT_FROM, CLIENT_TO.
CLIENT_FROM="" CLIENT_TO=""
client_clean() {
    local failed
    CLIENT_FROM=${3:-$(now)}
    client_wait_requests "$1" "$CLIENT_FROM"
    CLIENT_TO=$(now)
    failed=$(client_count fail "$CLIENT_FROM" "$CLIENT_TO")
    info "client: $failed failed of $(client_count '' "$CLIENT_FROM" "$CLIENT_TO") requests $2"
    ((failed == 0)) || awk -v from="$CLIENT_FROM" -v to="$CLIENT_TO" \
        '$1 >= from && $1 < to && $3 == "fail"' "$CLIENT_LOG" | sed 's/^/    failed: /'
    assert_eq 0 "$failed" "failed client requests $2"
}
client_has() { (($(client_count '' "$2") >= $1)); }
