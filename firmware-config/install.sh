#!/usr/bin/env bash
# Installs branchbox on this machine (Debian 12 or later, as root), or into a directory tree.
#
#   install.sh [--binary PATH] [--branch-env FILE] [--root DIR]
#
#   --binary PATH      the executable to install; default: branchbox-linux-<arch> (baseline on a
#                      CPU without AVX2) found beside this script or in ../dist/
#   --branch-env FILE  this branch's settings (see cloud-init/branch.env.example), written into
#                      a NEW /etc/branchbox/branchbox.toml; an existing one is never touched
#   --root DIR         install into DIR instead of / (tests, images): no packages, no service
#                      starts, no boot loader update; users go into DIR/etc/passwd via
#                      systemd-sysusers --root; doctor runs against DIR's config and state dir
#
# Idempotent: a second run with the same inputs changes nothing. What it does:
#   1. /usr/local/bin/branchbox (replaced atomically, only when it differs and runs here)
#   2. apt-get installs cage, xwayland and chromium for the kiosk screen (when missing, not
#      with --root)
#   3. users branchbox and branchbox-kiosk (systemd-sysusers, /usr/lib/sysusers.d/branchbox.conf)
#   4. /etc/branchbox/branchbox.toml from branchbox.toml.example, only if absent, with a fresh
#      random admin token (root:branchbox 0640: it holds secrets)
#   5. branchbox.service and branchbox-kiosk.service in /etc/systemd/system, enabled, and the
#      kiosk's session script in /usr/local/lib/branchbox/; the low-port drop-in only when
#      http.listen is a port below 1024
#   6. kernel console blanking off (consoleblank=0 through /etc/default/grub.d)
#   7. starts the units (restarts branchbox when this run changed it), runs `branchbox doctor`,
#      prints what is left to configure
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root=""
binary=""
branch_env=""

die() {
  echo "install: $*" >&2
  exit 1
}
usage() {
  echo "install: $*" >&2
  echo "usage: install.sh [--binary PATH] [--branch-env FILE] [--root DIR]" >&2
  exit 2
}
say() { echo "install: $*"; }

while (($# > 0)); do
  case "$1" in
    --root | --binary | --branch-env)
      (($# >= 2)) || usage "$1 needs a value"
      case "$1" in
        --root) root="$2" ;;
        --binary) binary="$2" ;;
        --branch-env) branch_env="$2" ;;
      esac
      shift 2
      ;;
    -h | --help)
      sed -n '2,25p' "${BASH_SOURCE[0]}"
      exit 0
      ;;
    *) usage "unknown argument: $1" ;;
  esac
done

if [[ -n "$root" ]]; then
  [[ -d "$root" ]] || usage "--root ${root}: no such directory"
  root="$(cd "$root" && pwd)"
  [[ "$root" != "/" ]] || root=""
fi
real_install=false
[[ -n "$root" ]] || real_install=true
if $real_install && ((EUID != 0)); then
  die "run as root (or pass --root DIR to install into a directory)"
fi

# --- inputs: everything is checked before anything is written -------------------------------

pick_binary() {
  local arch
  case "$(uname -m)" in
    x86_64)
      arch=linux-x64
      grep -qw avx2 /proc/cpuinfo || arch=linux-x64-baseline
      ;;
    aarch64) arch=linux-arm64 ;;
    *) die "no branchbox build for $(uname -m); pass --binary PATH" ;;
  esac
  local candidate
  for candidate in "${here}/branchbox-${arch}" "${here}/../dist/branchbox-${arch}"; do
    if [[ -f "$candidate" ]]; then
      echo "$candidate"
      return
    fi
  done
  die "no branchbox-${arch} beside install.sh or in dist/; pass --binary PATH"
}
[[ -n "$binary" ]] || binary="$(pick_binary)"
[[ -f "$binary" ]] || usage "--binary ${binary}: no such file"
[[ "$(head -c 4 "$binary" | od -An -c | tr -d ' ')" == '177ELF' ]] || die "${binary} is not a Linux executable (ELF)"

for file in branchbox.toml.example systemd/branchbox.service systemd/branchbox-kiosk.service \
  systemd/low-port.conf sysusers.d/branchbox.conf kiosk-session.sh; do
  [[ -f "${here}/${file}" ]] || die "${here}/${file} is missing: install.sh needs the firmware-config folder beside it"
done

