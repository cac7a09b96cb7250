#!/usr/bin/env bash
# The benchmarks of docs/benchmarks.md, rerunnable by anyone:
#
#   bench/run.sh                    # full run (generates a 1 GiB dump once, ~4 minutes)
#   bench/run.sh --quick            # 200 MiB dump, fewer runs
#   bench/run.sh [--quick] --only live   # one section: info, dump, acl, cred, live, cache or logs (1-8)
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
size=1G runs=10 only=
while (($#)); do
    case $1 in
    --quick) size=200M runs=3 ;;
    --only) only=${2:?--only takes a section: info, dump, acl, cred, live, cache or logs}; shift ;;
    *) echo "usage: bench/run.sh [--quick] [--only info|dump|acl|cred|live|cache|logs]" >&2; exit 2 ;;
    esac
    shift
done
case $only in '' | info | dump | acl | cred | live | cache | logs) ;; *) echo "bench: unknown section $only" >&2; exit 2 ;; esac
want() { [[ -z $only || $only == "$1" ]]; }
mkdir -p "$work"

need=()
command -v hyperfine >/dev/null || need+=(hyperfine)
command -v rg >/dev/null || need+=(ripgrep)
command -v php >/dev/null || need+=(php-cli)
if want live; then
    command -v /usr/sbin/apache2 >/dev/null || need+=(apache2)
    command -v /usr/sbin/php-fpm8.2 >/dev/null || need+=(php8.2-fpm)
fi
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
if want dump; then
    [[ -f $dump ]] || python3 bench/gen-dump.py --size "$size" --out "$dump" >&2
    bytes=$(stat -c %s "$dump")
fi

if want info; then
echo "== 1. info on a store with every core module (218 core + 80 extensions, 4 MB composer.lock)"
hyperfine -N --output=pipe --warmup 3 --runs $((runs * 3)) --export-markdown "$work/info.md" --export-json "$work/info.json" \
    -n "m2auth info" "$bin info --root $work/store --dump $work/small.sql --format json" \
    -n "php: include env.php+config.php, json_decode composer.lock" \
    "php -r '\$e = include \"$work/store/app/etc/env.php\"; \$c = include \"$work/store/app/etc/config.php\"; \$l = json_decode(file_get_contents(\"$work/store/composer.lock\"), true); echo count(\$c[\"modules\"]);'"
fi

if want dump; then
echo "== 2. reading a $(numfmt --to=iec "$bytes") dump, keeping only the tables m2auth needs"
q='INSERT INTO `core_config_data`'
hyperfine -N --output=pipe --warmup 1 --runs "$runs" --export-markdown "$work/dump.md" --export-json "$work/dump.json" \
    -n "m2auth info --dump" "$bin info --root $work/store --dump $dump --format json" \
    -n "rg -F (one table)" "rg -F -c '$q' $dump" \
    -n "grep -F (one table)" "grep -F -c '$q' $dump" \
    -n "awk (one table)" "awk 'index(\$0, \"$q\") == 1 { n++ } END { print n }' $dump"
fi

if want acl; then
echo "== 3. role permissions: every enabled module's webapi.xml + acl.xml, route index, ACL, one check / every route"
hyperfine -N --output=pipe --warmup 3 --runs $((runs * 3)) --export-markdown "$work/acl.md" --export-json "$work/acl.json" \
    -n "m2auth info (baseline: same store, same dump)" "$bin info --root $work/store --dump $work/small.sql --format json" \
    -n "m2auth acl:check" "$bin acl:check --request 'GET /V1/products/x' --admin-user api --root $work/store --dump $work/small.sql --format json" \
    -n "m2auth acl:matrix (one role, all routes)" "$bin acl:matrix --role 4 --root $work/store --dump $work/small.sql --format json"
fi

if want cred; then
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
fi

