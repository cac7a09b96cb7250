#!/usr/bin/env bash
# The benchmarks of docs/benchmarks.md, rerunnable by anyone:
#
#   bench/run.sh            # full run (generates a 1 GiB dump once, ~3 minutes)
#   bench/run.sh --quick    # 200 MiB dump, fewer runs
#
# It builds m2auth in release mode, generates a store with every core module (bench/gen-store.py)
# and mysqldump files (bench/gen-dump.py) under $M2AUTH_BENCH_DIR (default /tmp/m2auth-bench),
# and times with hyperfine against what people use instead: PHP reading the same files, and
# grep / ripgrep / awk pulling one table out of a dump. Installs hyperfine and ripgrep with apt
# when missing. Results: $M2AUTH_BENCH_DIR/*.md (hyperfine tables) and a summary on stdout.
set -euo pipefail
repo="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
cd "$repo"
work="${M2AUTH_BENCH_DIR:-/tmp/m2auth-bench}"
size=1G runs=10
if [[ ${1:-} == --quick ]]; then size=200M runs=3; fi
mkdir -p "$work"

need=()
command -v hyperfine >/dev/null || need+=(hyperfine)
command -v rg >/dev/null || need+=(ripgrep)
command -v php >/dev/null || need+=(php-cli)
/usr/bin/python3 -c 'import jwt' 2>/dev/null || need+=(python3-jwt)
if ((${#need[@]})); then
    echo "bench: installing ${need[*]}" >&2
    DEBIAN_FRONTEND=noninteractive apt-get -qq update >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get -qq -y install --no-install-recommends "${need[@]}" >/dev/null
fi

cargo build --release -q
bin="$repo/target/release/m2auth"

python3 bench/gen-store.py "$work/store" >&2
python3 bench/gen-dump.py --size 2M --out "$work/small.sql" >&2
dump="$work/magento-$size.sql"
[[ -f $dump ]] || python3 bench/gen-dump.py --size "$size" --out "$dump" >&2
bytes=$(stat -c %s "$dump")

echo "== 1. info on a store with every core module (218 core + 80 extensions, 4 MB composer.lock)"
hyperfine -N --output=pipe --warmup 3 --runs $((runs * 3)) --export-markdown "$work/info.md" --export-json "$work/info.json" \
    -n "m2auth info" "$bin info --root $work/store --dump $work/small.sql --format json" \
    -n "php: include env.php+config.php, json_decode composer.lock" \
    "php -r '\$e = include \"$work/store/app/etc/env.php\"; \$c = include \"$work/store/app/etc/config.php\"; \$l = json_decode(file_get_contents(\"$work/store/composer.lock\"), true); echo count(\$c[\"modules\"]);'"

echo "== 2. reading a $(numfmt --to=iec "$bytes") dump, keeping only the tables m2auth needs"
q='INSERT INTO `core_config_data`'
hyperfine -N --output=pipe --warmup 1 --runs "$runs" --export-markdown "$work/dump.md" --export-json "$work/dump.json" \
    -n "m2auth info --dump" "$bin info --root $work/store --dump $dump --format json" \
    -n "rg -F (one table)" "rg -F -c '$q' $dump" \
    -n "grep -F (one table)" "grep -F -c '$q' $dump" \
    -n "awk (one table)" "awk 'index(\$0, \"$q\") == 1 { n++ } END { print n }' $dump"

echo "== 3. role permissions: every enabled module's webapi.xml + acl.xml, route index, ACL, one check / every route"
hyperfine -N --output=pipe --warmup 3 --runs $((runs * 3)) --export-markdown "$work/acl.md" --export-json "$work/acl.json" \
    -n "m2auth info (baseline: same store, same dump)" "$bin info --root $work/store --dump $work/small.sql --format json" \
    -n "m2auth acl:check" "$bin acl:check --request 'GET /V1/products/x' --admin-user api --root $work/store --dump $work/small.sql --format json" \
    -n "m2auth acl:matrix (one role, all routes)" "$bin acl:matrix --role 4 --root $work/store --dump $work/small.sql --format json"

echo "== 4. credentials: token:inspect of a JWT (target < 20 ms); one Argon2id password check vs libsodium"
token=$(/usr/bin/python3 -c 'import jwt; print(jwt.encode({"uid": 1, "utypid": 2, "iat": 1900000000, "exp": 1900003600}, "9e8f2c4a6b1d3f5e7a9c0b2d4f6e8a1c".center(2048, "&"), algorithm="HS256", headers={"kid": "1"}))')
printf 'Admin123!\n' >"$work/pw.txt"
ex="--root $repo/examples/store --dump $repo/examples/store.sql --format json"
hyperfine -N -i --output=pipe --warmup 2 --runs "$runs" --export-markdown "$work/cred.md" --export-json "$work/cred.json" \
    -n "m2auth info (example store, baseline)" "$bin info $ex" \
    -n "m2auth token:inspect JWT" "$bin token:inspect $token $ex" \
    -n "m2auth diagnose --admin-user (Argon2id 64 MiB)" "$bin diagnose --admin-user admin --password-file $work/pw.txt $ex" \
    -n "php sodium_crypto_pwhash 64 MiB" "php -r 'sodium_crypto_pwhash(32, \"Admin123!\", \"Xk9pQ2mW7rT4yB8n\", 2, 67108864, SODIUM_CRYPTO_PWHASH_ALG_ARGON2ID13);'" \
    -n "php -r '' (PHP start)" "php -r ''"

echo "== 5. acl:matrix --live: every route of the store sent to a local server (target: 300 routes < 5 s)"
# The server: PHP's built-in server with 4 workers running a front controller that answers like
# Magento's REST layer (401 JSON for any other token, 404 "no route" for the accepted one), on a
# free loopback port; stopped when the script exits.
srv="$work/live-server"
mkdir -p "$srv"
cat >"$srv/router.php" <<'PHP'
<?php
header('Content-Type: application/json; charset=utf-8');
if (($_SERVER['HTTP_AUTHORIZATION'] ?? '') === 'Bearer ' . getenv('M2AUTH_BENCH_TOKEN')) {
    http_response_code(404);
    echo '{"message":"Request does not match any route."}';
} else {
    http_response_code(401);
    echo json_encode(['message' => "The consumer isn't authorized to access %resources.", 'parameters' => ['resources' => 'Magento_Backend::admin']]);
}
PHP
lport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
btoken=benchtoken0123456789abcdef
M2AUTH_BENCH_TOKEN=$btoken PHP_CLI_SERVER_WORKERS=4 php -S "127.0.0.1:$lport" "$srv/router.php" >/dev/null 2>&1 &
php_pid=$!
trap 'kill "$php_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$lport") 2>/dev/null && break; sleep 0.05; done
m="acl:matrix --role 4 --token $btoken --root $work/store --dump $work/small.sql --format json"
hyperfine -N -i --output=pipe --warmup 2 --runs $((runs * 2)) --export-markdown "$work/live.md" --export-json "$work/live.json" \
    -n "m2auth acl:matrix (offline, baseline)" "$bin $m" \
    -n "m2auth acl:matrix --live (121 GET routes)" "$bin $m --live --base-url http://127.0.0.1:$lport" \
    -n "m2auth acl:matrix --live --all-methods (278 routes)" "$bin $m --live --all-methods --base-url http://127.0.0.1:$lport" \
    -n "m2auth acl:matrix --live --all-methods --concurrency 1" "$bin $m --live --all-methods --concurrency 1 --base-url http://127.0.0.1:$lport" \
    -n "m2auth acl:matrix --live --all-methods --rate 100" "$bin $m --live --all-methods --rate 100 --base-url http://127.0.0.1:$lport"

python3 - "$work/info.json" "$work/dump.json" "$bytes" "$work/acl.json" "$work/cred.json" "$work/live.json" <<'PY'
import json, sys
info, dump, size = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), int(sys.argv[3])
acl = json.load(open(sys.argv[4]))
cred = json.load(open(sys.argv[5]))
live = json.load(open(sys.argv[6]))
print("\nsummary")
for r in info["results"] + acl["results"] + cred["results"] + live["results"]:
    print(f"  {r['command']:<60} {r['mean']*1000:8.1f} ms ± {r['stddev']*1000:.1f}")
for r in dump["results"]:
    print(f"  {r['command']:<60} {r['mean']:8.2f} s   {size / r['mean'] / 1e6:7.0f} MB/s")
PY
