//! The values Magento ships in its modules' `etc/config.xml` for the auth-relevant config paths:
//! what a path means when neither env.php nor `core_config_data` sets it.
//!
//! Every value was read in Magento's own source (magento/magento2 `app/code/Magento/<Module>/etc/config.xml`,
//! magento/security-package `TwoFactorAuth/etc/config.xml`), or from a composer install's
//! `vendor/magento/module-*/etc/config.xml` where the stored magento/magento2 copy was older.
//! Where the value changed between releases, `since` and `note` say so. A shipped default only
//! applies when the module that ships it is enabled (see [`ConfigDefault::module`]).
//!
//! `value: None` means no `config.xml` ships a value: Magento's `ScopeConfig::getValue()` returns
//! `null`, `isSetFlag()` returns `false`, and the note says what the code then does.

/// One config path and what Magento ships for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfigDefault {
    /// `oauth/access_token_lifetime/admin`
    pub path: &'static str,
    /// The shipped `<default>` value; `Some("")` for an empty element; `None` when nothing is shipped.
    pub value: Option<&'static str>,
    /// Where it is shipped, `Magento_Integration etc/config.xml`; for `None`, where the path is read.
    pub source: &'static str,
    /// The first release known to ship this value, when it matters.
    pub since: Option<&'static str>,
    /// Units, behaviour when unset or invalid, version differences.
    pub note: &'static str,
}

impl ConfigDefault {
    /// The module whose config.xml ships (or whose code reads) the path: `Magento_Integration`.
    pub fn module(&self) -> &'static str {
        self.source.split_whitespace().next().unwrap_or_default()
    }
}

const INTEGRATION: &str = "Magento_Integration etc/config.xml";
const JWT: &str = "Magento_JwtUserToken etc/config.xml";
const SECURITY: &str = "Magento_Security etc/config.xml";
const USER: &str = "Magento_User etc/config.xml";
const STORE: &str = "Magento_Store etc/config.xml";
/// Magento_Backend's config.xml, merged after Magento_Store's, overrides two of its values.
const BACKEND: &str = "Magento_Backend etc/config.xml (over Magento_Store's 0)";
const COOKIE: &str = "Magento_Cookie etc/config.xml";
const CUSTOMER: &str = "Magento_Customer etc/config.xml";
const TFA: &str = "Magento_TwoFactorAuth etc/config.xml (magento/security-package)";
const IMS: &str = "Magento_AdminAdobeIms etc/config.xml";

const fn d(
    path: &'static str,
    value: Option<&'static str>,
    source: &'static str,
    since: Option<&'static str>,
    note: &'static str,
) -> ConfigDefault {
    ConfigDefault {
        path,
        value,
        source,
        since,
        note,
    }
}

