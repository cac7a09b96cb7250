//! Step 4, sessions and cookies: where the store keeps sessions and whether the web server can
//! write there, and whether the session cookie's domain and path fit the URLs it is used on.
//!
//! * `session-storage-unwritable`: env.php's files folder missing or not writable by the web
//!   server's user (the php-fpm pool, Apache or nginx user; else the owner of app/etc, as the
//!   cache check assumes), or its Redis unreachable, refusing the password or writes. Magento then
//!   cannot keep an admin logged in (and falls back to PHP's files handler when Redis fails).
//! * `cookie-domain-mismatch`: `web/cookie/cookie_domain` at the default scope (the admin
//!   session's, `AdminConfig` reads the default scope) is not the admin host or a parent domain
//!   of it: the browser drops the session cookie and the login form comes back. For the
//!   storefront of the request's store view, the store-scope domain against its base URLs, and
//!   `web/cookie/cookie_path` against the base URL's path (customer sessions, and the session
//!   authenticated REST calls the storefront makes, lose their cookie). The admin session's
//!   path is always the admin path (`AdminConfig::extractAdminPath`), so `cookie_path` cannot
//!   break an admin login.

use super::Diagnosis;
use crate::context::Context;
use crate::findings::{Code, Evidence, Finding, Fix, Severity};
use crate::store::config::{ConfigValue, Scope};
use crate::store::perms::users::{self, Named};
use crate::store::perms::webuser::{self, PoolSources};
use crate::store::root::ENV_PHP;
use crate::store::session::{self as ss, SessionStorage};

pub fn run(ctx: &Context, d: &mut Diagnosis) {
    session_storage(ctx, d);
    cookies(ctx, d);
}

/// Who PHP writes as: the detected web server user with its groups, else the owner of app/etc.
struct Writer {
    user: Named,
    groups: Vec<u32>,
    how: String,
}

fn writer(ctx: &Context) -> Option<Writer> {
    if let Some(w) = webuser::detect(&PoolSources::Default, ctx.server())
        && let Some(user) = w.user
    {
        let mut groups = users::groups_of(&user);
        if let Some(g) = &w.group
            && !groups.contains(&g.id)
        {
            groups.push(g.id);
        }
        return Some(Writer {
            how: format!(
                "the web server's user {} ({}{})",
                user.show("uid"),
                w.how,
                w.source.map(|s| format!(", {s}")).unwrap_or_default()
            ),
            user,
            groups,
        });
    }
    use std::os::unix::fs::MetadataExt;
    let uid = std::fs::metadata(ctx.install.root.join("app/etc"))
        .ok()?
        .uid();
    let user = users::user_id(uid);
    Some(Writer {
        groups: users::groups_of(&user),
        how: format!(
            "the owner of app/etc {} (no php-fpm pool or web server user was found)",
            user.show("uid")
        ),
        user,
    })
}

/// Whether `w` may create files in a folder with this owner, group and mode: write and search
/// permission of the one class that applies (owner, else group, else others), by the mode bits
/// alone.
fn can_write(w: &Writer, m: &ss::DirMeta) -> bool {
    let bits = if m.uid == w.user.id {
        (m.mode >> 6) & 0o7
    } else if w.groups.contains(&m.gid) {
        (m.mode >> 3) & 0o7
    } else {
        m.mode & 0o7
    };
    bits & 0o3 == 0o3
}

