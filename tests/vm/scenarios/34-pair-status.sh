#!/usr/bin/env bash
# vm-timeout: 360
# `lvsctl status --json` on a router pair running our pulse (pair.sh lab),
# checked against the kernel's real table (`ipvsadm -Sn` in each router's
# namespace). Each router's daemons serve their status sockets in a
# directory of its own ($LVS_RUN_DIR: both routers share the VM's file
# system).
# - the active primary: role primary, state active, the VIP listed, the
#   same services, real servers and weights as the kernel, every serving
#   real server up with a passed probe, the lvsd and nanny pids those of
#   the running processes, the backup heard recently and inactive;
# - the backup: role backup, inactive with its standby lvsd, no VIP, an
#   empty kernel table, the primary heard recently and active;
# - rs2's httpd stopped: rs2 becomes down (failed probe with nanny's
#   reason) in the active router's status and leaves its table;
# - both pulses stopped: status says nothing runs and exits 1.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../pair.sh"

declare -A RUN_DIR=([primary]=$(mktemp -d) [backup]=$(mktemp -d))
CHECK=$(mktemp --suffix=.py)
CHECK_ERR=$(mktemp)

# status ROUTER [ARGS...]: lvsctl status in ROUTER's namespace and run dir.
status() {
    local router=$1
    shift
    LVS_RUN_DIR=${RUN_DIR[$router]} in_ns "$router" "$LVS_BIN_DIR/lvsctl" status "$@"
}

# check ROUTER WHAT [ARGS...]: run the python check WHAT on ROUTER's
# `lvsctl status --json` and `ipvsadm -Sn`.
check() {
    local router=$1 json rules
    shift
    json=$(mktemp) rules=$(mktemp)
    status "$router" --json >"$json" 2>/dev/null || { rm -f "$json" "$rules"; return 1; }
    in_ns "$router" ipvsadm -Sn >"$rules"
    python3 "$CHECK" "$json" "$rules" "$@"
    local rc=$?
    rm -f "$json" "$rules"
    return "$rc"
}

# await_check SECONDS ROUTER WHAT [ARGS...]: poll `check` until it passes;
# on timeout fail with its last complaint.
await_check() {
    local limit=$1 t0
    shift
    t0=$(now)
    until check "$@" 2>"$CHECK_ERR"; do
        if ! awk -v t="$t0" -v n="$(now)" -v l="$limit" 'BEGIN { exit !(n - t < l) }'; then
            cat "$CHECK_ERR" >&2
            fail "status check '$*' still failing after $limit s"
        fi
        sleep 0.5
    done
}

cat >"$CHECK" <<'PY'
import json, os, sys

doc = json.load(open(sys.argv[1]))
rules = open(sys.argv[2]).read().split("\n")
what, args = sys.argv[3], sys.argv[4:]

def die(msg):
    print("check failed: " + msg, file=sys.stderr)
    print(json.dumps(doc, indent=1)[:3000], file=sys.stderr)
    sys.exit(1)

def comm(pid):
    try:
        return open("/proc/%d/comm" % pid).read().strip()
    except OSError:
        return None

# The kernel's table from `ipvsadm -Sn`: {(proto, vip, port): {(rip, port): weight}}.
kernel = {}
for line in rules:
    w = line.split()
    if not w:
        continue
    proto = {"-t": "tcp", "-u": "udp"}[w[1]]
    vip, vport = w[2].rsplit(":", 1)
    key = (proto, vip, int(vport))
    if w[0] == "-A":
        kernel.setdefault(key, {})
    elif w[0] == "-a":
        rip, rport = w[w.index("-r") + 1].rsplit(":", 1)
        kernel.setdefault(key, {})[(rip, int(rport))] = int(w[w.index("-w") + 1])

# The same from the status document (entries it says are in the kernel).
shown = {}
for s in doc["services"]:
    key = (s["id"]["protocol"], s["id"]["address"], s["id"]["port"])
    if s["in_kernel"]:
        shown[key] = {(r["address"], r["port"]): r["weight"] for r in s["real_servers"] if r["in_kernel"]}

if doc["format"] != 1 or not doc["kernel"]["read"]:
    die("format 1 with the kernel's table read")
if shown != kernel:
    die("status shows %r, the kernel holds %r" % (shown, kernel))
lvsd = doc["lvsd"]
if not doc["pulse"] or not lvsd or comm(doc["pulse"]["pid"]) != "pulse" or comm(lvsd["pid"]) != "lvsd":
    die("pulse and lvsd answer with their pids")
