#!/bin/sh
# The production module carries no fault-injection hook (lib/fault.hpp): neither the symbol nor the
# environment variable names. The test module must carry both, so this check can fail.
#   check_no_fault_hook.sh PRODUCTION_MODULE FAULT_MODULE
set -eu
prod=$1 fault=$2
status=0
for module in "$prod" "$fault"; do
  [ -r "$module" ] || { echo "FAIL: $module not readable"; exit 1; }
done
has_hook() {
  nm -C "$1" 2>/dev/null | grep -q 'cgfs::fault::point' ||
    strings -a "$1" | grep -q 'CGFS_FAULT_AT'
}
if has_hook "$prod"; then
  echo "FAIL: $prod contains the fault-injection hook:"
  nm -C "$prod" | grep 'cgfs::fault' || true
  strings -a "$prod" | grep 'CGFS_FAULT' || true
  status=1
fi
for what in symbol string; do
  case $what in
    symbol) nm -C "$fault" | grep -q 'cgfs::fault::point' ;;
    string) strings -a "$fault" | grep -q 'CGFS_FAULT_AT' ;;
  esac || { echo "FAIL: the test module $fault has no fault-injection $what (the check would be blind)"; status=1; }
done
[ $status -eq 0 ] && echo "ok: $prod has no fault-injection hook; $fault has it"
exit $status
