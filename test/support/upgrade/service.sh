#!/usr/bin/env bash
# The upgrade tests' stand-in for `systemctl {action} branchbox`: one box process started from
# bin/branchbox beside this script, its pid in box.pid, its output appended to box.log. Like
# systemctl with a Type=notify unit, start and restart return only once the box is up (its port
# in ./port accepts a connection) and fail when it exits first; they give up after 60 s.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

# A dead child may linger as a zombie when nobody reaps it: that is not running.
alive() {
  [[ -r "/proc/$1/stat" ]] && ! grep -q ') Z ' "/proc/$1/stat"
}

stop() {
  [[ -f "$here/box.pid" ]] || return 0
  local pid i=0
  pid=$(cat "$here/box.pid")
  kill "$pid" 2>/dev/null || true
  while alive "$pid" && ((i < 200)); do
    i=$((i + 1))
    if ((i == 100)); then kill -9 "$pid" 2>/dev/null || true; fi
    sleep 0.05
  done
  rm -f "$here/box.pid"
}

start() {
  local pid port
  "$here/bin/branchbox" serve --config "$here/box.toml" >>"$here/box.log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$here/box.pid"
  port=$(cat "$here/port")
  for _ in $(seq 600); do
    if ! alive "$pid"; then
      echo "service.sh: branchbox exited while starting" >&2
      return 1
    fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  echo "service.sh: branchbox did not start within 60 s" >&2
  return 1
}

case "${1:-}" in
  stop) stop ;;
  start) start ;;
  restart)
    stop
    start
    ;;
  *)
    echo "usage: $0 start|stop|restart" >&2
    exit 2
    ;;
esac
