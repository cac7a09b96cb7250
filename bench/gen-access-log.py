#!/usr/bin/env python3
"""Generate a combined-format access log for the logs:scan benchmark (docs/benchmarks.md §7).

About 7M lines per GiB: ~88% storefront pages and assets, ~10% REST (of all lines ~2% answered
401 and ~0.3% 403, over a few hundred routes with their parameters filled in), ~1% GraphQL, a few
malformed lines; a few thousand clients (IPv4 and IPv6), times rising over a week. The REST
routes are read from the webapi.xml files of a store made by bench/gen-store.py, so m2auth folds
them back onto the same patterns. Deterministic (seeded). Prints the counts it wrote as JSON on
stdout.

usage: bench/gen-access-log.py --store DIR --size 1G --out FILE
"""
import argparse, glob, json, random, re, sys

def size_arg(s):
    m = re.fullmatch(r"(\d+)([KMG]?)", s)
    return int(m.group(1)) * {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}[m.group(2)]

ap = argparse.ArgumentParser()
ap.add_argument("--store", required=True)
ap.add_argument("--size", type=size_arg, default="1G")
ap.add_argument("--out", required=True)
a = ap.parse_args()
rnd = random.Random(7)

routes = []
for f in sorted(glob.glob(f"{a.store}/vendor/*/*/etc/webapi.xml")):
    text = open(f, encoding="utf-8").read()
    for url, method in re.findall(r'<route\s+url="([^"]+)"\s+method="([A-Z]+)"', text):
        routes.append((method, url))
routes = sorted(set(routes))
if not routes:
    sys.exit(f"no webapi.xml routes under {a.store}")
rnd.shuffle(routes)
failing = routes[:300]

def fill(url):
    return re.sub(r":\w+", lambda m: str(rnd.randint(1, 5000)) if "id" in m.group(0).lower() else f"sku-{rnd.randint(1, 900)}", url)

# A pool of concrete request lines per kind, reused with random clients and times.
rest_ok = [f'{m} /rest/default{fill(u)} HTTP/1.1' for m, u in routes for _ in range(3)]
rest_fail = [f'{m} /rest/default{fill(u)} HTTP/1.1' for m, u in failing for _ in range(3)]
pages = [f"GET /{p} HTTP/1.1" for p in
         ["", "women.html", "men/tops.html", "checkout/cart/", "customer/account/login/", "catalogsearch/result/?q=shirt"]
         + [f"static/version1700000000/frontend/Magento/luma/en_US/{x}.js" for x in ("requirejs/require", "mage/common", "jquery", "knockout")]
         + [f"media/catalog/product/w/s/ws{i:02d}-red_main.jpg" for i in range(40)]]
gql = ["POST /graphql HTTP/1.1", "GET /graphql?query=%7BstoreConfig%7Bstore_code%7D%7D HTTP/1.1"]
clients = [f"{rnd.randint(1, 223)}.{rnd.randint(0, 255)}.{rnd.randint(0, 255)}.{rnd.randint(1, 254)}" for _ in range(3000)]
clients += [f"2001:db8:{rnd.randint(0, 65535):x}::{rnd.randint(1, 65535):x}" for _ in range(500)]
agents = ['Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36',
          'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Mobile/15E148',
          'python-requests/2.31.0', 'GuzzleHttp/7', 'curl/8.4.0', 'PostmanRuntime/7.36.0']
months = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()

counts = {"lines": 0, "rest_requests": 0, "rest_401": 0, "rest_403": 0, "graphql_requests": 0, "malformed": 0}
t0 = 1714521600  # 2024-05-01T00:00:00Z
written = 0
with open(a.out, "w", encoding="utf-8", newline="\n") as out:
    buf = []
    i = 0
    while written < a.size:
        i += 1
        t = t0 + i * 604800 // 7_000_000 * (1 << 30) // max(a.size, 1)
        day, rest_s = divmod(t - t0, 86400)
        hh, rem = divmod(rest_s, 3600)
        mm, ss = divmod(rem, 60)
        stamp = f"{1 + day % 28:02d}/May/2024:{hh:02d}:{mm:02d}:{ss:02d} +0000"
        r = rnd.random()
        if r < 0.02:
            req, status = rnd.choice(rest_fail), 401
            counts["rest_requests"] += 1; counts["rest_401"] += 1
        elif r < 0.023:
            req, status = rnd.choice(rest_fail), 403
            counts["rest_requests"] += 1; counts["rest_403"] += 1
        elif r < 0.10:
            req, status = rnd.choice(rest_ok), 200
            counts["rest_requests"] += 1
        elif r < 0.11:
            req, status = rnd.choice(gql), 200
            counts["graphql_requests"] += 1
        elif r < 0.11002:
            line = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 malformed"
            counts["malformed"] += 1
            buf.append(line)
            written += len(line) + 1
            counts["lines"] += 1
            continue
        else:
            req, status = rnd.choice(pages), rnd.choice((200, 200, 200, 304, 404))
        line = f'{rnd.choice(clients)} - - [{stamp}] "{req}" {status} {rnd.randint(200, 90000)} "-" "{rnd.choice(agents)}"'
        buf.append(line)
        written += len(line) + 1
        counts["lines"] += 1
        if len(buf) >= 10000:
            out.write("\n".join(buf) + "\n")
            buf = []
    if buf:
        out.write("\n".join(buf) + "\n")
json.dump(counts, sys.stdout)
print()
