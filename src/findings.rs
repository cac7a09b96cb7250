//! Findings: the catalogue of codes (`../shared/spec/findings.md`), severities, evidence, fixes,
//! and the ordering that puts the most likely root cause first.

use std::fmt;

use serde::Serialize;

macro_rules! catalogue {
    ($($variant:ident = $code:literal, $step:literal, $title:literal;)*) => {
        /// A finding code. Stable: a code never changes meaning and is never reused.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code { $($variant,)* }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The kebab-case code of the contract.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code,)* }
            }

            /// The step of the classic 401 troubleshooting procedure (1–9).
            pub fn step(self) -> u8 {
                match self { $(Code::$variant => $step,)* }
            }

            /// A one-line title used when a check gives none of its own.
            pub fn default_title(self) -> &'static str {
                match self { $(Code::$variant => $title,)* }
            }

            pub fn parse(s: &str) -> Option<Code> {
                match s { $($code => Some(Code::$variant),)* _ => None }
            }
        }
    };
}

catalogue! {
    // Step 1: credentials and tokens
    TokenMalformed = "token-malformed", 1, "The token is malformed";
    JwtExpired = "jwt-expired", 1, "The token has expired";
    JwtOldCryptKey = "jwt-old-crypt-key", 1, "The token was signed with an earlier crypt key";
    JwtForeign = "jwt-foreign", 1, "The token was not signed by this store";
    JwtRevoked = "jwt-revoked", 1, "The token was revoked";
    JwtUserMissing = "jwt-user-missing", 1, "The token's user does not exist";
    OpaqueTokenUnknown = "opaque-token-unknown", 1, "The token is unknown to this store";
    OpaqueTokenRevoked = "opaque-token-revoked", 1, "The token was revoked";
    OpaqueTokenExpired = "opaque-token-expired", 1, "The token has expired";
    OpaqueTokenNotAccess = "opaque-token-not-access", 1, "The token is not an access token";
    OpaqueTokenInvalid = "opaque-token-invalid", 1, "The token's row names no valid user";
    IntegrationBearerDisabled = "integration-bearer-disabled", 1, "Integration tokens are not accepted as bearer tokens";
    IntegrationInactive = "integration-inactive", 1, "The integration is not active";
    CryptKeyMissing = "crypt-key-missing", 1, "app/etc/env.php has no usable crypt key";
    AdminUserUnknown = "admin-user-unknown", 1, "No admin user has that username";
    AdminPasswordWrong = "admin-password-wrong", 1, "The admin password is wrong";
    AdminUserInactive = "admin-user-inactive", 1, "The admin user is inactive";
    AdminUserLocked = "admin-user-locked", 1, "The admin user is locked";
    AdminUserExpired = "admin-user-expired", 1, "The admin user has expired";
    AdminUserNoRole = "admin-user-no-role", 1, "The admin user has no role";
    AdminPasswordExpired = "admin-password-expired", 1, "The admin password has expired";
    TokenEndpointLocked = "token-endpoint-locked", 1, "The token endpoint is locked for this user";
    TokenEndpointLockZero = "token-endpoint-lock-zero", 1, "Every token request is refused (max failures is 0)";
    Admin2faRequired = "admin-2fa-required", 1, "Two-factor authentication is required for admin tokens";
    AdminImsEnabled = "admin-ims-enabled", 1, "Adobe IMS admin login disables admin tokens";
    CustomerUnknown = "customer-unknown", 1, "No customer has that email on this website";
    CustomerPasswordWrong = "customer-password-wrong", 1, "The customer password is wrong";
    CustomerLocked = "customer-locked", 1, "The customer account is locked";
    CustomerInactive = "customer-inactive", 1, "The customer account is inactive or unconfirmed";
    OauthConsumerUnknown = "oauth-consumer-unknown", 1, "The OAuth consumer key is unknown";
    OauthTokenUnknown = "oauth-token-unknown", 1, "The OAuth token is unknown";
    OauthTokenConsumerMismatch = "oauth-token-consumer-mismatch", 1, "The OAuth token belongs to another consumer";
    OauthTokenRevoked = "oauth-token-revoked", 1, "The OAuth access token was revoked";
    OauthSignatureMethodUnsupported = "oauth-signature-method-unsupported", 1, "The OAuth signature method is not supported";
    OauthSignatureInvalid = "oauth-signature-invalid", 1, "The OAuth signature is invalid";
    OauthBaseUrlMismatch = "oauth-base-url-mismatch", 1, "The OAuth signature was made for another URL";
    OauthTimestampFuture = "oauth-timestamp-future", 1, "The OAuth timestamp is in the future";
    OauthNonceReused = "oauth-nonce-reused", 1, "The OAuth nonce was already used";
    OauthNonceTooLong = "oauth-nonce-too-long", 1, "The OAuth nonce is too long";
    // Step 2: role permissions and routes
    AclResourceMissing = "acl-resource-missing", 2, "The role lacks a resource the route requires";
    AclRoleMissing = "acl-role-missing", 2, "The caller has no role";
    RouteNotFound = "route-not-found", 2, "No route matches the request";
    RouteModuleDisabled = "route-module-disabled", 2, "The route's module is disabled";
    StoreCodeUnknown = "store-code-unknown", 2, "The store code names no store";
    RouteNeedsCustomerToken = "route-needs-customer-token", 2, "The route needs a customer token";
    RouteNeedsAdminOrIntegration = "route-needs-admin-or-integration", 2, "The route needs an admin or integration token";
    RouteAnonymousDisabled = "route-anonymous-disabled", 2, "Anonymous access to this route is off";
    RouteHttpsOnly = "route-https-only", 2, "The route is served over HTTPS only";
    // Step 2, GraphQL: causes REST has no equal of (codes of this project).
    GraphqlCustomerRequired = "graphql-customer-required", 2, "The GraphQL field needs a customer";
    GraphqlStoreHeaderMismatch = "graphql-store-header-mismatch", 2, "The Store header is not a store of the customer's website";
    ModuleXmlInvalid = "module-xml-invalid", 2, "A module's XML file is not well-formed";
    // Step 3: authentication method and headers
    AuthHeaderMissing = "auth-header-missing", 3, "The request has no Authorization header";
    AuthHeaderMalformed = "auth-header-malformed", 3, "The Authorization header is malformed";
    AuthHeaderStripped = "auth-header-stripped", 3, "The Authorization header does not reach PHP";
    BasicAuthInFront = "basic-auth-in-front", 3, "HTTP Basic auth in front of the store consumes the Authorization header";
    Server401NotMagento = "server-401-not-magento", 3, "The 401 did not come from Magento";
    GraphqlTokenIgnoredAsGuest = "graphql-token-ignored-as-guest", 3, "Magento dropped the token: the GraphQL request ran as a guest";
    // Step 4: cache and session
    ConfigCacheStale = "config-cache-stale", 4, "The cached configuration differs from the database";
    CacheNotWritable = "cache-not-writable", 4, "The cache storage is not writable by the web server";
    SessionStorageUnwritable = "session-storage-unwritable", 4, "Admin sessions cannot be stored";
    CookieDomainMismatch = "cookie-domain-mismatch", 4, "The cookie domain or path does not match the admin URL";
    LiveVerdictMismatch = "live-verdict-mismatch", 4, "The live store decides differently than its files and database say";
    AclCacheStale = "acl-cache-stale", 4, "The cached ACL differs from the tables";
    WebapiCacheStale = "webapi-cache-stale", 4, "The cached REST route map differs from the modules' webapi.xml";
    CacheTypeDisabled = "cache-type-disabled", 4, "A cache type the 401 decisions use is disabled";
    // Step 5: file permissions
    PermsNotGroupWritable = "perms-not-group-writable", 5, "Files lack group write";
    PermsDirMissingSetgid = "perms-dir-missing-setgid", 5, "Directories lack group write or setgid";
    PermsBinMagentoNotExecutable = "perms-bin-magento-not-executable", 5, "bin/magento is not executable";
    PermsEnvPhpWorldReadable = "perms-env-php-world-readable", 5, "app/etc/env.php is readable by everyone";
    PermsWorldWritable = "perms-world-writable", 5, "Files or folders are writable by everyone";
    PermsOwnerMismatch = "perms-owner-mismatch", 5, "Files are not owned by the Magento owner or group";
    PermsCodeWritable = "perms-code-writable", 5, "The code is writable by the group in production mode";
    // Step 6: server rules
    HtaccessAuthPassthroughMissing = "htaccess-auth-passthrough-missing", 6, "The .htaccess Authorization passthrough rule is missing";
    ApacheHtaccessIgnored = "apache-htaccess-ignored", 6, "Apache ignores .htaccess (AllowOverride)";
    ApacheFcgiStripsAuthorization = "apache-fcgi-strips-authorization", 6, "Apache's FastCGI hand-off drops the Authorization header";
    ServerDeniesPath = "server-denies-path", 6, "A server rule denies the REST path";
    PortUnreachable = "port-unreachable", 6, "The store's port is unreachable";
    WafBlocked = "waf-blocked", 6, "A WAF or CDN blocked the request";
    RequestRedirected = "request-redirected", 6, "The request is redirected before it reaches Magento";
    TlsCertificateInvalid = "tls-certificate-invalid", 6, "The store's TLS certificate is rejected";
    // Step 7: logs
    LogAuthFailures = "log-auth-failures", 7, "The access logs show REST 401s";
    LogBruteForce = "log-brute-force", 7, "Many failed token requests from one client";
    LogAuthException = "log-auth-exception", 7, "Magento logs hold authentication errors";
    // Step 9: prevention (audit)
    AuditIntegrationAllResources = "audit-integration-all-resources", 9, "An integration holds every resource";
    AuditBearerEnabled = "audit-bearer-enabled", 9, "Integration tokens are accepted as bearer tokens";
    AuditTokenLifetimeLong = "audit-token-lifetime-long", 9, "Token lifetimes are far above the defaults";
    AuditWeakPasswordHash = "audit-weak-password-hash", 9, "Passwords are stored with a weak hash";
    Audit2faDisabled = "audit-2fa-disabled", 9, "Two-factor authentication is disabled";
    AuditDefaultAdminPath = "audit-default-admin-path", 9, "The admin URL is the default /admin";
    AuditLegacyCryptKey = "audit-legacy-crypt-key", 9, "The crypt key is a legacy 32-character key";
    AuditMagentoOutdated = "audit-magento-outdated", 9, "The Magento release is outdated";
    AuditNoBackupFound = "audit-no-backup-found", 9, "No recent backup was found";
    // Step 9, codes of this project beyond the contract (a security reviewer's additions).
    AuditAdmin2faNotConfigured = "audit-admin-2fa-not-configured", 9, "Admins have not set up two-factor authentication";
    AuditAdminUnused = "audit-admin-unused", 9, "Admin accounts unused for 90 days";
    AuditIntegrationTokenOld = "audit-integration-token-old", 9, "Integration tokens older than a year";
    AuditAnonymousApiAllowed = "audit-anonymous-api-allowed", 9, "Anonymous access to catalog and CMS APIs is on";
    AuditAdminNotIpRestricted = "audit-admin-not-ip-restricted", 9, "The admin URL is reachable from any address";
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// The names of the troubleshooting steps, as the text report's group headings.
pub fn step_name(step: u8) -> &'static str {
    match step {
        1 => "Credentials and tokens",
        2 => "Role permissions and routes",
        3 => "Authentication method and headers",
        4 => "Cache and session",
        5 => "File permissions",
        6 => "Server rules",
        7 => "Logs",
        8 => "Admin password",
        9 => "Prevention (audit)",
        _ => "Other",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Alone makes the request fail: a root cause.
    Error,
    /// Contributes, or will fail soon.
    Warning,
    /// Context worth knowing.
    Info,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        })
    }
}

