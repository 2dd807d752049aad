#!/usr/bin/env bash
# Drives the real python-cinderclient (Debian's python3-cinderclient) against a running API in noauth
# mode and checks what it prints:
#   create → show (until available) → list → extend (until the new size) → metadata set/unset, rename
#   → snapshot-create → create --snapshot-id → snapshot-delete → quota-show → quota-usage → type-list
#   → availability-zone-list → absolute-limits → service-list (admin) → delete (until gone).
#
# Usage: scripts/cinderclient-smoke.sh ENDPOINT [PROJECT_ID] [USER_ID]
#   ENDPOINT    the volume endpoint, with or without the project:
#               http://127.0.0.1:8776/v3  (the client then uses project-less URLs, /v3/volumes …)
#               http://127.0.0.1:8776/v3/<project>  (classic /v3/<project>/volumes URLs)
#   PROJECT_ID  default: the project in ENDPOINT, else a1b2c3d4e5f60718293a4b5c6d7e8f90
#   USER_ID     default: admin
# Env: SMOKE_TIMEOUT_S (default 60) bounds each wait; SMOKE_DEBUG=1 passes --debug to every command.
#
# The client in noauth mode (cinderclient/contrib/noauth.py): OS_AUTH_TYPE=noauth (or --os-auth-type
# noauth), CINDER_ENDPOINT (or --os-endpoint), OS_USER_ID, OS_PROJECT_ID. It sends
# `X-Auth-Token: <user>:<project>` and negotiates the microversion with GET / (min(server max, 3.70)).
# Install the client with: apt-get install -y python3-cinderclient
set -euo pipefail

endpoint="${1:?usage: $0 ENDPOINT [PROJECT_ID] [USER_ID]}"
endpoint="${endpoint%/}"
url_project="$(sed -nE 's#.*/v3/([0-9a-f-]+)$#\1#p' <<<"$endpoint")"
project="${2:-${url_project:-a1b2c3d4e5f60718293a4b5c6d7e8f90}}"
user="${3:-admin}"
timeout_s="${SMOKE_TIMEOUT_S:-60}"

command -v cinder >/dev/null || { echo "cinder CLI not found: apt-get install -y python3-cinderclient" >&2; exit 2; }

export OS_AUTH_TYPE=noauth CINDER_ENDPOINT="$endpoint" OS_USER_ID="$user" OS_PROJECT_ID="$project"
unset OS_AUTH_URL OS_USERNAME OS_PASSWORD OS_PROJECT_NAME OS_VOLUME_API_VERSION 2>/dev/null || true

passed=0
failed=0
errf="$(mktemp)"
trap 'rm -f "$errf"' EXIT
debug=()
[[ "${SMOKE_DEBUG:-0}" == 1 ]] && debug=(--debug)

step() { printf '== %s\n' "$*"; }
ok() { passed=$((passed + 1)); printf '   ok: %s\n' "$*"; }
fail() { failed=$((failed + 1)); printf '   FAIL: %s\n' "$*" >&2; }

# Runs cinder, keeping stdout in $out; a non-zero exit is a failure of the step.
run() {
  local rc=0
  out="$(cinder "${debug[@]}" "$@" 2>"$errf")" || rc=$?
  if [[ $rc -ne 0 ]]; then
    fail "cinder $* exited $rc: $(tr '\n' ' ' <"$errf")"
    return 1
  fi
}

# The value of a "| key | value |" row of a print_dict table.
field() { awk -F'|' -v k="$1" '{ gsub(/^ +| +$/, "", $2); gsub(/^ +| +$/, "", $3) } $2 == k { print $3; exit }' <<<"$out"; }

# wait_for [--snapshot] ID FIELD WANT: polls `cinder show` (`snapshot-show`) until FIELD equals WANT.
wait_for() {
  local show=show what=volume
  [[ "$1" == --snapshot ]] && { show=snapshot-show what=snapshot; shift; }
  local id="$1" key="$2" want="$3" deadline=$((SECONDS + timeout_s)) got=""
  while ((SECONDS < deadline)); do
    if out="$(cinder "$show" "$id" 2>/dev/null)"; then
      got="$(field "$key")"
      [[ "$got" == "$want" ]] && return 0
      [[ "$got" == error* ]] && break
    fi
    sleep 0.25
  done
  fail "$what $id: $key is '$got', expected '$want' within ${timeout_s}s"
  return 1
}

# wait_gone [--snapshot] ID: polls until `cinder show` (`snapshot-show`) says it does not exist.
wait_gone() {
  local show=show what=volume
  [[ "$1" == --snapshot ]] && { show=snapshot-show what=snapshot; shift; }
  local id="$1" deadline=$((SECONDS + timeout_s))
  while ((SECONDS < deadline)); do
    if ! cinder "$show" "$id" >/dev/null 2>"$errf"; then
      grep -q "No $what with a name or ID of '$id' exists." "$errf" && return 0
    fi
    sleep 0.25
  done
  fail "$what $id still there after ${timeout_s}s"
  return 1
}

name="smoke-$(date +%s)-$$"

