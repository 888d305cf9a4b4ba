#!/usr/bin/env bash
# Runs a command confined the way branchbox.service confines branchbox, for tests without a
# service manager: in a private mount namespace every file system is read-only
# (ProtectSystem=strict) except STATE_DIR (StateDirectory=); /tmp and /var/tmp are empty and
# private (PrivateTmp=); the command runs in STATE_DIR (WorkingDirectory=) as UID:GID with no
# capabilities and no new privileges (CapabilityBoundingSet=, NoNewPrivileges=yes). The same
# PID all along (exec only), so a test stops the command by the PID it started.
#
#   unit-sandbox.sh STATE_DIR UID GID COMMAND [ARG...]      (as root)
set -euo pipefail

if [[ "${UNIT_SANDBOX_INSIDE:-}" != 1 ]]; then
  UNIT_SANDBOX_INSIDE=1 exec unshare --mount --propagation private "$0" "$@"
fi
unset UNIT_SANDBOX_INSIDE
state="$1" uid="$2" gid="$3"
shift 3

mount --bind "$state" "$state"
while read -r _ target _; do
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
