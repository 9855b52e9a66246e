#!/usr/bin/env bash
# Run the VM test tier: boot one VM with a Debian kernel that has ip_vs
# (software emulation, no KVM) and run tests/vm/scenarios/*.sh inside it.
#
#   bash tests/vm/run.sh [SCENARIO_GLOB...]    e.g.  bash tests/vm/run.sh '01-*'
#
# Environment:
#   LVS_BIN_DIR      our release binaries (default: <repo>/target/release)
#   LVS_VM_KERNEL    kernel image (default: newest /boot/vmlinuz-*)
#   LVS_VM_TIMEOUT   seconds for the whole VM run, all boots (default: 1500)
#   LVS_VM_SCENARIO_TIMEOUT  default seconds per scenario (default: 300;
#                    a scenario may set its own with a '# vm-timeout: N' line)
#   LVS_VM_MEMORY, LVS_VM_CPUS   (default: 2G, 2)
#   LVS_VM_LOCK      a file to lock before booting (runs from several
#                    checkouts then take turns)
#
# Prints 'PASS name (N s)' / 'FAIL name (N s) — see tests/vm/out/name.log'
# per scenario and closes with 'N passed, M failed'. Exit status: 0 only if
# every selected scenario passed; 1 if one failed; 2 if the VM did not boot,
# did not finish, stalled more than twice, or nothing was run. Results are
# read from a file the VM writes (inside.sh lists its records), never from
# vng's exit status (which is not reliably propagated).
#
# A stall does not take the rest of the run with it: when the guest kernel
# leaves a task stuck (the clean-up between scenarios not done in 120 s, or a
# scenario's processes still there a minute after its timeout killed them),
# the VM reports it with the kernel's stacks (tests/vm/out/stall-*.log) and
# stops; when the VM goes silent (5 minutes past the running scenario's
# limit), it is stopped. Either way a new boot runs the scenarios not yet
# reported, the one the VM went silent in included; a scenario that timed
# out stays failed. The closing line counts the stalls.
set -uo pipefail
# pip may have put vng in a per-user or pyenv bin dir that a non-login
# shell (CI) does not have on PATH.
export PATH=$PATH:/usr/local/bin:${HOME:-/root}/.local/bin:${HOME:-/root}/.pyenv/shims

