#!/usr/bin/env bash
# vm-timeout: 900
# Benchmark (issue 3), run in the same VM for every tool so the figures
# compare: loading a 200-service x 10-real-server table (2,200 entries) from
# empty with `lvsctl apply`, with `ipvsadm -R`, and with one `ipvsadm` process
# per entry as the original lvsd/nanny do (timed on 20 x 10 = 220 entries and
# extrapolated x10, stated as such); then a reload that changes one weight.
# Each figure is the median of 3 runs. Only correctness is asserted (the VM
# is emulated: timings vary); the table goes to $LVS_VM_OUT/bench-ipvs.txt.
# Rerun alone with: bash tests/vm/run.sh '90-*'
. "$(dirname "$0")/../lib.sh"
need_ipvs
need_bin lvsctl
lvsctl() { "$LVS_BIN_DIR/lvsctl" "$@"; }
work=$(mktemp -d)

# gen SERVICES SERVERS > lvs.cf
gen() {
    python3 - "$1" "$2" <<'PY'
import sys
services, servers = int(sys.argv[1]), int(sys.argv[2])
print("primary = 192.0.2.1\nnetwork = nat")
for i in range(services):
    print(f"virtual v{i} {{\n\tactive = 1\n\taddress = 10.200.{i // 250}.{i % 250 + 1} eth0:{i}\n\tport = 80\n\tscheduler = wlc")
    for j in range(servers):
        print(f"\tserver s{j} {{\n\t\taddress = 10.{201 + i // 250}.{i % 250}.{j + 1}\n\t\tactive = 1\n\t\tweight = {j + 1}\n\t}}")
    print("}")
PY
}

now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.3f}')" "$1" "$2"; }
median() { printf '%s\n' "$@" | sort -g | sed -n '2p'; }

gen 200 10 >"$work/big.cf"
gen 20 10 >"$work/small.cf"
lvsctl show --rules -c "$work/big.cf" >"$work/big.rules"
lvsctl show --rules -c "$work/small.cf" >"$work/small.rules"
assert_eq 2200 "$(wc -l <"$work/big.rules")" "entries in the big table"

apply_times=() restore_times=() fork_times=() reload_times=()
for run in 1 2 3; do
    ipvsadm -C
    t0=$(now); out=$(lvsctl apply -c "$work/big.cf"); t1=$(now)
    assert_eq "2200 changes" "$out" "lvsctl apply from empty"
    assert_rules "$work/big.rules"
    apply_times+=("$(elapsed "$t0" "$t1")")

    ipvsadm -C
    t0=$(now); ipvsadm -R <"$work/big.rules"; t1=$(now)
    assert_rules "$work/big.rules"
    restore_times+=("$(elapsed "$t0" "$t1")")

    ipvsadm -C
    t0=$(now)
    while read -r -a args; do ipvsadm "${args[@]}"; done <"$work/small.rules"
    t1=$(now)
    assert_rules "$work/small.rules"
    fork_times+=("$(elapsed "$t0" "$t1")")

    # Reload with one changed weight, against the full table.
    ipvsadm -C
    lvsctl apply -c "$work/big.cf" >/dev/null
    sed "0,/weight = 1\$/s//weight = 7/" "$work/big.cf" >"$work/big-reload.cf"
    t0=$(now); out=$(lvsctl apply -v -c "$work/big-reload.cf"); t1=$(now)
    assert_eq $'-e -t 10.200.0.1:80 -r 10.201.0.1:80 -m -w 7\n1 change' "$out" "one-weight reload"
    reload_times+=("$(elapsed "$t0" "$t1")")
done

apply=$(median "${apply_times[@]}")
restore=$(median "${restore_times[@]}")
fork=$(median "${fork_times[@]}")
fork_x10=$(python3 -c "import sys; print(f'{float(sys.argv[1]) * 10:.1f}')" "$fork")
reload=$(median "${reload_times[@]}")
ratio=$(python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.2f}')" "$apply" "$restore")
{
    echo "IPVS table load, 200 services x 10 real servers = 2,200 entries, kernel $(uname -r) under TCG"
    echo "median of 3 runs (all runs: lvsctl ${apply_times[*]}; ipvsadm -R ${restore_times[*]}; per-entry ${fork_times[*]})"
    echo "| method | seconds | vs ipvsadm -R |"
    echo "|---|---|---|"
    echo "| lvsctl apply (netlink, batched, from empty) | $apply | $ratio |"
    echo "| ipvsadm -R (one process, one netlink request per entry) | $restore | 1.00 |"
    echo "| one ipvsadm process per entry (the original), 220 entries x10 | $fork_x10 (220 entries: $fork) | $(python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.1f}')" "$fork_x10" "$restore") |"
    echo "| lvsctl apply reload, one weight changed (1 operation) | $reload | - |"
} | tee "${LVS_VM_OUT:-$work}/bench-ipvs.txt"