/// The auth-relevant defaults, grouped by area.
pub static DEFAULTS: &[ConfigDefault] = &[
    // ---- OAuth / integration tokens (Magento_Integration) -------------------------------------
    d(
        "oauth/access_token_lifetime/admin",
        Some("4"),
        INTEGRATION,
        Some("2.2.0"),
        "Hours. Lifetime of legacy opaque admin tokens (oauth_token rows); `Helper\\Oauth\\Data::getAdminTokenLifetime()` casts to int and uses 0 for empty/<=0, which makes such tokens expire at once. Since 2.4.4 admin Bearer tokens are JWTs governed by webapi/jwtauth/admin_expiration instead.",
    ),
    d(
        "oauth/access_token_lifetime/customer",
        Some("1"),
        INTEGRATION,
        Some("2.2.0"),
        "Hours. Lifetime of legacy opaque customer tokens; 0 for empty/<=0 (expires at once). Since 2.4.4 customer Bearer tokens are JWTs governed by webapi/jwtauth/customer_expiration.",
    ),
    d(
        "oauth/access_token_expiration_period/admin",
        Some("4"),
        INTEGRATION,
        None,
        "Development-era name of oauth/access_token_lifetime/admin, seen in one magento/magento2 commit of config.xml and Helper/Oauth/Data.php; no release is known to read it. A row with this path is ignored by 2.2+.",
    ),
    d(
        "oauth/access_token_expiration_period/customer",
        Some("1"),
        INTEGRATION,
        None,
        "Development-era name of oauth/access_token_lifetime/customer; ignored by 2.2+.",
    ),
    d(
        "oauth/consumer/expiration_period",
        Some("300"),
        INTEGRATION,
        None,
        "Seconds a consumer key/secret stays valid for the OAuth token exchange (`Consumer key has expired`). `getConsumerExpirationPeriod()` uses 300 when the value is empty or <=0.",
    ),
    d(
        "oauth/consumer/post_maxredirects",
        Some("0"),
        INTEGRATION,
        None,
        "Redirects followed when posting consumer credentials to an integration's endpoint URL; <=0 -> 0.",
    ),
    d(
        "oauth/consumer/post_timeout",
        Some("5"),
        INTEGRATION,
        None,
        "Seconds before posting consumer credentials to an integration's endpoint URL times out; empty or <=0 -> 5.",
    ),
    d(
        "oauth/consumer/enable_integration_as_bearer",
        None,
        "Magento_Integration Model/Config/AuthorizationConfig.php",
        Some("2.4.4"),
        "No default shipped (no `<enable_integration_as_bearer>` in any Magento_Integration config.xml copy read, 2016 to 2.4-era): read with isSetFlag at store scope, so unset = off = an integration access token sent as `Authorization: Bearer` is refused (guest -> 401 \"The consumer isn't authorized to access %resources\"). Only OAuth 1.0a signed requests work then. Before 2.4.4 integration tokens were always accepted as Bearer.",
    ),
    d(
        "oauth/cleanup/cleanup_probability",
        Some("100"),
        INTEGRATION,
        None,
        "1 in N OAuth requests triggers cleanup of old request tokens; 0 or less disables cleanup.",
    ),
    d(
        "oauth/cleanup/expiration_period",
        Some("120"),
        INTEGRATION,
        None,
        "Minutes before unused request tokens are cleaned up; empty or <=0 -> 120.",
    ),
    d(
        "oauth/authentication_lock/max_failures_count",
        Some("6"),
        INTEGRATION,
        None,
        "Failed POST /V1/integration/{admin,customer}/token attempts before that user name is locked (table oauth_token_request_log). Read as (int) with no fallback: the check is `failures_count >= max`, so 0 or empty locks every token request.",
    ),
    d(
        "oauth/authentication_lock/timeout",
        Some("1800"),
        INTEGRATION,
        None,
        "Seconds the token-request lock lasts (sliding: each failure moves lock_expires_at to now + timeout). (int), no fallback.",
    ),
    // ---- JWT admin/customer tokens (Magento_JwtUserToken, 2.4.4+) -----------------------------
    d(
        "webapi/jwtauth/jwt_alg",
        Some("HS256"),
        JWT,
        Some("2.4.4"),
        "Algorithm that signs/encrypts admin and customer JWTs: HS256/HS384/HS512 (signed with the newest crypt/key) or a JWE key-wrap algorithm. Changing it invalidates issued tokens.",
    ),
    d(
        "webapi/jwtauth/jwe_alg",
        Some("A128GCM"),
        JWT,
        Some("2.4.4"),
        "Content encryption algorithm, only used when jwt_alg is a JWE algorithm.",
    ),
    d(
        "webapi/jwtauth/admin_expiration",
        Some("60"),
        JWT,
        Some("2.4.4"),
        "Minutes an admin JWT is valid. ConfigReader casts to int and uses 30 when the value is <= 0 (per shared/reference/magento-tokens.md section 1.2).",
    ),
    d(
        "webapi/jwtauth/customer_expiration",
        Some("60"),
        JWT,
        Some("2.4.4"),
        "Minutes a customer JWT is valid; <= 0 -> 30 (as admin_expiration).",
    ),
    // ---- Web API security (Magento_WebapiSecurity) --------------------------------------------
    d(
        "webapi/webapisecurity/allow_insecure",
        Some("0"),
        "Magento_WebapiSecurity etc/config.xml",
        None,
        "Module added in a 2.0.x security release (2.0.6 from memory, not re-verified). 1 makes a fixed list of catalog/CMS/store GET routes anonymous again (AnonymousResourceSecurity plugin); 0 means those routes need a token and answer 401 to guests.",
    ),
    // ---- Admin security (Magento_Security, Magento_User, Magento_Store) -----------------------
    d(
        "admin/security/session_lifetime",
        Some("900"),
        SECURITY,
        None,
        "Seconds of admin panel inactivity before the admin session ends (admin_user_session). Governs the admin UI, not web API tokens.",
    ),
    d(
        "admin/security/admin_account_sharing",
        Some("0"),
        SECURITY,
        None,
        "0: a new admin login ends the same user's other sessions (the older browser is logged out).",
    ),
    d(
        "admin/security/password_reset_protection_type",
        Some("1"),
        SECURITY,
        None,
        "Admin label \"Limit Password Reset Requests Method\": 0 off, 1 by IP and email, 2 by IP, 3 by email.",
    ),
    d(
        "admin/security/max_number_password_reset_requests",
        Some("5"),
        SECURITY,
        None,
        "Password reset requests allowed per hour (by the protection type); 0 = unlimited.",
    ),
    d(
        "admin/security/min_time_between_password_reset_requests",
        Some("10"),
        SECURITY,
        None,
        "Minutes between two password reset requests; 0 = no limit.",
    ),
    d(
        "admin/security/lockout_failures",
        Some("6"),
        USER,
        None,
        "Failed admin logins before admin_user.lock_expires is set. Also counted by the admin token endpoint's user authentication.",
    ),
    d(
        "admin/security/lockout_threshold",
        Some("30"),
        USER,
        None,
        "Minutes an admin account stays locked (ObserverConfig multiplies by 60).",
    ),
    d(
        "admin/security/password_lifetime",
        Some("90"),
        USER,
        None,
        "Days before an admin password expires (from admin_passwords.last_updated); 0 or empty disables expiry.",
    ),
    d(
        "admin/security/password_is_forced",
        Some("1"),
        USER,
        None,
        "1: an expired admin password must be changed before the admin panel can be used; 0: only a reminder.",
    ),
    d(
        "admin/security/password_reset_link_expiration_period",
        Some("2"),
        USER,
        None,
        "Hours an admin reset-password link is valid. (A pre-2.0 copy of the file had admin/emails/password_reset_link_expiration_period = 1.)",
    ),
    d(
        "admin/security/use_form_key",
        Some("1"),
        STORE,
        None,
        "Add Secret Key to URLs: admin URLs carry a key tied to the session; unrelated to web API auth.",
    ),
    d(
        "admin/security/use_case_sensitive_login",
        None,
        "Magento_User Model/User.php (authenticate)",
        None,
        "No default shipped: read with isSetFlag, so unset = case-insensitive admin user name comparison.",
    ),
    d(
        "admin/url/use_custom",
        Some("0"),
        STORE,
        None,
        "1 serves the admin on admin/url/custom (a different base URL) instead of the store's base URL.",
    ),
    d(
        "admin/url/custom",
        Some(""),
        STORE,
        None,
        "Empty element: no custom admin base URL.",
    ),
    d(
        "admin/url/use_custom_path",
        Some("0"),
        STORE,
        None,
        "1 replaces env.php backend/frontName with admin/url/custom_path as the admin path.",
    ),
    d(
        "admin/url/custom_path",
        None,
        "Magento_Backend (system.xml, Backend\\App\\Area\\FrontNameResolver)",
        None,
        "No default shipped: the admin path is env.php backend/frontName unless use_custom_path is 1.",
    ),
    // ---- Two-factor auth (magento/security-package) -------------------------------------------
    d(
        "twofactorauth/general/force_providers",
        Some(""),
        TFA,
        Some("2.4.0"),
        "Empty: no provider chosen, so an admin with no 2FA configured is told to ask an administrator to configure 2FA (admin login and POST /V1/integration/admin/token both fail). 2FA cannot be switched off by config; only by disabling Magento_TwoFactorAuth.",
    ),
    d(
        "twofactorauth/general/webapi_email_config_url",
        None,
        "Magento_TwoFactorAuth Api/TfaInterface.php",
        Some("2.4.0"),
        "No default shipped (path is TfaInterface::XML_PATH_WEBAPI_CONFIG_EMAIL_URL): the URL put in the 2FA configuration e-mail sent when a web API token is requested; unset, Magento builds a default link (behaviour not re-read).",
    ),
    d(
        "twofactorauth/general/twofactorauth_retry",
        Some("10"),
        TFA,
        Some("2.4.7-p3"),
        "Wrong OTP codes (Google/Authy admin login) before the admin account is locked. Added in security-package 1.1.6-p3 (2.4.7-p3, October 2024); absent before.",
    ),
    d(
        "twofactorauth/general/auth_lock_expire",
        Some("300"),
        TFA,
        Some("2.4.7-p3"),
        "Seconds an admin stays locked after too many wrong OTP codes. Added with twofactorauth_retry in 2.4.7-p3.",
    ),
    d(
        "twofactorauth/google/leeway",
        Some("29"),
        TFA,
        Some("2.4.8"),
        "Seconds of TOTP clock drift accepted (OTP window). Replaced twofactorauth/google/otp_window in security-package 1.1.7 (2.4.8).",
    ),
    d(
        "twofactorauth/google/otp_window",
        Some("1"),
        TFA,
        Some("2.4.0"),
        "TOTP window before 2.4.8: 30 in the first 2020 code, 1 from security-package 1.1.0 (2.4.0) to 1.1.6 (2.4.7), 29 in 1.1.6-p1..p3 (2.4.7-p1..p3). Not read by 2.4.8+ (see twofactorauth/google/leeway).",
    ),
    d(
        "twofactorauth/authy/onetouch_message",
        Some("Login request to your Magento Admin"),
        TFA,
        Some("2.4.0"),
        "Text of the Authy OneTouch push.",
    ),
    d(
        "twofactorauth/authy/api_key",
        None,
        TFA,
        Some("2.4.0"),
        "Shipped empty (encrypted backend model only): Authy cannot work until set.",
    ),
    d(
        "twofactorauth/duo/secret_key",
        None,
        TFA,
        Some("2.4.0"),
        "Shipped empty (encrypted): Duo cannot work until its keys and api_hostname are set.",
    ),
    d(
        "twofactorauth/duo/application_key",
        None,
        TFA,
        Some("2.4.0"),
        "Shipped empty (encrypted).",
    ),
    d(
        "twofactorauth/u2fkey/webapi_challenge_domain",
        None,
        "Magento_TwoFactorAuth Model/Provider/Engine/U2fKey.php",
        Some("2.4.0"),
        "No default shipped: domain for U2F/WebAuthn challenges issued over the web API; unset, Magento falls back to a store-derived domain (behaviour not re-read).",
    ),
    // ---- Adobe IMS admin login (Magento_AdminAdobeIms, Adobe Commerce 2.4.5+) -----------------
    d(
        "adobe_ims/integration/admin_enabled",
        Some("0"),
        IMS,
        None,
        "Adobe Commerce only (module from 2.4.5, from memory). 1 replaces the admin login with Adobe IMS, after which admin web API access is expected to use IMS tokens (exact effect on POST /V1/integration/admin/token not re-read). Set by `bin/magento admin:adobe-ims:enable`.",
    ),
    d(
        "adobe_ims/integration/logging_enabled",
        Some("0"),
        IMS,
        None,
        "1 logs Adobe IMS calls.",
    ),
    d(
        "adobe_ims/integration/organization_id",
        None,
        IMS,
        None,
        "Shipped empty (encrypted); set by admin:adobe-ims:enable.",
    ),
    // ---- Secure URLs and offloading (Magento_Store) -------------------------------------------
    d(
        "web/secure/offloader_header",
        Some("X-Forwarded-Proto"),
        STORE,
        None,
        "Request header that marks a request as HTTPS behind a TLS-terminating proxy when it equals `https`. 2.2+ copies read ship X-Forwarded-Proto; a 2015 (2.0-era) copy shipped SSL_OFFLOADED.",
    ),
    d(
        "web/secure/use_in_adminhtml",
        Some("1"),
        BACKEND,
        None,
        "1 serves the admin over the secure base URL; setup:install --use-secure-admin=1 writes 1.",
    ),
    d(
        "web/secure/use_in_frontend",
        Some("1"),
        BACKEND,
        None,
        "1 serves the storefront over the secure base URL; setup:install --use-secure=1 writes 1.",
    ),
    d(
        "web/unsecure/base_url",
        Some("{{base_url}}"),
        STORE,
        None,
        "Placeholder replaced by the request's base URL; setup:install writes the real URL to core_config_data.",
    ),
    d(
        "web/secure/base_url",
        Some("{{unsecure_base_url}}"),
        STORE,
        None,
        "Placeholder: the unsecure base URL; setup:install writes the real URL.",
    ),
    d(
        "web/unsecure/base_link_url",
        Some("{{unsecure_base_url}}"),
        STORE,
        None,
        "Placeholder: the unsecure base URL.",
    ),
    d(
        "web/secure/base_link_url",
        Some("{{secure_base_url}}"),
        STORE,
        None,
        "Placeholder: the secure base URL.",
    ),
    d(
        "web/url/use_store",
        Some("0"),
        STORE,
        None,
        "1 adds the store code to URLs; REST paths carry a store code (/rest/<code>/V1/...) either way.",
    ),
    // ---- Cookies (Magento_Cookie) -------------------------------------------------------------
    d(
        "web/cookie/cookie_lifetime",
        Some("3600"),
        COOKIE,
        None,
        "Seconds; also the lifetime of the storefront session cookie.",
    ),
    d(
        "web/cookie/cookie_path",
        None,
        "Magento_Cookie (system.xml, Framework\\Session\\Config)",
        None,
        "No default shipped: the path of the base URL is used.",
    ),
    d(
        "web/cookie/cookie_domain",
        None,
        "Magento_Cookie (system.xml, Framework\\Session\\Config)",
        None,
        "No default shipped: the request host is used (host-only cookie).",
    ),
    d(
        "web/cookie/cookie_httponly",
        Some("1"),
        COOKIE,
        None,
        "Cookies are sent with HttpOnly.",
    ),
    d(
        "web/cookie/cookie_restriction",
        Some("0"),
        COOKIE,
        None,
        "1 enables the cookie restriction notice (cookies only after consent).",
    ),
    // ---- Customers (Magento_Customer) ---------------------------------------------------------
    d(
        "customer/password/lockout_failures",
        Some("10"),
        CUSTOMER,
        None,
        "Failed customer logins before customer_entity.lock_expires is set; the customer token endpoint then answers the generic 401 sign-in message.",
    ),
    d(
        "customer/password/lockout_threshold",
        Some("10"),
        CUSTOMER,
        None,
        "Minutes a customer account stays locked.",
    ),
    d(
        "customer/create_account/confirm",
        Some("0"),
        CUSTOMER,
        None,
        "1 requires e-mail confirmation: an unconfirmed customer cannot get a token (generic 401 sign-in message).",
    ),
    d(
        "customer/account_share/scope",
        Some("1"),
        CUSTOMER,
        None,
        "1: customer accounts are per website (a token request on another website's store fails as bad credentials); 0: global.",
    ),
];

