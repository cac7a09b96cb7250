//! The cache lab: a private `redis-server` per test (loopback TCP with a password, and a unix
//! socket), and writers of cache entries in Magento's formats that do not use m2auth's code:
//! file-backend entries are written by PHP (`serialize()` of the metadata, md5 folder, tag
//! files appended) with a snippet of ours, Redis entries with HSET/SADD as the Cm backend sends
//! them, the encrypted scoped configuration by PHP's sodium.
//!
//! One server per test (not one per run): `cache:flush` is FLUSHDB, which must not race with
//! other tests' entries.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::fixture::MAGENTO_CRYPT_KEY;
use super::{php, php_quote};

pub const REDIS_PASSWORD: &str = "r3dis-Lab-pass";

/// A running private redis-server, stopped on Drop.
pub struct Redis {
    child: Child,
    pub port: u16,
    /// The TLS port (the lab's server certificate for 127.0.0.1), when started by [`redis_tls`].
    pub tls_port: Option<u16>,
    pub socket: PathBuf,
    _dir: tempfile::TempDir,
}

/// `redis-server` on a free loopback port with [`REDIS_PASSWORD`] and a unix socket, or `None`
/// (a skip message; a panic under `CI`) when it is not installed.
pub fn redis() -> Option<Redis> {
    start(false)
}

/// [`redis`] plus a TLS port with the lab's server certificate (scripts/test makes it; CA in
/// `M2AUTH_LAB_TLS_CA`), or `None` with a skip message outside scripts/test.
pub fn redis_tls() -> Option<Redis> {
    if std::env::var_os("M2AUTH_LAB_TLS_CA").is_none() {
        eprintln!("skipped: M2AUTH_LAB_TLS_CA is not set (run through scripts/test)");
        return None;
    }
    start(true)
}

