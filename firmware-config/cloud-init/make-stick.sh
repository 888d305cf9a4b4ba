#!/usr/bin/env bash
# Fills a USB stick (mounted at DIR; a FAT file system labelled CIDATA) for one branch's
# unattended install; see README.md beside this script.
#
#   make-stick.sh --out DIR --branch-env FILE [--dist DIR]
#
#   --out DIR          the mounted stick (or any directory)
#   --branch-env FILE  the branch's settings (branch.env.example); TLS files it names by a
#                      relative path are copied along
#   --dist DIR         where the release build is (default: dist/ of this checkout)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
config_dir="$(dirname "$here")"
out=""
branch_env=""
dist="$(dirname "$config_dir")/dist"

usage() {
  echo "make-stick: $*" >&2
  echo "usage: make-stick.sh --out DIR --branch-env FILE [--dist DIR]" >&2
  exit 2
}

while (($# > 0)); do
  case "$1" in
    --out | --branch-env | --dist)
      (($# >= 2)) || usage "$1 needs a value"
      case "$1" in
        --out) out="$2" ;;
        --branch-env) branch_env="$2" ;;
        --dist) dist="$2" ;;
      esac
      shift 2
      ;;
    *) usage "unknown argument: $1" ;;
  esac
done
[[ -d "$out" ]] || usage "--out: not a directory: ${out}"
[[ -f "$branch_env" ]] || usage "--branch-env: no such file: ${branch_env}"
[[ -f "${dist}/SHA256SUMS" ]] || usage "no ${dist}/SHA256SUMS: run scripts/build.sh first"

# The release binaries, checked before they go on the stick (the stick checks them again).
(cd "$dist" && sha256sum --check --quiet --ignore-missing SHA256SUMS)

cp "${here}/user-data" "${here}/meta-data" "$out/"
cp "$branch_env" "${out}/branch.env"
env_dir="$(dirname "$branch_env")"
while IFS="=" read -r _ value; do
  value="${value%$'\r'}"
  value="${value#[\"\']}"
  value="${value%[\"\']}"
  [[ -n "$value" && "$value" != /* ]] || continue
  mkdir -p "$(dirname "${out}/${value}")"
  cp "${env_dir}/${value}" "${out}/${value}"
done < <(grep -E '^(MQTT_CA|MQTT_CERT|MQTT_KEY)=' "$branch_env" || true)

box="${out}/branchbox"
mkdir -p "${box}/systemd" "${box}/sysusers.d"
cp "${config_dir}/install.sh" "${config_dir}/branchbox.toml.example" "${config_dir}/kiosk-session.sh" "$box/"
cp "${config_dir}/systemd/branchbox.service" "${config_dir}/systemd/branchbox-kiosk.service" \
  "${config_dir}/systemd/low-port.conf" "${box}/systemd/"
cp "${config_dir}/sysusers.d/branchbox.conf" "${box}/sysusers.d/"
cp "${dist}/SHA256SUMS" "$box/"
for arch in linux-x64 linux-x64-baseline linux-arm64; do
  cp "${dist}/branchbox-${arch}" "$box/"
done
echo "make-stick: ${out} is ready: plug it into the mini PC and boot (see README.md)"