fn session_storage(ctx: &Context, d: &mut Diagnosis) {
    if ctx.install.env.is_none() {
        return;
    }
    let storage = ss::storage(&ctx.install);
    let env = ctx.install.env.as_ref();
    let line = |k: &str| env.and_then(|e| e.line(k));
    match &storage {
        SessionStorage::Files { dir, configured } => {
            let state = ss::dir_state(dir);
            let shown = dir.display().to_string();
            let Some(w) = writer(ctx) else { return };
            let why = match state.meta {
                None if !configured => return, // Magento creates var/session when it uses it.
                None => "does not exist (PHP's files handler does not create it)".to_string(),
                Some(m) if !m.is_dir => "is not a folder".to_string(),
                Some(m) if can_write(&w, &m) => return,
                Some(m) => format!(
                    "belongs to {}:{} with mode {:o}, which {} cannot write",
                    users::user_id(m.uid).show("uid"),
                    users::group_id(m.gid).show("gid"),
                    m.mode,
                    w.user.show("uid")
                ),
            };
            let env_ev = if *configured {
                Evidence::file(
                    ENV_PHP,
                    line("session/save_path"),
                    format!("session/save_path = {shown}"),
                )
            } else {
                Evidence::file(
                    ENV_PHP,
                    line("session/save").or(line("session")),
                    "session/save = files, no save_path: var/session (when PHP sets no session.save_path of its own)",
                )
            };
            let owner = w.user.name.clone().unwrap_or_else(|| w.user.id.to_string());
            let group = users::primary_group(w.user.id)
                .map(users::group_id)
                .map(|g| g.name.unwrap_or_else(|| g.id.to_string()))
                .unwrap_or_else(|| owner.clone());
            let mut commands = Vec::new();
            if state.meta.is_none() {
                commands.push(format!("mkdir -p {shown}"));
            }
            commands.push(format!("chown -R {owner}:{group} {shown}"));
            commands.push(format!("chmod u+rwx {shown}"));
            d.push(
                Finding::new(Code::SessionStorageUnwritable, Severity::Warning)
                    .title(format!("The session folder {shown} cannot be written"))
                    .detail(format!(
                        "Sessions are kept as files in {shown}, which {why}. PHP runs as {}: it cannot store a session, so an admin login comes back to the login form and form keys fail.",
                        w.how
                    ))
                    .evidence(env_ev)
                    .evidence(Evidence::file(&shown, None, why.clone()))
                    .fix(Fix {
                        summary: "Let the web server's user write the session folder".into(),
                        commands,
                        admin_path: None,
                    }),
            );
        }
        SessionStorage::Redis(conf) => {
            let why = match ss::redis_refusal(conf) {
                Ok(None) => return,
                Ok(Some(why)) => why,
                Err(e) => e,
            };
            let where_ = conf.describe();
            d.push(
                Finding::new(Code::SessionStorageUnwritable, Severity::Warning)
                    .title("The store's Redis session storage cannot be used")
                    .detail(format!(
                        "Sessions are kept in Redis ({where_}): {why}. Magento then falls back to PHP's files handler on each server, so admin sessions are lost between requests or servers and the login form comes back."
                    ))
                    .evidence(Evidence::file(
                        ENV_PHP,
                        line("session/redis/host")
                            .or(line("session/redis"))
                            .or(line("session/save")),
                        format!("session/save = redis, session/redis = {where_}"),
                    ))
                    .fix(Fix {
                        summary: "Start Redis, or correct session/redis host, port, database and password in app/etc/env.php".into(),
                        commands: vec![
                            format!(
                                "redis-cli {} -n {} ping",
                                if conf.server.starts_with('/') {
                                    format!("-s {}", conf.server)
                                } else {
                                    format!("-h {} -p {}", conf.server, conf.port)
                                },
                                conf.database
                            ),
                            "systemctl start redis-server".into(),
                        ],
                        admin_path: None,
                    }),
            );
        }
        SessionStorage::Db | SessionStorage::Other(_) => {}
    }
}

/// A cookie domain Magento accepts (`CookieDomainValidator`: no `;` or `,`, a host name; a URL
/// or a path is refused and Magento uses the request's host instead), lower-cased.
fn valid_domain(v: &str) -> Option<String> {
    let v = v.trim();
    if v.is_empty()
        || !v
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_'))
    {
        return None;
    }
    Some(v.to_ascii_lowercase())
}

/// Whether a browser sends a cookie of `domain` to `host` (RFC 6265 §5.1.3, a leading dot
/// ignored): the host itself, or a host under it (an IP address only matches itself).
pub fn domain_matches(domain: &str, host: &str) -> bool {
    let d = domain.trim_start_matches('.').trim_end_matches('.');
    let h = host.trim_end_matches('.').to_ascii_lowercase();
    if d.eq_ignore_ascii_case(&h) {
        return true;
    }
    h.parse::<std::net::IpAddr>().is_err() && h.ends_with(&format!(".{}", d.to_ascii_lowercase()))
}

