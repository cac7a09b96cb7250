//! `Cm_Cache_Backend_Redis` (and `Magento\Framework\Cache\Backend\Redis`, its subclass): one
//! HASH `zc:k:<ID>` per entry (`d` data, `t` comma-joined tags, `m` mtime, `i` 1 = infinite),
//! a SET `zc:ti:<TAG>` of ids per tag, the SET `zc:tags`; values maybe compressed
//! (`gz:\x1f\x8b…`, see [`crate::magento::cache::decode_value`]). See magento-server.md §2.4.

use std::time::Duration;

use redis::{Commands, ConnectionAddr, IntoConnectionInfo, RedisConnectionInfo};

use super::{CacheError, Entry};
use crate::magento::cache as mc;
use crate::store::Installation;

pub const KEY: &str = "zc:k:";
pub const TAG_IDS: &str = "zc:ti:";
pub const TAGS: &str = "zc:tags";
/// `MAX_LIFETIME`: the longest TTL the backend sets.
pub const MAX_LIFETIME: i64 = 2_592_000;

#[derive(Debug, Clone, PartialEq)]
pub struct RedisConf {
    /// Host name or address; a unix socket path when it starts with `/`.
    pub server: String,
    pub port: u16,
    pub database: i64,
    pub username: Option<String>,
    pub password: Option<String>,
    /// `tls://…` servers: TLS, the certificate checked against the system's roots.
    pub tls: bool,
    pub timeout: Duration,
}

impl RedisConf {
    /// `backend_options` at `opts` (an env.php path) as Cm reads them.
    pub fn from_env(install: &Installation, opts: &str) -> RedisConf {
        Self::from_options(
            |k| {
                install
                    .env_string(&format!("{opts}/{k}"))
                    .filter(|v| !v.is_empty())
            },
            "server",
            true,
        )
    }

    /// The connection from option values as the Cm libraries read them (`server` or `host`
    /// with an optional `tcp://`, `tls://`, `unix://` scheme, `port`, `database`, `password`,
    /// `timeout`, and `username` when `with_username`); the defaults are theirs: 127.0.0.1, 6379,
    /// database 0, 2.5 s.
    pub fn from_options(
        opt: impl Fn(&str) -> Option<String>,
        server_key: &str,
        with_username: bool,
    ) -> RedisConf {
        let mut server = opt(server_key).unwrap_or_else(|| "127.0.0.1".into());
        let mut tls = false;
        for scheme in ["tcp://", "tls://", "unix://"] {
            if let Some(rest) = server.strip_prefix(scheme) {
                tls = scheme == "tls://";
                server = rest.to_string();
            }
        }
        let port = opt("port")
            .map(|p| crate::magento::php::intval(&p))
            .filter(|p| (1..=65535).contains(p))
            .unwrap_or(6379) as u16;
        let timeout = opt("timeout")
            .and_then(|t| t.trim().parse::<f64>().ok())
            .filter(|t| *t > 0.0 && *t < 3600.0)
            .unwrap_or(2.5);
        RedisConf {
            server,
            port,
            database: opt("database")
                .map(|d| crate::magento::php::intval(&d))
                .unwrap_or(0),
            username: if with_username { opt("username") } else { None },
            password: opt("password"),
            tls,
            timeout: Duration::from_secs_f64(timeout),
        }
    }

    pub fn describe(&self) -> String {
        if self.server.starts_with('/') {
            format!("{} db {}", self.server, self.database)
        } else {
            format!(
                "{}{}:{} db {}",
                if self.tls { "tls://" } else { "" },
                self.server,
                self.port,
                self.database
            )
        }
    }
}

/// The fields `d`, `t`, `m`, `i` of an entry's HASH.
type HashFields = (Option<Vec<u8>>, Option<Vec<u8>>, Option<i64>, Option<i64>);

pub struct RedisStore {
    pub conf: RedisConf,
    conn: redis::Connection,
}

