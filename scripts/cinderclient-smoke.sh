#!/usr/bin/env bash
# Drives the real python-cinderclient (Debian's python3-cinderclient) against a running API in noauth
# mode and checks what it prints:
#   create → show (until available) → list → extend (until the new size) → metadata set/unset, rename
#   → set-bootable → readonly-mode-update → snapshot-create → snapshot-metadata set/unset
#   → create --snapshot-id → snapshot-delete → quota-show → quota-usage → type-list
#   → availability-zone-list → absolute-limits → service-list (admin) → type-create, type-key set/unset,
#   extra-specs-list, a create placed by volume_backend_name, type-update, type-delete (admin)
#   → attachment-create / -list / -show / -update / -complete / -delete (3.44) on a volume of its own,
#   its status checked after each → delete (until gone).
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

  step "set-bootable $id true/false"
  if run set-bootable "$id" true && run show "$id"; then
    [[ "$(field bootable)" == true ]] && ok "bootable true" || fail "bootable after set-bootable true: '$(field bootable)'"
  fi
  if run set-bootable "$id" false && run show "$id"; then
    [[ "$(field bootable)" == false ]] && ok "bootable false" || fail "bootable after set-bootable false: '$(field bootable)'"
  fi

  step "readonly-mode-update $id True/False"
  if run readonly-mode-update "$id" True && run show "$id"; then
    # The client prints metadata one key a line; readonly shows among them and as its own row.
    [[ "$(field readonly)" == True ]] && grep -Eq '\| *(metadata *)?\| *readonly : True *\|' <<<"$out" && ok "readonly True (in metadata)" ||
      fail "after readonly-mode-update True: readonly '$(field readonly)': $out"
  fi
  if run readonly-mode-update "$id" False && run show "$id"; then
    [[ "$(field readonly)" == False ]] && ok "readonly False" || fail "after readonly-mode-update False: readonly '$(field readonly)'"
  fi
  # metadata-show prints the volume's metadata as show has it: the flag is there, the user's keys kept.
  if run metadata-show "$id"; then
    [[ "$(field readonly)" == False && "$(field k2)" == v2 ]] && ok "metadata-show: readonly False, k2=v2" || fail "metadata-show after readonly-mode-update: $out"
  fi

  step "snapshot-create $id, create --snapshot-id, snapshot-delete"
  if run snapshot-create --name "$name-snap" "$id"; then
    sid="$(field id)"
    if [[ "$sid" =~ ^[0-9a-f-]{36}$ ]] && wait_for --snapshot "$sid" status available; then
      ok "snapshot $sid available"
      run snapshot-list && { grep -q "$sid" <<<"$out" && ok "snapshot-list shows it" || fail "snapshot-list: $out"; }
      if run snapshot-metadata "$sid" set s1=v1 s2=v2 && run snapshot-metadata "$sid" unset s1 && run snapshot-metadata-show "$sid"; then
        [[ "$(field s2)" == v2 && -z "$(field s1)" ]] && ok "snapshot metadata s2=v2 only" || fail "snapshot-metadata-show: $out"
      fi
      if run snapshot-show "$sid"; then
        [[ "$(field metadata)" == *"'s2': 'v2'"* && "$(field metadata)" != *s1* ]] && ok "snapshot-show metadata" || fail "snapshot-show metadata: '$(field metadata)'"
      fi
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

# wait_status ID WANT: polls `cinder show` until the status is WANT (error included, unlike wait_for).
wait_status() {
  local id="$1" want="$2" deadline=$((SECONDS + timeout_s)) got=""
  while ((SECONDS < deadline)); do
    if out="$(cinder show "$id" 2>/dev/null)"; then
      got="$(field status)"
      [[ "$got" == "$want" ]] && return 0
    fi
    sleep 0.25
  done
  fail "volume $id: status is '$got', expected '$want' within ${timeout_s}s"
  return 1
}

