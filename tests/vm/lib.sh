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

# lab_bridge [BRIDGE]: create an up bridge in the VM's root namespace.
lab_bridge() {
    local br=${1:-lvbr0}
    ip link add "$br" type bridge
    ip link set "$br" up
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
    ip link add "$peer" type veth peer name "$ifname" netns "$ns"
    LAB_LINKS+=("$peer")
    ip link set "$peer" master "$br" up
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
    for link in "${LAB_LINKS[@]}"; do ip link delete "$link" 2>/dev/null || true; done
    LAB_PIDS=() LAB_NETNS=() LAB_LINKS=()
}
trap cleanup EXIT