fn start(tls: bool) -> Option<Redis> {
    let bin = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"]
        .into_iter()
        .find(|p| Path::new(p).exists());
    let Some(bin) = bin else {
        if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
            panic!("CI is set but redis-server is not installed (scripts/test installs it)");
        }
        eprintln!("skipped: redis-server is not installed (scripts/test installs it)");
        return None;
    };
    let dir = tempfile::Builder::new()
        .prefix("m2r")
        .tempdir_in("/tmp")
        .unwrap();
    let socket = dir.path().join("redis.sock");
    let port = super::web::free_port();
    let mut extra: Vec<String> = Vec::new();
    let mut tls_port = None;
    if tls {
        let ca = PathBuf::from(std::env::var_os("M2AUTH_LAB_TLS_CA").unwrap());
        let dir = ca.parent().unwrap();
        let p = super::web::free_port();
        tls_port = Some(p);
        extra = vec![
            "--tls-port".into(),
            p.to_string(),
            "--tls-cert-file".into(),
            dir.join("server.pem").to_str().unwrap().into(),
            "--tls-key-file".into(),
            dir.join("server.key").to_str().unwrap().into(),
            "--tls-ca-cert-file".into(),
            ca.to_str().unwrap().into(),
            "--tls-auth-clients".into(),
            "no".into(),
        ];
    }
    let child = Command::new(bin)
        .args(&extra)
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--requirepass",
            REDIS_PASSWORD,
            "--unixsocket",
            socket.to_str().unwrap(),
            "--unixsocketperm",
            "700",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            dir.path().to_str().unwrap(),
            "--databases",
            "16",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start redis-server");
    let r = Redis {
        child,
        port,
        tls_port,
        socket,
        _dir: dir,
    };
    let t0 = Instant::now();
    while !r.socket.exists()
        || std::net::TcpStream::connect(("127.0.0.1", port)).is_err()
        || tls_port.is_some_and(|p| std::net::TcpStream::connect(("127.0.0.1", p)).is_err())
    {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "redis-server did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    Some(r)
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Redis {
    /// A connection to database `db` over TCP with the password.
    pub fn conn(&self, db: i64) -> redis::Connection {
        let url = format!("redis://:{}@127.0.0.1:{}/{db}", REDIS_PASSWORD, self.port);
        redis::Client::open(url).unwrap().get_connection().unwrap()
    }

    /// env.php `backend_options` for this server over TCP.
    pub fn tcp_options(&self, db: i64) -> serde_json::Value {
        serde_json::json!({
            "server": "127.0.0.1",
            "port": self.port.to_string(),
            "database": db.to_string(),
            "password": REDIS_PASSWORD,
            "compress_data": "1",
            "compression_lib": "gzip",
        })
    }

    /// env.php `backend_options` for this server over TLS (`tls://127.0.0.1`).
    pub fn tls_options(&self, db: i64) -> serde_json::Value {
        serde_json::json!({
            "server": "tls://127.0.0.1",
            "port": self.tls_port.expect("started by redis_tls").to_string(),
            "database": db.to_string(),
            "password": REDIS_PASSWORD,
            "compress_data": "1",
            "compression_lib": "gzip",
        })
    }

    /// env.php `backend_options` for this server over its unix socket.
    pub fn socket_options(&self, db: i64) -> serde_json::Value {
        serde_json::json!({
            "server": self.socket.to_str().unwrap(),
            "port": "0",
            "database": db.to_string(),
            "password": REDIS_PASSWORD,
        })
    }

    /// An entry as `Cm_Cache_Backend_Redis::save()` (no Lua) stores it: HASH `zc:k:<ID>` with
    /// `d`, `t`, `m`, `i`, and the id in each `zc:ti:<TAG>` set and the tags in `zc:tags`.
    /// `data` is stored as given (already compressed or not).
    pub fn entry(
        &self,
        db: i64,
        id: &str,
        data: &[u8],
        tags: &[&str],
        mtime: i64,
        ttl: Option<i64>,
    ) {
        let mut c = self.conn(db);
        let key = format!("zc:k:{id}");
        let _: () = redis::cmd("HSET")
            .arg(&key)
            .arg("d")
            .arg(data)
            .arg("t")
            .arg(tags.join(","))
            .arg("m")
            .arg(mtime)
            .arg("i")
            .arg(if ttl.is_some() { 0 } else { 1 })
            .query(&mut c)
            .unwrap();
        if let Some(t) = ttl {
            let _: () = redis::cmd("EXPIRE").arg(&key).arg(t).query(&mut c).unwrap();
        }
        for t in tags {
            let _: () = redis::cmd("SADD")
                .arg(format!("zc:ti:{t}"))
                .arg(id)
                .query(&mut c)
                .unwrap();
            let _: () = redis::cmd("SADD")
                .arg("zc:tags")
                .arg(*t)
                .query(&mut c)
                .unwrap();
        }
    }

    /// Every key of database `db`, sorted.
    pub fn keys(&self, db: i64) -> Vec<String> {
        let mut k: Vec<String> = redis::cmd("KEYS")
            .arg("*")
            .query(&mut self.conn(db))
            .unwrap();
        k.sort();
        k
    }

    pub fn set(&self, db: i64, key: &str, value: &str) {
        let _: () = redis::cmd("SET")
            .arg(key)
            .arg(value)
            .query(&mut self.conn(db))
            .unwrap();
    }
}

/// `gzcompress($data, 1)` with Cm's `gz:\x1f\x8b` prefix, made by PHP.
pub fn php_gz(data: &[u8]) -> Option<Vec<u8>> {
    let hex = php(&format!(
        "echo bin2hex('gz:'.\"\\x1f\\x8b\".gzcompress(hex2bin('{}'), 1));",
        hex(data)
    ))?;
    Some(unhex(hex.trim()))
}

/// A file-backend entry written by PHP as `Cm_Cache_Backend_File::save()` lays it out (Magento's
/// options: prefix `mage`, level 1): `<dir>/mage--<last md5 hex>/mage---<ID>` holding
/// `serialize([hash, mtime, expire, tags])."\n".$data`, the id appended to each tag file
/// `<dir>/mage-tags/mage---<TAG>`. `expire` `None` = infinite (9999999999).
pub fn file_entry(
    dir: &Path,
    id: &str,
    data: &[u8],
    tags: &[&str],
    mtime: i64,
    expire: Option<i64>,
) -> Option<()> {
    let tags = format!(
        "[{}]",
        tags.iter()
            .map(|t| php_quote(t))
            .collect::<Vec<_>>()
            .join(",")
    );
    let code = format!(
        r#"$dir = {dir}; $id = {id}; $data = hex2bin('{data}'); $tags = {tags};
$sub = $dir . '/mage--' . substr(md5($id), -1);
@mkdir($sub, 0777, true); @mkdir($dir . '/mage-tags', 0777, true);
$meta = ['hash' => '', 'mtime' => {mtime}, 'expire' => {expire}, 'tags' => implode(',', $tags)];
file_put_contents($sub . '/mage---' . $id, serialize($meta) . "\n" . $data);
foreach ($tags as $t) {{ file_put_contents($dir . '/mage-tags/mage---' . $t, $id . "\n", FILE_APPEND); }}
echo 'ok';"#,
        dir = php_quote(dir.to_str().unwrap()),
        id = php_quote(id),
        data = hex(data),
        expire = expire.unwrap_or(9_999_999_999),
    );
    let out = php(&code)?;
    assert_eq!(out, "ok");
    Some(())
}

/// The scoped default configuration as Magento caches it (`system_default`):
/// `serialize($tree)` encrypted with ChaCha20-Poly1305 (nonce = AAD) under key 0 of
/// [`MAGENTO_CRYPT_KEY`], `0:3:<base64(nonce . ciphertext)>`; made by PHP's sodium. `tree` is
/// JSON (objects become arrays, every leaf a string as Magento's config holds it).
pub fn php_config_payload(tree: &serde_json::Value) -> Option<String> {
    let key = MAGENTO_CRYPT_KEY.strip_prefix("base64").unwrap();
    php(&format!(
        r#"$tree = json_decode({json}, true); $key = base64_decode({key});
$nonce = random_bytes(12);
echo '0:3:' . base64_encode($nonce . sodium_crypto_aead_chacha20poly1305_ietf_encrypt(serialize($tree), $nonce, $nonce, $key));"#,
        json = php_quote(&tree.to_string()),
        key = php_quote(key),
    ))
}

/// The cached ACL rules as `Loader\Rule` stores them: JSON of `fetchAll()` of
/// authorization_rule (every column a string, `null` for NULL).
pub fn acl_rules_json(db: &super::LabDb) -> String {
    let rows = db.query(&format!(
        "SELECT rule_id, role_id, resource_id, privileges, permission FROM {} ORDER BY rule_id",
        db.table("authorization_rule")
    ));
    let cols = [
        "rule_id",
        "role_id",
        "resource_id",
        "privileges",
        "permission",
    ];
    let list: Vec<serde_json::Value> = rows
        .into_iter()
        .map(|r| {
            let mut m = serde_json::Map::new();
            for (c, v) in cols.iter().zip(r) {
                m.insert(
                    c.to_string(),
                    v.map(serde_json::Value::String)
                        .unwrap_or(serde_json::Value::Null),
                );
            }
            serde_json::Value::Object(m)
        })
        .collect();
    serde_json::Value::Array(list).to_string()
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|c| format!("{c:02x}")).collect()
}

