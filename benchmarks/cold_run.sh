#!/usr/bin/env bash
# The cold run of `make all`, measured the way config/replication.yaml (runtime) states it:
# a fresh clone of this checkout's HEAD, a new .venv, empty uv and pip caches, the raw files
# copied from the offline mirror, one step after another (`make -s <target>` under
# /usr/bin/time). Prints, per step, wall-clock and CPU (user + sys) seconds and the peak resident
# set, then the total and the size of .venv, as YAML to paste into config/replication.yaml.
#
#   bash benchmarks/cold_run.sh            # clones into a temporary folder, removed afterwards
#   KEEP=1 bash benchmarks/cold_run.sh     # keep the clone (its path is printed)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/cold_run.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
git clone -q "$src" "$work/repo"
export UV_CACHE_DIR="$work/uv-cache" PIP_NO_CACHE_DIR=1
# the clone is not beside ../shared: point it at the checkout's mirror (or the one given)
export ANALYSIS_MIRROR="${ANALYSIS_MIRROR:-$(cd "$src/.." && pwd)/shared/data-sources}"
cd "$work/repo"
steps=(install fetch panel code models simulate report replication)
declare -A target=([install]=.venv/.installed [fetch]=fetch [panel]=panel [code]=code
  [models]=models [simulate]=simulate [report]=report [replication]=replication)
total=0
peak=0
{
  echo "seconds:"
  for s in "${steps[@]}"; do
    /usr/bin/time -f "%e %U %S %M" -o "$work/$s.time" make -s "${target[$s]}" >"$work/$s.log" 2>&1 ||
      { echo "step $s failed; its output: $work/$s.log" >&2; KEEP=1; exit 1; }
    read -r wall user sys rss <"$work/$s.time"
    echo "  $s: $wall"
    echo "$s $(echo "$user + $sys" | bc) $rss" >>"$work/cpu"
    [ "$s" = replication ] || total=$(echo "$total + $wall" | bc)
    [ "$rss" -gt "$peak" ] && peak=$rss
  done
  echo "cpu_seconds:"
  while read -r s cpu _; do echo "  $s: $cpu"; done <"$work/cpu"
  echo "peak_memory_mb: $((peak / 1024))"
  echo "venv_mb: $(du -sm .venv | cut -f1)"
  echo "# make all (install to report): $total s; python $(.venv/bin/python -c 'import platform; print(platform.python_version())')"
  echo "# load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
}
[ -z "${KEEP:-}" ] || echo "clone kept: $work/repo" >&2