/// The kinds of evidence source, the JSON contract's list: `file:PATH:LINE` (or `file:PATH` for
/// a fact about a whole file), `db:TABLE`, `cache:ID`, `http` (the live answer),
/// `log:PATH:LINE`, `token` (what the token itself says) and `request` (what the request carries
/// as sent). docs/diagnose.schema.json holds the same list.
pub const SOURCES: &[&str] = &["file:", "db:", "cache:", "http", "log:", "token", "request"];

/// Whether `source` is of a kind of [`SOURCES`].
pub fn is_contract_source(source: &str) -> bool {
    matches!(source, "http" | "token" | "request")
        || ["file:", "db:", "cache:", "log:"]
            .iter()
            .any(|p| source.strip_prefix(p).is_some_and(|rest| !rest.is_empty()))
}

/// Where a fact was read, as `file:PATH:LINE`, `db:TABLE`, `cache:ID`, `http` or `log:PATH:LINE`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    pub source: String,
    pub text: String,
}

impl Evidence {
    pub fn file(path: &str, line: Option<u32>, text: impl Into<String>) -> Evidence {
        let source = match line {
            Some(l) => format!("file:{path}:{l}"),
            None => format!("file:{path}"),
        };
        Evidence {
            source,
            text: text.into(),
        }
    }