/// Whether a cookie of `path` is sent to `request_path` (RFC 6265 §5.1.4).
pub fn path_matches(path: &str, request_path: &str) -> bool {
    request_path == path
        || (request_path.starts_with(path)
            && (path.ends_with('/') || request_path[path.len()..].starts_with('/')))
}

/// A URL setting at `scope` with `{{unsecure_base_url}}`/`{{secure_base_url}}` filled in;
/// `None` when unset, request-dependent (`{{base_url}}`) or not a URL.
fn url_at(ctx: &Context, path: &str, scope: Scope) -> Option<(url::Url, ConfigValue)> {
    let v = ctx.config.get(path, scope);
    let mut text = v.value.clone()?;
    for _ in 0..4 {
        let mut changed = false;
        for (ph, p) in [
            ("{{unsecure_base_url}}", "web/unsecure/base_url"),
            ("{{secure_base_url}}", "web/secure/base_url"),
        ] {
            if text.contains(ph) {
                text = text.replace(ph, &ctx.config.get(p, scope).value?);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    if text.contains("{{") {
        return None;
    }
    let u = url::Url::parse(text.trim()).ok()?;
    u.host_str()?;
    Some((u, v))
}

/// The admin's base URL: `admin/url/custom` when `admin/url/use_custom` is on, else the secure
/// or unsecure base URL (`web/secure/use_in_adminhtml`) of the default scope.
fn admin_url(ctx: &Context) -> Option<(url::Url, ConfigValue)> {
    if ctx.config.get_default("admin/url/use_custom").is_set_flag()
        && let Some(u) = url_at(ctx, "admin/url/custom", Scope::Default)
    {
        return Some(u);
    }
    let secure = ctx
        .config
        .get_default("web/secure/use_in_adminhtml")
        .is_set_flag();
    url_at(
        ctx,
        if secure {
            "web/secure/base_url"
        } else {
            "web/unsecure/base_url"
        },
        Scope::Default,
    )
}

/// The admin's path: `admin/url/custom_path` when `admin/url/use_custom_path` is on, else
/// env.php `backend/frontName`.
fn admin_front(ctx: &Context) -> Option<String> {
    if ctx
        .config
        .get_default("admin/url/use_custom_path")
        .is_set_flag()
        && let Some(p) = ctx.config.get_default("admin/url/custom_path").value
        && !p.trim_matches('/').is_empty()
    {
        return Some(p.trim_matches('/').to_string());
    }
    ctx.install
        .admin_front_name()
        .map(|f| f.trim_matches('/').to_string())
}

fn cookie_fix(scope_hint: &str) -> Fix {
    Fix {
        summary: format!(
            "Empty web/cookie/cookie_domain{scope_hint} (Magento then uses the request's host), or set it to the host or a parent domain of it"
        ),
        commands: vec![format!(
            "bin/magento config:set{} web/cookie/cookie_domain ''",
            if scope_hint.is_empty() {
                String::new()
            } else {
                " --scope=stores --scope-code=CODE".into()
            }
        )],
        admin_path: Some(
            "Stores > Settings > Configuration > General > Web > Default Cookie Settings".into(),
        ),
    }
}

fn cookies(ctx: &Context, d: &mut Diagnosis) {
    // Admin: the default scope's domain against the admin host.
    let domain = ctx.config.get_default("web/cookie/cookie_domain");
    if let Some(dom) = domain.value.as_deref().and_then(valid_domain)
        && let Some((url, url_v)) = admin_url(ctx)
        && let Some(host) = url.host_str()
        && !domain_matches(&dom, host)
    {
        let admin = format!(
            "{}://{}{}{}",
            url.scheme(),
            host,
            url.port().map(|p| format!(":{p}")).unwrap_or_default(),
            url.path().trim_end_matches('/').to_string()
                + "/"
                + &admin_front(ctx).unwrap_or_default()
        );
        d.push(
            Finding::new(Code::CookieDomainMismatch, Severity::Warning)
                .title(format!("The admin session cookie is set for {dom}, the admin is on {host}"))
                .detail(format!(
                    "web/cookie/cookie_domain = {dom} (default scope, which the admin session uses) is neither {host} nor a parent domain of it: the browser drops the admin session cookie of {admin}, and every login comes back to the login form."
                ))
                .evidence(domain.evidence())
                .evidence(url_v.evidence())
                .fix(cookie_fix("")),
        );
    }
    // Storefront of the request's store view: its domain and path against its base URLs.
    let Some(store) = super::request_store(ctx).filter(|s| s.id != 0) else {
        return;
    };
    let scope = Scope::Store(store.id);
    let sdomain = ctx.config.get("web/cookie/cookie_domain", scope);
    let spath = ctx.config.get("web/cookie/cookie_path", scope);
    for base in ["web/unsecure/base_url", "web/secure/base_url"] {
        let Some((url, url_v)) = url_at(ctx, base, scope) else {
            continue;
        };
        let host = url.host_str().unwrap_or_default().to_string();
        if let Some(dom) = sdomain.value.as_deref().and_then(valid_domain)
            && !domain_matches(&dom, &host)
        {
            d.push(
                Finding::new(Code::CookieDomainMismatch, Severity::Warning)
                    .title(format!(
                        "The session cookie of store view {} is set for {dom}, the store is on {host}",
                        store.code
                    ))
                    .detail(format!(
                        "web/cookie/cookie_domain = {dom} for store view {} is neither {host} ({base}) nor a parent domain of it: the browser drops the session cookie, so customers are logged out on every page and the storefront's session-authenticated REST calls (/rest/…/mine) answer 401.",
                        store.code
                    ))
                    .evidence(sdomain.evidence())
                    .evidence(url_v.evidence())
                    .fix(cookie_fix(" for the store view")),
            );
            return;
        }
        // Magento's CookiePathValidator: a path starting with '/', else the request's base path.
        if let Some(p) = spath.value.as_deref().map(str::trim)
            && p.starts_with('/')
            && !p.contains(['?', '#'])
            && !path_matches(p, url.path())
        {
            d.push(
                Finding::new(Code::CookieDomainMismatch, Severity::Warning)
                    .title(format!(
                        "The session cookie path {p} does not cover store view {}'s URLs",
                        store.code
                    ))
                    .detail(format!(
                        "web/cookie/cookie_path = {p} for store view {} does not cover {} ({base}) or its /rest/ path: the browser does not send the session cookie there, so customers are logged out and the storefront's session-authenticated REST calls answer 401. (The admin session always uses the admin path.)",
                        store.code,
                        url.path()
                    ))
                    .evidence(spath.evidence())
                    .evidence(url_v.evidence())
                    .fix(Fix {
                        summary: "Empty web/cookie/cookie_path (Magento then uses the store's base path), or set it to a prefix of the base URL's path".into(),
                        commands: vec!["bin/magento config:set web/cookie/cookie_path ''".into()],
                        admin_path: Some(
                            "Stores > Settings > Configuration > General > Web > Default Cookie Settings".into(),
                        ),
                    }),
            );
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_domains_as_browsers_match_them() {
        assert!(domain_matches("shop.example.com", "shop.example.com"));
        assert!(domain_matches(".example.com", "shop.example.com"));
        assert!(domain_matches("example.com", "admin.shop.example.com"));
        assert!(domain_matches(".example.com", "example.com"));
        assert!(domain_matches("Example.COM", "shop.example.com"));
        assert!(!domain_matches("example.com", "shopexample.com"));
        assert!(!domain_matches("www.example.com", "admin.example.com"));
        assert!(!domain_matches("0.0.1", "127.0.0.1"));
        assert!(domain_matches("127.0.0.1", "127.0.0.1"));
        assert_eq!(valid_domain("https://example.com"), None);
        assert_eq!(valid_domain("a;b"), None);
        assert_eq!(valid_domain(" .Example.com"), Some(".example.com".into()));
    }

    #[test]
    fn cookie_paths_as_browsers_match_them() {
        assert!(path_matches("/", "/"));
        assert!(path_matches("/", "/shop/"));
        assert!(path_matches("/shop", "/shop/"));
        assert!(path_matches("/shop/", "/shop/"));
        assert!(!path_matches("/shop", "/"));
        assert!(!path_matches("/shop", "/shopping/"));
    }
}
