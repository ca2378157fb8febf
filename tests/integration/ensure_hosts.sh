#!/usr/bin/env bash
# scripts/ensure-hosts, which install-deps runs before ./Install and make
# check: a missing hosts file is written as Debian's installer writes it (so
# pmcd's lookups of this host's name and "localhost" on every connection
# never reach DNS); an existing one is left exactly as it was.
. "$(dirname "$0")/../lib/common.sh"
ENSURE=$TOP/scripts/ensure-hosts

hosts=$WORK/etc/hosts
mkdir -p "$WORK/etc"
out=$(sh "$ENSURE" "$hosts" 2>&1); rc=$?
check_eq "$rc" 0 "a missing hosts file: ensure-hosts succeeds" "$out"
check_file_has "$hosts" "$(printf '^127.0.0.1\tlocalhost$')" "it maps localhost to 127.0.0.1"
if [ "$(hostname)" != localhost ]; then
    check_file_has "$hosts" "$(printf '^127.0.1.1\t%s$' "$(hostname)")" "and this host's name to 127.0.1.1, as Debian's installer does"
fi
check_file_has "$hosts" '^::1 .*localhost' "and localhost to ::1"
check_eq "$(stat -c %a "$hosts")" 644 "readable by everyone (pmcd runs as user pcp)"
check_match "$out" "was missing: wrote" "and says what it wrote"
check_eq "$(ls "$WORK/etc")" hosts "no temporary file is left"

printf '10.0.0.1\tsomething\n' > "$hosts"
before=$(md5sum < "$hosts")
out=$(sh "$ENSURE" "$hosts" 2>&1); rc=$?
check_eq "$rc:$(md5sum < "$hosts")" "0:$before" "an existing hosts file is never changed, even without localhost" "$out"

rm -f "$hosts"; ln -s "$WORK/run/hosts" "$hosts"
out=$(sh "$ENSURE" "$hosts" 2>&1)
check_eq "$(readlink "$hosts"):$(test -e "$WORK/run/hosts" && echo written)" "$WORK/run/hosts:" \
    "a symlink, even one to nothing yet (a container's /run), is left alone" "$out"
rm -f "$hosts"

if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
    rm -f "$hosts"
    chmod 755 "$WORK" "$WORK/etc"
    # a copy nobody can read: the repository may live where others cannot enter (/root)
    cp "$ENSURE" "$WORK/ensure-hosts" && chmod 755 "$WORK/ensure-hosts"
    out=$(runuser -u nobody -- sh "$WORK/ensure-hosts" "$hosts" 2>&1); rc=$?
    check_eq "$rc" 0 "a user who cannot write it: no failure of install-deps" "$out"
    check_match "$out" "cannot be written \(run as root\)" "but says why pmcd will be slow" "$out"
    check_cmd "and writes nothing" -- test ! -e "$hosts"
fi
finish
