#!/usr/bin/env bash
# One entry point for people and CI: ./build.sh run | test | lint | bench
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

# The OpenAPI linters (tools/openapi-lint): versions pinned in its package.json and package-lock.json.
ensure_lint_tools() {
  if ! command -v npm >/dev/null; then
    log "npm not found; installing the 'nodejs' and 'npm' packages with apt-get"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q nodejs npm
  fi
  if [ ! -x tools/openapi-lint/node_modules/.bin/spectral ] || [ ! -x tools/openapi-lint/node_modules/.bin/redocly ]; then
    log "Installing the OpenAPI linters (npm ci)"
    npm ci --prefix tools/openapi-lint --no-audit --no-fund --loglevel=error
  fi
}

# Spectral (spectral:oas) and Redocly (recommended): any error fails; warnings are printed.
lint_openapi() {
  local document="$1"
  ensure_lint_tools
  log "Linting the OpenAPI document: Spectral (spectral:oas)"
  (cd tools/openapi-lint && node_modules/.bin/spectral lint --ruleset .spectral.yaml --fail-severity error "$document")
  log "Linting the OpenAPI document: Redocly (recommended)"
  (cd tools/openapi-lint && node_modules/.bin/redocly lint --config redocly.yaml "$document")
}

# Builds each project given, in Release, with the compiler server, then stops the server. This machine's environment
# sets UseSharedCompilation=false, which starts a cold compiler per project: the solution built in 104 s, 56 s with the
# server. Stopping it afterwards means no compiler process outlives the command (nothing for CI to wait on).
build() {
  local status=0 project
  for project in "$@"; do
    dotnet build "$project" -c Release -nologo -v quiet -p:UseSharedCompilation=true || { status=$?; break; }
  done
  dotnet build-server shutdown >/dev/null 2>&1 || true
  return "$status"
}

# Every fixture of the HTTP tests appends how many answers it checked against the document, and how many broke it.
contract_summary() {
  local report="$1"
  [ -s "$report" ] || { echo "No contract report: no HTTP test ran." >&2; return 0; }
  awk -F'\t' '{ checked += $2; broken += $3 } END {
      printf "OpenAPI contract: %d answers of %d test hosts checked against the document, %d broke it\n", checked, NR, broken
      exit (broken > 0) }' "$report"
}

case "${1:-}" in
  run)
    shift
    ensure_dotnet
    ensure_postgres
    log "Building"
    build src/Host
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
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
    # The linters install (npm ci) while the solution builds and the tests run, instead of after them.
    ensure_lint_tools >"$work/lint-tools.log" 2>&1 &
    lint_tools=$!
    log "Building"
    build Commerce.sln
    log "Running every test"
    # The HTTP tests check every answer against the OpenAPI document, report the counts here and export the document.
    export COMMERCE_CONTRACT_REPORT="$work/contract.tsv" COMMERCE_OPENAPI_EXPORT="$work/openapi.json"
    # A hung test fails the run (with a dump) instead of stalling CI.
    dotnet test Commerce.sln -c Release --no-build -nologo --blame-hang-timeout 10m "$@"
    contract_summary "$COMMERCE_CONTRACT_REPORT"
    wait "$lint_tools" || { cat "$work/lint-tools.log" >&2; exit 1; }
    cat "$work/lint-tools.log" >&2
    if [ -s "$COMMERCE_OPENAPI_EXPORT" ]; then
      lint_openapi "$COMMERCE_OPENAPI_EXPORT"
    fi
    ;;
  lint)
    shift
    ensure_dotnet
    ensure_postgres
    log "Building"
    build tests/Commerce.Host.Tests
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
    export COMMERCE_OPENAPI_EXPORT="$work/openapi.json"
    dotnet test tests/Commerce.Host.Tests -c Release --no-build -nologo --filter "FullyQualifiedName~The_document_is_exported_for_the_linters"
    lint_openapi "$COMMERCE_OPENAPI_EXPORT"
    ;;
  bench)
    shift
    ensure_dotnet
    ensure_postgres
    log "Building the host and the load harness (Release)"
    build src/Host bench/Commerce.Bench
    # The harness starts the host itself, on a fresh database in a temporary directory (see BENCHMARKS.md).
    log "Running the benchmarks: about 11 minutes at scale 1 (sustained runs of 30 s each); pass --scale 0.1 for a quick check"
    exec dotnet bench/Commerce.Bench/bin/Release/net10.0/Commerce.Bench.dll "$@"
    ;;
  *)
    echo "usage: ./build.sh run [host arguments] | test [dotnet test arguments] | lint | bench [harness arguments]" >&2
    exit 2
    ;;
esac
