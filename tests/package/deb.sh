#!/usr/bin/env bash
# make check-package: build pcp-power's Debian package (dpkg-buildpackage -b
# on a copy of the tree) and install it in a fresh Debian root, as a new
# user's machine would: apt resolves its dependencies, ./Install runs when
# pmcd starts (the .NeedInstall marker the postinst leaves), the agent
# answers, and remove and purge take it and its files away while pmcd runs
# on. The root is a minimal Debian made with debootstrap --variant=minbase
# (cached as /var/tmp/fresh-$SUITE.tar, made when missing; SUITE is
# bookworm, Debian 12, unless given: SUITE=trixie for Debian 13, where the
# package is built in a fresh trixie root too, against its PCP). Services
# in the root run in their own network, PID and mount namespaces: the host's
# pmcd and ports are never touched. Needs root and the network (apt).
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
FAILS=0
ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; FAILS=$((FAILS + 1)); }
check() { if eval "$1"; then ok "$2"; else not_ok "$2${3:+: $3}"; fi; }
WORK=$(mktemp -d /var/tmp/pcp-power-deb.XXXXXX)
ROOT=$WORK/root
cleanup() { if [ -z "${KEEP:-}" ]; then rm -rf --one-file-system "$WORK"; else echo "# kept $WORK"; fi; }
trap cleanup EXIT
[ "$(id -u)" = 0 ] || { not_ok "runs as root (chroot, namespaces)"; exit 1; }

SUITE=${SUITE:-bookworm}
HOST_SUITE=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")

# fresh_root DIR: a fresh minimal Debian $SUITE in DIR (the cache fresh-check
# makes, made with debootstrap when missing); apt and dpkg there start no
# service (policy-rc.d)
CACHE=/var/tmp/fresh-$SUITE.tar
fresh_root() {
    if [ ! -s "$CACHE" ]; then
        command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap >/dev/null
        debootstrap --variant=minbase "$SUITE" "$WORK/base" http://deb.debian.org/debian > "$WORK/debootstrap.log" 2>&1 &&
            tar -C "$WORK/base" -cf "$CACHE" . && rm -rf --one-file-system "$WORK/base"
    fi
    mkdir -p "$1"
    tar -C "$1" -xf "$CACHE"
    chmod 755 "$1"    # as a machine's / is (the cache keeps its temporary directory's 700)
    cp /etc/resolv.conf "$1/etc/resolv.conf"
    printf '#!/bin/sh\nexit 101\n' > "$1/usr/sbin/policy-rc.d"
    chmod 755 "$1/usr/sbin/policy-rc.d"
}
in_root() {   # ROOT COMMANDS: shell commands in the root, with its own /proc (a private mount namespace)
    unshare -m --propagation private sh -c 'mount -t proc proc "$1/proc" && chroot "$1" /bin/sh -c "$2"' - "$1" "$2"
}
# services in the root: also their own network and PID namespaces; everything they start dies with them
in_root_isolated() {
    unshare -m -n -p -f --propagation private sh -c 'ip link set lo up; mount -t proc proc "$1/proc" &&
        mount -t sysfs sys "$1/sys" && chroot "$1" /bin/sh -c "$2"' - "$1" "$2"
}

# the package, from a copy of the tree (dpkg-buildpackage writes beside it):
# here when this machine runs $SUITE, else in a fresh $SUITE root of its own
tree_copy() {
    mkdir -p "$1/pcp-power"
    (cd "$TOP" && git ls-files -co --exclude-standard | grep -v '^build/' | tar -T - -cf -) | tar -xf - -C "$1/pcp-power"
}
if [ "$SUITE" = "$HOST_SUITE" ]; then
    tree_copy "$WORK/src"
    (cd "$WORK/src/pcp-power" && dpkg-buildpackage -b -us -uc) > "$WORK/build.log" 2>&1
    DEB=$(ls "$WORK"/src/pcp-power_*_*.deb 2>/dev/null | grep -v dbgsym | head -1)
else
    fresh_root "$WORK/build-root"
    tree_copy "$WORK/build-root/root/src"
    in_root "$WORK/build-root" 'export DEBIAN_FRONTEND=noninteractive SYSTEMD_OFFLINE=1; apt-get update -qq &&
        apt-get install -y -qq --no-install-recommends build-essential debhelper pcp libpcp3-dev libpcp-pmda3-dev \
            libserialport-dev libplist-dev libsqlite3-dev libcairo2-dev pkg-config && cd /root/src/pcp-power && dpkg-buildpackage -b -us -uc' \
        > "$WORK/build.log" 2>&1
    DEB=$(ls "$WORK"/build-root/root/src/pcp-power_*_*.deb 2>/dev/null | grep -v dbgsym | head -1)
fi
check "[ -n '$DEB' ]" "dpkg-buildpackage -b makes the pcp-power package on $SUITE" "$(tail -5 "$WORK/build.log")"
[ -n "$DEB" ] || exit 1
deps=$(dpkg-deb -f "$DEB" Depends)
echo "# Depends: $deps"
check "echo '$deps' | grep -q 'pcp (>= 6.0.3)' && echo '$deps' | grep -q libpcp-pmda3 && echo '$deps' | grep -q libserialport0 && echo '$deps' | grep -q libplist" \
    "it depends on pcp and the libraries the agent links"