if want live; then
echo "== 5. acl:matrix --live: every route of role 4 sent to a local Apache + php-fpm (target: 300 routes < 5 s)"
# The lab's setup, private and on free loopback ports: Apache (mpm_event, KeepAlive On) handing
# *.php to php-fpm (pm = static, 4 children) through mod_proxy_fcgi with CGIPassAuth On, and a
# docroot whose .htaccess sends every URL to index.php (FallbackResource). index.php is
# bench/live-router.php: it answers like Magento's REST layer for the bench role (401 for a
# denied route, 400/404/200 for an allowed one, 404 "no route", 401 for any other token), from
# the offline verdicts of `m2auth acl:matrix --role 4` written to bench-routes.php. Both
# servers are stopped when the script exits.
m="acl:matrix --role 4 --root $work/store --dump $work/small.sql --format json"
srv=$(mktemp -d /tmp/m2auth-bench-live.XXXXXX)
chmod 755 "$srv" # Apache's workers run as www-data when the script runs as root
mkdir -p "$srv/docroot" "$srv/run" "$srv/fpm"
btoken=benchtoken0123456789abcdef
cp bench/live-router.php "$srv/docroot/index.php"
printf 'FallbackResource /index.php\n' >"$srv/docroot/.htaccess"
"$bin" $m >"$srv/offline.json"
read -r n_get n_sent n_all < <(python3 - "$srv/offline.json" "$srv/docroot/bench-routes.php" "$btoken" <<'PY'
import json, re, sys
rows = json.load(open(sys.argv[1]))["matrix"]
def regex(url):
    return "#^/" + "/".join("[^/]+" if s.startswith(":") else re.escape(s) for s in url.strip("/").split("/")) + "$#"
def php(s):
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"
def entry(r):
    return "[%s, %s, %s, %s, %s]" % (php(r["method"]), php(regex(r["url"])), "true" if r["allowed"] else "false",
                                     php(", ".join(r["required"])), "true" if ":" in r["url"] else "false")
# As Magento's Rest\Config::getRestRoutes + Rest\Router::match: the route declared with exactly
# the request's path and method, else the last match among all routes in ksort(SORT_STRING) order
# of their url.
with open(sys.argv[2], "w") as f:
    f.write("<?php\n// Written by bench/run.sh from `m2auth acl:matrix --role 4` (offline).\nreturn [%s, [\n" % php(sys.argv[3]))
    for r in rows:
        f.write("    %s => %s,\n" % (php(r["method"] + " " + r["url"]), entry(r)))
    f.write("], [\n")
    for r in sorted(rows, key=lambda r: r["url"].encode()):
        f.write("    %s,\n" % entry(r))
    f.write("]];\n")
get = sum(r["method"] == "GET" for r in rows)
print(get, sum(r["method"] != "DELETE" for r in rows), len(rows))
PY
)
chmod -R a+rX "$srv/docroot"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
fport=$(free_port)
cat >"$srv/fpm/php-fpm.conf" <<CONF
[global]
pid = $srv/fpm/php-fpm.pid
error_log = $srv/fpm/php-fpm.log
daemonize = no

[bench]
listen = 127.0.0.1:$fport
listen.allowed_clients = 127.0.0.1
pm = static
pm.max_children = 4
php_admin_flag[log_errors] = on
php_admin_value[error_log] = $srv/fpm/php-errors.log
CONF
aport=$(free_port)
mods=/usr/lib/apache2/modules
{
    cat <<CONF
# bench/run.sh section 5: a private Apache (apache2 -f this-file -DFOREGROUND)
ServerRoot "$srv"
DefaultRuntimeDir "$srv/run"
PidFile "$srv/run/apache2.pid"
ErrorLog "$srv/error.log"
LogLevel warn
Listen 127.0.0.1:$aport
ServerName 127.0.0.1
CONF
    # unixd and log_config are compiled into Debian's apache2; the others are shared objects.
    for mod in mpm_event authz_core rewrite proxy proxy_fcgi setenvif env dir mime unixd log_config; do
        if [[ -f $mods/mod_$mod.so ]]; then echo "LoadModule ${mod}_module $mods/mod_$mod.so"; fi
    done
    if [[ $(id -u) == 0 ]]; then printf 'User www-data\nGroup www-data\n'; fi
    cat <<CONF
KeepAlive On
MaxKeepAliveRequests 100
KeepAliveTimeout 5
StartServers 1
ServerLimit 2
ThreadsPerChild 25
MaxRequestWorkers 50
TypesConfig /etc/mime.types
# %{remote}p: the client's port (one per connection); %k: requests before this one on it
LogFormat "%h %l %u %t \"%r\" %>s %b %{remote}p %k" bench
CustomLog "$srv/access.log" bench
<Directory />
    AllowOverride None
    Require all denied
</Directory>
AccessFileName .htaccess
<FilesMatch "^\.ht">
    Require all denied
</FilesMatch>
<VirtualHost 127.0.0.1:$aport>
    ServerName 127.0.0.1
    DocumentRoot "$srv/docroot"
    <Directory "$srv/docroot">
        Options FollowSymLinks
        AllowOverride All
        Require all granted
        DirectoryIndex index.php
        CGIPassAuth On
    </Directory>
    <FilesMatch \.php$>
        SetHandler "proxy:fcgi://127.0.0.1:$fport"
    </FilesMatch>
</VirtualHost>
CONF
} >"$srv/apache2.conf"
fpm_bin=/usr/sbin/php-fpm8.2
fpm_args=(-F -y "$srv/fpm/php-fpm.conf")
if [[ $(id -u) == 0 ]]; then fpm_args=(-F -R -y "$srv/fpm/php-fpm.conf"); fi # -R: run as root
"$fpm_bin" "${fpm_args[@]}" >"$srv/fpm/stderr" 2>&1 &
fpm_pid=$!
LANG=C /usr/sbin/apache2 -f "$srv/apache2.conf" -DFOREGROUND >"$srv/apache2.stderr" 2>&1 &
apache_pid=$!
stop_servers() {
    local rc=$?
    kill -TERM "$apache_pid" "$fpm_pid" 2>/dev/null || true
    wait "$apache_pid" "$fpm_pid" 2>/dev/null || true
    if ((rc == 0)); then rm -rf "$srv"; else echo "bench: server logs kept in $srv" >&2; fi
}
trap stop_servers EXIT
for port in "$fport" "$aport"; do
    for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done
