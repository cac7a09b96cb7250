#!/usr/bin/env bash
# The perms benchmark of docs/benchmarks.md §7, rerunnable by anyone:
#
#   bench/perms.sh [FILES]        # default 500000
#
# Generates a Magento-shaped tree of FILES files with 1% of the entries wrong
# (bench/gen-perms-tree.py) under $M2AUTH_BENCH_DIR (default /tmp/m2auth-bench), and, side by side
# in one run (hyperfine, warm cache):
#   1. `m2auth perms:check` against one `find … -perm` pass over the same tree;
#   2. `m2auth perms:fix --apply` against the classic three commands (find -exec chmod g+w,
#      find -exec chmod g+ws, chmod u+x bin/magento), each on a fresh identical copy (cp -a);
#   3. peak memory of perms:check and perms:fix --apply (/usr/bin/time -v).
set -euo pipefail
repo="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
cd "$repo"
files=${1:-500000}
work="${M2AUTH_BENCH_DIR:-/tmp/m2auth-bench}/perms-$files"
command -v hyperfine >/dev/null || { apt-get install -y hyperfine >/dev/null; }
cargo build --release -q
bin="$repo/target/release/m2auth"
mkdir -p "$work"
if [[ ! -d $work/store ]]; then
    python3 bench/gen-perms-tree.py "$work/store" --files "$files"
fi
folders="var generated vendor pub/static pub/media app/etc"
echo "== 1. perms:check vs one find -perm pass"
hyperfine -i --output=pipe --warmup 1 --runs 5 --export-markdown "$work/check.md" \
    -n 'm2auth perms:check' "$bin --root $work/store perms:check --quiet --web-user root:root --format json" \
    -n 'find -perm (one pass)' "cd $work/store && find . \\( -type f ! -perm -g+w \\) -o \\( -type d ! -perm -g+ws \\) -o -perm -o+w"
echo "== 2. perms:fix --apply vs the classic find/chmod pipeline (fresh copies)"
hyperfine -i --output=pipe --runs 3 --export-markdown "$work/fix.md" \
    --prepare "rm -rf $work/copy && cp -a $work/store $work/copy && sync" \
    -n 'm2auth perms:fix --apply' "$bin --root $work/copy perms:fix --apply --quiet --web-user root:root" \
    -n 'find/chmod (3 commands)' "cd $work/copy && find $folders -type f -exec chmod g+w {} + && find $folders -type d -exec chmod g+ws {} + && chmod u+x bin/magento"
echo "== 3. peak memory"
rm -rf "$work/copy" && cp -a "$work/store" "$work/copy"
/usr/bin/time -v "$bin" --root "$work/store" perms:check --quiet --web-user root:root > /dev/null 2> "$work/check.time" || true
/usr/bin/time -v "$bin" --root "$work/copy" perms:fix --apply --quiet --web-user root:root > /dev/null 2> "$work/fix.time" || true
grep "Maximum resident" "$work/check.time" | sed 's/^/perms:check: /'
grep "Maximum resident" "$work/fix.time" | sed 's/^/perms:fix --apply: /'
"$bin" --root "$work/copy" perms:check --quiet --web-user root:root | tail -1
cat "$work/check.md" "$work/fix.md"
rm -rf "$work/copy"