pub fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// The cached web API configuration as `Magento\Webapi\Model\Config` stores it (JSON of the
/// merged webapi.xml: `routes[<url>][<METHOD>]` with `resources{<ref>: true}`), made by PHP's
/// DOM from the store's vendor/magento/module-*/etc/webapi.xml, minus the routes in `drop`
/// (`"METHOD URL"`).
pub fn php_webapi_config(root: &Path, drop: &[&str]) -> Option<String> {
    let drop = format!(
        "[{}]",
        drop.iter()
            .map(|d| php_quote(d))
            .collect::<Vec<_>>()
            .join(",")
    );
    php(&format!(
        r#"$routes = []; $drop = {drop};
foreach (glob({root} . '/vendor/magento/module-*/etc/webapi.xml') as $f) {{
  $d = new DOMDocument(); $d->load($f);
  foreach ($d->getElementsByTagName('route') as $r) {{
    $url = trim($r->getAttribute('url')); $m = $r->getAttribute('method');
    if (in_array("$m $url", $drop)) continue;
    $res = [];
    foreach ($r->getElementsByTagName('resource') as $x) $res[$x->getAttribute('ref')] = true;
    $routes[$url][$m] = ['secure' => $r->getAttribute('secure') === 'true', 'resources' => $res];
  }}
}}
echo json_encode(['services' => new stdClass, 'routes' => $routes]);"#,
        root = php_quote(root.to_str().unwrap()),
    ))
}