done
base=http://127.0.0.1:$aport
# A check before timing: every probe answered, the answers agree with the offline verdicts, and
# how many connections the workers needed (Apache's access log: one client port per connection).
check() {
    : >"$srv/access.log" # Apache holds it open in append mode
    "$bin" $m --token "$btoken" --live "$@" --base-url "$base" >"$srv/check.json" || true
    sleep 0.2 # Apache logs a request after answering it
    python3 - "$srv/check.json" "$srv/access.log" "$*" <<'PY'
import collections, json, sys
d = json.load(open(sys.argv[1]))
st = collections.Counter(str(r["live"]["status"]) for r in d["matrix"] if r["live"])
last = {}  # connection (client port) → status of its last request
for line in open(sys.argv[2]):
    status, _, port, _ = line.rsplit(" ", 4)[1:]
    last[port] = status
closed = collections.Counter(last.values())
print(f"   --live{' ' * bool(sys.argv[3])}{sys.argv[3]}: {d['live']['sent']} of {d['routes']} routes sent ({d['allowed']} allowed offline), "
      f"{d['live']['disagreements']} disagreements; statuses {dict(sorted(st.items()))}; "
      f"{len(last)} connections, by the status of their last request {dict(sorted(closed.items()))}")
if d["live"]["disagreements"] or "None" in st:
    sys.exit("bench: the live answers are not the expected ones")
PY
}
check
check --all-methods
m="$m --token $btoken"
hyperfine -N -i --output=pipe --warmup 2 --runs $((runs * 2)) --export-markdown "$work/live.md" --export-json "$work/live.json" \
    -n "m2auth acl:matrix (offline, baseline)" "$bin $m" \
    -n "m2auth acl:matrix --live ($n_get GET routes)" "$bin $m --live --base-url $base" \
    -n "m2auth acl:matrix --live --all-methods ($n_sent of $n_all routes: no DELETE)" "$bin $m --live --all-methods --base-url $base" \
    -n "m2auth acl:matrix --live --all-methods --concurrency 1" "$bin $m --live --all-methods --concurrency 1 --base-url $base" \
    -n "m2auth acl:matrix --live --all-methods --rate 100" "$bin $m --live --all-methods --rate 100 --base-url $base"
fi

if want cache; then
echo "== 6. reading and comparing the whole config cache (system_default, 12k paths) on file and Redis"
# Two copies of the store: the file backend (var/cache) and Redis (a private redis-server), each
# holding a system_default entry the size of a full store's default scope (12 000 paths, every
# value encrypted as Magento stores it), written by PHP in Cm_Cache_Backend_File's layout and as
# Cm_Cache_Backend_Redis' HASH; the diagnosis reads, decrypts, unserializes and compares it.
command -v redis-server >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get -qq -y install --no-install-recommends redis-server >/dev/null; }
for v in file redis sfile sredis; do rm -rf "$work/store-$v"; cp -a "$work/store" "$work/store-$v"; done
php -r '
$tree = ["oauth" => ["consumer" => ["enable_integration_as_bearer" => "0"], "access_token_lifetime" => ["admin" => "4"]],
         "webapi" => ["jwtauth" => ["admin_expiration" => "60"]]];