# Everything is in main so that bash reads the whole file before running it:
# changing the file during a run (git checkout, an editor) cannot derail it.
main() {
    here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
    repo=$(cd "$here/../.." && pwd)
    out=$here/out
    rel_out=tests/vm/out

    die() { echo "tests/vm/run.sh: error: $*" >&2; exit 2; }

    command -v vng >/dev/null || die "vng not found; run: bash tests/vm/setup.sh"
    command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not found; run: bash tests/vm/setup.sh"

    kernel=${LVS_VM_KERNEL:-}
    if [[ -z $kernel ]]; then
        kernel=$(ls -1 /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n1)
        [[ -n $kernel ]] || die "no /boot/vmlinuz-*; run: bash tests/vm/setup.sh"
    fi
    [[ -r $kernel ]] || die "kernel $kernel is not readable"
    kver=${kernel##*/vmlinuz-}
    [[ -d /lib/modules/$kver ]] || die "no /lib/modules/$kver for $kernel"

    bin_dir=${LVS_BIN_DIR:-$repo/target/release}
    [[ $bin_dir = /* ]] || bin_dir=$repo/$bin_dir
    [[ -d $bin_dir ]] || echo "tests/vm/run.sh: note: LVS_BIN_DIR $bin_dir does not exist; scenarios needing our binaries will skip" >&2

    # Select scenarios: all by default, else those whose file name matches a glob.
    shopt -s nullglob
    all=("$here"/scenarios/*.sh)
    selected=()
    for path in "${all[@]}"; do
        name=$(basename "$path" .sh)
        if (($# == 0)); then selected+=("$path"); continue; fi
        for glob in "$@"; do
            # shellcheck disable=SC2053  # the glob is meant to match
            if [[ $name == $glob || $name.sh == $glob ]]; then selected+=("$path"); break; fi
        done
    done
    ((${#selected[@]})) || die "no scenario matches: ${*:-(none present)}"

    mkdir -p "$out"
    exec 9>"$out/.lock"
    flock -n 9 || die "another tests/vm/run.sh is using $out"
    find "$out" -mindepth 1 -maxdepth 1 ! -name .lock -exec rm -rf {} +

    {
        printf 'LVS_BIN_DIR=%q\n' "$bin_dir"
        printf 'LVS_REPO=%q\n' "$repo"
        printf 'LVS_VM_SCENARIO_TIMEOUT=%q\n' "${LVS_VM_SCENARIO_TIMEOUT:-300}"
        # Scenario knobs (bench 92's rows).
        [[ -z ${LVS_BENCH_ROWS:-} ]] || printf 'LVS_BENCH_ROWS=%q\n' "$LVS_BENCH_ROWS"
        [[ -z ${LVS_BENCH_HOLD:-} ]] || printf 'LVS_BENCH_HOLD=%q\n' "$LVS_BENCH_HOLD"
        [[ -z ${LVS_BENCH_CUTS:-} ]] || printf 'LVS_BENCH_CUTS=%q\n' "$LVS_BENCH_CUTS"
    } >"$out/env"

    # LVS_VM_LOCK=FILE: wait for an exclusive lock on FILE before booting, so that
    # runs from several checkouts on one machine take turns instead of
    # slowing each other down (timings under emulation suffer from sharing).
    if [[ -n ${LVS_VM_LOCK:-} ]]; then
        exec 8>>"$LVS_VM_LOCK"
        echo "tests/vm: waiting for $LVS_VM_LOCK"
        flock 8
    fi

    vm_timeout=${LVS_VM_TIMEOUT:-1500}
    max_stalls=2
    started=$SECONDS
    deadline=$((started + vm_timeout))

    # Echo result lines as the VM writes them, and follow where it is.
    printed=0
    passed=0 failed=0 skipped=0 stalls=0
    report_new() {
        [[ -f $out/results ]] || return 0
        local line status name secs
        local -a lines
        mapfile -t lines < <(tail -n +"$((printed + 1))" "$out/results")
        for line in "${lines[@]}"; do
            # only consume complete records (the VM may be mid-write)
            [[ $line == *' end' ]] || break
            printed=$((printed + 1))
            last_word=$SECONDS
            read -r status name secs _ <<<"$line"
            case $status in
                BOOTED) boot_booted=1; echo "tests/vm: VM up after $((SECONDS - boot_started)) s (kernel $name booted in $secs s guest time)" ;;
                START) running=$name running_limit=$secs ;;
                PASS) running=""; passed=$((passed + 1)); echo "PASS $name ($secs s)" ;;
                SKIP) running=""; skipped=$((skipped + 1)); echo "SKIP $name ($secs s) — $(tail -n1 "$out/$name.log" 2>/dev/null)" ;;
                FAIL)
                    running=""
                    failed=$((failed + 1))
                    echo "FAIL $name ($secs s) — see $rel_out/$name.log"
                    tail -n 30 "$out/$name.log" 2>/dev/null | sed 's/^/    | /'
                    ;;
                STALLED)
                    boot_stalled=1
                    echo "tests/vm: STALL: the VM's kernel did not finish $name in $secs s — see $rel_out/stall-$name.log"
                    tail -n 12 "$out/stall-$name.log" 2>/dev/null | sed 's/^/    | /'
                    ;;
                DONE) boot_done=1 ;;
            esac
        done
    }
    # Scenarios without a PASS, FAIL or SKIP record yet.
    remaining() {
        local path name
        remaining=()
        for path in "${selected[@]}"; do
            name=$(basename "$path" .sh)
            grep -Eq "^(PASS|FAIL|SKIP) $name " "$out/results" 2>/dev/null || remaining+=("$path")
        done
    }

    # One boot runs every remaining scenario. A stall (the kernel stuck in a
    # step between scenarios, or the VM silent for far longer than the
    # running scenario's limit) ends that boot, and the next boot goes on
    # from there: the scenario the VM went silent in runs again, one that
    # timed out with processes stuck in the kernel stays failed. More than
    # max_stalls stalls end the run.
    problem=""
    vm_status=0 boots=0
    while :; do
        remaining
        ((${#remaining[@]})) || break
        printf '%s\n' "${remaining[@]}" >"$out/plan"
        left=$((deadline - SECONDS))
        ((left > 60)) || { problem="no time left for the ${#remaining[@]} scenario(s) still to run (LVS_VM_TIMEOUT $vm_timeout s)"; break; }
        echo "tests/vm: booting $kernel (TCG, ${LVS_VM_MEMORY:-2G}, ${LVS_VM_CPUS:-2} cpus) for ${#remaining[@]} scenario(s); console in $rel_out/console.log"
        boot_started=$SECONDS last_word=$SECONDS
        boots=$((boots + 1))
        boot_booted=0 boot_done=0 boot_stalled=0 silent=0 running="" running_limit=0
        # the console of an earlier boot is kept as console.N.log
        [[ ! -f $out/console.log ]] || mv "$out/console.log" "$out/console.$((boots - 1)).log"
        # timeout signals its whole process group, so qemu goes down with vng.
        ( cd "$repo" && exec timeout --kill-after=30 "$left" \
            vng --run "$kernel" --disable-kvm \
                --memory "${LVS_VM_MEMORY:-2G}" --cpus "${LVS_VM_CPUS:-2}" \
                --rwdir "$out" \
                --exec "bash $(printf '%q' "$here/inside.sh") $(printf '%q' "$out")" \
                </dev/null >"$out/console.log" 2>&1 ) &
        vm_pid=$!
        while kill -0 "$vm_pid" 2>/dev/null; do
            report_new
            # Silent for 5 minutes past the running scenario's limit (or 10
            # minutes between scenarios): the VM is stuck.
            if [[ -n $running ]]; then quiet_limit=$((running_limit + 300)); else quiet_limit=600; fi
            if ((!silent && SECONDS - last_word > quiet_limit)); then
                silent=1
                echo "tests/vm: STALL: no word from the VM for $((SECONDS - last_word)) s${running:+ (in $running, limit $running_limit s)}; stopping it"
                kill -TERM "$vm_pid" 2>/dev/null
            fi
            sleep 2
        done
        wait "$vm_pid"
        vm_status=$?
        report_new
        ((!boot_done)) || break
        if ((!boot_booted)); then
            problem="the VM did not boot or could not write results (vng/timeout status $vm_status)"
            break
        fi
        if ((!boot_stalled && !silent)); then
            problem="the VM did not finish (status $vm_status; timeout after ${vm_timeout} s gives 124/137)"
            break
        fi
        stalls=$((stalls + 1))
        if ((stalls > max_stalls)); then
            problem="the VM stalled $stalls times"
            break
        fi
        echo "tests/vm: booting again for the scenarios left (stall $stalls of at most $max_stalls)"
    done

    total=$((SECONDS - started))
    # Scenarios that never reported count as failures.
    remaining
    for path in "${remaining[@]}"; do
        failed=$((failed + 1))
        echo "FAIL $(basename "$path" .sh) (not run) — see $rel_out/console.log"
    done
    if [[ -n $problem ]]; then
        echo "tests/vm: $problem; last console lines:"
        tail -n 30 "$out/console.log" | sed 's/^/    | /'
    fi
    echo "tests/vm: whole run $total s"
    summary="$passed passed, $failed failed"
    ((!skipped)) || summary+=", $skipped skipped"
    ((!stalls)) || summary+=", $stalls VM stall(s) survived by booting again"
    echo "$summary"
    [[ -z $problem ]] || exit 2
    ((failed == 0 && passed + skipped > 0)) || exit 1
    exit 0
}

main "$@"
