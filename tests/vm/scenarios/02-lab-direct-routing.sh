#!/usr/bin/env bash
# The netns lab works with the VM's IPVS: one L2 segment (bridge), a client,
# a router doing IPVS direct routing (set up with ipvsadm), and two real
# servers with the VIP on lo. 20 client requests reach both real servers.
. "$(dirname "$0")/../lib.sh"

VIP=192.0.2.100
need_ipvs

lab_bridge
lab_host cl 192.0.2.10/24
lab_host r1 192.0.2.1/24
lab_host rs1 192.0.2.11/24
lab_host rs2 192.0.2.12/24
in_ns r1 ip addr add "$VIP/24" dev eth0
lab_dr_realserver rs1 "$VIP"
lab_dr_realserver rs2 "$VIP"
info "lab up"
lab_http 80 rs1 rs2
info "real servers answer"

in_ns r1 ipvsadm -A -t "$VIP:80" -s rr
in_ns r1 ipvsadm -a -t "$VIP:80" -r 192.0.2.11:80 -g -w 1
in_ns r1 ipvsadm -a -t "$VIP:80" -r 192.0.2.12:80 -g -w 1
assert_rules - r1 <<RULES
-A -t $VIP:80 -s rr
-a -t $VIP:80 -r 192.0.2.11:80 -g -w 1
-a -t $VIP:80 -r 192.0.2.12:80 -g -w 1
RULES
# The table is per namespace: the VM's root namespace stays empty.
assert_eq "" "$(ipvsadm -Sn)" "root namespace table"

# One curl process, 20 URLs: http.server speaks HTTP/1.0 and closes each
# connection, so every request is a new connection for the scheduler.
declare -A answers=()
mapfile -t bodies < <(in_ns cl curl -s --max-time 120 $(printf "http://$VIP/ %.0s" $(seq 1 20)))
assert_eq 20 "${#bodies[@]}" "number of answers to 20 requests"
for body in "${bodies[@]}"; do
    answers[$body]=$((${answers[$body]:-0} + 1))
done
for k in "${!answers[@]}"; do info "$k answered ${answers[$k]} request(s)"; done
assert_eq 20 "$((${answers[rs1]:-0} + ${answers[rs2]:-0}))" "requests answered by rs1 + rs2"
((${answers[rs1]:-0} > 0)) || fail "rs1 answered nothing"
((${answers[rs2]:-0} > 0)) || fail "rs2 answered nothing"

# The real servers saw the client's own address (direct routing, no NAT).
grep -q '192.0.2.10' /tmp/lab-http-rs1-*.log || fail "rs1's log has no request from 192.0.2.10"
in_ns r1 ipvsadm -Ln --stats
