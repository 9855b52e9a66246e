#!/usr/bin/env bash
# Build the piranha-rs packages from this workspace: a .deb (dpkg-deb) and an RPM
# (rpmbuild, from packaging/rpm/piranha-rs.spec).
#
#   bash packaging/build-packages.sh [--prebuilt DIR] [--deb] [--rpm] [--out DIR]
#                                    [--deb-compression xz|gzip|zstd|none] [--no-lintian] [--no-install]
#
#   --prebuilt DIR  package the release binaries in DIR; run no cargo (the VM tier
#                   uses this with $LVS_BIN_DIR). Default: `make build` first, then
#                   ${CARGO_TARGET_DIR:-target}/release.
#   --deb, --rpm    build only these formats (default: both).
#   --out DIR       where the packages go (default: ${CARGO_TARGET_DIR:-target}/packages).
#   --deb-compression  dpkg-deb -Z (default xz, as Debian's own packages; the VM tier
#                   uses none: xz takes minutes under software emulation).
#   --no-lintian    do not run lintian on the .deb even when it is installed.
#   --no-install    never apt-get install rpm (rpmbuild) when it is missing.
#
# The RPM needs rpmbuild (Debian package `rpm`): when it is missing the script
# installs it as root with apt-get, else says that it skipped the RPM (exit 0).
# Each package is checked after it is built: dpkg-deb --info/--contents (and
# lintian when present), rpm -qip/-qlp. Everything else is read from the workspace:
# the version from Cargo.toml, the files from `make install`.
set -euo pipefail
umask 022

die() { echo "build-packages.sh: error: $*" >&2; exit 1; }
note() { echo "build-packages.sh: $*" >&2; }

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
prebuilt="" out="" install_missing=1 deb_compression=xz run_lintian=1
formats=()
while (($#)); do
    case $1 in
        --prebuilt) prebuilt=${2:?--prebuilt needs a directory}; shift 2 ;;
        --prebuilt=*) prebuilt=${1#*=}; shift ;;
        --out) out=${2:?--out needs a directory}; shift 2 ;;
        --out=*) out=${1#*=}; shift ;;
        --deb-compression) deb_compression=${2:?--deb-compression needs xz, gzip, zstd or none}; shift 2 ;;
        --deb-compression=*) deb_compression=${1#*=}; shift ;;
        --deb) formats+=(deb); shift ;;
        --rpm) formats+=(rpm); shift ;;
        --no-install) install_missing=0; shift ;;
        --no-lintian) run_lintian=0; shift ;;
        -h | --help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