# Settings from --branch-env, as config overrides SET_<section>_<key> (see render_config).
# The file is read as KEY=VALUE lines, never sourced: a value is taken as written.
declare -A settings=()
declare -A tls_files=()
read_branch_env() {
  local file="$1" line key value n=0
  local -A keys=(
    [BRANCH_ID]=branch_id [BRANCH_NAME]=branch_name [BRANCH_TIMEZONE]=branch_timezone
    [ADMIN_TOKEN]=http_admin_token [HTTP_LISTEN]=http_listen
    [MQTT_URL]=mqtt_url [MQTT_USERNAME]=mqtt_username [MQTT_PASSWORD]=mqtt_password
    [MQTT_CA]=mqtt_ca [MQTT_CERT]=mqtt_cert [MQTT_KEY]=mqtt_key
    [AMI_HOST]=ami_host [AMI_PORT]=ami_port [AMI_USERNAME]=ami_username [AMI_SECRET]=ami_secret
  )
  [[ -f "$file" ]] || usage "--branch-env ${file}: no such file"
  while IFS= read -r line || [[ -n "$line" ]]; do
    n=$((n + 1))
    line="${line%$'\r'}"
    [[ "$line" =~ ^[[:space:]]*(#|$) ]] && continue
    [[ "$line" =~ ^([A-Z_]+)=(.*)$ ]] || die "${file}:${n}: expected KEY=VALUE"
    key="${BASH_REMATCH[1]}"
    value="${BASH_REMATCH[2]}"
    [[ -v "keys[$key]" ]] || die "${file}:${n}: unknown key ${key} (known: ${!keys[*]})"
    if [[ "$value" =~ ^\"(.*)\"$ || "$value" =~ ^\'(.*)\'$ ]]; then
      value="${BASH_REMATCH[1]}"
    fi
    [[ "$value" != *[[:cntrl:]]* ]] || die "${file}:${n}: ${key} holds a control character"
    [[ -n "$value" ]] || continue # left empty: not known yet
    settings[${keys[$key]}]="$value"
  done <"$file"
  if [[ -v "settings[branch_id]" ]] && ! [[ "${settings[branch_id]}" =~ ^[a-z0-9][a-z0-9_-]{0,63}$ ]]; then
    die "${file}: BRANCH_ID must be lower-case letters, digits, - or _ (e.g. msk-01)"
  fi
  # TLS files named relative to the branch file are copied to /etc/branchbox/tls/.
  local setting path
  for setting in mqtt_ca mqtt_cert mqtt_key; do
    [[ -v "settings[$setting]" ]] || continue
    path="${settings[$setting]}"
    [[ "$path" == /* ]] || path="$(dirname "$file")/${path}"
    [[ -f "$path" ]] || die "${file}: ${setting^^} names ${path}, which does not exist"
    tls_files[$setting]="$path"
    settings[$setting]="/etc/branchbox/tls/$(basename "$path")"
  done
  if [[ -v "settings[ami_port]" ]] && ! [[ "${settings[ami_port]}" =~ ^[0-9]{1,5}$ ]]; then
    die "${file}: AMI_PORT must be a port number"
  fi
  if [[ -v "settings[ami_host]" ]] && [[ ! -v "settings[ami_username]" || ! -v "settings[ami_secret]" ]]; then
    die "${file}: AMI_HOST needs AMI_USERNAME and AMI_SECRET"
  fi
}
[[ -z "$branch_env" ]] || read_branch_env "$branch_env"

# Copies $1 to $2 with mode $3 unless $2 already has that content; atomic (rename in place).
put() {
  local from="$1" to="$2" mode="$3"
  if [[ -f "$to" ]] && cmp -s "$from" "$to"; then
    chmod "$mode" "$to"
    return 1
  fi
  mkdir -p "$(dirname "$to")"
  install -m "$mode" "$from" "${to}.new"
  mv -f "${to}.new" "$to"
}

# TOML basic string: backslash and double quote escaped (control characters are refused above).
toml_string() {
  local v="${1//\\/\\\\}"
  printf '"%s"' "${v//\"/\\\"}"
}

# The example with each SET_<section>_<key> value in place of that key's line, and a
# [pbx.ami] section appended when the branch has one.
render_config() {
  local name
  local -a overrides=()
  for name in "${!settings[@]}"; do
    [[ "$name" == ami_* ]] || overrides+=("SET_${name}=$(toml_string "${settings[$name]}")")
  done
  # shellcheck disable=SC2016 # an awk program: its $1 is awk's
  env "${overrides[@]}" awk '
    /^\[/ { section = $0; gsub(/^\[+|\]+$/, "", section) }
    /^[a-z_]+ = / {
      name = "SET_" section "_" $1
      if (name in ENVIRON) { print $1 " = " ENVIRON[name]; next }
    }
    { print }
  ' "${here}/branchbox.toml.example"
  if [[ -v "settings[ami_host]" ]]; then
    printf '\n[pbx.ami]\nhost = %s\nport = %s\nusername = %s\nsecret = %s\n' \
      "$(toml_string "${settings[ami_host]}")" "${settings[ami_port]:-5038}" \
      "$(toml_string "${settings[ami_username]}")" "$(toml_string "${settings[ami_secret]}")"
  fi
}

# --- the new binary and config, tried out before anything is written ------------------------

# A private scratch directory (mktemp -d: 0700): the binary runs from there, so /tmp must not
# be noexec; the new config (secrets) waits there until it is installed.
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
install -m 0755 "$binary" "${scratch}/branchbox"
# On a real install the binary must run here; a --root tree may be for another architecture.
runs_here=true
if ! ran="$("${scratch}/branchbox" version 2>&1)"; then
  runs_here=false
  if $real_install; then die "${binary} does not run on this machine (${ran}): pick the build for $(uname -m)"; fi
fi

config="${root}/etc/branchbox/branchbox.toml"
pending="" # the new config, when there is none yet
if [[ ! -e "$config" ]]; then
  [[ -v "settings[http_admin_token]" ]] || settings[http_admin_token]="$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
  pending="${scratch}/branchbox.toml"
  render_config >"$pending"
  # The binary reads it as the service will: a wrong value stops here, with the key at fault.
  if $runs_here && ! ran="$(BRANCHBOX_STORAGE_DIR="${scratch}/state" "${scratch}/branchbox" migrate --config "$pending" 2>&1)"; then
    die "the branch settings do not make a valid config: ${ran//$pending/branchbox.toml}"
  fi
fi

changed=false # whether the binary, a unit or the config changed, so the service must restart

# --- 1. the binary --------------------------------------------------------------------------

exe="${root}/usr/local/bin/branchbox"
if put "$binary" "$exe" 0755; then
  say "installed ${binary} as /usr/local/bin/branchbox"
  changed=true
fi

# --- 2. packages for the kiosk screen ------------------------------------------------------

if $real_install; then
  missing=()
  command -v cage >/dev/null 2>&1 || missing+=(cage)
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  # Debian's Cage is built with Xwayland support and will not start without it.
  command -v Xwayland >/dev/null 2>&1 || missing+=(xwayland)
  if ((${#missing[@]} > 0)); then
    say "installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  fi
fi

# --- 3. users -------------------------------------------------------------------------------

put "${here}/sysusers.d/branchbox.conf" "${root}/usr/lib/sysusers.d/branchbox.conf" 0644 || true
mkdir -p "${root}/etc"
systemd-sysusers --root="${root:-/}" "${root}/usr/lib/sysusers.d/branchbox.conf"
branchbox_gid="$(awk -F: '$1 == "branchbox" { print $3 }' "${root}/etc/group")"
[[ -n "$branchbox_gid" ]] || die "systemd-sysusers did not create the group branchbox"

# Root-owned, readable by the service's group (the files hold secrets). Without root (a
# --root install by a normal user) the ownership is left to whoever builds the image.
give_to_service() {
  chmod "$1" "$2"
  if ((EUID == 0)); then chown "0:${branchbox_gid}" "$2"; fi
}

# --- 4. the config, only if absent ----------------------------------------------------------

mkdir -p "${root}/etc/branchbox"
if [[ -z "$pending" ]]; then
  say "kept the existing /etc/branchbox/branchbox.toml"
  [[ -z "$branch_env" ]] || say "note: ${branch_env} was not applied (the config already exists)"
else
  if ((${#tls_files[@]} > 0)); then
    mkdir -p "${root}/etc/branchbox/tls"
    for setting in "${!tls_files[@]}"; do
      tls="${root}${settings[$setting]}"
      install -m 0640 "${tls_files[$setting]}" "$tls"
      give_to_service 0640 "$tls"
    done
  fi
  install -m 0600 "$pending" "${config}.new"
  give_to_service 0640 "${config}.new"
  mv -f "${config}.new" "$config"
  say "wrote /etc/branchbox/branchbox.toml (the admin token is in it: [http] admin_token)"
  changed=true
fi

# A key's value in the config's [section], unquoted; empty when absent.
config_value() {
  awk -v want_section="$1" -v want_key="$2" '
    /^\[/ { section = $0; gsub(/^\[+|\]+$/, "", section) }
    section == want_section && $1 == want_key && $2 == "=" {
      value = $0; sub(/^[^=]*= */, "", value); gsub(/^"|"$/, "", value); print value; exit
    }
  ' "$config"
}

# --- 5. units -------------------------------------------------------------------------------

units="${root}/etc/systemd/system"
for unit in branchbox.service branchbox-kiosk.service; do
  if put "${here}/systemd/${unit}" "${units}/${unit}" 0644; then
    say "installed ${unit}"
    changed=true
  fi
done
if put "${here}/kiosk-session.sh" "${root}/usr/local/lib/branchbox/kiosk-session.sh" 0755; then
  say "installed the kiosk session, /usr/local/lib/branchbox/kiosk-session.sh"
  changed=true
fi
listen="$(config_value http listen)"
port="${listen##*:}"
if [[ "$port" =~ ^[0-9]+$ ]] && ((port < 1024)); then
  if put "${here}/systemd/low-port.conf" "${units}/branchbox.service.d/low-port.conf" 0644; then
    changed=true
    say "http.listen is port ${port}: branchbox may bind it (CAP_NET_BIND_SERVICE)"
  fi
elif [[ -e "${units}/branchbox.service.d/low-port.conf" ]]; then
  rm -f "${units}/branchbox.service.d/low-port.conf"
  changed=true
  rmdir --ignore-fail-on-non-empty "${units}/branchbox.service.d"
fi
if $real_install; then
  systemctl daemon-reload
  systemctl --quiet enable branchbox.service branchbox-kiosk.service
else
  systemctl --root="$root" --quiet enable branchbox.service branchbox-kiosk.service
fi

# --- 6. no console blanking -----------------------------------------------------------------

blank="${root}/etc/default/grub.d/branchbox.cfg"
blank_new="$(mktemp)"
# shellcheck disable=SC2016 # the variable is GRUB's, expanded when update-grub reads the file
printf '%s\n' '# branchbox: the kiosk screen never blanks' \
  'GRUB_CMDLINE_LINUX_DEFAULT="${GRUB_CMDLINE_LINUX_DEFAULT} consoleblank=0"' >"$blank_new"
if put "$blank_new" "$blank" 0644 && $real_install && command -v update-grub >/dev/null 2>&1; then
  update-grub
fi
rm -f "$blank_new"

# --- 7. start, check, report ----------------------------------------------------------------

doctor_env=()
if $real_install; then
  # Restarted only when this run changed its binary or units; else started if it is not running.
  if $changed; then action=restart; else action=start; fi
  systemctl "$action" branchbox.service || say "branchbox did not start: journalctl -u branchbox tells why"
  systemctl start branchbox-kiosk.service || say "the kiosk screen did not start: journalctl -u branchbox-kiosk"
  doctor=(runuser -u branchbox -- "$exe")
else
  # As the unit would run it: the state directory is the tree's /var/lib/branchbox.
  doctor_env=(BRANCHBOX_STORAGE_DIR="${root}/var/lib/branchbox")
  doctor=("$exe")
fi
if ! ran="$("$exe" version 2>&1)"; then
  say "${exe} does not run on this machine (${ran}): doctor skipped"
elif env "${doctor_env[@]}" "${doctor[@]}" doctor --config "$config"; then
  say "doctor: every check passed"
else
  say "doctor found problems (above); fix them, then: systemctl restart branchbox"
fi

left=()
[[ "$(config_value branch id)" != "msk-01" ]] || left+=("[branch] id and name: this branch as headquarters knows it")
[[ -n "$(config_value mqtt url)" ]] || left+=("[mqtt] url, username/password or ca/cert/key: headquarters' broker")
grep -q '^\[pbx\.ami\]' "$config" || left+=("[pbx.ami] host, username, secret: the PBX (Asterisk AMI)")
if ((${#left[@]} > 0)); then
  echo
  echo "Left to configure in /etc/branchbox/branchbox.toml:"
  printf '  - %s\n' "${left[@]}"
  echo "then: systemctl restart branchbox && branchbox doctor"
fi
