#!/usr/bin/env bash
# Pins down the exact text this ipvsadm prints (`-Sn`, `-L --timeout`,
# `-L --daemon`) for the rule shapes lvsd/nanny produce, so our writer and
# `lvsctl` can be compared with it line by line. Findings: tests/vm/README.md.
. "$(dirname "$0")/../lib.sh"

need_ipvs
info "ipvsadm: $(ipvsadm --version)"

show() { info "\$ $*"; "$@"; }

# TCP service: wlc, persistence 300 with a netmask, every forwarding method.
show ipvsadm -A -t 192.0.2.100:80 -s wlc -p 300 -M 255.255.255.0
show ipvsadm -a -t 192.0.2.100:80 -r 192.0.2.11:8080 -m -w 3
show ipvsadm -a -t 192.0.2.100:80 -r 192.0.2.12:9999 -g -w 1   # port given on purpose
show ipvsadm -a -t 192.0.2.100:80 -r 192.0.2.13:7777 -i -w 1   # port given on purpose
show ipvsadm -a -t 192.0.2.100:80 -r 192.0.2.14 -m -w 0        # no port, weight 0
# fwmark service.
show ipvsadm -A -f 80 -s rr
show ipvsadm -a -f 80 -r 192.0.2.21:80 -g -w 1
show ipvsadm -a -f 80 -r 192.0.2.22:8080 -m -w 2
show ipvsadm -a -f 80 -r 192.0.2.23 -i -w 1
show ipvsadm -a -f 80 -r 192.0.2.24:8081 -g -w 1
# UDP service.
show ipvsadm -A -u 192.0.2.100:53 -s rr
show ipvsadm -a -u 192.0.2.100:53 -r 192.0.2.31:53 -m -w 1
show ipvsadm -a -u 192.0.2.100:53 -r 192.0.2.32:5353 -g -w 1
# Persistence without a value takes ipvsadm's default of 360 s.
show ipvsadm -A -t 192.0.2.100:443 -s rr -p

info "ipvsadm -Sn:"
ipvsadm -Sn
info "ipvsadm -Ln:"
ipvsadm -Ln

# -g and -i take the virtual port whatever port was given (ipvsadm does
# this, not the kernel); -m keeps its port, and a missing port is the
# virtual port. fwmark services (virtual port 0) keep the given port, and
# a missing one is printed as :0. Tunnel lines carry --tun-type ipip.
assert_rules - <<'RULES'
-A -t 192.0.2.100:80 -s wlc -p 300 -M 255.255.255.0
-a -t 192.0.2.100:80 -r 192.0.2.11:8080 -m -w 3
-a -t 192.0.2.100:80 -r 192.0.2.12:80 -g -w 1
-a -t 192.0.2.100:80 -r 192.0.2.13:80 -i -w 1 --tun-type ipip
-a -t 192.0.2.100:80 -r 192.0.2.14:80 -m -w 0
-A -t 192.0.2.100:443 -s rr -p 360
-A -u 192.0.2.100:53 -s rr
-a -u 192.0.2.100:53 -r 192.0.2.31:53 -m -w 1
-a -u 192.0.2.100:53 -r 192.0.2.32:53 -g -w 1
-A -f 80 -s rr
-a -f 80 -r 192.0.2.21:80 -g -w 1
-a -f 80 -r 192.0.2.22:8080 -m -w 2
-a -f 80 -r 192.0.2.23:0 -i -w 1 --tun-type ipip
-a -f 80 -r 192.0.2.24:8081 -g -w 1
RULES

# Order of services in the dump: the kernel's hash order, not insertion
# order; record it but do not depend on it.
info "service order in -Sn: $(ipvsadm -Sn | awk '$1 == "-A" {printf "%s ", $3}')"

# Round trip: -Sn output restores to the same table.
saved=$(ipvsadm -Sn)
show ipvsadm -C
printf '%s\n' "$saved" | ipvsadm -R
assert_eq "$(printf '%s\n' "$saved" | sort)" "$(ipvsadm -Sn | sort)" "table after ipvsadm -R of -Sn"

# Connection timeouts.
info "ipvsadm -L --timeout (kernel defaults):"
ipvsadm -L --timeout
show ipvsadm --set 900 120 300
out=$(ipvsadm -L --timeout)
printf '%s\n' "$out"
assert_eq "Timeout (tcp tcpfin udp): 900 120 300" "$out" "ipvsadm -L --timeout"
show ipvsadm --set 1000 100 200
out=$(ipvsadm -L --timeout)
printf '%s\n' "$out"
assert_eq "Timeout (tcp tcpfin udp): 1000 100 200" "$out" "ipvsadm -L --timeout"
# 0 means "leave unchanged".
show ipvsadm --set 0 0 250
assert_eq "Timeout (tcp tcpfin udp): 1000 100 250" "$(ipvsadm -L --timeout)" "after --set 0 0 250"

# Connection sync daemons.
assert_eq "" "$(ipvsadm -L --daemon)" "ipvsadm -L --daemon with no daemon"

# sync_daemons IFACE BACKUP_MAXLEN: start a master, then also a backup, on
# IFACE with syncid 7, checking `ipvsadm -L --daemon` after each; stop both.
sync_daemons() {
    local ifname=$1 backup_maxlen=$2 master backup
    master="master sync daemon (mcast=$ifname, syncid=7, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)"
    backup="backup sync daemon (mcast=$ifname, syncid=7, maxlen=$backup_maxlen, group=224.0.0.81, port=8848, ttl=1)"
    show ipvsadm --start-daemon master --mcast-interface "$ifname" --syncid 7
    out=$(ipvsadm -L --daemon)
    printf '%s\n' "$out"
    assert_eq "$master" "$out" "ipvsadm -L --daemon (master on $ifname)"
    show ipvsadm --start-daemon backup --mcast-interface "$ifname" --syncid 7
    out=$(ipvsadm -L --daemon)
    printf '%s\n' "$out"
    assert_eq "$master"$'\n'"$backup" "$out" "ipvsadm -L --daemon (master + backup on $ifname)"
    show ipvsadm --stop-daemon master
    show ipvsadm --stop-daemon backup
    assert_eq "" "$(ipvsadm -L --daemon)" "ipvsadm -L --daemon after stopping both"
}
# The backup's maxlen follows the interface MTU (lo, MTU 65536: 65507);
# the master's stays 1472. On an Ethernet-sized MTU both say 1472.
sync_daemons lo 65507
show ip link add lvsync0 type dummy
show ip link set lvsync0 up
sync_daemons lvsync0 1472
show ip link delete lvsync0

show ipvsadm -C
assert_eq "" "$(ipvsadm -Sn)" "ipvsadm -Sn after -C"
