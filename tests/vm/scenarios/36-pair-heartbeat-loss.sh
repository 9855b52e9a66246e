#!/usr/bin/env bash
# vm-timeout: 900
# Heartbeat faults with tc netem (issue #7), on the heartbeat only (UDP 539,
# a u32 filter sends it through netem; the client's and the health checks'
# traffic is untouched):
#   1. 30 % loss and 200 +- 100 ms delay in both directions for 5 minutes,
#      keepalive = 1, deadtime = 3 (= 3 x keepalive): no takeover. pulse
#      sends each heartbeat 3 times spread over the keepalive
#      (--heartbeat-copies, default 3), so a fake death needs 9 losses in a
#      row, not 3. The loss actually seen is counted from the logs.
#   2. A partition (100 % loss both ways): the backup takes over (both
#      active, as any heartbeat pair must); then heal: exactly one router
#      active afterwards. The times from the heal to the backup's step-down,
#      to its VIP's release (goal: within 2 x keepalive; not asserted under
#      emulation) and to an empty table are measured.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../pair.sh"
command -v tc >/dev/null || skip "tc not installed"

# netem ROUTER SPEC...: heartbeats leaving ROUTER go through `netem SPEC`.
netem() {
    local router=$1
    shift
    in_ns "$router" tc qdisc del dev eth0 root 2>/dev/null || true
    in_ns "$router" tc qdisc add dev eth0 root handle 1: prio
    in_ns "$router" tc qdisc add dev eth0 parent 1:3 handle 30: netem "$@"
    in_ns "$router" tc filter add dev eth0 protocol ip parent 1:0 prio 3 u32 \
        match ip protocol 17 0xff match ip dport 539 0xffff flowid 1:3
}
netem_off() { in_ns "$1" tc qdisc del dev eth0 root 2>/dev/null || true; }
# poll CMD...: wait_until 60 at a 50 ms pace (wait_until polls every 0.5 s).
poll() {
    local deadline=$(($(date +%s) + 60))
    until "$@" >/dev/null 2>&1; do
        (($(date +%s) < deadline)) || fail "timed out after 60 s waiting for: $*"
        sleep 0.05
    done
}
count() { tail -n +"$(($2 + 1))" "${PAIR_LOG[$1]}" | grep -cF -- "$3" || true; }

PAIR_KEEPALIVE=1 PAIR_DEADTIME=3
pair_start
soak=${LVS_NETEM_SECONDS:-300}

# ---- 1. loss and delay ----
for router in primary backup; do netem "$router" loss 30% delay 200ms 100ms; done
mark_p=$(pair_log_lines primary) mark_b=$(pair_log_lines backup)
info "netem on both routers' heartbeats: 30 % loss, 200 +- 100 ms delay; watching for $soak s"
t0=$(now)
while (($(date +%s) - ${t0%.*} < soak)); do
    sleep 10
    if pair_logged_since backup "$mark_b" "activating lvs" || pair_logged_since primary "$mark_p" "partner dead"; then
        fail "takeover under 30 % heartbeat loss after $(since "$t0") s: $(tail -n +"$((mark_b + 1))" "${PAIR_LOG[backup]}" | grep -F 'activating' | head -3)"
    fi
done
sent=$(count primary "$mark_p" "Sending heartbeat")
heard=$(count backup "$mark_b" "Received Heartbeat from partner")
info "MEASURED ${soak} s of 30 % loss: no takeover; the primary sent $sent heartbeats x 3 copies," \
    "the backup received $heard datagrams ($(awk -v s="$sent" -v h="$heard" 'BEGIN { printf "%.1f", 100 * (1 - h / (3 * s)) }') % lost)"
pair_is_only primary || fail "after the loss: VIP held by '$(pair_holders)'"
for router in primary backup; do netem_off "$router"; done

# ---- 2. partition, then heal ----
mark_b=$(pair_log_lines backup)
for router in primary backup; do netem "$router" loss 100%; done
info "partition: every heartbeat dropped both ways"
measure_until 60 pair_logged_since backup "$mark_b" "partner dead: activating lvs"
info "MEASURED the backup took over $MEASURED s into the partition (deadtime $PAIR_DEADTIME s)"
wait_until 60 pair_active backup
pair_active primary || fail "the primary gave up during the partition"
info "both routers active during the partition (VIP on both), as expected of any heartbeat pair"
mark_b=$(pair_log_lines backup)
t_heal=$(now)
for router in primary backup; do netem_off "$router"; done
# Timed from the heal, step by step (each poll of pair_one_active runs ip and
# ipvsadm in both namespaces: seconds under emulation).
poll pair_logged_since backup "$mark_b" "partner active: deactivating LVS"
heard=$(since "$t_heal")
poll pair_no_vip backup
released=$(since "$t_heal")
wait_until 60 pair_one_active
healed=$(since "$t_heal")
info "MEASURED after the heal: the backup stepped down $heard s later and had released the VIP $released s later" \
    "(goal: one router holding it within 2 x keepalive = $((2 * PAIR_KEEPALIVE)) s); its lvsd had emptied" \
    "its table, and a full check found exactly one router active, $healed s later"
pair_is_only primary || fail "after the heal: VIP held by '$(pair_holders)' (the primary must win)"
sleep 5
pair_is_only primary || fail "5 s after the heal: VIP held by '$(pair_holders)'"
pair_pulse_stop primary backup