for ($s = 0; $s < 300; $s++) for ($g = 0; $g < 5; $g++) for ($f = 0; $f < 8; $f++)
    $tree["section$s"]["group$g"]["field$f"] = "value of section$s/group$g/field$f";
$key = base64_decode(substr("base64B0tdYEmSfYBVmJ5O0eQkTbzBbSvTxNb7vCwGnk6bJ5g=", 6));
$nonce = random_bytes(12);
file_put_contents($argv[1], "0:3:" . base64_encode($nonce . sodium_crypto_aead_chacha20poly1305_ietf_encrypt(serialize($tree), $nonce, $nonce, $key)));
$id = "69d_SYSTEM_DEFAULT"; $dir = $argv[2] . "/var/cache";
@mkdir("$dir/mage--" . substr(md5($id), -1), 0777, true); @mkdir("$dir/mage-tags", 0777, true);
$meta = ["hash" => "", "mtime" => time(), "expire" => 9999999999, "tags" => "69d_CONFIG,69d_CONFIG_SCOPES,69d_MAGE"];
file_put_contents("$dir/mage--" . substr(md5($id), -1) . "/mage---$id", serialize($meta) . "\n" . file_get_contents($argv[1]));
foreach (explode(",", $meta["tags"]) as $t) file_put_contents("$dir/mage-tags/mage---$t", "$id\n", FILE_APPEND);
$e = include $argv[3] . "/app/etc/env.php";
$e["cache"]["frontend"]["default"]["backend"] = "Magento\\Framework\\Cache\\Backend\\Redis";
$e["cache"]["frontend"]["default"]["backend_options"] = ["server" => $argv[4], "port" => "0", "database" => "0"];
file_put_contents($argv[3] . "/app/etc/env.php", "<?php\nreturn " . var_export($e, true) . ";\n");
' "$work/system_default.bin" "$work/store-file" "$work/store-redis" "$work/redis.sock"
redis-server --port 0 --unixsocket "$work/redis.sock" --save "" --appendonly no --daemonize yes --pidfile "$work/redis.pid" --dir "$work" >/dev/null
for _ in $(seq 50); do [[ -S $work/redis.sock ]] && break; sleep 0.1; done
rc() { redis-cli -s "$work/redis.sock" "$@" >/dev/null; }
redis-cli -s "$work/redis.sock" -x HSET zc:k:69d_SYSTEM_DEFAULT d <"$work/system_default.bin" >/dev/null
rc HSET zc:k:69d_SYSTEM_DEFAULT t 69d_CONFIG,69d_CONFIG_SCOPES,69d_MAGE m "$(date +%s)" i 1
for t in 69d_CONFIG 69d_CONFIG_SCOPES 69d_MAGE; do rc SADD "zc:ti:$t" 69d_SYSTEM_DEFAULT; rc SADD zc:tags "$t"; done
# The same entry in 2.4.9's Symfony layer (docs/cache-symfony.md): backend `file` (symfony/cache's
# xxh128-named file under var/cache/69d_/) and `redis` (SET 69d_:SYSTEM_DEFAULT in database 1 of
# the same server), Magento's wrapper array serialize()d, the framework's layer file present.
php -r '
$v = ["data" => file_get_contents($argv[1]), "mtime" => time(), "expire" => null, "tags" => ["CONFIG", "CONFIG_SCOPES", "MAGE"]];
file_put_contents($argv[1] . ".sf", serialize($v));
$h = str_replace("/", "-", base64_encode(hash("xxh128", "Symfony\\Component\\Cache\\Adapter\\FilesystemAdapterSYSTEM_DEFAULT", true)));
$sub = $argv[2] . "/var/cache/69d_/" . strtoupper($h[0] . "/" . $h[1] . "/");
@mkdir($sub, 0777, true); @mkdir($argv[2] . "/var/cache/tags", 0777, true);
file_put_contents($sub . substr($h, 2, 20), "0\nSYSTEM_DEFAULT\n" . serialize($v));
foreach ($v["tags"] as $t) file_put_contents($argv[2] . "/var/cache/tags/$t", "SYSTEM_DEFAULT\n");
foreach ([[$argv[2], "file", []], [$argv[3], "redis", ["server" => $argv[4], "port" => "0", "database" => "1"]]] as [$root, $b, $o]) {
    @mkdir("$root/vendor/magento/framework/Cache/Frontend/Adapter", 0777, true);
    touch("$root/vendor/magento/framework/Cache/Frontend/Adapter/SymfonyAdapterProvider.php");
    $e = include "$root/app/etc/env.php";
    $e["cache"]["frontend"]["default"]["backend"] = $b;
    if ($o) $e["cache"]["frontend"]["default"]["backend_options"] = $o;
    file_put_contents("$root/app/etc/env.php", "<?php\nreturn " . var_export($e, true) . ";\n");
}
' "$work/system_default.bin" "$work/store-sfile" "$work/store-sredis" "$work/redis.sock"
redis-cli -s "$work/redis.sock" -n 1 -x SET 69d_:SYSTEM_DEFAULT <"$work/system_default.bin.sf" >/dev/null
for t in CONFIG CONFIG_SCOPES MAGE; do redis-cli -s "$work/redis.sock" -n 1 SADD "cache:tags:69d_$t" SYSTEM_DEFAULT >/dev/null; done
d="diagnose --offline --dump $work/small.sql --format json"
hyperfine -N --output=pipe -i --warmup 3 --runs $((runs * 3)) --export-markdown "$work/cache.md" --export-json "$work/cache.json" \
    -n "m2auth diagnose, no cache entries (baseline)" "$bin $d --root $work/store" \
    -n "m2auth diagnose, file cache: read + compare system_default" "$bin $d --root $work/store-file" \
    -n "m2auth diagnose, Redis cache: read + compare system_default" "$bin $d --root $work/store-redis" \
    -n "m2auth diagnose, 2.4.9 Symfony file cache: read + compare system_default" "$bin $d --root $work/store-sfile" \
    -n "m2auth diagnose, 2.4.9 Symfony Redis cache: read + compare system_default" "$bin $d --root $work/store-sredis"
