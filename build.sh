#!/usr/bin/env bash
# One entry point for people and CI: ./build.sh run | test | bench
set -euo pipefail
cd "$(dirname "$0")"
REPO="$PWD"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

ensure_dotnet() {
  command -v dotnet >/dev/null || { echo "The .NET 10 SDK is required: https://dotnet.microsoft.com/download" >&2; exit 1; }
}

# The embedded database and the tests need PostgreSQL's server binaries (initdb, pg_ctl, postgres).
ensure_postgres() {
  if compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null || command -v pg_ctl >/dev/null; then
    return
  fi
  log "PostgreSQL server binaries not found; installing the 'postgresql' package with apt-get"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "Run as root or install PostgreSQL yourself: apt-get install -y postgresql" >&2; exit 1; }
    sudo="sudo"
  fi
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q postgresql
}

# As root, PostgreSQL runs as the 'postgres' user, which must be able to reach the data directory.
default_data_directory() {
  if [ -n "${Commerce__DataDirectory:-}" ]; then
    echo "$Commerce__DataDirectory"
  elif [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -x "$REPO" 2>/dev/null; then
    echo "/var/lib/commerce/data"
  else
    echo "$REPO/.data"
  fi
}

case "${1:-}" in
  run)
    shift
    ensure_dotnet
    ensure_postgres
    log "Building"
    dotnet build src/Host -c Release -nologo -v quiet
    export Commerce__DataDirectory
    Commerce__DataDirectory="$(default_data_directory)"
    mkdir -p "$Commerce__DataDirectory"
    export ASPNETCORE_ENVIRONMENT="${ASPNETCORE_ENVIRONMENT:-Development}"
    log "Starting Commerce (data in $Commerce__DataDirectory); Ctrl+C stops it"
    exec dotnet run --project src/Host -c Release --no-build --no-launch-profile --urls "${URLS:-http://127.0.0.1:5080}" "$@"
    ;;
  test)
    shift
    ensure_dotnet
    ensure_postgres
    log "Building"
    dotnet build Commerce.sln -c Release -nologo -v quiet
    log "Running every test"
    # A hung test fails the run (with a dump) instead of stalling CI.
    dotnet test Commerce.sln -c Release --no-build -nologo --blame-hang-timeout 10m "$@"
    ;;
  bench)
    shift
    ensure_dotnet
    ensure_postgres
    log "Building the host and the load harness (Release)"
    dotnet build src/Host -c Release -nologo -v quiet
    dotnet build bench/Commerce.Bench -c Release -nologo -v quiet
    # The harness starts the host itself, on a fresh database in a temporary directory (see BENCHMARKS.md).
    log "Running the benchmarks: about 10 minutes; pass --scale 0.1 for a quick check"
    exec dotnet bench/Commerce.Bench/bin/Release/net10.0/Commerce.Bench.dll "$@"
    ;;
  *)
    echo "usage: ./build.sh run [host arguments] | test [dotnet test arguments] | bench [harness arguments]" >&2
    exit 2
    ;;
esac
