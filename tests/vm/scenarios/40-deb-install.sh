#!/usr/bin/env bash
# vm-timeout: 600
# The .deb of packaging/build-packages.sh, made from the binaries under test ($LVS_BIN_DIR,
# no cargo), installs with dpkg -i: pulse --version from /usr/sbin, man lvs.cf and the
# section-8 pages render without a groff warning, systemd-analyze verify accepts the
# installed unit, an admin's existing /etc/sysconfig/ha/lvs.cf is kept (the package's copy
# lands beside it as lvs.cf.dpkg-dist) and so is an edited /etc/sysconfig/pulse on
# reinstall; dpkg -r removes programs, unit and pages and keeps both configuration files;
# dpkg -P removes those too.
#
# The VM's / is the host's, read-only: the scenario runs in a private mount namespace
# with fresh overlays (tmpfs upper) on /usr, /etc and /var, so everything dpkg does
# vanishes when the scenario ends and nothing reaches the next scenario or the host.
. "$(dirname "$0")/../lib.sh"

need_bin pulse lvsd nanny send_arp lvsctl
command -v dpkg >/dev/null || skip "dpkg not found (not a Debian userland)"
command -v man >/dev/null || skip "man not found: bash tests/vm/setup.sh installs man-db"

repo=${LVS_REPO:-$(cd "$(dirname "$0")/../../.." && pwd)}
scratch=/mnt

# ---- a writable root of our own -------------------------------------------------
if [[ -z ${PKG_PRIVATE_ROOT:-} ]]; then
    info "re-running in a private mount namespace (unshare -m)"
    exec unshare --mount --propagation private env PKG_PRIVATE_ROOT=1 bash "$0" "$@"
fi
mount -t tmpfs -o mode=0755 pkg-scratch "$scratch"
for dir in usr etc var; do
    mkdir -p "$scratch/$dir/upper" "$scratch/$dir/work"
    mount -t overlay "pkg-$dir" \
        -o "lowerdir=/$dir,upperdir=$scratch/$dir/upper,workdir=$scratch/$dir/work" "/$dir"
done
# Never let dpkg loose on a root that is not ours: every directory the package or
# dpkg writes to must now be on one of those overlays. Compared by device number (an
# overlay's directories carry its own): findmnt -T matches path strings, and the VM has
# mounts that ours now hide (vng's overlay on /lib, i.e. /usr/lib) still listed.
declare -A ours=()
for dir in usr etc var; do ours[$(stat -c %d "/$dir")]=/$dir; done
for path in /usr/sbin /etc/sysconfig /var/lib/dpkg /var/cache/man /lib/systemd/system /usr/share/man; do
    probe=$path
    while [[ ! -e $probe ]]; do probe=$(dirname "$probe"); done
    dev=$(stat -L -c %d "$probe")
    [[ -n ${ours[$dev]:-} ]] || fail "$path ($probe, device $dev) is not on our private overlays (${!ours[*]})"
done
info "private overlays (tmpfs upper) on /usr /etc /var"
findmnt -n -o TARGET,FSTYPE,OPTIONS -R "$scratch" | head -n1
for dir in usr etc var; do findmnt -n -o TARGET,FSTYPE /$dir; done

# ---- the package ------------------------------------------------------------------
info "bash packaging/build-packages.sh --prebuilt $LVS_BIN_DIR --deb --deb-compression none --no-lintian --out $scratch/packages"
t0=$(now)
bash "$repo/packaging/build-packages.sh" --prebuilt "$LVS_BIN_DIR" --deb --deb-compression none --no-lintian --out "$scratch/packages" \
    >"$scratch/build.log" 2>&1 || { cat "$scratch/build.log"; fail "build-packages.sh failed"; }
info "packaged in $(since "$t0") s"
deb=$(ls "$scratch"/packages/piranha-rs_*.deb)
info "$deb: $(stat -c %s "$deb") bytes"
dpkg-deb --info "$deb"
dpkg-deb --contents "$deb"
assert_eq "$(printf '%s\n' /etc/sysconfig/pulse /etc/sysconfig/ha/lvs.cf)" \
    "$(dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./conffiles)" "conffiles"

# ---- install over an admin's lvs.cf -----------------------------------------------
mkdir -p /etc/sysconfig/ha
admin_cf="# the admin's own lvs.cf, written before the package came
serial_no = 42
primary = 192.0.2.1
service = lvs"
printf '%s\n' "$admin_cf" >/etc/sysconfig/ha/lvs.cf
[[ ! -e /usr/sbin/pulse ]] || fail "/usr/sbin/pulse exists before the install"

# --force-confdef: no prompt, dpkg's default answer (for a file the admin created:
# keep it). Interactively dpkg asks, with the same default.
info "dpkg --force-confdef -i $(basename "$deb")"
t0=$(now)
dpkg --force-confdef -i "$deb" </dev/null
info "installed in $(since "$t0") s"
assert_eq "install ok installed" "$(dpkg-query -W -f='${Status}' piranha-rs)" "dpkg status"
assert_eq "$admin_cf" "$(cat /etc/sysconfig/ha/lvs.cf)" "the admin's /etc/sysconfig/ha/lvs.cf after dpkg -i"
cmp "$repo/etc/sysconfig/ha/lvs.cf" /etc/sysconfig/ha/lvs.cf.dpkg-dist \
    || fail "the package's lvs.cf is not beside it as lvs.cf.dpkg-dist"
cmp "$repo/etc/sysconfig/pulse" /etc/sysconfig/pulse || fail "/etc/sysconfig/pulse differs from etc/sysconfig/pulse"
info "kept the admin's lvs.cf; the sample is lvs.cf.dpkg-dist and /usr/share/doc/piranha-rs/lvs.cf.sample"