    pub fn db(table: &str, text: impl Into<String>) -> Evidence {
        Evidence {
            source: format!("db:{table}"),
            text: text.into(),
        }
    }

    /// What the request carries as sent (a header, a parameter, a URL, a base string).
    pub fn request(text: impl Into<String>) -> Evidence {
        Evidence::other("request", text)
    }

    /// What the token itself says (its claims, its length).
    pub fn token(text: impl Into<String>) -> Evidence {
        Evidence::other("token", text)
    }

    /// The store's live answer.
    pub fn http(text: impl Into<String>) -> Evidence {
        Evidence::other("http", text)
    }

    /// Any source: it must be one of [`SOURCES`] (the JSON contract).
    pub fn other(source: impl Into<String>, text: impl Into<String>) -> Evidence {
        Evidence {
            source: source.into(),
            text: text.into(),
        }
    }
}

/// How to fix it: a summary, commands to run, and where to click in the admin.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Fix {
    pub summary: String,
    pub commands: Vec<String>,
    pub admin_path: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub code: Code,
    pub step: u8,
    pub severity: Severity,
    pub title: String,
    pub detail: String,
    pub evidence: Vec<Evidence>,
    pub fix: Option<Fix>,
}

impl Finding {
    pub fn new(code: Code, severity: Severity) -> Finding {
        Finding {
            code,
            step: code.step(),
            severity,
            title: code.default_title().to_string(),
            detail: String::new(),
            evidence: Vec::new(),
            fix: None,
        }
    }

