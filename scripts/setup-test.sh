#!/usr/bin/env bash
# Installs what the tests need that `npm ci` does not bring: Debian's Chromium for the
# browser test (playwright-core drives it; it never downloads a browser of its own), Mosquitto
# for the sync tests (a real broker on a loopback port, with mosquitto_passwd for its users) and
# openssl for the certificates the TLS tests make, and the SIP lab (scripts/lab/): Kamailio with
# its WebSocket and presence modules, and baresip desk phones. For the appliance tests
# (test/appliance/): systemd (systemd-analyze verify, systemd-sysusers and systemctl --root for
# install.sh --root), cage and xwayland (verify checks that the kiosk unit's ExecStart exists;
# the kiosk session test runs Cage + Chromium headless; Debian's Cage will not start without
# Xwayland), qemu-user and libc6-arm64-cross (the arm64 release build, cross-compiled with
# bytecode made on this machine, must start and serve under qemu-aarch64), shellcheck,
# file (the ELF architecture of each release build) and cloud-init (`cloud-init schema`
# validates the provisioning user-data; on a machine without a NoCloud data source it does
# nothing at boot). MariaDB's server and client cores (no service, no init scripts): the CEL
# reader's tests start their own mariadbd on a loopback port in a temp folder (test/support/mariadb.ts);
# PostgreSQL's server (its packaged cluster is not used: the tests initdb their own, as nobody).
# Idempotent: when everything is present it touches nothing and needs no network.
set -euo pipefail

# Debian package -> a file it provides (a glob: the module folder's name depends on the arch).
declare -A wanted=(
  [chromium]=/usr/bin/chromium
  [mosquitto]=/usr/sbin/mosquitto
  [openssl]=/usr/bin/openssl
  [kamailio]=/usr/sbin/kamailio
  [kamailio-websocket-modules]='/usr/lib/*/kamailio/modules/websocket.so'
  [kamailio-presence-modules]='/usr/lib/*/kamailio/modules/presence_dialoginfo.so'
  [baresip-core]=/usr/bin/baresip
  [systemd]=/usr/bin/systemd-analyze
  [cage]=/usr/bin/cage
  [xwayland]=/usr/bin/Xwayland
  [qemu-user]=/usr/bin/qemu-aarch64
  [libc6-arm64-cross]=/usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1
  [shellcheck]=/usr/bin/shellcheck
  [file]=/usr/bin/file
  [cloud-init]=/usr/bin/cloud-init
  [mariadb-server-core]=/usr/sbin/mariadbd
  [mariadb-client-core]=/usr/bin/my_print_defaults
  [postgresql-15]=/usr/lib/postgresql/15/bin/postgres
)

present() {
  compgen -G "$1" >/dev/null
}

missing=()
for pkg in "${!wanted[@]}"; do
  if ! present "${wanted[$pkg]}"; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "setup-test: all present (${!wanted[*]})"
  exit 0
fi

sudo_cmd=()
if ((EUID != 0)); then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "setup-test: need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
  sudo_cmd=(sudo)
fi

# A mirror that hiccups once should not fail a CI run: three tries, a pause between them.
retry() {
  local try
  for try in 1 2 3; do
    if "$@"; then
      return 0
    fi
    echo "setup-test: try ${try} of: $* failed" >&2
    sleep $((try * 5))
  done
  return 1
}

echo "setup-test: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
retry "${sudo_cmd[@]}" apt-get update -qq
retry "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"

for pkg in "${missing[@]}"; do
  if ! present "${wanted[$pkg]}"; then
    echo "setup-test: ${pkg} installed but ${wanted[$pkg]} is missing" >&2
    exit 1
  fi
done
echo "setup-test: installed ${missing[*]}"