/// The marker m2auth detects 2.4.9's Symfony cache layer by: the framework's
/// `Cache/Frontend/Adapter/SymfonyAdapterProvider.php` (an empty stand-in here, not Magento's).
pub const SYMFONY_LAYER_FILE: &str =
    "vendor/magento/framework/Cache/Frontend/Adapter/SymfonyAdapterProvider.php";

/// The PHP of `$value`, the value Magento's Symfony frontend hands to the pool for `$data`:
/// the wrapper `['data', 'mtime', 'expire', 'tags']` (tags normalised, no prefix; expire null =
/// no lifetime), as `Adapter\Symfony::prepareItemWithMetadata()` builds it.
fn symfony_value_php(data: &[u8], tags: &[&str], mtime: i64, lifetime: Option<i64>) -> String {
    format!(
        "$value = ['data' => hex2bin('{data}'), 'mtime' => {mtime}, 'expire' => {expire}, 'tags' => [{tags}]];",
        data = hex(data),
        expire = lifetime.map_or("null".to_string(), |l| (mtime + l).to_string()),
        tags = tags
            .iter()
            .map(|t| php_quote(t))
            .collect::<Vec<_>>()
            .join(","),
    )
}

/// An entry of 2.4.9's Symfony file cache written by PHP as symfony/cache 6.3+ and Magento's
/// `FilesystemTagAdapter` lay it out: `<dir>/<ns>/<A>/<B>/<rest>` from
/// `base64(xxh128('Symfony\Component\Cache\Adapter\FilesystemAdapter' . $key))` (`/` → `-`,
/// `A`/`B` upper-cased, `rest` = 20 characters from the third), holding
/// `<expiry or 0>\n<rawurlencode($key)>\n<serialize($value)>`, mtime = expiry (or now + 1 year);
/// the key added to `<dir>/tags/<TAG>` and its tags written to `<dir>/idtags/<key>`.
pub fn symfony_file_entry(
    dir: &Path,
    ns: &str,
    key: &str,
    data: &[u8],
    tags: &[&str],
    mtime: i64,
    lifetime: Option<i64>,
) -> Option<()> {
    let code = format!(
        r#"$dir = {dir}; $ns = {ns}; $key = {key}; {value}
$h = str_replace('/', '-', base64_encode(hash('xxh128', 'Symfony\\Component\\Cache\\Adapter\\FilesystemAdapter' . $key, true)));
$sub = $dir . '/' . $ns . '/' . strtoupper($h[0] . '/' . $h[1] . '/');
@mkdir($sub, 0777, true);
$expiresAt = {expires_at};
file_put_contents($sub . substr($h, 2, 20), $expiresAt . "\n" . rawurlencode($key) . "\n" . serialize($value));
touch($sub . substr($h, 2, 20), $expiresAt ?: {mtime} + 31556952);
if ($value['tags']) {{
  @mkdir($dir . '/tags', 0770, true); @mkdir($dir . '/idtags', 0770, true);
  foreach ($value['tags'] as $t) {{
    $f = $dir . '/tags/' . $t;
    $ids = file_exists($f) ? explode("\n", trim(file_get_contents($f))) : [];
    if (!in_array($key, $ids, true)) {{ $ids[] = $key; }}
    file_put_contents($f, implode("\n", array_filter($ids, 'strlen')) . "\n");
  }}
  file_put_contents($dir . '/idtags/' . $key, implode("\n", $value['tags']) . "\n");
}}
echo 'ok';"#,
        dir = php_quote(dir.to_str().unwrap()),
        ns = php_quote(ns),
        key = php_quote(key),
        value = symfony_value_php(data, tags, mtime, lifetime),
        expires_at = lifetime.map_or(0, |l| mtime + l),
    );
    let out = php(&code)?;
    assert_eq!(out, "ok");
    Some(())
}

