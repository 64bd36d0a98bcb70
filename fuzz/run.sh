#!/usr/bin/env bash
# Runs Gatehouse's fuzz targets under afl-fuzz (docs/fuzzing.md).
#
#   fuzz/run.sh TARGET SECONDS     fuzz one target for SECONDS
#   fuzz/run.sh all SECONDS        fuzz every target in turn, SECONDS each (one core at a time)
#   fuzz/run.sh list               the targets
#   fuzz/run.sh canary SECONDS     self-test: a target with a planted crash; must exit 1 reporting it
#
# Steps: publishes fuzz/Gatehouse.Fuzz (Release) and instruments the Gatehouse assemblies in the
# publish folder with SharpFuzz's `sharpfuzz` tool (the local dotnet tool of .config/dotnet-tools.json),
# unless a previous run already did so and no source changed since; then runs
#   afl-fuzz -i fuzz/corpus/TARGET -o OUT/findings/TARGET -V SECONDS -- Gatehouse.Fuzz TARGET
# and prints one line per target from afl's fuzzer_stats: executions, executions per second, crashes,
# hangs. Crashing and hanging inputs are copied to OUT/crashes/TARGET/. Exits 1 if any target found a
# crash or a hang, 2 on a usage or setup error.
#
# OUT is $GATEHOUSE_FUZZ_OUT, default ${TMPDIR:-/tmp}/gatehouse-fuzz (outside the repository).
# Each run starts from the seed corpus with a fresh findings folder; GATEHOUSE_FUZZ_RESUME=1 resumes
# the previous findings of a target instead (its queue carries the coverage already found).
#
# Environment this script sets for afl-fuzz and the target (nothing on the system is changed):
#   AFL_SKIP_CPUFREQ=1        do not insist on the 'performance' CPU governor
#   AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1   accept a core_pattern that pipes cores elsewhere
#                             (afl otherwise asks to rewrite /proc/sys/kernel/core_pattern; we do not)
#   AFL_SKIP_BIN_CHECK=1      the native apphost carries no afl instrumentation (SharpFuzz's IL does)
#   AFL_NO_AFFINITY=1         do not pin to a core: the machine is shared
#   AFL_NO_UI=1               plain log instead of the status screen (OUT/logs/TARGET.log)
#   AFL_FAST_CAL=1            shorter calibration, so short CI runs spend their time fuzzing
#   AFL_FORKSRV_INIT_TMOUT=60000   the .NET runtime may take a while to start on a loaded machine
#   DOTNET_GCHeapHardLimit=0x40000000   1 GiB heap: a runaway allocation becomes an OutOfMemoryException (a crash)
set -uo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
out="${GATEHOUSE_FUZZ_OUT:-${TMPDIR:-/tmp}/gatehouse-fuzz}"
bin="$out/bin"
stamp="$bin/.instrumented"
targets=(frame-reader request-header control-payloads remctl-token remctl-message remctl-v1 remctl-conf
         remctl-acl authorized-peers known-hosts zeromq-reply nodeset)

usage() {
    echo "usage: fuzz/run.sh TARGET|all SECONDS | list" >&2
    echo "targets: ${targets[*]}" >&2
    exit 2
}

if [ "${1:-}" = "list" ]; then
    printf '%s\n' "${targets[@]}"
    exit 0