for p in pulse lvsd nanny send_arp lvsctl; do
    assert_eq "/usr/sbin/$p" "$(PATH=/usr/sbin:/usr/bin command -v "$p")" "$p on PATH"
done
version=$(cd /tmp && pulse --version)
printf '%s\n' "$version"
workspace_version=$(sed -n '/^\[workspace\.package\]/,/^\[/s/^version *= *"\([^"]*\)".*/\1/p' "$repo/Cargo.toml")
assert_contains "$version" "$workspace_version" "pulse --version"
assert_eq "$workspace_version-1" "$(dpkg-query -W -f='${Version}' piranha-rs)" "package version"
lvsctl --version
lvsctl check -c /etc/sysconfig/ha/lvs.cf.dpkg-dist >/dev/null || fail "lvsctl check of the packaged sample lvs.cf failed"
info "lvsctl check accepts the packaged sample lvs.cf"

# ---- man pages --------------------------------------------------------------------
assert_eq /usr/share/man/man5/lvs.cf.5.gz "$(man -w lvs.cf)" "man -w lvs.cf"
page=$(MANWIDTH=80 MANPAGER=cat man lvs.cf 2>"$scratch/man.err")
[[ ! -s $scratch/man.err ]] || { cat "$scratch/man.err"; fail "man lvs.cf wrote to stderr"; }
printf '%s\n' "$page" | head -n 12
assert_contains "$page" "lvs.cf - configuration of an LVS router pair" "man lvs.cf"
assert_contains "$page" "DIFFERENCES FROM PIRANHA" "man lvs.cf"
info "man lvs.cf: $(printf '%s\n' "$page" | wc -l) lines"
for p in pulse lvsd nanny send_arp lvsctl; do
    assert_eq "/usr/share/man/man8/$p.8.gz" "$(man -w 8 "$p")" "man -w 8 $p"
done
# groff warnings (man-db --warnings = groff -w mac) for the installed pages and for the
# workspace's own (man -l): none.
warn=$(MANWIDTH=80 man --warnings -E UTF-8 lvs.cf pulse lvsd nanny send_arp lvsctl 2>&1 >/dev/null)
assert_eq "" "$warn" "groff warnings of the installed pages"
warn=$(cd "$repo" && MANWIDTH=80 man --warnings -E UTF-8 -l man/*.8 man/lvs.cf.5 2>&1 >/dev/null)
assert_eq "" "$warn" "groff warnings of man -l man/*.8 man/lvs.cf.5"
info "man: lvs.cf(5) and pulse lvsd nanny send_arp lvsctl(8) render without warnings (installed and man -l)"

# ---- the unit ---------------------------------------------------------------------
unit=$(dpkg -L piranha-rs | grep '/pulse\.service$')
info "unit: $unit"
# shellcheck disable=SC2016  # the unit's own $OPTIONS, literally
grep -qx 'ExecStart=/usr/sbin/pulse -n $OPTIONS' "$unit" || fail "ExecStart of $unit: $(grep ExecStart "$unit")"
if command -v systemd-analyze >/dev/null; then
    out=$(systemd-analyze verify "$unit" 2>&1) || { printf '%s\n' "$out"; fail "systemd-analyze verify $unit"; }
    [[ -z $out ]] || { printf '%s\n' "$out"; fail "systemd-analyze verify $unit printed warnings"; }
    info "systemd-analyze verify $unit: no complaint"
else
    info "systemd-analyze not available: unit not verified"
fi

# ---- reinstall keeps an edited conffile -------------------------------------------
echo 'OPTIONS="-v"' >>/etc/sysconfig/pulse
edited=$(cat /etc/sysconfig/pulse)
dpkg --force-confdef -i "$deb" </dev/null
assert_eq "$edited" "$(cat /etc/sysconfig/pulse)" "edited /etc/sysconfig/pulse after reinstall"
assert_eq "$admin_cf" "$(cat /etc/sysconfig/ha/lvs.cf)" "the admin's lvs.cf after reinstall"
info "reinstall kept the edited /etc/sysconfig/pulse and the admin's lvs.cf"

# ---- remove, purge ----------------------------------------------------------------
info "dpkg -r piranha-rs"
dpkg -r piranha-rs </dev/null
for f in /usr/sbin/pulse /usr/sbin/lvsd /usr/sbin/nanny /usr/sbin/send_arp /usr/sbin/lvsctl \
    "$unit" /usr/share/man/man5/lvs.cf.5.gz /usr/share/man/man8/pulse.8.gz; do
    [[ ! -e $f ]] || fail "$f still there after dpkg -r"
done
assert_eq "deinstall ok config-files" "$(dpkg-query -W -f='${Status}' piranha-rs)" "dpkg status after -r"
assert_eq "$edited" "$(cat /etc/sysconfig/pulse)" "/etc/sysconfig/pulse after dpkg -r"
assert_eq "$admin_cf" "$(cat /etc/sysconfig/ha/lvs.cf)" "lvs.cf after dpkg -r"
info "dpkg -r removed programs, unit and pages; kept /etc/sysconfig/pulse and lvs.cf"
if man -w lvs.cf >/dev/null 2>&1; then fail "man -w lvs.cf still finds $(man -w lvs.cf)"; fi

info "dpkg -P piranha-rs"
dpkg -P piranha-rs </dev/null
[[ ! -e /etc/sysconfig/pulse ]] || fail "/etc/sysconfig/pulse still there after dpkg -P"
[[ ! -e /etc/sysconfig/ha/lvs.cf ]] || fail "lvs.cf still there after dpkg -P"
if dpkg-query -W piranha-rs >/dev/null 2>&1; then fail "dpkg still knows piranha-rs after -P"; fi
info "dpkg -P removed the configuration files too"