if doc["problems"]:
    die("no problems expected: %r" % doc["problems"])
web = [s for s in doc["services"] if s["name"] == "web"]
if len(web) != 1 or not web[0]["managed"]:
    die("lvsd's service web")
web = web[0]
nanny = web["nanny_pid"]
if nanny is None or comm(nanny) != "nanny" or [n["pid"] for n in doc["nannies"]] != [nanny]:
    die("the nanny pid is a running nanny")
servers = {r["name"]: r for r in web["real_servers"] if r["managed"]}
if sorted(servers) != ["rs1", "rs2", "rs3"]:
    die("rs1..rs3 listed")
partner = doc["partner"]
if partner is None or partner["heard_seconds_ago"] is None or partner["heard_seconds_ago"] > 30:
    die("the partner was heard within 30 s")

if what == "active":
    vip, down = args[0], args[1:]
    r = doc["router"]
    if (r["role"], r["state"], lvsd["mode"]) != ("primary", "active", "active"):
        die("primary, active, lvsd active")
    if [v["address"] for v in doc["vips"]] != [vip] or doc["vips"][0]["label"] != "eth0:1":
        die("the VIP %s on eth0:1" % vip)
    if partner["address"] != "192.0.2.2" or partner["last_state"] != "inactive":
        die("the backup heard as inactive")
    for name, r in servers.items():
        serving = r["in_kernel"] and r["weight"] > 0
        if name in down:
            probe = r["last_probe"] or {}
            if r["health"] != "down" or r["in_kernel"] or probe.get("ok") is not False or not probe.get("reason"):
                die("%s down, out of the table, with a failed probe and its reason" % name)
        elif not serving or r["health"] != "up" or not (r["last_probe"] or {}).get("ok"):
            die("%s serving and up with a passed probe" % name)
        if r["health_since"] > doc["time"] + 1:
            die("%s: health since in the future" % name)
elif what == "backup":
    r = doc["router"]
    if r["role"] != "backup" or r["state"] not in ("inactive", "standby") or doc["vips"]:
        die("backup, inactive or standby, no VIP")
    if lvsd["mode"] != "standby" or web["in_kernel"]:
        die("a standby lvsd and nothing in the kernel")
    if partner["address"] != "192.0.2.1" or partner["last_state"] != "active":
        die("the primary heard as active")
else:
    die("unknown check " + what)
PY

pair_lab
PAIR_CF=$(mktemp --suffix=.cf)
pair_cf "$PAIR_CF"
LVS_RUN_DIR=${RUN_DIR[primary]} pair_pulse_start primary
wait_until 60 pair_has_vip primary
LVS_RUN_DIR=${RUN_DIR[backup]} pair_pulse_start backup
wait_until 120 pair_is_only primary
for router in primary backup; do
    mode=$(stat -c %a "${RUN_DIR[$router]}/pulse.sock")
    assert_eq 600 "$mode" "mode of $router's pulse.sock"
    assert_eq 600 "$(stat -c %a "${RUN_DIR[$router]}/lvsd.sock")" "mode of $router's lvsd.sock"
done

# ---- the active primary ----
await_check 60 primary active "$LVS_VIP"
info "primary's status matches its IPVS table:"
status primary | sed 's/^/    /'

# ---- the backup ----
await_check 60 backup backup
info "backup's status:"
status backup | sed 's/^/    /'

# ---- one real server fails ----
t_stop=$(now)
lab_httpd_stop rs2
info "rs2's httpd stopped"
await_check 60 primary active "$LVS_VIP" rs2
info "MEASURED rs2 down in the primary's status $(since "$t_stop") s after its httpd stopped"
assert_rules - primary < <(lvs_lab_rules 192.0.2.11:1 192.0.2.13:1)
line=$(status primary | grep -E '192.0.2.12:80') || fail "no line for rs2 in the text"
info "rs2's line: $line"
[[ $line =~ rs2,\ down\ for\ .*probe\ failed ]] || fail "rs2's text line"

# ---- nothing running ----
pair_pulse_stop primary backup
if out=$(status primary 2>&1); then fail "lvsctl status exits 0 with nothing running: $out"; fi
assert_contains "$out" "neither pulse nor lvsd is running" "lvsctl status with nothing running"
[[ ! -e ${RUN_DIR[primary]}/pulse.sock ]] || fail "pulse left its socket behind"
info "with nothing running: exit 1, '$(grep neither <<<"$out")'"
rm -rf "${RUN_DIR[primary]}" "${RUN_DIR[backup]}" "$CHECK" "$CHECK_ERR"
