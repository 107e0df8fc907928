# Sourced by scripts/run and scripts/test: one idempotent setup for a fresh machine.
# - finds a Python >= 3.13 (python3 may be older: pyenv's versions are tried too)
# - creates .venv/ in the repository root and installs the project with its pinned deps
# - installs the pinned Node dependencies of every package-lock.json we own (npm ci)
# Re-running it is cheap: each step is skipped when its inputs have not changed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# The version of Python `$1` (e.g. 3.13.0), or nothing if it does not run.
python_version() {
  { "$1" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])' 2>/dev/null || true; } | tail -n 1
}

# True when version $1 is at least $2 (both dotted, compared part by part).
version_at_least() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" = "$2" ]; }

# The newest Python >= 3.13 on PATH or under pyenv (the scheduler, django-periodic-tasks, needs
# 3.13): newer releases carry security fixes (3.12.1 predates the ipaddress fixes of
# CVE-2024-4032 the SSRF guard relies on).
find_python() {
  local candidates=(python3.14 python3.13 python3)
  local dir
  for dir in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[3-9]*/bin; do
    [ -x "$dir/python3" ] && candidates+=("$dir/python3")
  done
  local c path version best="" best_version=""
  for c in "${candidates[@]}"; do
    path="$(command -v "$c" 2>/dev/null)" || continue
    version="$(python_version "$path")"
    [ -n "$version" ] && version_at_least "$version" 3.13.0 || continue
    if [ -z "$best" ] || ! version_at_least "$best_version" "$version"; then
      best="$path" best_version="$version"
    fi
  done
  if [ -z "$best" ]; then
    echo "No Python >= 3.13 found (tried: ${candidates[*]}). Install one, e.g. with pyenv." >&2
    return 1
  fi
  echo "$best"
}

stamp_ok() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }

setup_python() {
  local py
  py="$(find_python)"
  if [ -x .venv/bin/python ] && ! version_at_least "$(python_version .venv/bin/python)" "$(python_version "$py")"; then
    say "Recreating .venv with Python $(python_version "$py") (it had $(python_version .venv/bin/python))"
    rm -rf .venv
  fi
  if [ ! -x .venv/bin/python ]; then
    say "Creating .venv with Python $(python_version "$py")"
    "$py" -m venv .venv
  fi
  local want
  want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
  if ! stamp_ok .venv/.installed "$want"; then
    say "Installing Python dependencies"
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e '.[dev]'
    echo "$want" >.venv/.installed
  fi
}

setup_node() {
  local lock dir want
  for lock in $(git ls-files '*package-lock.json' 2>/dev/null || true); do
    dir="$(dirname "$lock")"
    want="$(sha256sum "$lock" | cut -d' ' -f1)"
    if ! stamp_ok "$dir/node_modules/.installed" "$want"; then
      command -v npm >/dev/null || { echo "npm is needed for $dir (Node >= 20)." >&2; return 1; }
      say "Installing Node dependencies in $dir"
      (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
      echo "$want" >"$dir/node_modules/.installed"
    fi
  done
}

# Local secrets for this checkout, generated once into the git-ignored .local.env
# (BYOD_LOCAL_ENV_FILE points elsewhere, e.g. for the test that runs scripts/run).
setup_local_env() {
  local file="${BYOD_LOCAL_ENV_FILE:-.local.env}"
  if [ ! -f "$file" ]; then
    say "Generating local secrets into $file (git-ignored)"
    (umask 077 && {
      echo "DJANGO_SECRET_KEY=$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(50))')"
      echo "BYOD_ENCRYPTION_KEYS=$(.venv/bin/python -m byodsite.keygen local1)"
      echo "DJANGO_DEBUG=1"
    } >"$file")
  fi
  set -a
  # shellcheck disable=SC1090
  . "$file"
  set +a
}
