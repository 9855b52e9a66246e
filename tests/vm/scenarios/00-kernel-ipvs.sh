#!/usr/bin/env bash
# The VM's kernel has IPVS: ip_vs loads and ipvsadm can list the table.
. "$(dirname "$0")/../lib.sh"

info "kernel: $(uname -r)"
info "ipvsadm: $(ipvsadm --version)"
need_ipvs
head -n1 /proc/net/ip_vs
listing=$(ipvsadm -L -n)
printf '%s\n' "$listing"
assert_contains "$listing" "IP Virtual Server version" "ipvsadm -L -n"
assert_eq "" "$(ipvsadm -Sn)" "ipvsadm -Sn of an empty table"
info "loaded: $(lsmod | awk '$1 ~ /^ip_vs/ {print $1}' | sort | tr '\n' ' ')"