kill "$(cat "$work/redis.pid")" 2>/dev/null || true
fi

if want logs; then
echo "== 7. logs:scan of a $size combined access log (~7M lines/GiB, ~2% REST 401s over 300 routes, 3500 clients)"
# Targets: logs:scan with its full aggregation (routes folded with the store's route index,
# clients, agents, stores, timeline, token endpoint, brute force) <= 1.2x the time of `rg -c`
# counting the 401 lines; >= 2.5x faster than an awk aggregation by route; peak RSS < 64 MiB.
alog="$work/access-$size.log"
[[ -f $alog ]] || python3 bench/gen-access-log.py --store "$work/store" --size "$size" --out "$alog" >"$alog.counts.json"
cat "$alog" >/dev/null # in the page cache for every contender
scan="$bin logs:scan --access-log $alog --root $work/store --dump $work/small.sql --format json --quiet"
hyperfine -N --output=pipe --warmup 1 --runs "$runs" --export-markdown "$work/logs.md" --export-json "$work/logs.json" \
    -n "m2auth logs:scan (full aggregation)" "$scan" \
    -n "rg -c (401 lines)" "rg -c '\" 401 ' $alog" \
    -n "awk (401s by route)" "awk '\$9 == 401 { split(\$7, p, \"?\"); n[\$6 \" \" p[1]]++ } END { for (k in n) print n[k], k }' $alog"
/usr/bin/time -f "logs:scan peak RSS %M KiB" $scan >"$work/logs-scan.json"
python3 - "$alog.counts.json" "$work/logs-scan.json" <<'PY'
import json, sys
want, got = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))["totals"]
for k in ("rest_401", "rest_403", "rest_requests"):
    assert want[k] == got[k], (k, want[k], got[k])
print(f"logs:scan counts match the generator: {got['rest_401']} REST 401s, {got['rest_403']} 403s, {got['lines']} lines")
PY
fi

ran=()
for f in info acl cred live cache logs; do if want $f; then ran+=("$work/$f.json"); fi; done
python3 - "${bytes:-0}" "$(want dump && echo "$work/dump.json")" "${ran[@]}" <<'PY'
import json, sys
size, dump = int(sys.argv[1]), sys.argv[2]
print("\nsummary")
for path in sys.argv[3:]:
    for r in json.load(open(path))["results"]:
        print(f"  {r['command']:<60} {r['mean']*1000:8.1f} ms ± {r['stddev']*1000:.1f}")
if dump:
    for r in json.load(open(dump))["results"]:
        print(f"  {r['command']:<60} {r['mean']:8.2f} s   {size / r['mean'] / 1e6:7.0f} MB/s")
PY
