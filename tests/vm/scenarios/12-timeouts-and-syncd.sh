#!/usr/bin/env bash
# Issue 3: IPVS timeouts from lvs.cf (`ipvsadm --set`) read back with
# `ipvsadm -L --timeout`, and the sync daemon started/stopped through
# netlink seen by `ipvsadm -L --daemon`.
. "$(dirname "$0")/../lib.sh"
need_ipvs
need_bin lvsctl
cf=$(mktemp --suffix=.cf)
cat >"$cf" <<'CF'
primary = 192.0.2.1
tcp_timeout = 600
tcpfin_timeout = 60
udp_timeout = 200
syncd_iface = lo
syncd_id = 0x107
virtual www {
	active = 1
	address = 192.0.2.100 eth0:1
	server a {
		address = 10.1.0.1
		active = 1
	}
}
CF
lvsctl() { "$LVS_BIN_DIR/lvsctl" "$@"; }

out=$(lvsctl apply -v -c "$cf")
info "$out"
assert_contains "$out" "--set 600 60 200"
assert_eq "Timeout (tcp tcpfin udp): 600 60 200" "$(ipvsadm -L --timeout)" "timeouts"
assert_eq "0 changes" "$(lvsctl apply -c "$cf")" "second apply"

# A zero in lvs.cf leaves that timeout alone (as the original's `--set`).
sed -i 's/^udp_timeout = 200/udp_timeout = 0/; s/^tcp_timeout = 600/tcp_timeout = 700/' "$cf"
lvsctl apply -c "$cf" >/dev/null
assert_eq "Timeout (tcp tcpfin udp): 700 60 200" "$(ipvsadm -L --timeout)" "timeouts after change"

info "sync daemon"
lvsctl syncd -c "$cf" start master
daemon=$(ipvsadm -L --daemon)
info "ipvsadm -L --daemon: $daemon"
assert_contains "$daemon" "master sync daemon (mcast=lo, syncid=7"
assert_contains "$(lvsctl syncd -c "$cf" status)" "--start-daemon master --mcast-interface lo --syncid 7"
lvsctl syncd -c "$cf" start backup
assert_contains "$(ipvsadm -L --daemon)" "backup sync daemon (mcast=lo, syncid=7"
lvsctl syncd -c "$cf" stop master
lvsctl syncd -c "$cf" stop backup
assert_eq "" "$(ipvsadm -L --daemon)" "no daemon after stop"
if lvsctl syncd -c "$cf" stop master 2>/dev/null; then fail "stopping a stopped daemon should fail"; fi
