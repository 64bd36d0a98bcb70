#!/usr/bin/env bash
# Runs every Gatehouse test. On a fresh Debian machine it first installs what the tests use:
# real remctl/remctld and a Kerberos KDC, python3-zmq (real libzmq peers), nats-server (benchmark
# smoke test), iproute2 and iptables (network-namespace tests), afl++ (short fuzz runs of
# tests/Gatehouse.Fuzz.Tests; see docs/fuzzing.md), zsh (the completion script is checked with it),
# systemd (systemd-analyze verifies the unit), lintian and dpkg-dev (the .deb is built and checked),
# prometheus (a real Prometheus server scrapes a gateway; promtool checks the exposition), chromium (the web
# console's browser tests drive it through Playwright; no browser is downloaded), etcd-server and
# etcd-client (a real 3-member etcd cluster for the etcd registry). Ends with one line:
#   N passed, N failed[, N skipped]
set -uo pipefail
cd "$(dirname "$0")"

packages=(remctl-server remctl-client python3-pyremctl python3-gssapi krb5-kdc krb5-admin-server krb5-user
          libgssapi-krb5-2 python3-zmq nats-server iproute2 iptables openssl procps afl++ zsh
          systemd lintian dpkg-dev prometheus chromium etcd-server etcd-client)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "test.sh: installing ${missing[*]}" >&2
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq >&2 && $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 \
        || { echo "test.sh: could not install ${missing[*]}" >&2; exit 1; }
fi

log=$(mktemp)
if [ $# -gt 0 ]; then
    dotnet test Gatehouse.slnx "$@" 2>&1 | tee "$log"
    status=${PIPESTATUS[0]}
else
    # The short afl runs go last, on their own: the suites run in parallel, and afl-fuzz started on
    # a machine loaded far beyond its cores has failed to start ("No instrumentation detected").
    dotnet test Gatehouse.slnx --filter "FullyQualifiedName!~Gatehouse.Fuzz.Tests.AflRunTests" 2>&1 | tee "$log"
    status=${PIPESTATUS[0]}
    dotnet test tests/Gatehouse.Fuzz.Tests --no-build --filter "FullyQualifiedName~Gatehouse.Fuzz.Tests.AflRunTests" 2>&1 | tee -a "$log"
    [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
fi

# Sum the per-project summary lines: "Passed!  - Failed: 0, Passed: 34, Skipped: 0, Total: 34, ..."
read -r passed failed skipped < <(grep -E '^(Passed|Failed)! +- Failed:' "$log" | sed -E 's/.*Failed: *([0-9]+), Passed: *([0-9]+), Skipped: *([0-9]+).*/\2 \1 \3/' \
    | awk '{p+=$1; f+=$2; s+=$3} END {print p+0, f+0, s+0}')
projects=$(grep -cE '^(Passed|Failed)! +- Failed:' "$log")
rm -f "$log"
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
    failed=1   # the build or a test host failed without a test failing: count it
fi
echo "test projects run: $projects"
if [ "$skipped" -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
else
    echo "$passed passed, $failed failed"
fi
exit "$status"
