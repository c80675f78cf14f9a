#!/usr/bin/env bash
# The gateway's rooms include only the rooms they may use (ARCHITECTURE.md). CMake already makes
# a wrong include fail to compile (each room sees only its declared rooms' include/ folders);
# this check also fails when someone widens a room's ROOMS list in gateway/CMakeLists.txt, and
# when a file outside the store room includes a database API.
set -euo pipefail
root="${1:-$(dirname "$0")/..}"
declare -A allowed=(
  [http]=""
  [store]=""
  [node]="http store"
  [evidence]="store http"
  [ca]="store http"
  [app]="node evidence ca store http"
  [cli]="app node evidence ca store http"
)
bad=0
for room in "${!allowed[@]}"; do
  dir="$root/gateway/src/$room"
  [ -d "$dir" ] || { echo "check-rooms: missing room folder $dir"; bad=1; continue; }
  while IFS=: read -r file line text; do
    used=$(sed -E 's#.*"lienthong/gateway/([a-z_]+)/.*#\1#' <<<"$text")
    [ "$used" = "$room" ] && continue
    case " ${allowed[$room]} " in
      *" $used "*) ;;
      *) echo "check-rooms: $file:$line: room '$room' includes room '$used' (allowed: ${allowed[$room]:-none})"; bad=1;;
    esac
  done < <(grep -rnE '#include "lienthong/gateway/[a-z_]+/' "$dir" --include='*.h' --include='*.cpp' || true)
  # The CMake ROOMS list of the room must not name a room outside its allowed set either.
  decl=$(grep -E "^lienthong_room\($room( |\))" "$root/gateway/CMakeLists.txt" | sed -nE 's/.*ROOMS ([a-z ]+)( PRIVATE.*|\))$/\1/p')
  for used in $decl; do
    case " ${allowed[$room]} " in
      *" $used "*) ;;
      *) echo "check-rooms: gateway/CMakeLists.txt: room '$room' links room '$used' (allowed: ${allowed[$room]:-none})"; bad=1;;
    esac
  done
done
# SQL only in the store: no other room, nor schemas, signing or adapters, includes a database API.
while IFS=: read -r file line text; do
  case "$file" in "$root/gateway/src/store/"*) continue ;; esac
  echo "check-rooms: $file:$line: only the store room talks to a database ($text)"
  bad=1
done < <(grep -rnE '#include [<"](Poco/Data/|sqlite3\.h|libpq-fe\.h|postgresql/)' "$root/gateway/src" \
           "$root/schemas" "$root/signing" "$root/adapters" --include='*.h' --include='*.cpp' || true)
[ $bad -eq 0 ] && echo "check-rooms: every room includes only the rooms it may use; only the store talks to a database"
exit $bad
