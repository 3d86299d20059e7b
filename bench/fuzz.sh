#!/usr/bin/env bash
# Runs every cargo-fuzz target of fuzz/ for a while and prints, for each,
# how many inputs it executed and whether it crashed.
#
#   bench/fuzz.sh [SECONDS [TARGET...]]
#
# (default 60 seconds a target, every target; name targets to run only those)
#
# Each target's corpus, fuzz/corpus/<target>/, is first seeded with copies
# of the fixtures of its format (core/tests/fixtures), so the fuzzer starts
# from real files rather than from nothing. Formats without a fixture file
# get a small hand-written seed instead. A crash leaves its input in
# fuzz/artifacts/<target>/; it becomes an ignored regression test in
# core/tests/robustness.rs (see fuzz/README.md).
#
# Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`).
set -euo pipefail

seconds="${1:-60}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
    echo "usage: $0 [SECONDS [TARGET...]]  (a whole number of seconds per target)" >&2
    exit 2
fi
root="$(cd "$(dirname "$0")/.." && pwd)"
fixtures="$root/core/tests/fixtures"
fuzz="$root/fuzz"
cd "$fuzz"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "cargo-fuzz is not installed: cargo install cargo-fuzz" >&2
    exit 1
fi

# ---------------------------------------------------------------------------
# Seeds

# Copies files into a target's corpus (keeping what earlier runs found).
seed() {
    local target="$1"
    shift
    mkdir -p "corpus/$target"
    local file
    for file in "$@"; do
        cp "$file" "corpus/$target/"
    done
}

# Writes one hand-made seed (standard input) into a target's corpus.
seed_text() {
    mkdir -p "corpus/$1"
    cat >"corpus/$1/$2"
}

# Joins files with NUL bytes: the multi-file targets split their input
# there, so a joined set is one seed of a whole run.
seed_joined() {
    local target="$1" name="$2"
    shift 2
    mkdir -p "corpus/$target"
    local out="corpus/$target/$name" first=1 file
    : >"$out"
    for file in "$@"; do
        if [ "$first" -eq 0 ]; then
            printf '\0' >>"$out"
        fi
        first=0
        cat "$file" >>"$out"
    done
}

