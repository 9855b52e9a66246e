#!/usr/bin/env bash
# vm-timeout: 600
# Issue 3: for every lvs.cf under crates/lvs-config/tests/data, `lvsctl apply`
# from an empty table makes the kernel hold exactly the expected rules (the
# `.rules` file next to it, checked with Debian's ipvsadm as the independent
# oracle), and a second apply reports `0 changes`.
. "$(dirname "$0")/../lib.sh"
need_ipvs
need_bin lvsctl
data=${LVS_REPO:-$(cd "$(dirname "$0")/../../.." && pwd)}/crates/lvs-config/tests/data

count=0
for cf in "$data"/*.cf; do
    rules=${cf%.cf}.rules
    [[ -f $rules ]] || continue
    name=$(basename "$cf")
    ipvsadm -C
    info "apply $name"
    first=$("$LVS_BIN_DIR/lvsctl" apply -c "$cf" 2>&1 | tail -n1)
    info "  first apply: $first"
    [[ $first =~ ^[0-9]+\ changes?$ ]] || fail "$name: unexpected last line: $first"
    assert_rules "$rules"
    second=$("$LVS_BIN_DIR/lvsctl" apply -c "$cf" 2>&1 | tail -n1)
    assert_eq "0 changes" "$second" "$name: second apply"
    count=$((count + 1))
done
((count >= 5)) || fail "only $count configs with .rules found in $data"
info "$count configs applied and verified"
