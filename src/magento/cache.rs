//! How Magento names, tags and stores its cache entries (no I/O): id and tag normalisation
//! (`Adapter\Zend::_unifyId()` + `Cache\Core::_id()`), the default id prefix, the cache types
//! and their tags, and the value codecs of `Cm_Cache_Backend_Redis` (`_encodeData` /
//! `_decodeData`). Facts: ../shared/reference/magento-server.md §2.

use std::io::Read;

/// The tag `TagScope` adds to every entry written through a pool frontend.
pub const SCOPE_TAG: &str = "MAGE";

/// `Cm_Cache_Backend_File` file name prefix as Magento's frontend factory sets it.
pub const FILE_NAME_PREFIX: &str = "mage";

/// Expiry the file backend writes for an infinite lifetime (`Zend_Cache_Backend_File`).
pub const FILE_INFINITE_EXPIRE: i64 = 9_999_999_999;

/// The cache ids the 401 decisions are read from.
pub mod ids {
    pub const SYSTEM_DEFAULT: &str = "system_default";
    pub const ACL_RULES: &str = "authorization_rule_cached_data";
    pub const ACL_ROLES: &str = "authorization_role_cached_data";
    pub const ACL_RESOURCES: &str = "provider_acl_resources_cache";
    pub const WEBAPI_CONFIG: &str = "webapi_config";
    pub const INVALIDATED: &str = "core_cache_invalidate";

    /// `FastStorageRevokedWrapper::CACHE_ID` (`jwt-user-token:revoked:%d:%d`).
    pub fn jwt_revoked(user_type: i64, user_id: i64) -> String {
        format!("jwt-user-token:revoked:{user_type}:{user_id}")
    }
}

/// A cache type of core Magento: its id (env.php `cache_types`) and its TagScope tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheType {
    pub id: &'static str,
    pub tag: &'static str,
    /// The frontend it lives on when env.php `cache/type/<id>/frontend` does not say.
    pub frontend: &'static str,
    pub label: &'static str,
}

const fn t(id: &'static str, tag: &'static str, label: &'static str) -> CacheType {
    CacheType {
        id,
        tag,
        frontend: "default",
        label,
    }
}

/// The types declared by core modules' `etc/cache.xml` in 2.4.7+, in `cache:status` order.
pub const TYPES: &[CacheType] = &[
    t("config", "CONFIG", "Configuration"),
    t("layout", "LAYOUT_GENERAL_CACHE_TAG", "Layouts"),
    t("block_html", "BLOCK_HTML", "Blocks HTML output"),
    t("collections", "COLLECTION_DATA", "Collections Data"),
    t("reflection", "REFLECTION", "Reflection Data"),
    t("db_ddl", "DB_DDL", "Database DDL operations"),
    t("compiled_config", "COMPILED_CONFIG", "Compiled Config"),
    t("eav", "EAV", "EAV types and attributes"),
    t(
        "customer_notification",
        "CUSTOMER_NOTIFICATION",
        "Customer Notification",
    ),
    t(
        "config_integration",
        "INTEGRATION",
        "Integrations Configuration",
    ),
    t(
        "config_integration_api",
        "INTEGRATION_API_CONFIG",
        "Integrations API Configuration",
    ),
    t(
        "graphql_query_resolver_result",
        "GRAPHQL_QUERY_RESOLVER_RESULT",
        "GraphQL Query Resolver Results",
    ),
    CacheType {
        id: "full_page",
        tag: "FPC",
        frontend: "page_cache",
        label: "Page Cache",
    },
    t(
        "config_webservice",
        "WEBSERVICE",
        "Web Services Configuration",
    ),
    t("translate", "TRANSLATE", "Translations"),
];

pub fn cache_type(id: &str) -> Option<&'static CacheType> {
    TYPES.iter().find(|t| t.id == id)
}

/// The id (or tag) as the backend stores it: upper-cased (`_unifyId`), `.` → `__`, every other
/// byte outside `[A-Za-z0-9_]` → `_`, then the prefix (not upper-cased) in front.
pub fn backend_id(prefix: &str, id: &str) -> String {
    let mut out = String::with_capacity(prefix.len() + id.len());
    out.push_str(prefix);
    for c in id.to_uppercase().chars() {
        match c {
            '.' => out.push_str("__"),
            c if c.is_ascii_alphanumeric() || c == '_' => out.push(c),
            _ => out.push('_'),
        }
    }
    out
}

/// The fallback id prefix of the frontend factory when env.php sets none: the first three hex
/// characters of md5 of the absolute `app/etc/` path (with its trailing `/`), and `_`.
pub fn default_prefix(app_etc_with_slash: &str) -> String {
    use md5::{Digest, Md5};
    let hex = format!("{:x}", Md5::digest(app_etc_with_slash.as_bytes()));
    format!("{}_", &hex[..3])
}

