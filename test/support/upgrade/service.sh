#!/bin/sh
# The upgrade tests' stand-in for `systemctl {action} branchbox`: one box process started from
# bin/branchbox beside this script, its pid in box.pid, its output appended to box.log.
set -eu
here=$(cd "$(dirname "$0")" && pwd)

# A dead child may linger as a zombie when nobody reaps it: that is not running.
alive() {
  [ -r "/proc/$1/stat" ] && ! grep -q ') Z ' "/proc/$1/stat"
}

stop() {
  [ -f "$here/box.pid" ] || return 0
  pid=$(cat "$here/box.pid")
  kill "$pid" 2>/dev/null || true
  i=0
  while alive "$pid" && [ "$i" -lt 200 ]; do
    i=$((i + 1))
    if [ "$i" -eq 100 ]; then kill -9 "$pid" 2>/dev/null || true; fi
    sleep 0.05
  done
  rm -f "$here/box.pid"
}

start() {
  "$here/bin/branchbox" serve --config "$here/box.toml" >>"$here/box.log" 2>&1 </dev/null &
  echo $! >"$here/box.pid"
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
