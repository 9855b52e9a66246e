#!/usr/bin/env bash
# Issue 3: after someone changes the kernel table by hand (one destination
# deleted, one weight changed), `lvsctl apply` repairs exactly those two
# entries and nothing else; a service it does not own is removed without a
# flush (the other services keep their entries).
. "$(dirname "$0")/../lib.sh"
need_ipvs
need_bin lvsctl
cf=$(mktemp --suffix=.cf)
cat >"$cf" <<'CF'
primary = 192.0.2.1
network = nat
virtual www {
	active = 1
	address = 192.0.2.100 eth0:1
	port = 80
	scheduler = wlc
	server a {
		address = 10.1.0.1
		active = 1
		weight = 5
	}
	server b {
		address = 10.1.0.2
		active = 1
		weight = 5
	}
	server c {
		address = 10.1.0.3
		active = 1
	}
}
virtual dns {
	active = 1
	address = 192.0.2.100 eth0:1
	port = 53
	protocol = udp
	scheduler = rr
	server d {
		address = 10.1.0.4
		active = 1
	}
}
CF
lvsctl() { "$LVS_BIN_DIR/lvsctl" "$@"; }

out=$(lvsctl apply -c "$cf")
assert_eq "6 changes" "$(tail -n1 <<<"$out")" "first apply"
expected=$(lvsctl show --rules -c "$cf")
assert_rules - <<<"$expected"

info "drift: delete b, change the weight of c"
ipvsadm -d -t 192.0.2.100:80 -r 10.1.0.2:80
ipvsadm -e -t 192.0.2.100:80 -r 10.1.0.3:80 -m -w 9
out=$(lvsctl apply -v -c "$cf")
info "repair:"$'\n'"$out"
assert_eq "2 changes" "$(tail -n1 <<<"$out")" "repair count"
assert_eq $'-a -t 192.0.2.100:80 -r 10.1.0.2:80 -m -w 5\n-e -t 192.0.2.100:80 -r 10.1.0.3:80 -m -w 1' \
    "$(head -n -1 <<<"$out" | sort)" "repair operations"
assert_rules - <<<"$expected"

info "a service lvs.cf does not own is removed, nothing else is touched"
ipvsadm -A -t 198.51.100.7:443 -s rr
ipvsadm -a -t 198.51.100.7:443 -r 10.9.9.9:443 -m -w 1
out=$(lvsctl apply -v -c "$cf")
assert_eq $'-D -t 198.51.100.7:443\n1 change' "$out" "foreign service removal"
assert_rules - <<<"$expected"
assert_eq "0 changes" "$(lvsctl apply -c "$cf")" "steady state"