/// The hashed directory of an entry of the file backend at Magento's level 1: the last hex
/// character of md5 of the backend id.
pub fn file_hash_dir(backend_id: &str) -> char {
    use md5::{Digest, Md5};
    let hex = format!("{:x}", Md5::digest(backend_id.as_bytes()));
    hex.chars().last().unwrap_or('0')
}

/// The compression libraries of `Cm_Cache_Backend_Redis`, by the two letters it stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// `gz`/`zc`: PHP `gzcompress` (a zlib stream).
    Gzip,
    /// `sn`: php-snappy (a raw snappy block).
    Snappy,
    /// `l4`: php-lz4 `lz4_compress` (the size as 4 little-endian bytes, then an LZ4 block).
    Lz4,
    /// `zs`: php-zstd (a zstd frame).
    Zstd,
    /// `lz`: lzf, not read.
    Lzf,
}

#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("{0:?} compressed value could not be decompressed: {1}")]
    Corrupt(Compression, String),
    #[error("value compressed with lzf, which m2auth does not read")]
    Unsupported,
}

/// `_decodeData()`: values starting with two letters and `:\x1f\x8b` are decompressed with the
/// library those letters name; anything else is the data as it is.
pub fn decode_value(raw: &[u8]) -> Result<Vec<u8>, DecodeError> {
    let Some(kind) = compression_of(raw) else {
        return Ok(raw.to_vec());
    };
    let payload = &raw[5..];
    let bad = |e: String| DecodeError::Corrupt(kind, e);
    match kind {
        Compression::Gzip => {
            let mut out = Vec::new();
            flate2::read::ZlibDecoder::new(payload)
                .read_to_end(&mut out)
                .map_err(|e| bad(e.to_string()))?;
            Ok(out)
        }
        Compression::Snappy => snap::raw::Decoder::new()
            .decompress_vec(payload)
            .map_err(|e| bad(e.to_string())),
        Compression::Lz4 => {
            lz4_flex::block::decompress_size_prepended(payload).map_err(|e| bad(e.to_string()))
        }
        Compression::Zstd => {
            let mut out = Vec::new();
            let mut src = payload;
            ruzstd::decoding::StreamingDecoder::new(&mut src)
                .map_err(|e| bad(e.to_string()))?
                .read_to_end(&mut out)
                .map_err(|e| bad(e.to_string()))?;
            Ok(out)
        }
        Compression::Lzf => Err(DecodeError::Unsupported),
    }
}

/// Which library compressed a stored value, if any.
pub fn compression_of(raw: &[u8]) -> Option<Compression> {
    if raw.len() < 5 || &raw[2..5] != b":\x1f\x8b" {
        return None;
    }
    Some(match &raw[..2] {
        b"gz" | b"zc" => Compression::Gzip,
        b"sn" => Compression::Snappy,
        b"l4" => Compression::Lz4,
        b"zs" => Compression::Zstd,
        b"lz" => Compression::Lzf,
        _ => return None,
    })
}

/// `_encodeData()` with gzip at `level` (what tests and fixtures write).
pub fn encode_gzip(data: &[u8], level: u32) -> Vec<u8> {
    use std::io::Write;
    let mut out = b"gz:\x1f\x8b".to_vec();
    let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(level));
    enc.write_all(data).expect("writing to memory");
    out.extend(enc.finish().expect("writing to memory"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_as_the_backend_stores_them() {
        assert_eq!(backend_id("a6b_", "system_default"), "a6b_SYSTEM_DEFAULT");
        assert_eq!(backend_id("a6b_", "integration-api"), "a6b_INTEGRATION_API");
        assert_eq!(
            backend_id("a6b_", "jwt-user-token:revoked:2:7"),
            "a6b_JWT_USER_TOKEN_REVOKED_2_7"
        );
        assert_eq!(backend_id("", "a.b"), "A__B");
    }

    #[test]
    fn codecs_round_trip() {
        let data = b"x".repeat(30_000);
        let enc = encode_gzip(&data, 1);
        assert_eq!(compression_of(&enc), Some(Compression::Gzip));
        assert_eq!(decode_value(&enc).unwrap(), data);
        let mut sn = b"sn:\x1f\x8b".to_vec();
        sn.extend(snap::raw::Encoder::new().compress_vec(&data).unwrap());
        assert_eq!(decode_value(&sn).unwrap(), data);
        let mut l4 = b"l4:\x1f\x8b".to_vec();
        l4.extend(lz4_flex::block::compress_prepend_size(&data));
        assert_eq!(decode_value(&l4).unwrap(), data);
        assert_eq!(decode_value(b"plain").unwrap(), b"plain");
        assert!(decode_value(b"gz:\x1f\x8bnot zlib").is_err());
    }
}
