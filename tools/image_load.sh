#!/usr/bin/env bash
# The image under a 1 GiB memory limit with the heavy scenario of `deno task test:load`: built and
# started by ../shared/tools/container-check (as SageMaker starts it: `IMAGE serve`, port 8080 on
# loopback), then 16 clients send 6 MB CSV bodies. Fails when a rule breaks: /ping < 2 s, every
# answer 200 or JSON 503, no OOM kill in the container's memory cgroup, RSS back down after.
# Usage: bash tools/image_load.sh [PORT]   (default 18081; needs root, podman, as check.sh does)
set -euo pipefail
cd "$(dirname "$0")/.."
port="${1:-18081}"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! bash ../shared/tools/container-check/check.sh --keep --memory 1g -p "$port" \
  -m models -d container/examples/passengers.json . >"$log" 2>&1; then
  tail -40 "$log"
  exit 1
fi
name="$(grep -o 'podman rm -f [^ ]*' "$log" | tail -1 | awk '{print $4}')"
[ -n "$name" ] || { tail -40 "$log"; echo "no container name in check.sh's output" >&2; exit 1; }
trap 'podman rm -f "$name" >/dev/null 2>&1 || true; rm -f "$log"' EXIT
pid="$(podman inspect --format '{{.State.Pid}}' "$name")"
# What the server found: the admission budget must come from the container's 1 GiB.
# Read once, then searched: `podman logs | grep -q` fails under pipefail when grep stops reading
# before podman has written everything (SIGPIPE), which happened in a cold CI run.
podman logs "$name" >"$log.server" 2>&1
trap 'podman rm -f "$name" >/dev/null 2>&1 || true; rm -f "$log" "$log.server"' EXIT
grep '"admission limits' "$log.server" || true
grep -q '"memory_source":"cgroup' "$log.server" || {
  echo "the server did not read the container's memory limit" >&2
  exit 1
}
deno task test:load --url "http://127.0.0.1:$port" --pid "$pid"
