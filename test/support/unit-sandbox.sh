#!/usr/bin/env bash
# Runs a command confined the way branchbox.service confines branchbox, for tests without a
# service manager: in a private mount namespace every file system is read-only
# (ProtectSystem=strict) except STATE_DIR (StateDirectory=); /tmp and /var/tmp are empty and
# private (PrivateTmp=); the command runs in STATE_DIR (WorkingDirectory=) as UID:GID with no
# capabilities and no new privileges (CapabilityBoundingSet=, NoNewPrivileges=yes). The same
# PID all along (exec only), so a test stops the command by the PID it started.
#
#   unit-sandbox.sh STATE_DIR UID GID COMMAND [ARG...]      (as root)
#
# STATE_DIR, the command and its config must be where UID can reach them and not under /tmp or
# /var/tmp, which the sandbox hides: so not in a checkout under /tmp or under a 0700 /root.
set -euo pipefail

if [[ "${UNIT_SANDBOX_INSIDE:-}" != 1 ]]; then
  UNIT_SANDBOX_INSIDE=1 exec unshare --mount --propagation private "$0" "$@"
fi
unset UNIT_SANDBOX_INSIDE
state="$(realpath -e -- "$1")" uid="$2" gid="$3"
shift 3
case "${state}/" in
  /tmp/* | /var/tmp/*)
    echo "unit-sandbox: ${state} is under /tmp or /var/tmp, which the sandbox replaces with an empty one" >&2
    exit 2
    ;;
esac
# systemd starts the unit with a clean environment: no TMPDIR (a test run's points into the
# /tmp hidden below).
unset TMPDIR

mount --bind "$state" "$state"
while read -r _ target _; do
  # /proc/self/mounts writes a space, tab, newline or backslash in a path as \040 \011 \012 \134.
  printf -v target '%b' "$target"
  case "$target" in
    /proc | /proc/* | /sys | /sys/* | /dev | /dev/* | "$state") ;;
    /) mount -o remount,bind,ro / ;;
    # Mounts this namespace may not change (locked by the container) stay as they are.
    *) mount -o remount,bind,ro "$target" 2>/dev/null || echo "unit-sandbox: ${target} stays writable" >&2 ;;
  esac
done </proc/self/mounts
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=1777 tmpfs /var/tmp
cd "$state"
exec setpriv --reuid="$uid" --regid="$gid" --clear-groups --no-new-privs --bounding-set=-all --inh-caps=-all "$@"
