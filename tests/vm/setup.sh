#!/usr/bin/env bash
# Install what the VM test tier needs, only when it is missing (idempotent).
#   Debian: qemu-system-x86 (the emulator), linux-image-amd64 (a kernel with
#   ip_vs modules), ipvsadm, busybox-static (virtme-ng's fallback init tools),
#   keepalived (peer for comparisons), iproute2, python3, kmod (modprobe
#   inside the VM), curl (lab clients), man-db and make (scenario 40 packages
#   the binaries with packaging/build-packages.sh and reads the installed man pages),
#   systemd-container (systemd-nspawn, which pulls systemd: scenario 42 runs
#   systemd/pulse.service under a real systemd in a container).
#   PyPI: virtme-ng, which provides `vng`.
# Non-interactive; needs root when something is missing. Exits non-zero
# with a message naming the failed step.
set -euo pipefail
# pip may have put vng in a per-user or pyenv bin dir that a non-login
# shell (CI) does not have on PATH.
export PATH=$PATH:/usr/local/bin:${HOME:-/root}/.local/bin:${HOME:-/root}/.pyenv/shims

export DEBIAN_FRONTEND=noninteractive

die() { echo "tests/vm/setup.sh: error: $*" >&2; exit 1; }
note() { echo "tests/vm/setup.sh: $*" >&2; }

# package -> a file or command proving it is installed
declare -A PROBE=(
    [qemu-system-x86]=/usr/bin/qemu-system-x86_64
    [linux-image-amd64]=kernel
    [ipvsadm]=/usr/sbin/ipvsadm
    [busybox-static]=/bin/busybox
    [keepalived]=/usr/sbin/keepalived
    [iproute2]=/usr/sbin/ip   # /sbin/ip on merged-usr both resolve
    [kmod]=/usr/sbin/modprobe
    [python3]=/usr/bin/python3
    [curl]=/usr/bin/curl
    [man-db]=/usr/bin/man
    [make]=/usr/bin/make
    [systemd-container]=/usr/bin/systemd-nspawn
)

have_kernel() {
    compgen -G '/boot/vmlinuz-*' >/dev/null || return 1
    local newest
    newest=$(ls -1 /boot/vmlinuz-* | sort -V | tail -n1)
    [[ -d /lib/modules/${newest#/boot/vmlinuz-}/kernel/net/netfilter/ipvs ]]
}

missing=()
for pkg in "${!PROBE[@]}"; do
    probe=${PROBE[$pkg]}
    if [[ $probe == kernel ]]; then
        have_kernel || missing+=("$pkg")
    elif [[ ! -e $probe ]] && ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed'; then
        missing+=("$pkg")
    fi
done

if ((${#missing[@]})); then
    [[ $(id -u) -eq 0 ]] || die "missing Debian packages (${missing[*]}) and not root; run as root"
    command -v apt-get >/dev/null || die "apt-get not found; install by hand: ${missing[*]}"
    note "installing Debian packages: ${missing[*]}"
    apt-get update -qq >/dev/null || die "apt-get update failed"
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
        || die "apt-get install ${missing[*]} failed"
fi
have_kernel || die "no /boot/vmlinuz-* with ip_vs modules after installing linux-image-amd64"

if ! command -v vng >/dev/null; then
    pip=$(command -v pip3 || command -v pip || true)
    if [[ -z $pip ]]; then
        note "installing python3-pip"
        apt-get install -y -qq --no-install-recommends python3-pip >/dev/null \
            || die "apt-get install python3-pip failed"
        pip=$(command -v pip3)
    fi
    note "installing virtme-ng from PyPI"
    # Debian's own python3 refuses system-wide pip installs (PEP 668);
    # --break-system-packages is harmless for a pyenv/venv pip.
    extra=()
    "$pip" install --help 2>/dev/null | grep -q -- --break-system-packages && extra+=(--break-system-packages)
    "$pip" install -q --disable-pip-version-check --root-user-action=ignore "${extra[@]}" virtme-ng \
        || die "pip install virtme-ng failed"
    hash -r
    command -v vng >/dev/null || die "virtme-ng installed but vng is not on PATH ($PATH)"
fi

note "ready: $(qemu-system-x86_64 --version | head -n1); kernel $(ls -1 /boot/vmlinuz-* | sort -V | tail -n1); vng $(vng --version 2>&1 | tail -n1)"