done
((${#formats[@]})) || formats=(deb rpm)
case $deb_compression in xz | gzip | zstd | none) ;; *) die "--deb-compression: xz, gzip, zstd or none, not '$deb_compression'" ;; esac
wants() { [[ " ${formats[*]} " == *" $1 "* ]]; }

target=${CARGO_TARGET_DIR:-$repo/target}
out=${out:-$target/packages}
mkdir -p "$out"
out=$(cd "$out" && pwd)

name=piranha-rs
version=$(sed -n '/^\[workspace\.package\]/,/^\[/s/^version *= *"\([^"]*\)".*/\1/p' "$repo/Cargo.toml")
[[ -n $version ]] || die "no version in [workspace.package] of $repo/Cargo.toml"
programs=(pulse lvsd nanny send_arp lvsctl)

if [[ -n $prebuilt ]]; then
    release_dir=$(cd "$prebuilt" && pwd) || die "--prebuilt $prebuilt: no such directory"
else
    note "building the release binaries: make build"
    make -C "$repo" --no-print-directory build
    release_dir=$target/release
fi
for p in "${programs[@]}"; do
    [[ -x $release_dir/$p ]] || die "$release_dir/$p is missing (build it, or give --prebuilt DIR)"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/piranha-rs-pkg.XXXXXX")
trap 'rm -rf "$work"' EXIT

# ---- .deb ------------------------------------------------------------------------
build_deb() {
    command -v dpkg-deb >/dev/null || die "dpkg-deb not found (Debian package dpkg)"
    local root=$work/deb arch deb depends size
    arch=$(dpkg --print-architecture)
    note "staging the .deb: make install DESTDIR=$root"
    make -C "$repo" --no-print-directory install DESTDIR="$root" RELEASE_DIR="$release_dir" \
        PREFIX=/usr SYSCONFDIR=/etc DOCDIR=/usr/share/doc/$name MANCOMPRESS=gzip >"$work/make-install.log" \
        || { cat "$work/make-install.log" >&2; die "make install failed"; }

    # Release binaries carry line tables (profile.release debug = "line-tables-only");
    # packaged programs are stripped as dh_strip does.
    if command -v strip >/dev/null; then
        local p
        for p in "${programs[@]}"; do
            strip --remove-section=.comment --remove-section=.note --strip-unneeded "$root/usr/sbin/$p"
        done
    else
        note "warning: strip not found (binutils): the binaries are packaged unstripped"
    fi

    # Shared-library dependencies as dpkg-shlibdeps computes them (dpkg-dev); without it,
    # the newest GLIBC_x.y symbol version the binaries use.
    if command -v dpkg-shlibdeps >/dev/null; then
        mkdir -p "$work/shlibs/debian"
        printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' "$name" "$name" >"$work/shlibs/debian/control"
        depends=$(cd "$work/shlibs" && dpkg-shlibdeps -O "${programs[@]/#/$root/usr/sbin/}" 2>/dev/null \
            | sed -n 's/^shlibs:Depends=//p')
    else
        local glibc
        glibc=$(for p in "${programs[@]}"; do readelf --dyn-syms -W "$root/usr/sbin/$p"; done \
            | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n1)
        depends="libc6 (>= ${glibc:?no GLIBC symbol versions found}), libgcc-s1"
    fi
    [[ -n $depends ]] || die "could not compute the library dependencies"

    local doc=$root/usr/share/doc/$name
    cat >"$doc/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: $name
Comment: A Rust replacement for the router daemons of Red Hat Piranha.

Files: *
Copyright: 2026 the piranha-rs developers
License: GPL-2.0-or-later
 This program is free software; you can redistribute it and/or modify it under
 the terms of the GNU General Public License as published by the Free Software
 Foundation; either version 2 of the License, or (at your option) any later
 version.
 .
 On Debian systems, the complete text of the GNU General Public License
 version 2 can be found in /usr/share/common-licenses/GPL-2.
EOF
    # The packager, as Debian's tools name one (DEBFULLNAME, DEBEMAIL); the project
    # has no mail address of its own, so the default is a reserved .invalid one.
    local maintainer="piranha-rs developers <piranha-rs@invalid>"
    if [[ -n ${DEBEMAIL:-} ]]; then
        maintainer="${DEBFULLNAME:-piranha-rs packager} <$DEBEMAIL>"
    fi
    {
        printf '%s (%s-1) unstable; urgency=medium\n\n' "$name" "$version"
        printf '  * Package built from the piranha-rs workspace (packaging/build-packages.sh).\n\n'
        printf ' -- %s  %s\n' "$maintainer" "$(date -R -d "@${SOURCE_DATE_EPOCH:-$(date +%s)}")"
    } | gzip -9n >"$doc/changelog.Debian.gz"

    mkdir -p "$root/DEBIAN"
    size=$(du -sk --apparent-size --exclude=DEBIAN "$root" | cut -f1)
    cat >"$root/DEBIAN/control" <<EOF
Package: $name
Version: $version-1
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $size
Depends: $depends
Recommends: ipvsadm
Conflicts: piranha
Replaces: piranha
Section: net
Priority: optional
Description: Piranha-compatible LVS router daemons (pulse, lvsd, nanny)
 A drop-in replacement for the router daemons of Red Hat Piranha, written in
 Rust: pulse (heartbeat and failover between two LVS routers), lvsd (owns the
 IPVS table of the active router), nanny (real-server health checks), send_arp
 (gratuitous ARP) and lvsctl (check lvs.cf, show and apply its IPVS table).
 .
 They read the same /etc/sysconfig/ha/lvs.cf as Piranha 0.8.6. The package
 installs pulse.service disabled: edit lvs.cf, then enable it.
EOF
    # dpkg keeps an admin's edits of these (and asks before replacing one).
    printf '%s\n' /etc/sysconfig/pulse /etc/sysconfig/ha/lvs.cf >"$root/DEBIAN/conffiles"

    # Maintainer scripts, as dh_installsystemd --no-enable --no-start writes them: the
    # unit is not enabled or started by the package (lvs.cf needs editing first), nor
    # restarted on upgrade (that would move the VIPs to the backup router); systemd
    # re-reads it; a removed package does not leave pulse running (pulse releases the
    # VIPs and stops lvsd when stopped); purge forgets an admin's `systemctl enable`.
    cat >"$root/DEBIAN/postinst" <<'EOF'
#!/bin/sh
set -e
if [ "$1" = configure ] || [ "$1" = abort-upgrade ] || [ "$1" = abort-deconfigure ] || [ "$1" = abort-remove ]; then
    if command -v deb-systemd-helper >/dev/null; then
        deb-systemd-helper update-state pulse.service >/dev/null || true
    fi
    if [ -d /run/systemd/system ]; then
        systemctl --system daemon-reload >/dev/null || true
    fi
fi
exit 0
EOF
    cat >"$root/DEBIAN/prerm" <<'EOF'
#!/bin/sh
set -e
if [ "$1" = remove ] && [ -d /run/systemd/system ] && command -v deb-systemd-invoke >/dev/null; then
    deb-systemd-invoke stop pulse.service >/dev/null || true
fi
exit 0
EOF
    cat >"$root/DEBIAN/postrm" <<'EOF'
#!/bin/sh
set -e
if [ "$1" = remove ] && [ -d /run/systemd/system ]; then
    systemctl --system daemon-reload >/dev/null || true
fi
if [ "$1" = purge ] && command -v deb-systemd-helper >/dev/null; then
    deb-systemd-helper purge pulse.service >/dev/null || true
fi
exit 0
EOF
    chmod 0755 "$root/DEBIAN/postinst" "$root/DEBIAN/prerm" "$root/DEBIAN/postrm"
    (cd "$root" && find . -path ./DEBIAN -prune -o -path ./etc -prune -o -type f -printf '%P\0' \
        | LC_ALL=C sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"

    deb=$out/${name}_${version}-1_${arch}.deb
    rm -f "$deb"
    dpkg-deb --root-owner-group -Z"$deb_compression" --build "$root" "$deb" >/dev/null
    echo "== $deb ($(stat -c %s "$deb") bytes)"
    dpkg-deb --info "$deb"
    dpkg-deb --contents "$deb"
    if ((!run_lintian)); then
        note "lintian: skipped (--no-lintian)"
    elif command -v lintian >/dev/null; then
        echo "== lintian $deb"
        lintian --tag-display-limit 0 "$deb" || note "lintian reported errors (above)"
    else
        note "lintian not installed: skipped (optional)"
    fi
}

# ---- RPM -------------------------------------------------------------------------
build_rpm() {
    local spec=$repo/packaging/rpm/piranha-rs.spec spec_version top rpm
    spec_version=$(sed -n 's/^Version: *//p' "$spec")
    [[ $spec_version == "$version" ]] \
        || die "$spec has Version $spec_version but Cargo.toml has $version: update the spec"
    if ! command -v rpmbuild >/dev/null; then
        if ((install_missing)) && [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
            note "installing the Debian package rpm (rpmbuild)"
            DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends rpm >/dev/null \
                || die "apt-get install rpm failed"
        fi
        if ! command -v rpmbuild >/dev/null; then
            echo "== RPM SKIPPED: rpmbuild not found (install the package rpm, or run as root on Debian)"
            return 0
        fi
    fi
    top=$work/rpmbuild
    mkdir -p "$top"
    local -a opts=(--define "_topdir $top" --define "_rpmdir $out" --define "_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm"
        --define "piranha_release_dir $release_dir" --without cargo_build --build-in-place)
    # A host whose rpm database does not hold its own packages (Debian) cannot check
    # BuildRequires, nor build debuginfo (no find-debuginfo): skip both there.
    if ! rpm -q rpm >/dev/null 2>&1; then
        opts+=(--nodeps --define "debug_package %{nil}")
    fi
    note "rpmbuild -bb ${spec#"$repo"/}"
    (cd "$repo" && rpmbuild -bb "${opts[@]}" "$spec") >"$work/rpmbuild.log" 2>&1 \
        || { tail -n 40 "$work/rpmbuild.log" >&2; die "rpmbuild failed"; }
    rpm=$(sed -n 's/^Wrote: //p' "$work/rpmbuild.log" | tail -n1)
    [[ -f $rpm ]] || die "rpmbuild wrote no package (log: $(tail -n 5 "$work/rpmbuild.log"))"
    echo "== $rpm ($(stat -c %s "$rpm") bytes)"
    rpm -qip "$rpm" 2>/dev/null
    echo "-- requires:"
    rpm -qp --requires "$rpm" 2>/dev/null
    echo "-- files (c = %config):"
    rpm -qlvp "$rpm" 2>/dev/null
    rpm -qcp "$rpm" 2>/dev/null | sed 's/^/config: /'
}

if wants deb; then build_deb; fi
if wants rpm; then build_rpm; fi
echo "== packages in $out:"
ls -l "$out"