impl RedisStore {
    pub fn connect(conf: &RedisConf) -> Result<RedisStore, CacheError> {
        let err = |m: String| CacheError::Redis {
            server: conf.describe(),
            message: m,
        };
        let addr = if conf.server.starts_with('/') {
            ConnectionAddr::Unix(conf.server.clone().into())
        } else if conf.tls {
            // Credis opens `tls://host:port` with PHP's default stream context: the server's
            // certificate checked against the system's roots and its name, as here. ring is the
            // provider already in the tree (mysql, reqwest).
            let _ = rustls::crypto::ring::default_provider().install_default();
            ConnectionAddr::TcpTls {
                host: conf.server.clone(),
                port: conf.port,
                insecure: false,
                tls_params: None,
            }
        } else {
            ConnectionAddr::Tcp(conf.server.clone(), conf.port)
        };
        let mut settings = RedisConnectionInfo::default()
            .set_db(conf.database)
            .set_skip_set_lib_name();
        if let Some(p) = &conf.password {
            settings = settings.set_password(p);
        }
        if let Some(u) = &conf.username {
            settings = settings.set_username(u);
        }
        let info = addr
            .into_connection_info()
            .map_err(|e| err(e.to_string()))?
            .set_redis_settings(settings);
        let client = redis::Client::open(info).map_err(|e| err(e.to_string()))?;
        let conn = client
            .get_connection_with_timeout(conf.timeout)
            .map_err(|e| err(e.to_string()))?;
        conn.set_read_timeout(Some(conf.timeout.max(Duration::from_secs(5))))
            .map_err(|e| err(e.to_string()))?;
        Ok(RedisStore {
            conf: conf.clone(),
            conn,
        })
    }

    /// The connection (the Symfony layer's own commands).
    pub fn conn_mut(&mut self) -> &mut redis::Connection {
        &mut self.conn
    }

    fn err(&self, e: redis::RedisError) -> CacheError {
        CacheError::Redis {
            server: self.conf.describe(),
            message: e.to_string(),
        }
    }

    pub fn load(&mut self, id: &str) -> Result<Option<Entry>, CacheError> {
        let (d, t, m, i): HashFields = redis::cmd("HMGET")
            .arg(format!("{KEY}{id}"))
            .arg(&["d", "t", "m", "i"])
            .query(&mut self.conn)
            .map_err(|e| self.err(e))?;
        let Some(d) = d else { return Ok(None) };
        let corrupt = |e: mc::DecodeError| CacheError::Corrupt {
            id: id.to_string(),
            message: e.to_string(),
        };
        let data = mc::decode_value(&d).map_err(corrupt)?;
        let tags = mc::decode_value(&t.unwrap_or_default()).map_err(corrupt)?;
        let expires = if i == Some(1) {
            None
        } else {
            let ttl: i64 = self
                .conn
                .ttl(format!("{KEY}{id}"))
                .map_err(|e| self.err(e))?;
            (ttl >= 0).then(|| m.unwrap_or(0) + ttl)
        };
        Ok(Some(Entry {
            id: id.to_string(),
            data,
            tags: String::from_utf8_lossy(&tags)
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            mtime: m.unwrap_or(0),
            expires,
        }))
    }

    pub fn ids_with_tag(&mut self, tag: &str) -> Result<Vec<String>, CacheError> {
        let ids: Vec<String> = self
            .conn
            .smembers(format!("{TAG_IDS}{tag}"))
            .map_err(|e| self.err(e))?;
        if ids.is_empty() {
            return Ok(ids);
        }
        let mut pipe = redis::pipe();
        for id in &ids {
            pipe.exists(format!("{KEY}{id}"));
        }
        let exists: Vec<bool> = pipe.query(&mut self.conn).map_err(|e| self.err(e))?;
        let mut out: Vec<String> = ids
            .into_iter()
            .zip(exists)
            .filter(|(_, e)| *e)
            .map(|(i, _)| i)
            .collect();
        out.sort();
        Ok(out)
    }

    /// `SINTER` of the tag sets, then `UNLINK` of the entries in chunks of 10 000 inside
    /// MULTI; the tag sets are left as they are (the library's `matchingTag`).
    pub fn clean_matching_tags(&mut self, tags: &[String]) -> Result<usize, CacheError> {
        let keys: Vec<String> = tags.iter().map(|t| format!("{TAG_IDS}{t}")).collect();
        if keys.is_empty() {
            return Ok(0);
        }
        let ids: Vec<String> = self.conn.sinter(&keys).map_err(|e| self.err(e))?;
        let mut removed = 0usize;
        for chunk in ids.chunks(10_000) {
            let mut pipe = redis::pipe();
            pipe.atomic();
            pipe.cmd("UNLINK").arg(
                chunk
                    .iter()
                    .map(|i| format!("{KEY}{i}"))
                    .collect::<Vec<_>>(),
            );
            let (n,): (usize,) = pipe.query(&mut self.conn).map_err(|e| self.err(e))?;
            removed += n;
        }
        Ok(removed)
    }