step "create --name $name 1"
if run create --name "$name" 1; then
  id="$(field id)"
  status="$(field status)"
  if [[ "$id" =~ ^[0-9a-f-]{36}$ ]]; then ok "created $id"; else fail "no volume id in: $out"; fi
  [[ "$status" == creating || "$status" == available ]] && ok "status $status" || fail "status '$status'"
  [[ "$(field size)" == 1 ]] && ok "size 1" || fail "size '$(field size)'"
  [[ "$(field name)" == "$name" ]] && ok "name $name" || fail "name '$(field name)'"
  [[ "$(field bootable)" == false ]] && ok "bootable false" || fail "bootable '$(field bootable)'"
else
  id=""
fi

if [[ -n "$id" ]]; then
  step "show $id (until available)"
  wait_for "$id" status available && ok "available" || true

  step "list"
  if run list; then
    grep -q "$id" <<<"$out" && ok "lists $id" || fail "list does not show $id"
    grep -Eq "\| *$id *\| *available *\| *$name *\| *1 *\|" <<<"$out" && ok "row: available, $name, 1 GB" || fail "list row for $id: $(grep "$id" <<<"$out" || true)"
  fi

  step "extend $id 2"
  if run extend "$id" 2; then
    ok "extend accepted"
    wait_for "$id" size 2 && wait_for "$id" status available && ok "size 2, available" || true
  fi

  step "metadata $id set k1=v1 k2=v2, unset k1; rename"
  if run metadata "$id" set k1=v1 k2=v2 && run metadata "$id" unset k1 && run metadata-show "$id"; then
    [[ "$(field k2)" == v2 && -z "$(field k1)" ]] && ok "metadata k2=v2 only" || fail "metadata-show: $out"
  fi
  if run rename "$id" "$name-renamed" && run show "$id"; then
    [[ "$(field name)" == "$name-renamed" ]] && ok "renamed" || fail "name after rename: '$(field name)'"
  fi

  step "snapshot-create $id, create --snapshot-id, snapshot-delete"
  if run snapshot-create --name "$name-snap" "$id"; then
    sid="$(field id)"
    if [[ "$sid" =~ ^[0-9a-f-]{36}$ ]] && wait_for --snapshot "$sid" status available; then
      ok "snapshot $sid available"
      run snapshot-list && { grep -q "$sid" <<<"$out" && ok "snapshot-list shows it" || fail "snapshot-list: $out"; }
      if run create --snapshot-id "$sid" --name "$name-from-snap" 2; then
        cid="$(field id)"
        [[ "$(field snapshot_id)" == "$sid" ]] && ok "volume from snapshot records it" || fail "snapshot_id '$(field snapshot_id)'"
        wait_for "$cid" status available && ok "volume from snapshot available" || true
        run delete "$cid" && wait_gone "$cid" && ok "volume from snapshot deleted" || true
      fi
    else
      [[ "$sid" =~ ^[0-9a-f-]{36}$ ]] || fail "no snapshot id in: $out"
    fi
    if [[ -n "$sid" ]]; then
      run snapshot-delete "$sid" && wait_gone --snapshot "$sid" && ok "snapshot deleted" || true
    fi
  fi
fi

step "quota-show $project"
if run quota-show "$project"; then
  for key in volumes gigabytes snapshots per_volume_gigabytes; do
    [[ "$(field "$key")" =~ ^-?[0-9]+$ ]] && ok "$key = $(field "$key")" || fail "quota-show has no integer '$key'"
  done
fi

step "quota-usage $project"
if run quota-usage "$project"; then
  in_use="$(awk -F'|' '{ gsub(/ /, "", $2); gsub(/ /, "", $3) } $2 == "volumes" { print $3; exit }' <<<"$out")"
  if [[ -n "$id" ]]; then
    [[ "$in_use" =~ ^[0-9]+$ && "$in_use" -ge 1 ]] && ok "volumes in use: $in_use" || fail "volumes In_use '$in_use' (expected >= 1)"
  else
    [[ "$in_use" =~ ^[0-9]+$ ]] && ok "volumes in use: $in_use" || fail "volumes In_use '$in_use'"
  fi
fi

step "type-list"
if run type-list; then
  grep -q '__DEFAULT__' <<<"$out" && ok "__DEFAULT__ listed" || fail "type-list has no __DEFAULT__: $out"
fi

step "availability-zone-list"
if run availability-zone-list; then
  grep -Eq '\| *nova *\| *available *\|' <<<"$out" && ok "nova available" || fail "availability-zone-list: $out"
fi

step "absolute-limits"
if run absolute-limits; then
  grep -Eq '\| *maxTotalVolumes *\| *-?[0-9]+ *\|' <<<"$out" && ok "maxTotalVolumes listed" || fail "absolute-limits: $out"
fi

if [[ "$user" == admin ]]; then
  step "service-list (admin)"
  if run service-list; then
    grep -Eq '\| *cinder-scheduler *\|.*\| *up *\|' <<<"$out" && ok "cinder-scheduler up" || fail "service-list: $out"
    grep -Eq '\| *cinder-volume *\|.*\| *up *\|' <<<"$out" && ok "cinder-volume up" || fail "service-list: $out"
  fi
fi

if [[ -n "$id" ]]; then
  step "delete $id (until gone)"
  if run delete "$id"; then
    grep -q "Request to delete volume $id has been accepted." <<<"$out" && ok "delete accepted" || fail "delete said: $out"
    wait_gone "$id" && ok "gone (404)" || true
  fi
fi

printf '%d passed, %d failed\n' "$passed" "$failed"
[[ $failed -eq 0 ]]
