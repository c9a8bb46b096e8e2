#!/usr/bin/env bash
# Creates (or refreshes) the project-local virtualenv .venv-synapse/ holding the pinned Synapse used
# by the Matrix integration tests (test/servers/synapse/synapse.ts).
#
#   scripts/synapse/ensure-venv.sh          # idempotent: a no-op when the venv matches requirements.txt
#   PYTHON=python3.12 scripts/synapse/ensure-venv.sh
#   SYNAPSE_VENV=/some/dir scripts/synapse/ensure-venv.sh
#
# "Outdated" means: the stamp file (sha256 of requirements.txt + the interpreter's version) differs,
# or the venv's python cannot import synapse. An outdated venv is deleted and rebuilt from scratch.
# Only wheels are accepted (--only-binary=:all:), so no Rust/C toolchain is needed or used.
set -euo pipefail

started=$(date +%s)
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
req="$root/scripts/synapse/requirements.txt"
venv="${SYNAPSE_VENV:-$root/.venv-synapse}"
python="${PYTHON:-python3}"

fail() {
  echo "ensure-venv: ERROR: $*" >&2
  exit 1
}

command -v "$python" >/dev/null 2>&1 || fail "'$python' not found (set PYTHON=/path/to/python3.10+)"
[[ -f "$req" ]] || fail "missing $req"
pyver="$("$python" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')" || fail "'$python' does not run"
"$python" -c 'import sys; sys.exit(0 if (3, 10) <= sys.version_info[:2] < (4, 0) else 1)' \
  || fail "Synapse needs Python >= 3.10, '$python' is $pyver"

synapse_pin="$(sed -n 's/^matrix-synapse==//p' "$req")"
[[ -n "$synapse_pin" ]] || fail "no 'matrix-synapse==' pin in $req"
stamp_want="$(
  {
    sha256sum "$req" | cut -d' ' -f1
    echo "python $pyver"
  } | sha256sum | cut -d' ' -f1
)"
stamp_file="$venv/.samverka-stamp"

elapsed() { echo $(($(date +%s) - started)); }

if [[ -f "$stamp_file" && "$(cat "$stamp_file")" == "$stamp_want" ]] \
  && "$venv/bin/python" -c 'import synapse' >/dev/null 2>&1; then
  echo "ensure-venv: $venv is up to date (matrix-synapse $synapse_pin, Python $pyver), $(elapsed)s"
  exit 0
fi

echo "ensure-venv: building $venv (matrix-synapse $synapse_pin, Python $pyver) ..."
rm -rf "$venv"
log="$(mktemp "${TMPDIR:-/tmp}/ensure-venv-synapse.XXXXXX.log")"
if ! "$python" -m venv "$venv" >"$log" 2>&1; then
  cat "$log" >&2
  fail "'$python -m venv $venv' failed (on Debian: apt-get install python3-venv)"
fi
if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
  --only-binary=:all: -r "$req" >>"$log" 2>&1; then
  tail -n 40 "$log" >&2
  rm -rf "$venv"
  fail "pip install -r $req failed (full log: $log). Needs PyPI access and manylinux wheels for Python $pyver."
fi
# importlib.metadata, not synapse.__version__: the latter appends git info of the enclosing repo.
got="$("$venv/bin/python" -c 'import synapse, importlib.metadata as m; print(m.version("matrix-synapse"))' 2>>"$log")" \
  || { tail -n 20 "$log" >&2; fail "synapse does not import after install (log: $log)"; }
[[ "$got" == "$synapse_pin" ]] || fail "installed synapse $got, expected $synapse_pin"
echo "$stamp_want" >"$stamp_file"
rm -f "$log"
echo "ensure-venv: installed matrix-synapse $got into $venv in $(elapsed)s"
