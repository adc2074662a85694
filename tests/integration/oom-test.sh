#!/bin/bash
# Out of memory at every allocation of an open, in a C host (tests/integration/oom_host.c): for
# N = 1, 2, ... the N-th malloc of pam_open_session fails. Every open must return (PAM_BUF_ERR,
# PAM_SESSION_ERR or PAM_SUCCESS from the module; PAM_SYSTEM_ERR from libpam's own allocations;
# any other code fails the test), leave the process in its cgroups of before after close, and
# leave nothing of alice's; the host must never crash (pam_cgfs(8) RETURN VALUES: out of memory is
# PAM_BUF_ERR).
# One throwaway container per layout (v1 and hybrid: several hierarchies; v2 has one).
#   oom-test.sh SANDBOX OOM_HOST MODULE
set -euo pipefail
sandbox=$1 host=$2 module=$3
fail=0
for layout in v1 hybrid; do
  out=$("$sandbox" --layout "$layout" -- bash -c "
    mkdir -p /tmp/oom-pam.d
    echo 'session required $module -c freezer,memory,name=systemd' > /tmp/oom-pam.d/oom
    $host /tmp/oom-pam.d oom alice /sys/fs/cgroup/freezer /sys/fs/cgroup/memory /sys/fs/cgroup/systemd
    echo exit=\$?" 2>&1) || true
  summary=$(grep -E '^tried failing allocation' <<<"$out" || true)
  if grep -qx 'exit=0' <<<"$out" && [ -n "$summary" ]; then
    echo "oom $layout: ok: $summary"
  else
    echo "oom $layout: FAILED"
    echo "$out" | tail -20
    fail=1
  fi
done
exit $fail