fi
[ $# -eq 2 ] || usage
what="$1"
duration="$2"
[[ "$duration" =~ ^[0-9]+$ ]] && [ "$duration" -gt 0 ] || usage
if [ "$what" = "all" ]; then
    run=("${targets[@]}")
else
    found=0
    for t in "${targets[@]}" canary; do [ "$t" = "$what" ] && found=1; done
    [ "$found" -eq 1 ] || usage
    run=("$what")
fi

command -v afl-fuzz >/dev/null || { echo "run.sh: afl-fuzz not found (apt-get install afl++)" >&2; exit 2; }

# Build and instrument only when a source file is newer than the last instrumented build.
needs_build=1
if [ -f "$stamp" ]; then
    newer=$(find "$root/src" "$root/fuzz/Gatehouse.Fuzz" "$root/fuzz/run.sh" "$root/Directory.Build.props" "$root/Directory.Packages.props" \
        \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' -o -name run.sh \) -not -path '*/obj/*' -not -path '*/bin/*' \
        -newer "$stamp" -print -quit)
    [ -z "$newer" ] && needs_build=0
fi
if [ "$needs_build" -eq 1 ]; then
    echo "run.sh: publishing and instrumenting into $bin" >&2
    rm -rf "$bin"
    mkdir -p "$out/logs"
    if ! dotnet publish "$root/fuzz/Gatehouse.Fuzz/Gatehouse.Fuzz.csproj" -c Release -o "$bin" >"$out/logs/publish.log" 2>&1; then
        tail -20 "$out/logs/publish.log" >&2
        echo "run.sh: publish failed (log: $out/logs/publish.log)" >&2
        exit 2
    fi
    (cd "$root" && dotnet tool restore >/dev/null) || { echo "run.sh: dotnet tool restore failed" >&2; exit 2; }
    for dll in "$bin"/Gatehouse.*.dll; do
        # The harness itself is not instrumented, except the canary's planted bug.
        prefix=()
        [ "$(basename "$dll")" = "Gatehouse.Fuzz.dll" ] && prefix=(Gatehouse.Fuzz.Targets.CanaryBug)
        if ! (cd "$root" && dotnet sharpfuzz "$dll" "${prefix[@]}" >>"$out/logs/publish.log" 2>&1); then
            echo "run.sh: sharpfuzz could not instrument $dll (log: $out/logs/publish.log)" >&2
            exit 2
        fi
    done
    touch "$stamp"
fi

export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_BIN_CHECK=1 AFL_NO_AFFINITY=1 \
       AFL_NO_UI=1 AFL_FAST_CAL=1 AFL_FORKSRV_INIT_TMOUT=60000 DOTNET_GCHeapHardLimit=0x40000000

stat() { # stat FILE KEY -> value
    sed -n "s/^$2 *: *//p" "$1" | head -1
}

status=0
mkdir -p "$out/findings" "$out/logs" "$out/crashes"
for t in "${run[@]}"; do
    findings="$out/findings/$t"
    if [ "${GATEHOUSE_FUZZ_RESUME:-0}" = "1" ] && [ -d "$findings/default" ]; then
        input="-"
    else
        rm -rf "$findings"
        input="$root/fuzz/corpus/$t"
    fi
    log="$out/logs/$t.log"
    stats="$findings/default/fuzzer_stats"
    for attempt in 1 2 3; do
        # -t 5000: an input that takes over 5 s is a hang; -m none: the heap limit above bounds memory.
        afl-fuzz -i "$input" -o "$findings" -V "$duration" -t 5000 -m none -- "$bin/Gatehouse.Fuzz" "$t" >"$log" 2>&1
        rc=$?
        # On a heavily loaded machine afl has (rarely) seen an empty coverage map for its very
        # first dry run and aborted with "No instrumentation detected" (cause not found; the same
        # binary then starts normally). Start again from scratch, at most twice.
        if [ -f "$stats" ] || ! grep -q "No instrumentation detected" "$log"; then
            break
        fi
        echo "run.sh: $t: afl saw no instrumentation on its first run (attempt $attempt); starting again" >&2
        [ "$input" = "-" ] || rm -rf "$findings"
        sleep 1
    done
    if [ ! -f "$stats" ]; then
        tail -15 "$log" >&2
        echo "$t: afl-fuzz did not start (exit $rc; log: $log)"
        status=1
        continue
    fi
    execs=$(stat "$stats" execs_done)
    runtime=$(stat "$stats" run_time)
    crashes=$(stat "$stats" saved_crashes); crashes=${crashes:-$(stat "$stats" unique_crashes)}
    hangs=$(stat "$stats" saved_hangs); hangs=${hangs:-$(stat "$stats" unique_hangs)}
    corpus=$(stat "$stats" corpus_count)
    rate=$(awk -v e="$execs" -v s="$runtime" 'BEGIN { printf "%d", (s > 0 ? e / s : 0) }')
    echo "$t: $execs executions, $rate exec/s, ${crashes:-0} crashes, ${hangs:-0} hangs (${runtime}s, corpus $corpus)"
    if [ "${crashes:-0}" -gt 0 ] || [ "${hangs:-0}" -gt 0 ]; then
        mkdir -p "$out/crashes/$t"
        cp "$findings"/default/crashes/id* "$findings"/default/hangs/id* "$out/crashes/$t/" 2>/dev/null
        echo "$t: inputs in $out/crashes/$t; replay: dotnet run --project fuzz/Gatehouse.Fuzz -- replay $t $out/crashes/$t"
        status=1
    elif [ "$rc" -ne 0 ]; then
        tail -15 "$log" >&2
        echo "$t: afl-fuzz exited with $rc (log: $log)"
        status=1
    fi
done
exit "$status"
