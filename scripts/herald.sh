#!/usr/bin/env bash
# The one entry point behind every npm script of Herald.
#
# 1. Makes sure a Node.js >= 22.19 runs the project. When the machine's Node is older (Node 20
#    is past its end of life), it fetches the npm package node-linux-<arch>@NODE_PIN into
#    .herald/cache once and puts it first on PATH, for npm and for everything npm runs.
# 2. Installs the dependencies when package-lock.json changed since the last install.
# 3. Runs the stack tool (start, stack, test, dev), a command against the local stack
#    (with-stack ...: the operator's CLIs) or any command (exec ...).
set -euo pipefail

NODE_PIN=24.21.0

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export HERALD_HOME=${HERALD_HOME:-$root/.herald}
cache=$HERALD_HOME/cache

die() {
  echo "herald: $*" >&2
  exit 1
}

node_is_recent() {
  "$1" -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 19) ? 0 : 1)' 2>/dev/null
}

ensure_node() {
  if command -v node >/dev/null 2>&1 && node_is_recent node; then
    return
  fi
  local arch
  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) die "no Node.js >= 22.19 on this machine and no prebuilt Node for $(uname -m): install Node.js 24" ;;
  esac
  local dir=$cache/node-v$NODE_PIN-linux-$arch
  if [ ! -x "$dir/bin/node" ]; then
    command -v npm >/dev/null 2>&1 || die "npm is missing: install Node.js with npm (any version); Herald fetches Node $NODE_PIN itself"
    echo "herald: Node $(node --version 2>/dev/null || echo '(none)') is older than 22.19; fetching Node $NODE_PIN (npm package node-linux-$arch) into $dir" >&2
    local tmp
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack "node-linux-$arch@$NODE_PIN" --silent >/dev/null 2>&1) ||
      die "could not fetch node-linux-$arch@$NODE_PIN from the npm registry (is the registry reachable?)"
    tar xzf "$tmp"/node-linux-*.tgz -C "$tmp"
    mkdir -p "$cache"
    rm -rf "$dir"
    mv "$tmp/package" "$dir"
    rm -rf "$tmp"
  fi
  export PATH="$dir/bin:$PATH"
  node_is_recent node || die "the fetched Node in $dir does not run on this machine"
}

ensure_dependencies() {
  local stamp=$root/node_modules/.herald-lock.sha256 want
  want=$( (cat "$root/package-lock.json" 2>/dev/null || true; node --version) | sha256sum | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return
  fi
  echo "herald: installing dependencies (npm ci)" >&2
  if [ -f "$root/package-lock.json" ]; then
    (cd "$root" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed (see above)"
  else
    (cd "$root" && npm install --no-audit --no-fund --loglevel=error) || die "npm install failed (see above)"
  fi
  echo "$want" >"$stamp"
}

# One set-up at a time: two scripts started together (npm test and npm run stack, say) must not
# fetch Node or run npm ci over each other.
mkdir -p "$cache"
exec 9>"$cache/.setup.lock"
flock 9
ensure_node
# kafkajs 2.2.4 arms timers with a negative delay, and Node >= 23 warns about each. Herald's
# clients (createKafka) carry the fix (packages/kafka/src/request-queue.ts); this silences the
# warning for kafkajs clients made elsewhere (the bench's, a test's own).
export NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--disable-warning=TimeoutNegativeWarning"
ensure_dependencies
flock -u 9
exec 9>&-
export PATH="$root/node_modules/.bin:$PATH"

cmd=${1:-}
[ -n "$cmd" ] || die "usage: herald.sh start | stack ... | test ... | dev | bench ... | faults ... | with-stack COMMAND ... | exec COMMAND ..."
shift
case "$cmd" in
  exec) exec "$@" ;;
  start | stack | test | dev | with-stack) exec node "$root/tools/stack/src/cli.ts" "$cmd" "$@" ;;
  bench)
    # The services run from their build; the bench itself is TypeScript that Node runs as it is.
    # It holds the machine's lock for heavy runs: two benches at once measure each other.
    (cd "$root" && TURBO_TELEMETRY_DISABLED=1 turbo run build --output-logs=errors-only) || die "build failed (see above)"
    exec flock /tmp/herald-heavy.lock node "$root/bench/src/bench.main.ts" "$@"
    ;;
  faults)
    # Crashes and outages of the whole pipeline; it stops and starts the shared Kafka and
    # PostgreSQL, so it holds the machine's lock for heavy runs (benches wait for it, and it for them).
    (cd "$root" && TURBO_TELEMETRY_DISABLED=1 turbo run build --output-logs=errors-only) || die "build failed (see above)"
    exec flock /tmp/herald-heavy.lock node "$root/bench/src/faults/faults.main.ts" "$@"
    ;;
  *) die "unknown command '$cmd'" ;;
esac
