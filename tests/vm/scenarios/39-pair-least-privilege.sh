#!/usr/bin/env bash
# vm-timeout: 480
# Least privilege on a router pair (pair.sh lab): both pulses run under the
# capability sets of systemd/pulse.service (its CapabilityBoundingSet and
# AmbientCapabilities lines, applied with setpriv as systemd would), and
# - the pair still works: the primary brings up the VIP and programs the
#   table, the backup's standby lvsd programs it at takeover;
# - pulse holds CAP_NET_ADMIN CAP_NET_RAW CAP_NET_BIND_SERVICE and nothing
#   else; lvsd (active and standby) CAP_NET_ADMIN and no_new_privs; every
#   nanny nothing at all and no_new_privs;
# - the send_program a nanny runs (as root) holds no capability either.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../pair.sh"

need_bin pulse lvsd nanny lvsctl
command -v setpriv >/dev/null || skip "setpriv (util-linux) not found"
UNIT=$LVS_REPO/systemd/pulse.service
[[ -r $UNIT ]] || fail "no $UNIT"

# The unit's capability names, as setpriv's list: -all,+net_admin,...
unit_caps() {
    local key=$1 list
    list=$(sed -n "s/^$key=//p" "$UNIT")
    [[ -n $list ]] || fail "$UNIT has no $key line"
    printf -- '-all'
    for cap in $list; do printf ',+%s' "$(tr 'A-Z' 'a-z' <<<"${cap#CAP_}")"; done
}
bounding=$(unit_caps CapabilityBoundingSet)
ambient=$(unit_caps AmbientCapabilities)
info "unit: bounding $bounding, ambient $ambient"
PAIR_WRAP=(setpriv --bounding-set "$bounding" --inh-caps "$ambient" --ambient-caps "$ambient")

# A send_program that records what it holds and checks the web server.
SEEN=$(mktemp -d)
CHECK=$SEEN/check
cat >"$CHECK" <<EOF
#!/bin/bash
# Builtins only (the probe timeout is 1 s; every exec counts under emulation):
# /proc/self is this bash, the program as nanny ran it.
while read -r key value; do
    [[ \$key == Cap* || \$key == NoNewPrivs: ]] && echo "\$key \$value"
done </proc/self/status >"$SEEN/program.\$1.\$\$"
exec 3<>"/dev/tcp/\$1/80" && echo OK
EOF
chmod 755 "$CHECK"

# The masks of /proc/PID/status: NET_BIND_SERVICE 10, NET_ADMIN 12, NET_RAW 13.
PULSE_CAPS=0000000000003400
LVSD_CAPS=0000000000001000
NONE=0000000000000000

# field PID KEY: the value of KEY (CapEff, NoNewPrivs, ...) in /proc/PID/status.
field() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

# expect_caps WHAT PID EFFECTIVE NO_NEW_PRIVS: effective = permitted = EFFECTIVE,
# ambient within it, inheritable within it, no_new_privs as given.
expect_caps() {
    local what=$1 pid=$2 want=$3 nnp=$4 key
    info "$what (pid $pid): $(grep -E '^(Cap|NoNewPrivs)' "/proc/$pid/status" | tr '\t\n' '  ')"
    assert_eq "$want" "$(field "$pid" CapEff)" "$what CapEff"
    assert_eq "$want" "$(field "$pid" CapPrm)" "$what CapPrm"
    for key in CapAmb CapInh; do
        (((0x$(field "$pid" $key) & ~0x$want) == 0)) || fail "$what $key $(field "$pid" $key) exceeds $want"
    done
    assert_eq "$nnp" "$(field "$pid" NoNewPrivs)" "$what NoNewPrivs"
}

# the_nannies ROUTER: the pids of the nanny processes in ROUTER's namespace.
the_nannies() { pair_procs "$1" nanny; }

# has_nannies ROUTER: a nanny runs in ROUTER's namespace.
has_nannies() { [[ -n $(the_nannies "$1") ]]; }

# check_router ROUTER: pulse, its lvsd and their nannies hold what they should.
check_router() {
    local router=$1 pid nannies
    expect_caps "$router pulse" "${PAIR_PULSE[$router]}" $PULSE_CAPS 0
    [[ $(field "${PAIR_PULSE[$router]}" CapBnd) == "$PULSE_CAPS" ]] \
        || fail "$router pulse's bounding set is not the unit's: $(field "${PAIR_PULSE[$router]}" CapBnd)"
    pid=$(pair_lvsd_pid "$router")
    expect_caps "$router lvsd" "$pid" $LVSD_CAPS 1
    wait_until 60 has_nannies "$router"
    nannies=$(the_nannies "$router")
    for pid in $nannies; do expect_caps "$router nanny" "$pid" $NONE 1; done
    info "$router: $(wc -w <<<"$nannies") nanny process(es) hold nothing"
}

pair_start "send_program = \"$CHECK %h\"" 'expect = "OK"'
info "the pair runs under the unit's capability sets: primary active, backup inactive"
check_router primary
check_router backup

# Complete records only (NoNewPrivs is the last line; a program may be writing now).
# Hundreds of them by now (six probes a second): one grep and one awk read
# them all (a few processes per record took minutes under emulation, past
# the scenario's limit in one run).
mapfile -t programs < <(grep -l '^NoNewPrivs:' "$SEEN"/program.* 2>/dev/null)
((${#programs[@]})) || fail "the send_program never ran"
wrong=$(awk -v none="$NONE" '
    $1 ~ /^Cap(Eff|Prm|Amb|Inh):$/ || $1 == "NoNewPrivs:" { value[FILENAME, $1] = $2 }
    END {
        split("CapEff: CapPrm: CapAmb: CapInh:", caps, " ")
        for (i = 1; i < ARGC; i++) {
            f = ARGV[i]
            for (c = 1; c <= 4; c++)
                # as strings: a mask like 0000000000000e00 would read as the number 0
                if (value[f, caps[c]] "" != none "") print f ": " caps[c] " " value[f, caps[c]]
            if (value[f, "NoNewPrivs:"] != 1) print f ": NoNewPrivs: " value[f, "NoNewPrivs:"]
        }
    }' "${programs[@]}")
[[ -z $wrong ]] || fail "send_program runs holding a capability or without no_new_privs: $(head -n 8 <<<"$wrong")"
info "${#programs[@]} send_program runs, each with no capability and no_new_privs"

# Takeover under the reduced sets: the backup's standby lvsd programs the table.
pair_pulse_stop primary
wait_until 60 pair_is_only backup
info "the primary stopped; the backup took over (VIP, rs1..rs3 in its table) under the same sets"
check_router backup
echo "PASS: pulse CAP_NET_ADMIN+NET_RAW+NET_BIND_SERVICE, lvsd CAP_NET_ADMIN, nanny and its send_program nothing"