if [[ "$user" == admin ]]; then
  tname="$name-type"
  step "type-create $tname, type-key set/unset, extra-specs-list (admin)"
  tid=""
  if run type-create "$tname"; then
    tid="$(awk -F'|' -v n="$tname" '{ gsub(/ /, "", $2); gsub(/ /, "", $3) } $3 == n { print $2; exit }' <<<"$out")"
    [[ "$tid" =~ ^[0-9a-f-]{36}$ ]] && ok "type $tid" || fail "no type id in: $out"
  fi
  if [[ -n "$tid" ]]; then
    specs_of() { awk -F'|' -v t="$tid" '{ gsub(/ /, "", $2) } $2 == t { print $4; exit }' <<<"$out"; }
    if run type-key "$tname" set volume_backend_name=smoke-nowhere smoke_key=v1 && run extra-specs-list; then
      [[ "$(specs_of)" == *"'volume_backend_name': 'smoke-nowhere'"* && "$(specs_of)" == *"'smoke_key': 'v1'"* ]] &&
        ok "extra-specs-list shows both specs" || fail "extra-specs-list after type-key set: $(specs_of)"
    fi
    if run type-key "$tname" unset smoke_key && run extra-specs-list; then
      [[ "$(specs_of)" == *volume_backend_name* && "$(specs_of)" != *smoke_key* ]] && ok "type-key unset removed smoke_key" ||
        fail "extra-specs-list after type-key unset: $(specs_of)"
    fi

    step "create --volume-type $tname: placed by volume_backend_name"
    # No backend is called smoke-nowhere: the scheduler finds no valid host.
    if run create --volume-type "$tname" --name "$name-typed" 1; then
      tv="$(field id)"
      wait_status "$tv" error && ok "volume_backend_name smoke-nowhere: no valid backend (error)" || true
      run delete "$tv" && wait_gone "$tv" || true
    fi
    # Pointed at the backend the first volume landed on (host@backend#pool), the next create is placed there.
    backend=""
    if [[ -n "$id" ]] && run show "$id"; then backend="$(field os-vol-host-attr:host | sed -nE 's/^[^@]*@([^#]*)(#.*)?$/\1/p')"; fi
    if [[ -n "$backend" ]] && run type-key "$tname" set volume_backend_name="$backend" &&
      run create --volume-type "$tname" --name "$name-typed" 1; then
      tv="$(field id)"
      if wait_for "$tv" status available; then
        [[ "$(field os-vol-host-attr:host)" == *"@$backend"* ]] && ok "volume_backend_name $backend: placed on $(field os-vol-host-attr:host)" ||
          fail "host '$(field os-vol-host-attr:host)' is not on backend $backend"
        [[ "$(field volume_type)" == "$tname" ]] && ok "volume_type $tname" || fail "volume_type '$(field volume_type)'"
      fi
      # A type in use keeps its specs (Cinder's 400).
      if cinder type-key "$tname" unset volume_backend_name >/dev/null 2>"$errf"; then
        fail "type-key unset on a type in use succeeded"
      else
        grep -q "Volume Type is currently in use." "$errf" && ok "type in use: specs kept" || fail "type-key unset on a type in use: $(tr '\n' ' ' <"$errf")"
      fi
      run delete "$tv" && wait_gone "$tv" || true
    else
      [[ -n "$backend" ]] || fail "no backend name in the host of $id"
    fi

    step "type-update $tid: name, description, is_public"
    if run type-update --name "$tname-renamed" --description "smoke type" "$tid" && run type-show "$tid"; then
      [[ "$(field name)" == "$tname-renamed" && "$(field description)" == "smoke type" ]] && ok "renamed, described" ||
        fail "type-show after type-update: name '$(field name)', description '$(field description)'"
    fi
    if run type-update --is-public false "$tid" && run type-show "$tid"; then
      [[ "$(field is_public)" == False ]] && ok "is_public False" || fail "is_public after type-update: '$(field is_public)'"
    fi
    run type-delete "$tid" && run type-list && { grep -q "$tid" <<<"$out" && fail "type $tid still listed" || ok "type deleted"; }
  fi
fi