    pub fn title(mut self, title: impl Into<String>) -> Finding {
        self.title = title.into();
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Finding {
        self.detail = detail.into();
        self
    }

    pub fn evidence(mut self, e: Evidence) -> Finding {
        self.evidence.push(e);
        self
    }

    pub fn fix(mut self, fix: Fix) -> Finding {
        self.fix = Some(fix);
        self
    }
}

/// A check that could not run, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    pub check: String,
    pub reason: String,
}

/// Order findings so the most likely root cause comes first: errors before warnings before
/// info; at the same severity, what the live store's answer proves (evidence from `http`: a
/// Basic-auth 401, a WAF page, a canary) before what the files and database suggest; then the
/// earlier troubleshooting step first (a bad token explains a 401 before a missing ACL resource
/// can); ties keep the order the checks produced them in.
pub fn rank(findings: &mut [Finding]) {
    findings.sort_by_key(|f| {
        let inferred = !f.evidence.iter().any(|e| e.source == "http");
        (f.severity, inferred, f.step)
    });
}

/// The code of the first finding of severity `error`, if any (the contract's `root_cause`).
pub fn root_cause(findings: &[Finding]) -> Option<Code> {
    findings
        .iter()
        .find(|f| f.severity == Severity::Error)
        .map(|f| f.code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for c in Code::ALL {
            assert!(seen.insert(c.as_str()), "duplicate {c}");
            assert_eq!(Code::parse(c.as_str()), Some(*c));
            assert!((1..=9).contains(&c.step()));
        }
    }

    #[test]
    fn every_code_is_in_the_projects_list() {
        let doc = include_str!("../docs/findings.md");
        for c in Code::ALL {
            assert!(
                doc.contains(&format!("| `{}` |", c.as_str())),
                "{c} missing from docs/findings.md"
            );
        }
    }

    #[test]
    fn errors_rank_first_then_by_step() {
        let mut v = vec![
            Finding::new(Code::AuditDefaultAdminPath, Severity::Warning),
            Finding::new(Code::AclResourceMissing, Severity::Error),
            Finding::new(Code::CryptKeyMissing, Severity::Error),
        ];
        rank(&mut v);
        assert_eq!(v[0].code, Code::CryptKeyMissing);
        assert_eq!(root_cause(&v), Some(Code::CryptKeyMissing));
    }

    #[test]
    fn live_proven_errors_rank_before_inferred_ones() {
        let mut v = vec![
            Finding::new(Code::JwtExpired, Severity::Error),
            Finding::new(Code::BasicAuthInFront, Severity::Error)
                .evidence(Evidence::other("http", "GET … → 401")),
            Finding::new(Code::WafBlocked, Severity::Warning)
                .evidence(Evidence::other("http", "x")),
        ];
        rank(&mut v);
        assert_eq!(root_cause(&v), Some(Code::BasicAuthInFront));
        assert_eq!(v[1].code, Code::JwtExpired);
    }
}