    /// `FLUSHDB` of the configured database number; how many entries (`zc:k:*`) there were.
    pub fn flush(&mut self) -> Result<usize, CacheError> {
        let n = self.count()?;
        redis::cmd("FLUSHDB")
            .query::<()>(&mut self.conn)
            .map_err(|e| self.err(e))?;
        Ok(n)
    }

    /// The library's non-Lua `save()`: HSET of the fields (EXPIRE for a finite lifetime), the
    /// id added to each tag set and the tags to `zc:tags`, in one MULTI.
    pub fn save(
        &mut self,
        id: &str,
        data: &[u8],
        tags: &[String],
        lifetime: Option<i64>,
        now: i64,
    ) -> Result<(), CacheError> {
        let key = format!("{KEY}{id}");
        let mut pipe = redis::pipe();
        pipe.atomic();
        pipe.cmd("HSET")
            .arg(&key)
            .arg("d")
            .arg(data)
            .arg("t")
            .arg(tags.join(","))
            .arg("m")
            .arg(now)
            .arg("i")
            .arg(if lifetime.is_some() { 0 } else { 1 })
            .ignore();
        if let Some(l) = lifetime {
            pipe.expire(&key, l.min(MAX_LIFETIME)).ignore();
        }
        for t in tags {
            pipe.sadd(format!("{TAG_IDS}{t}"), id).ignore();
        }
        if !tags.is_empty() {
            pipe.sadd(TAGS, tags).ignore();
        }
        pipe.query::<()>(&mut self.conn).map_err(|e| self.err(e))
    }

    /// Entries (`zc:k:*`) in the database, by SCAN.
    pub fn count(&mut self) -> Result<usize, CacheError> {
        Ok(self.keys_matching(&format!("{KEY}*"))?.len())
    }

    /// Keys matching a glob, by SCAN.
    pub fn keys_matching(&mut self, pattern: &str) -> Result<Vec<String>, CacheError> {
        let server = self.conf.describe();
        let bad = |e: redis::RedisError| CacheError::Redis {
            server: server.clone(),
            message: e.to_string(),
        };
        let iter: redis::Iter<String> = self.conn.scan_match(pattern).map_err(bad)?;
        let keys: Result<Vec<String>, _> = iter.collect();
        keys.map_err(|e| CacheError::Redis {
            server: self.conf.describe(),
            message: e.to_string(),
        })
    }

    /// Keys of the database that are not Magento cache keys (`zc:*`): sessions
    /// (`sess_*`, Cm_RedisSession), another application's data… with how many there are.
    pub fn foreign_keys(&mut self, limit: usize) -> Result<(usize, Vec<String>), CacheError> {
        let all = self.keys_matching("*")?;
        let foreign: Vec<String> = all.into_iter().filter(|k| !k.starts_with("zc:")).collect();
        let n = foreign.len();
        Ok((n, foreign.into_iter().take(limit).collect()))
    }

    /// Whether the server refuses writes: a replica (`-READONLY`), or `maxmemory` reached with
    /// the `noeviction` policy (`-OOM`). Read with INFO, writing nothing.
    pub fn write_refusal(&mut self) -> Result<Option<String>, CacheError> {
        let info: String = redis::cmd("INFO")
            .arg("all")
            .query(&mut self.conn)
            .map_err(|e| self.err(e))?;
        let field = |k: &str| {
            info.lines()
                .find_map(|l| l.strip_prefix(&format!("{k}:")))
                .map(|v| v.trim().to_string())
        };
        if field("role").as_deref() == Some("slave") {
            return Ok(Some(
                "the server is a read-only replica (role:slave): writes answer -READONLY".into(),
            ));
        }
        let used: u64 = field("used_memory")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let max: u64 = field("maxmemory").and_then(|v| v.parse().ok()).unwrap_or(0);
        if max > 0 && used >= max && field("maxmemory_policy").as_deref() == Some("noeviction") {
            return Ok(Some(format!(
                "memory is full ({used} of maxmemory {max} bytes, policy noeviction): writes answer -OOM"
            )));
        }
        Ok(None)
    }
}