/// The path of a Symfony file-cache entry, computed by PHP (for assertions).
pub fn symfony_file_path(dir: &Path, ns: &str, key: &str) -> Option<PathBuf> {
    let out = php(&format!(
        r#"$h = str_replace('/', '-', base64_encode(hash('xxh128', 'Symfony\\Component\\Cache\\Adapter\\FilesystemAdapter' . {key}, true)));
echo {dir} . '/' . {ns} . '/' . strtoupper($h[0] . '/' . $h[1] . '/') . substr($h, 2, 20);"#,
        dir = php_quote(dir.to_str().unwrap()),
        ns = php_quote(ns),
        key = php_quote(key),
    ))?;
    Some(PathBuf::from(out))
}

impl Redis {
    /// An entry of 2.4.9's Symfony Redis cache: `serialize($value)` (made by PHP, Symfony's
    /// DefaultMarshaller without igbinary) under `<ns>:<key>` (SET, or SETEX for a lifetime),
    /// and Magento's `RedisTagAdapter` index: the key in `cache:tags:<ns><TAG>` and
    /// `cache:all_ids`, its tags in `cache:id_tags:<ns><key>`.
    #[allow(clippy::too_many_arguments)]
    pub fn symfony_entry(
        &self,
        db: i64,
        ns: &str,
        key: &str,
        data: &[u8],
        tags: &[&str],
        mtime: i64,
        lifetime: Option<i64>,
    ) -> Option<()> {
        self.symfony_entry_as("serialize", db, ns, key, data, tags, mtime, lifetime)
    }

    /// [`Self::symfony_entry`] marshalled with `igbinary_serialize()`, as Magento's provider does
    /// whenever PHP has the igbinary extension; `None` (a skip message) when this PHP lacks it
    /// (scripts/test installs php-igbinary when apt has it).
    #[allow(clippy::too_many_arguments)]
    pub fn symfony_entry_igbinary(
        &self,
        db: i64,
        ns: &str,
        key: &str,
        data: &[u8],
        tags: &[&str],
        mtime: i64,
        lifetime: Option<i64>,
    ) -> Option<()> {
        if php("echo extension_loaded('igbinary') ? 'yes' : 'no';")? != "yes" {
            eprintln!("skipped: PHP has no igbinary extension (apt-get install php-igbinary)");
            return None;
        }
        self.symfony_entry_as(
            "igbinary_serialize",
            db,
            ns,
            key,
            data,
            tags,
            mtime,
            lifetime,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn symfony_entry_as(
        &self,
        serializer: &str,
        db: i64,
        ns: &str,
        key: &str,
        data: &[u8],
        tags: &[&str],
        mtime: i64,
        lifetime: Option<i64>,
    ) -> Option<()> {
        let value = php(&format!(
            "{} echo bin2hex({serializer}($value));",
            symfony_value_php(data, tags, mtime, lifetime)
        ))?;
        let value = unhex(value.trim());
        let mut c = self.conn(db);
        let k = format!("{ns}:{key}");
        match lifetime {
            Some(l) => redis::cmd("SETEX")
                .arg(&k)
                .arg(l)
                .arg(&value)
                .query::<()>(&mut c),
            None => redis::cmd("SET").arg(&k).arg(&value).query::<()>(&mut c),
        }
        .unwrap();
        let _: () = redis::cmd("SADD")
            .arg("cache:all_ids")
            .arg(key)
            .query(&mut c)
            .unwrap();
        for t in tags {
            let _: () = redis::cmd("SADD")
                .arg(format!("cache:tags:{ns}{t}"))
                .arg(key)
                .query(&mut c)
                .unwrap();
            let _: () = redis::cmd("SADD")
                .arg(format!("cache:id_tags:{ns}{key}"))
                .arg(*t)
                .query(&mut c)
                .unwrap();
        }
        Some(())
    }
}
