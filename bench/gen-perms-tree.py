#!/usr/bin/env python3
"""A Magento-shaped tree for the perms benchmark (docs/benchmarks.md §7).

    bench/gen-perms-tree.py DIR [--files 500000] [--wrong 0.01] [--seed 1]

Layout like a real store: vendor/ with 300 packages (src/Model/…, etc/, view/…), pub/media with
Magento's hashed catalog folders (catalog/product/a/b/), pub/static deployed themes, generated/code
per vendor namespace, var/cache with the file backend's mage--0..f folders, var/log, app/code,
app/etc/env.php (default mode), bin/magento. Every file 0664 and folder 02775 (right for default
mode), except a `--wrong` fraction of the entries, chosen at random: files 0644 (no group write),
folders 0755 (no group write, no setgid), and one in ten of them world-writable (0666/0777).
Writes DIR/wrong.txt (the store-relative paths made wrong) and prints the counts.
"""
import argparse
import os
import random

p = argparse.ArgumentParser()
p.add_argument("dir")
p.add_argument("--files", type=int, default=500_000)
p.add_argument("--wrong", type=float, default=0.01)
p.add_argument("--seed", type=int, default=1)
a = p.parse_args()
rnd = random.Random(a.seed)
root = os.path.abspath(a.dir)
os.umask(0)
os.makedirs(root, exist_ok=True)
os.chmod(root, 0o2775)
n = a.files
share = {"vendor": 0.50, "media": 0.30, "static": 0.08, "generated": 0.08, "var": 0.03, "app": 0.01}
dirs_made = []
files_made = []


def mkdir(rel):
    """Create rel and its missing parents, each 02775 (mkdir ignores the setgid bit)."""
    parts = rel.split("/")
    for i in range(1, len(parts) + 1):
        sub = "/".join(parts[:i])
        path = os.path.join(root, sub)
        if not os.path.isdir(path):
            os.mkdir(path)
            os.chmod(path, 0o2775)
            dirs_made.append(sub)


def write(rel, body=b"<?php\n"):
    with open(os.path.join(root, rel), "wb") as f:
        f.write(body)
    os.chmod(os.path.join(root, rel), 0o664)
    files_made.append(rel)


def spread(prefix, count, dirs):
    """count files over the folders `dirs` (relative to prefix)."""
    for d in dirs:
        mkdir(os.path.join(prefix, d))
    for i in range(count):
        d = dirs[i % len(dirs)]
        write(os.path.join(prefix, d, f"F{i}.php"))


mkdir("app/etc")
write("app/etc/env.php", b"<?php\nreturn ['MAGE_MODE' => 'default', 'crypt' => ['key' => 'bench']];\n")
os.chmod(os.path.join(root, "app/etc/env.php"), 0o660)
write("app/etc/config.php", b"<?php\nreturn ['modules' => []];\n")
mkdir("bin")
write("bin/magento", b"#!/usr/bin/env php\n")
os.chmod(os.path.join(root, "bin/magento"), 0o775)
for top in ["lib/internal", "setup", "dev", "pub/errors"]:
    mkdir(top)
write("pub/index.php")
write("index.php")

# vendor: 300 packages, ~40 folders each
per_pkg = int(n * share["vendor"]) // 300
for i in range(300):
    vendor = ["magento", "laminas", "symfony", "monolog", "composer", "guzzlehttp"][i % 6]
    pkg = f"vendor/{vendor}/package-{i}"
    sub = [f"src/Model/Part{k}" for k in range(12)] + [f"view/frontend/templates/t{k}" for k in range(10)] + \
          [f"Test/Unit/Case{k}" for k in range(12)] + ["etc", "etc/adminhtml", "i18n", "Setup/Patch/Data", "Api/Data", "Block"]
    spread(pkg, per_pkg, sub)

# pub/media: catalog/product/<a>/<b>/ hashed folders, deep
hexes = "0123456789abcdefghijklmnopqrstuvwxyz"
media_dirs = [f"catalog/product/{x}/{y}" for x in hexes for y in hexes]
media_dirs += [f"catalog/product/cache/{h:032x}/{x}/{y}" for h in range(4) for x in hexes[:10] for y in hexes[:10]]
spread("pub/media", int(n * share["media"]), media_dirs)

# pub/static: themes × locales
static_dirs = [f"frontend/Vendor/theme{t}/{loc}/Module_{m}/js" for t in range(3) for loc in ("en_US", "de_DE") for m in range(60)]
spread("pub/static", int(n * share["static"]), static_dirs)

# generated/code: per namespace
gen_dirs = [f"code/Magento/Module{m}/Model/{k}" for m in range(120) for k in ("Interceptor", "Proxy", "Factory")]
spread("generated", int(n * share["generated"]), gen_dirs)
mkdir("generated/metadata")

# var: file cache mage--0..f, page_cache, log, session
var_dirs = [f"cache/mage--{x}" for x in "0123456789abcdef"] + [f"page_cache/mage--{x}" for x in "0123456789abcdef"] + ["log", "session", "report"]
spread("var", int(n * share["var"]), var_dirs)

# app/code
app_dirs = [f"Acme/Module{m}/Model" for m in range(40)]
spread("app/code", n - len(files_made) if n > len(files_made) else 0, app_dirs)

# 1 % wrong
entries = [(r, True) for r in files_made] + [(r, False) for r in dirs_made]
wrong = rnd.sample(entries, int(len(entries) * a.wrong))
with open(os.path.join(root, "..", os.path.basename(root) + ".wrong.txt"), "w") as out:
    for rel, is_file in wrong:
        world = rnd.random() < 0.1
        mode = (0o666 if world else 0o644) if is_file else (0o777 if world else 0o755)
        os.chmod(os.path.join(root, rel), mode)
        out.write(rel + "\n")
print(f"{len(files_made)} files, {len(dirs_made)} folders, {len(wrong)} made wrong")
