#!/usr/bin/env bash
# vm-timeout: 420
# Hostile real servers and misbehaving send_programs against `lvsd -n` on a
# real IPVS kernel. Two virtual services on the lab's VIP:
# - `hostile` (port 8080, send "GET / HTTP/1.0", expect "HTTP"): rs1 a good
#   web server; rs2 accepts and never answers; rs3 answers an endless
#   stream of bytes; `sorry` (192.0.2.20) resets every connection;
# - `programs` (port 80, send_program): for rs1 it answers OK; for rs2 it
#   hangs; for rs3 it forks two children that outlive it, then hangs.
# Expected: only rs1 enters either service, the others never do; the client
# through VIP:8080 only ever meets rs1; nanny's memory stays bounded however
# much the stream sends; every program is killed at the timeout together
# with its children (no pile-up of them, no zombie); descriptors stay flat.
. "$(dirname "$0")/../lib.sh"

need_bin lvsd nanny lvsctl
lvs_lab

# ---- the hostile servers (python, one process each) ----
HOSTILE=$(mktemp --suffix=.py)
cat >"$HOSTILE" <<'PY'
import socket, struct, sys, threading, time
mode, port, report = sys.argv[1], int(sys.argv[2]), sys.argv[3]
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("0.0.0.0", port))
listener.listen(128)
held, sent, accepted = [], [0], [0]
def flood(conn):
    chunk = b"x" * 65536
    try:
        while True:
            conn.sendall(chunk)
            sent[0] += len(chunk)
    except OSError:
        pass
    finally:
        conn.close()
def report_loop():
    while True:
        with open(report, "w") as f:
            f.write(f"{accepted[0]} {sent[0]}\n")
        time.sleep(1)
threading.Thread(target=report_loop, daemon=True).start()
while True:
    conn, _ = listener.accept()
    accepted[0] += 1
    if mode == "silent":
        held.append(conn)  # never answers, never closes
    elif mode == "reset":
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()
    elif mode == "flood":
        threading.Thread(target=flood, args=(conn,), daemon=True).start()
PY
declare -A MODE=([rs2]=silent [rs3]=flood [sorry]=reset)
for ns in rs2 rs3 sorry; do
    lab_spawn ip netns exec "$ns" python3 "$HOSTILE" "${MODE[$ns]}" 8080 "/tmp/hostile-$ns.report"
done
lab_spawn ip netns exec rs1 busybox httpd -f -p 0.0.0.0:8080 -h /tmp/lab-httpd-rs1
listening() { in_ns "$1" ss -Hltn "sport = :8080" | grep -q LISTEN; }
for ns in rs1 rs2 rs3 sorry; do wait_until 90 listening "$ns"; done
info "port 8080: rs1 good, rs2 silent, rs3 endless stream, sorry resets"

# ---- the send_program ----
PROGRAM=$(mktemp --suffix=.sh)
cat >"$PROGRAM" <<'SH'
#!/bin/bash
case $1 in
    192.0.2.11) echo OK ;;
    192.0.2.12) exec sleep 1001 ;;
    192.0.2.13) sleep 1002 & sleep 1002 & echo partial; wait ;;
esac
SH
chmod 755 "$PROGRAM"

CF=$(mktemp --suffix=.cf)
{
    printf 'serial_no = 1\nprimary = 192.0.2.1\nservice = lvs\nbackup_active = 0\nnetwork = direct\n'
    printf 'virtual hostile {\n\tactive = 1\n\taddress = %s eth0:1\n\tport = 8080\n\tscheduler = wlc\n' "$LVS_VIP"
    printf '\ttimeout = 2\n\treentry = 4\n\tsend = "GET / HTTP/1.0\\r\\n\\r\\n"\n\texpect = "HTTP"\n'
    for server in rs1:11 rs2:12 rs3:13 sorry:20; do
        printf '\tserver %s {\n\t\taddress = 192.0.2.%s\n\t\tactive = 1\n\t\tweight = 1\n\t}\n' \
            "${server%:*}" "${server#*:}"
    done
    printf '}\n'
    printf 'virtual programs {\n\tactive = 1\n\taddress = %s eth0:1\n\tport = 80\n\tscheduler = wlc\n' "$LVS_VIP"
    printf '\ttimeout = 2\n\treentry = 4\n\tsend_program = "%s %%h"\n\texpect = "OK"\n' "$PROGRAM"
    for server in rs1:11 rs2:12 rs3:13; do
        printf '\tserver %s {\n\t\taddress = 192.0.2.%s\n\t\tactive = 1\n\t\tweight = 1\n\t}\n' \
            "${server%:*}" "${server#*:}"
    done
    printf '}\n'
} >"$CF"
lvs_lab_check "$CF"
cat "$CF"
lvsd_start "$CF"