seed k6_summary "$fixtures"/k6/*.json
seed k6_ndjson "$fixtures"/k6/*.ndjson
seed jmeter_csv "$fixtures"/jmeter/*.csv
seed jmeter_xml "$fixtures"/jmeter/*.xml
seed locust "$fixtures"/locust/*.csv
seed_joined locust bitcoin-api-set \
    "$fixtures"/locust/bitcoin-api-results_stats.csv \
    "$fixtures"/locust/bitcoin-api-results_stats_history.csv \
    "$fixtures"/locust/bitcoin-api-results_failures.csv \
    "$fixtures"/locust/bitcoin-api-results_exceptions.csv
seed_joined locust wine-prediction-set \
    "$fixtures"/locust/wine-prediction-empty-run-results_stats.csv \
    "$fixtures"/locust/wine-prediction-empty-run-results_stats_history.csv \
    "$fixtures"/locust/wine-prediction-empty-run-results_failures.csv
seed gatling_log "$fixtures"/gatling/*.log
seed gatling_json "$fixtures"/gatling/*.json
seed_joined gatling_json pix-report-set \
    "$fixtures"/gatling/pix-gatling2-stats.json \
    "$fixtures"/gatling/pix-gatling2-global_stats.json \
    "$fixtures"/gatling/pix-gatling2-assertions.json
seed oha "$fixtures"/oha/*.json
seed wrk "$fixtures"/wrk/*.log "$fixtures"/wrk/highload-dht-wrk2-allocGet.md
mapfile -t every_fixture < <(find "$fixtures" -type f ! -name PROVENANCE.md | sort)
seed detect "${every_fixture[@]}"
seed claims "$fixtures"/claims/*.md

# The formats without a fixture file, in the shapes their modules document.
seed_text k6_csv k6-out.csv <<'EOF'
metric_name,timestamp,metric_value,check,error,error_code,expected_response,group,method,name,proto,scenario,service,status,subproto,tls_version,url,extra_tags,metadata
http_reqs,1641298536,1.000000,,,,true,,GET,http://test.k6.io,HTTP/1.1,default,,200,,,http://test.k6.io,,
http_req_duration,1641298536,117.424000,,,,true,,GET,http://test.k6.io,HTTP/1.1,default,,200,,,http://test.k6.io,,
http_req_failed,1641298536,0.000000,,,,true,,GET,http://test.k6.io,HTTP/1.1,default,,200,,,http://test.k6.io,,
vus,1641298537,10.000000,,,,,,,,,,,,,,,,
http_req_duration,1641298537123,98.100000,,,,false,,POST,"login, form",HTTP/1.1,default,,500,,,http://test.k6.io/login,,
http_req_duration,2022-01-04T12:15:39.5Z,5.5,,,,true,,GET,http://test.k6.io,HTTP/1.1,default,,200,,,http://test.k6.io,,
EOF
seed_text oha oha-output.json <<'EOF'
{"summary": {"successRate": 0.985, "total": 10.002, "slowest": 1.2345678, "fastest": 0.0012345,
  "average": 0.0456789, "requestsPerSec": 20.39592081583683, "totalData": 100864,
  "sizePerRequest": 512, "sizePerSec": 10084.383123375324},
 "responseTimeHistogram": {"0.012345654545454547": 60, "0.024691309090909094": 137},
 "latencyPercentiles": {"p10": 0.0021, "p50": 0.0301, "p90": 0.0789, "p95": 0.1234, "p99": 0.9876},
 "statusCodeDistribution": {"200": 180, "404": 12, "503": 5},
 "errorDistribution": {"connection refused": 3, "aborted due to deadline": 4},
 "metrics": {"latency_ms": {"min": 1.2345, "mean": 45.6789, "p50": 30.1, "p95": 123.4, "p99": 987.6, "max": 1234.5678}, "requests_per_sec": 20.4}}
EOF
seed_text vegeta_report vegeta-report.json <<'EOF'
{"latencies":{"total":2345678901,"mean":23456789,"50th":12345678,"90th":45678901,"95th":56789012,"99th":98765432,"max":123456789,"min":1234567},"bytes_in":{"total":51200,"mean":512},"bytes_out":{"total":0,"mean":0},"earliest":"2024-05-06T07:08:09.123456789+02:00","latest":"2024-05-06T07:08:19.113456789+02:00","end":"2024-05-06T07:08:19.236913578+02:00","duration":9990000000,"wait":123456789,"requests":100,"rate":10.01001001001001,"throughput":9.393425213753588,"success":0.95,"status_codes":{"0":2,"200":90,"302":5,"404":1,"503":2},"errors":["404 Not Found","503 Service Unavailable"]}
EOF
seed_text vegeta_results vegeta-results.json <<'EOF'
{"attack":"smoke","seq":0,"code":200,"timestamp":"2024-05-06T07:08:09+02:00","latency":12000000,"bytes_out":0,"bytes_in":5,"error":"","body":"aGVsbG8=","method":"GET","url":"http://localhost:8080/","headers":{"Content-Type":["text/plain"]}}
{"attack":"smoke","seq":1,"code":500,"timestamp":"2024-05-06T07:08:09.200000001+02:00","latency":250500000,"bytes_out":27,"bytes_in":0,"error":"500 Internal Server Error","body":"","method":"POST","url":"http://localhost:8080/login","headers":{}}
{"attack":"smoke","seq":2,"code":0,"timestamp":"2024-05-06T05:08:10.4Z","latency":1000000000,"bytes_out":0,"bytes_in":0,"error":"connection refused","body":"","method":"GET","url":"http://localhost:8080/","headers":{}}
EOF
for target in k6_csv oha vegeta_report vegeta_results; do
    cp "corpus/$target"/* corpus/detect/
done

# Audit evidence: each fixture behind one byte, the index of the name the
# `audit` target gives the file (fuzz/fuzz_targets/audit.rs, NAMES), so
# every seed is read as the kind of file it is.
audit_names=(php.ini conf.d/99-app.ini www.conf php-fpm.conf my.cnf redis.conf
    nginx.conf global_status.txt global_variables.txt redis-info.txt
    fpm-status.json opcache-status.json digest.tsv digest.csv digest.json
    histogram.tsv slow.log dashboard.json rules.yml stub_status.txt)
[ "${#audit_names[@]}" -eq 20 ] || {
    echo "audit_names is out of step with fuzz/fuzz_targets/audit.rs" >&2
    exit 1
}
# The index of the name a fixture is seeded with, from its path.
audit_name_of() {
    case "$1" in
        *opcache*.ini | *laravel.ini) echo 1 ;;
        */php/* | *php.ini*) echo 0 ;;
        *php-fpm.conf*) echo 3 ;;
        */php-fpm/* | */pool.d/*) echo 2 ;;
        *.cnf) echo 4 ;;
        *redis*info*) echo 9 ;;
        *redis*) echo 5 ;;
        *stub_status*) echo 19 ;;
        *nginx* | */fastcgi*) echo 6 ;;
        *global_variables* | *global-variables*) echo 8 ;;
        *status/*mysql* | *status/*mariadb* | *global-status*) echo 7 ;;
        *phpfpm-status*) echo 10 ;;
        *opcache-status*) echo 11 ;;
        *digest*) echo 12 ;;
        *histogram*) echo 15 ;;
        *slow.log) echo 16 ;;
        *.json) echo 17 ;;
        *.yml | *.yaml) echo 18 ;;
        *) echo 0 ;;
    esac
}
mkdir -p corpus/audit
while IFS= read -r file; do
    index="$(audit_name_of "$file")"
    # A seed's name is its fixture's path, so fixtures of one name in
    # different folders do not overwrite each other.
    out="corpus/audit/$(printf '%s' "${file#"$fixtures"/audit/}" | tr '/' '_')"
    printf "\\$(printf '%03o' "$index")" >"$out"
    cat "$file" >>"$out"
done < <(find "$fixtures/audit" -type f ! -name PROVENANCE.md ! -name README.md ! -name '*.py' | sort)

# Target expressions: the forms README.md and core/src/targets.rs show.
n=0
while IFS= read -r expression; do
    n=$((n + 1))
    printf '%s' "$expression" | seed_text targets "expression-$n"
done <<'EOF'
p95 < 500ms
p99 < 1s
error_rate < 0.1%
throughput >= 100/s
users >= 100
db_query_p95 < 200 ms
cache_hit_rate > 90 %
p95 < 300ms endpoint "POST /api/v1/backups"
p95 < 800ms scenario soak
p95 <= -40% vs run 12
p(95) <= 1.25 s endpoint "GET \"quoted\" \\ path" scenario ramp-up
rps > 1_000 rps
vus >= 250 scenario stress
errors < 0.05 % scenario spike
http_req_failed<1%
p99 < 250us
p95 < 2min scenario sustained vs run 3
EOF

# ---------------------------------------------------------------------------
# Runs

mkdir -p logs
if [ "$#" -gt 1 ]; then
    targets=("${@:2}")
else
    mapfile -t targets < <(cargo +nightly fuzz list)
fi
echo "building the fuzz targets (cargo +nightly fuzz build)..."
: >logs/build.log
for target in "${targets[@]}"; do
    if ! cargo +nightly fuzz build "$target" >>logs/build.log 2>&1; then
        cat logs/build.log >&2
        exit 1
    fi
done

# Fixtures are up to a megabyte; the parsers read records of a few
# kilobytes, so inputs are capped at 64 KiB to keep executions fast (seeds
# longer than that are read up to the cap). A run of more than 30 s on one
# input is reported as a timeout, which is a finding too.
options=(-max_len=65536 -timeout=30 -rss_limit_mb=4096 -print_final_stats=1)

printf '\n%-16s %14s %8s  %s\n' target executions crashes "artifacts (fuzz/artifacts/<target>/)"
total_crashes=0
marker="$(mktemp)"
trap 'rm -f "$marker"' EXIT
for target in "${targets[@]}"; do
    log="logs/$target.log"
    touch "$marker"
    mkdir -p "artifacts/$target"
    before=$(find "artifacts/$target" -type f | wc -l)
    # libFuzzer stops at its first crash and exits non-zero; the next
    # target runs regardless.
    cargo +nightly fuzz run "$target" "corpus/$target" -- \
        -max_total_time="$seconds" "${options[@]}" >"$log" 2>&1 || true
    after=$(find "artifacts/$target" -type f | wc -l)
    crashes=$((after - before))
    total_crashes=$((total_crashes + crashes))
    executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    if [ -z "$executions" ]; then
        executions=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -1)
    fi
    found=""
    if [ "$crashes" -gt 0 ]; then
        found=$(find "artifacts/$target" -type f -newer "$marker" | head -3 | tr '\n' ' ')
        [ -n "$found" ] || found="see fuzz/$log"
    fi
    printf '%-16s %14s %8s  %s\n' "$target" "${executions:-?}" "$crashes" "$found"
done
echo
echo "logs: fuzz/logs/<target>.log; crashes in all: $total_crashes"