/// The shipped default for `path` (exact, `/`-separated, as in core_config_data).
pub fn default_for(path: &str) -> Option<&'static ConfigDefault> {
    DEFAULTS.iter().find(|d| d.path == path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn paths_are_unique_and_well_formed() {
        let mut seen = HashSet::new();
        for d in DEFAULTS {
            assert!(seen.insert(d.path), "duplicate {}", d.path);
            let segments: Vec<&str> = d.path.split('/').collect();
            assert_eq!(segments.len(), 3, "{} must be section/group/field", d.path);
            for s in &segments {
                assert!(
                    !s.is_empty()
                        && s.bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                    "bad segment in {}",
                    d.path
                );
            }
            assert!(
                d.module().starts_with("Magento_"),
                "{}: source {}",
                d.path,
                d.source
            );
            assert!(!d.note.is_empty(), "{} has no note", d.path);
            if let Some(since) = d.since {
                assert!(since.starts_with("2."), "{}: since {since}", d.path);
            }
        }
    }

    #[test]
    fn key_values() {
        let v = |p: &str| {
            default_for(p)
                .unwrap_or_else(|| panic!("{p} missing"))
                .value
        };
        assert_eq!(v("oauth/access_token_lifetime/admin"), Some("4"));
        assert_eq!(v("oauth/access_token_lifetime/customer"), Some("1"));
        assert_eq!(v("oauth/authentication_lock/max_failures_count"), Some("6"));
        assert_eq!(v("oauth/authentication_lock/timeout"), Some("1800"));
        assert_eq!(v("oauth/consumer/enable_integration_as_bearer"), None);
        assert_eq!(v("oauth/consumer/expiration_period"), Some("300"));
        assert_eq!(v("webapi/jwtauth/jwt_alg"), Some("HS256"));
        assert_eq!(v("webapi/jwtauth/jwe_alg"), Some("A128GCM"));
        assert_eq!(v("webapi/jwtauth/admin_expiration"), Some("60"));
        assert_eq!(v("webapi/jwtauth/customer_expiration"), Some("60"));
        assert_eq!(v("webapi/webapisecurity/allow_insecure"), Some("0"));
        assert_eq!(v("admin/security/session_lifetime"), Some("900"));
        assert_eq!(v("admin/security/lockout_failures"), Some("6"));
        assert_eq!(v("admin/security/lockout_threshold"), Some("30"));
        assert_eq!(v("admin/security/password_lifetime"), Some("90"));
        assert_eq!(v("admin/security/use_form_key"), Some("1"));
        assert_eq!(v("admin/url/custom"), Some(""));
        assert_eq!(v("admin/url/custom_path"), None);
        assert_eq!(v("twofactorauth/general/force_providers"), Some(""));
        assert_eq!(v("twofactorauth/general/twofactorauth_retry"), Some("10"));
        assert_eq!(v("twofactorauth/general/auth_lock_expire"), Some("300"));
        assert_eq!(v("twofactorauth/google/leeway"), Some("29"));
        assert_eq!(v("adobe_ims/integration/admin_enabled"), Some("0"));
        assert_eq!(v("web/secure/offloader_header"), Some("X-Forwarded-Proto"));
        // Magento_Backend's config.xml wins over Magento_Store's (seen in the real 2.4.7-p3's
        // cached configuration).
        assert_eq!(v("web/secure/use_in_adminhtml"), Some("1"));
        assert_eq!(v("web/secure/use_in_frontend"), Some("1"));
        assert_eq!(v("web/cookie/cookie_lifetime"), Some("3600"));
        assert_eq!(v("web/cookie/cookie_domain"), None);
        assert_eq!(v("customer/password/lockout_failures"), Some("10"));
        assert_eq!(v("customer/account_share/scope"), Some("1"));
        assert_eq!(v("customer/create_account/confirm"), Some("0"));
        assert!(default_for("oauth/access_token_lifetime").is_none());
        assert!(default_for("nope/nope/nope").is_none());
    }

    #[test]
    fn module_names() {
        assert_eq!(
            default_for("webapi/jwtauth/jwt_alg").unwrap().module(),
            "Magento_JwtUserToken"
        );
        assert_eq!(
            default_for("twofactorauth/google/leeway").unwrap().module(),
            "Magento_TwoFactorAuth"
        );
        assert_eq!(
            default_for("oauth/consumer/enable_integration_as_bearer")
                .unwrap()
                .module(),
            "Magento_Integration"
        );
    }
}
