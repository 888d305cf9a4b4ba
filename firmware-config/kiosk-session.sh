#!/usr/bin/env bash
# The kiosk screen's session: branchbox-kiosk.service runs it, install.sh puts it in
# /usr/local/lib/branchbox/.
#
#   kiosk-session.sh COMMAND... http://HOST:PORT/
#
# Waits until the box serves its kiosk page at the URL, then runs COMMAND... --lang=LANG URL with
# LANGUAGE=LANG in its environment, LANG being the page's <html lang>: the box's kiosk.language.
# It is asked of the box because the config file holds secrets and the kiosk's user may not read
# it. COMMAND is Cage running Chromium (the unit's ExecStart); Cage passes the environment on.
#
# Why wait before Chromium starts: sent to a box that does not answer, Chromium shows its own
# English "This site can't be reached", a page without the kiosk's own retrying
# (web/kiosk-offline.js), and stays there; a box that starts late or not at all would leave the
# screen on it. Once the kiosk page is loaded, a box that goes away is the page's business: it
# stays, greyed, says so in the kiosk's language and recovers by itself. While this waits, the
# screen stays dark (Cage has not started) and the journal says what it waits for.
set -euo pipefail

usage() {
  echo "usage: kiosk-session.sh COMMAND... http://HOST:PORT/" >&2
  exit 2
}
(($# >= 2)) || usage
url="${!#}"
command=("${@:1:$#-1}")
[[ "$url" =~ ^http://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:([0-9]+))?(/[^[:space:]]*)?$ ]] || usage
authority="${BASH_REMATCH[1]}${BASH_REMATCH[2]}"
address="${BASH_REMATCH[1]#[}"
address="${address%]}"
port="${BASH_REMATCH[3]:-80}"
path="${BASH_REMATCH[4]:-/}"

# The kiosk page's language, printed when the box answers 200 with <html lang="…"> within 5 s.
# bash's /dev/tcp: the appliance may have no curl.
page_language() {
  local reply pattern='<html lang="([A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*)"'
  # shellcheck disable=SC2016 # expanded by the inner bash, from its arguments
  reply="$(timeout 5 bash -c 'exec 3<>"/dev/tcp/$1/$2" &&
    printf "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" "$3" "$4" >&3 &&
    head -c 16384 <&3' _ "$address" "$port" "$path" "$authority" 2>/dev/null)" || return 1
  [[ "$reply" == "HTTP/1."[01]" 200 "* && "$reply" =~ $pattern ]] || return 1
  echo "${BASH_REMATCH[1]}"
}

waited=false
until language="$(page_language)"; do
  if ! $waited; then
    echo "kiosk-session: waiting for the kiosk page at ${url} before starting the screen" >&2
    waited=true
  fi
  sleep 1
done
echo "kiosk-session: ${url} answers; starting the screen in language ${language}" >&2
export LANGUAGE="$language"
exec "${command[@]}" "--lang=${language}" "$url"