# The attachments API (3.27+, attachment-complete 3.44), as Nova drives it, on a volume of its own;
# the volume's status is checked after each step.
att_cmd=(--os-volume-api-version 3.44)
# expect_status VOLUME WANT AFTER: the volume's status (from `cinder show`) is WANT after step AFTER.
expect_status() {
  local got="" saved="$out"
  run show "$1" && got="$(field status)"
  out="$saved"
  [[ "$got" == "$2" ]] && ok "volume $3: $2" || fail "volume after $3: status '$got', expected '$2'"
}
step "attachment-create / -list / -show / -update / -complete / -delete (--os-volume-api-version 3.44)"
if run create --name "$name-att" 1; then
  av="$(field id)"
  server="$(cat /proc/sys/kernel/random/uuid)"
  if wait_for "$av" status available; then
    aid=""
    if run "${att_cmd[@]}" attachment-create "$av" "$server"; then
      aid="$(field id)"
      [[ "$aid" =~ ^[0-9a-f-]{36}$ && "$(field status)" == reserved && "$(field instance)" == "$server" ]] &&
        ok "attachment $aid reserved for $server" || fail "attachment-create printed: $out"
      expect_status "$av" reserved attachment-create
    fi
    if [[ -n "$aid" ]]; then
      if run "${att_cmd[@]}" attachment-list; then
        grep -Eq "\| *$aid *\| *$av *\| *reserved *\| *$server *\|" <<<"$out" && ok "attachment-list row" || fail "attachment-list: $out"
      fi
      if run "${att_cmd[@]}" attachment-list --volume-id "$av"; then
        grep -q "$aid" <<<"$out" && ok "attachment-list --volume-id" || fail "attachment-list --volume-id: $out"
      fi
      if run "${att_cmd[@]}" attachment-show "$aid"; then
        [[ "$(field volume_id)" == "$av" && "$(field status)" == reserved ]] && ok "attachment-show: reserved" || fail "attachment-show: $out"
      fi
      if run "${att_cmd[@]}" attachment-update --host smoke-host --mountpoint /dev/vdb "$aid"; then
        [[ "$(field driver_volume_type)" == local ]] && ok "attachment-update: connection_info (local)" || fail "attachment-update printed: $out"
        expect_status "$av" attaching attachment-update
      fi
      if run "${att_cmd[@]}" attachment-complete "$aid"; then
        expect_status "$av" in-use attachment-complete
        run show "$av" && { [[ "$(field attached_servers)" == *"$server"* ]] && ok "show: attached to $server" || fail "attached_servers '$(field attached_servers)'"; }
        run "${att_cmd[@]}" attachment-show "$aid" && { [[ "$(field status)" == attached ]] && ok "attachment-show: attached" || fail "attachment status '$(field status)'"; }
      fi
      # The client prints the server's refusal ("Delete for volume … failed: Invalid volume: …") and exits 1.
      if cinder delete "$av" >"$errf" 2>&1; then
        fail "delete of a volume with an attachment succeeded"
      else
        grep -q "Invalid volume" "$errf" && ok "delete refused while attached" || fail "delete while attached: $(tr '\n' ' ' <"$errf")"
      fi
      if run "${att_cmd[@]}" attachment-delete "$aid"; then
        expect_status "$av" available attachment-delete
      fi
    fi
    step "attachment-create --connect True, attachment-complete, attachment-delete"
    if run "${att_cmd[@]}" attachment-create --connect True --host smoke-host --mountpoint /dev/vdc "$av" "$server"; then
      aid="$(field id)"
      [[ "$(field driver_volume_type)" == local ]] && ok "connected at create (local)" || fail "attachment-create --connect printed: $out"
      expect_status "$av" attaching "attachment-create --connect"
      run "${att_cmd[@]}" attachment-complete "$aid" && expect_status "$av" in-use attachment-complete
      run "${att_cmd[@]}" attachment-delete "$aid" && expect_status "$av" available attachment-delete
      if run "${att_cmd[@]}" attachment-list --volume-id "$av"; then
        grep -q "$aid" <<<"$out" && fail "deleted attachment still listed" || ok "attachment-list: none left"
      fi
    fi
  fi
  run delete "$av" && wait_gone "$av" && ok "attachments volume deleted" || true
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
