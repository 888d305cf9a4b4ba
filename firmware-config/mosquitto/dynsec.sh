#!/bin/sh
# Adds a branch or a headquarters consumer to the broker's dynamic security plugin, or takes one
# off, with mosquitto_ctrl (Debian: in the mosquitto package). Run it on the broker host once the
# broker runs with mosquitto.conf and dynamic-security.json from this directory.
#
#   dynsec.sh add-branch <branch-id>   a role with that branch's own topics, and the client
#   dynsec.sh add-hq <hq.name>         a headquarters consumer (hq.1, hq.2, …: one per consumer)
#   dynsec.sh remove <name>            kicks the client off and forgets it (and a branch's role)
#
# mosquitto_ctrl reads how to reach the broker from ~/.config/mosquitto_ctrl (or
# $XDG_CONFIG_HOME/mosquitto_ctrl), one option per line; with the admin certificate (CN hq.admin):
#   -h mqtt.example.com
#   -p 8883
#   --cafile /etc/mosquitto/certs/branchbox-ca.pem
#   --cert /etc/mosquitto/certs/hq.admin.pem
#   --key /etc/mosquitto/certs/hq.admin.key
#
# The client certificate's CN must be the same name. mosquitto_ctrl 2.0 exits 0 even when the
# broker says no, so every call here fails on anything it writes to stderr.
set -eu

usage() {
  sed -n '6,8p' "$0" | sed 's/^# *//' >&2
  exit 2
}

# Lower-case letters, digits, - or _, not first: the box's rule for its id (src/config/schema.ts),
# which also keeps MQTT wildcards (+ #), levels (/) and line breaks out of the topics below.
is_id() {
  case $1 in
  '' | [_-]* | *[!abcdefghijklmnopqrstuvwxyz0123456789_-]*) return 1 ;;
  esac
  [ "${#1}" -le 64 ]
}

ctrl() {
  # No password: a certificate logs in (with one, createClient would prompt for it).
  if ! err=$(mosquitto_ctrl dynsec "$@" </dev/null 2>&1 >/dev/null) || [ -n "$err" ]; then
    echo "dynsec.sh: mosquitto_ctrl dynsec $*: ${err:-failed}" >&2
    exit 1
  fi
}

[ $# -eq 2 ] || usage
name=$2

case $1 in
add-branch)
  # `hq` would be headquarters' presence topic.
  if ! is_id "$name" || [ "$name" = hq ]; then
    echo "dynsec.sh: '$name' is not a branch id (lower-case letters, digits, - or _; not hq)" >&2
    exit 2
  fi
  ctrl createRole "$name"
  ctrl addRoleACL "$name" publishClientSend "branchbox/v1/$name/up/#" allow
  # Its presence: written (birth, Last Will) and read back (an old connection's Will arriving
  # after the new birth would leave it "offline"; the relay sees it and says "online" again).
  ctrl addRoleACL "$name" publishClientSend "branchbox/v1/$name/state" allow
  ctrl addRoleACL "$name" publishClientReceive "branchbox/v1/$name/state" allow
  ctrl addRoleACL "$name" subscribeLiteral "branchbox/v1/$name/state" allow
  ctrl addRoleACL "$name" publishClientReceive "branchbox/v1/$name/down/#" allow
  ctrl addRoleACL "$name" subscribePattern "branchbox/v1/$name/down/#" allow
  ctrl createClient "$name"
  ctrl addClientRole "$name" "$name"
  ctrl addGroupClient branches "$name"
  echo "branch $name added"
  ;;
add-hq)
  # A dot, which no branch id may have, keeps headquarters' names apart from branches'.
  if [ "${name#hq.}" = "$name" ] || ! is_id "${name#hq.}" || [ "$name" = hq.admin ]; then
    echo "dynsec.sh: '$name' is not a headquarters consumer name (hq.1, hq.2, hq.msk, …)" >&2
    exit 2
  fi
  ctrl createClient "$name"
  ctrl addGroupClient hq "$name"
  echo "headquarters consumer $name added"
  ;;
remove)
  [ "$name" != hq.admin ] || {
    echo "dynsec.sh: hq.admin is how this script reaches the broker" >&2
    exit 2
  }
  ctrl deleteClient "$name"
  case $name in
  hq.*) ;;
  *) ctrl deleteRole "$name" ;;
  esac
  echo "$name removed"
  ;;
*) usage ;;
esac