only_rs1() {
    local rules
    rules=$(in_ns lvs ipvsadm -Sn)
    grep -q -- "-r 192.0.2.11:8080 " <<<"$rules" && grep -q -- "-r 192.0.2.11:80 " <<<"$rules" \
        && (($(grep -c -- ' -r ' <<<"$rules") == 2))
}
wait_until 60 only_rs1
info "rs1 entered both services; the table: $(in_ns lvs ipvsadm -Sn | tr '\n' ';')"

# the_nannies: pids of the nanny processes.
the_nannies() { pgrep -x nanny || true; }
fds() { local n=0 pid; for pid in $(the_nannies); do n=$((n + $(ls "/proc/$pid/fd" | wc -l))); done; echo "$n"; }
# fds_floor: the fewest descriptors the nannies hold over 10 samples 0.3 s
# apart. One sample counts the sockets and pipes of whatever probes happen
# to be in flight (a silent server's connection is held for the 2 s
# timeout), so two single samples differ by several without any leak; a
# leak raises the floor as well.
fds_floor() {
    local least="" n _
    for _ in $(seq 10); do
        n=$(fds)
        if [[ -z $least ]] || ((n < least)); then least=$n; fi
        sleep 0.3
    done
    echo "$least"
}
rss_kib() { local n=0 pid; for pid in $(the_nannies); do n=$((n + $(awk '$1 == "VmRSS:" { print $2 }' "/proc/$pid/status"))); done; echo "$n"; }
zombies() { ps -eo stat=,comm= | awk '$1 ~ /^Z/' | wc -l; }
sleepers() { pgrep -f '^sleep 100[12]$' | wc -l; }

fds0=$(fds_floor)
info "nannies $(the_nannies | tr '\n' ' '): $fds0 descriptors (the least of 10 samples), $(rss_kib) KiB RSS"

# 30 s = 15 probe rounds of each hostile server, sampled every 2 s.
max_rss=0 max_sleepers=0 max_zombies=0
for _ in $(seq 15); do
    sleep 2
    only_rs1 || fail "the table changed: $(in_ns lvs ipvsadm -Sn | tr '\n' ';')"
    r=$(rss_kib) s=$(sleepers) z=$(zombies)
    ((r > max_rss)) && max_rss=$r
    ((s > max_sleepers)) && max_sleepers=$s
    ((z > max_zombies)) && max_zombies=$z
done
read -r flood_conns flood_bytes <"/tmp/hostile-rs3.report"
read -r silent_conns _ <"/tmp/hostile-rs2.report"
read -r reset_conns _ <"/tmp/hostile-sorry.report"
info "over 30 s: rs2 (silent) took $silent_conns connections, sorry (reset) $reset_conns," \
    "rs3 (stream) $flood_conns and sent $((flood_bytes / 1048576)) MiB"
info "nanny RSS at most $max_rss KiB; programs' sleepers alive at once at most $max_sleepers;" \
    "zombies seen at most $max_zombies (a sample may catch one between kill and reap)"
((silent_conns >= 5 && reset_conns >= 5 && flood_conns >= 5)) || fail "the hostile servers were not probed repeatedly"
((max_rss < 32768)) || fail "nanny grew to $max_rss KiB"
# At most one probe per server runs at a time: rs2's sleep, and rs3's two.
((max_sleepers <= 3)) || fail "$max_sleepers sleepers alive at once: killed programs leave children behind"
settled() { (($(zombies) == 0)); }
wait_until 10 settled
fds1=$(fds_floor)
info "descriptors of the nannies (the least of 10 samples): $fds0 before, $fds1 after"
((fds1 <= fds0 + 4)) || fail "the nannies' descriptors grew from $fds0 to $fds1"

# What the client meets through VIP:8080: rs1 every time.
for i in $(seq 10); do
    body=$(in_ns cl curl -s --max-time 5 "http://$LVS_VIP:8080/") || fail "request $i through the VIP failed"
    assert_eq rs1 "$body" "request $i through VIP:8080"
done
info "10 of 10 client requests through VIP:8080 answered by rs1"
grep -E 'rs[23]|192\.0\.2\.(12|13|20)' "$LVSD_LOG" | head -n 12 || true

# SIGTERM: everything goes, the programs' sleepers included.
kill -TERM "$LVSD_PID"
wait "$LVSD_PID" || fail "lvsd exited with $?"
gone() { [[ -z $(the_nannies) ]] && (($(sleepers) == 0)); }
wait_until 20 gone
echo "PASS: hostile servers never entered; RSS <= $max_rss KiB; <= $max_sleepers sleepers; fds $fds0 -> $fds1"
