# Sourced by the scripts: make .venv (Python 3.11+) and keep it in step with requirements.lock.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "Python 3.11 or newer is needed (found: $("$PYTHON" --version 2>&1)). Set PYTHON=/path/to/python3.11." >&2
  exit 1
fi
stamp=.venv/.requirements.sha256
want=$(sha256sum requirements.lock | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "Installing dependencies into .venv ..." >&2
  "$PYTHON" -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -r requirements.lock
  echo "$want" > "$stamp"
fi
export PATH="$PWD/.venv/bin:$PATH"

# Debian packages: the Japanese font embedded in the letter PDFs (and, with --tests, what the tests use).
need_debs() {
  local missing=()
  for pkg in "$@"; do dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian packages: ${missing[*]} ..." >&2
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "Please install these Debian packages: ${missing[*]} (e.g. sudo apt-get install ${missing[*]})." >&2
    exit 1
  fi
}
if command -v dpkg-query >/dev/null 2>&1; then
  need_debs fonts-ipaexfont-gothic
fi
# Front-end packages for the browser tests (axe-core), pinned in package-lock.json: scripts/test only.
need_npm_packages() {
  command -v npm >/dev/null 2>&1 || return 0
  local npm_stamp=node_modules/.package-lock.sha256 npm_want
  npm_want=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [ "$(cat "$npm_stamp" 2>/dev/null)" != "$npm_want" ]; then
    npm ci --silent --no-audit --no-fund >&2
    echo "$npm_want" > "$npm_stamp"
  fi
}