fresh_root "$ROOT"
cp "$DEB" "$ROOT/tmp/pcp-power.deb"
in_root "$ROOT" 'export DEBIAN_FRONTEND=noninteractive SYSTEMD_OFFLINE=1; apt-get update -qq && apt-get install -y -qq /tmp/pcp-power.deb' \
    > "$WORK/apt.log" 2>&1
check "[ \$? -eq 0 ]" "apt installs the package and its dependencies in a fresh $SUITE root" "$(tail -5 "$WORK/apt.log")"
check "[ -x '$ROOT/var/lib/pcp/pmdas/power/pmdapower' ] && [ -x '$ROOT/usr/bin/pmpower' ] && [ -f '$ROOT/usr/share/man/man1/pmpower.1.gz' ] && [ -f '$ROOT/var/lib/pcp/config/pmieconf/power/host_budget' ] && [ -f '$ROOT/etc/pcp/derived/power.conf' ]" \
    "the agent, pmpower, man pages, pmieconf and derived files are in place"
check "[ -f '$ROOT/var/lib/pcp/pmdas/power/.NeedInstall' ] && ! grep -q '^power' '$ROOT/etc/pcp/pmcd/pmcd.conf'" \
    "the postinst left .NeedInstall for pmcd's next start (pmcd was not running)"

# pmcd starts, runs ./Install by the marker; then remove, then purge, pmcd running throughout
in_root_isolated "$ROOT" '
    . /etc/pcp.env
    /etc/init.d/pmcd start >/dev/null 2>&1
    # ./Install runs in the start script, then restarts pmcd; wait for both, and a first sample
    for i in $(seq 120); do
        pminfo -f power.system.source 2>/dev/null | grep "value \"" | grep -qv "\"none\"" &&
            ! ls $PCP_PMDAS_DIR/power/.Need* >/dev/null 2>&1 && break
        sleep 0.5
    done
    echo "registered: $(grep -c "^power" $PCP_PMCDCONF_PATH)"
    echo "source: $(pminfo -f power.system.source 2>&1 | sed -n "s/.*value //p")"
    echo "marker: $(ls $PCP_PMDAS_DIR/power/.Need* 2>/dev/null | wc -l)"
    for f in $PCP_LOG_DIR/pmcd/pmcd.log $PCP_LOG_DIR/pmcd/power.log; do tail -n 8 $f 2>&1 | sed "s/^/log: /"; done
    echo "pmpower: $(pmpower report -T +2s --json 2>&1 | head -c 2000)"
    echo "saved: $(ls $PCP_VAR_DIR/config/pmda/power.counters 2>/dev/null | wc -l)"
    DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq pcp-power >/tmp/remove.log 2>&1; echo "remove: $?"
    echo "after-remove registered: $(grep -c "^power" $PCP_PMCDCONF_PATH)"
    echo "after-remove pminfo: $(pminfo power 2>&1 | head -1)"
    echo "after-remove pmcd: $(pminfo -f pmcd.numagents 2>&1 | sed -n "s/.*value //p")"
    echo "after-remove conffile: $(ls $PCP_PMDAS_DIR/power/ 2>/dev/null | tr "\n" " ")"
    dpkg --purge pcp-power >/tmp/purge.log 2>&1; echo "purge: $?"
    echo "after-purge dir: $(ls -d $PCP_PMDAS_DIR/power 2>/dev/null) caches: $(ls $PCP_VAR_DIR/config/pmda/390.* $PCP_VAR_DIR/config/pmda/power.counters 2>/dev/null | wc -l)"
    /etc/init.d/pmcd stop >/dev/null 2>&1
' > "$WORK/life.log" 2>&1
sed 's/^/# /' "$WORK/life.log"
get() { sed -n "s/^$1: //p" "$WORK/life.log"; }
check "[ '$(get registered)' = 1 ]" "pmcd's start ran ./Install: the agent is in pmcd.conf" "$(tail -3 "$ROOT/var/log/pcp/pmcd/pmcd.log" 2>/dev/null)"
check "[ -n \"\$(get source)\" ] && [ '$(get marker)' = 0 ]" "the agent answers (power.system.source $(get source)) and the marker is gone"
check "get pmpower | grep -q '\"joules\"'" "pmpower report works against it"
check "[ '$(get saved)' = 1 ]" "the agent saves its counters in \$PCP_VAR_DIR/config/pmda (the package's user may write there)"
check "[ '$(get remove)' = 0 ] && [ '$(get 'after-remove registered')' = 0 ]" "remove takes the agent out of pmcd.conf"
check "get 'after-remove pminfo' | grep -qi 'unknown metric name'" "and its names out of the PMNS" "$(get 'after-remove pminfo')"
check "[ -n \"\$(get 'after-remove pmcd')\" ]" "pmcd runs on without it"
check "[ '$(get 'after-remove conffile')' = 'power.conf ' ]" "remove leaves only the conffile power.conf" "$(get 'after-remove conffile')"
check "[ '$(get purge)' = 0 ] && [ \"\$(get 'after-purge dir')\" = ' caches: 0' ]" "purge takes the conffile, the directory, the instance caches and the saved counters" \
    "$(get 'after-purge dir')"
[ "$FAILS" -eq 0 ]
