//! The request being diagnosed, described like curl does: method and target, headers as the
//! client sends them, or credentials to sign/obtain a token with.

use crate::error::Error;

/// The command-line description of a request, before validation (the CLI fills it).
#[derive(Debug, Clone, Default)]
pub struct RequestOptions {
    /// `"METHOD TARGET"`.
    pub request: Option<String>,
    /// `Name: value`, exactly as given (repeatable).
    pub headers: Vec<String>,
    pub token: Option<String>,
    /// `KEY,SECRET,TOKEN,TOKEN_SECRET`.
    pub oauth: Option<String>,
    pub admin_user: Option<String>,
    pub customer: Option<String>,
    pub password_file: Option<std::path::PathBuf>,
    /// A pasted curl command.
    pub curl: Option<String>,
    /// The request body as sent (`--data`).
    pub data: Option<String>,
    /// A file holding the request body (`--data-file`).
    pub data_file: Option<std::path::PathBuf>,
    /// A HAR file (a browser's or a proxy's recording) to take the request from (`--har`).
    pub har: Option<std::path::PathBuf>,
    /// Which entry of the HAR file, 1-based (`--har-entry`); else the first API call refused.
    pub har_entry: Option<usize>,
    /// The SOAP operation called (`--soap-operation catalogProductRepositoryV1Get`).
    pub soap_operation: Option<String>,
}

impl RequestOptions {
    pub fn is_empty(&self) -> bool {
        self.request.is_none()
            && self.headers.is_empty()
            && self.token.is_none()
            && self.oauth.is_none()
            && self.admin_user.is_none()
            && self.customer.is_none()
            && self.curl.is_none()
            && self.data.is_none()
            && self.data_file.is_none()
            && self.har.is_none()
            && self.soap_operation.is_none()
    }
}

/// OAuth 1.0a credentials of an integration.
#[derive(Debug, Clone, PartialEq)]
pub struct OauthCredentials {
    pub consumer_key: String,
    pub consumer_secret: String,
    pub token: String,
    pub token_secret: String,
}

/// A login password (from `--password-file` or the hidden prompt). Never printed: `Debug` shows
/// `Password(…)`, and [`RequestSpec::secrets`] hands it to the masker.
#[derive(Clone, PartialEq)]
pub struct Password(String);

impl Password {
    pub fn new(p: impl Into<String>) -> Password {
        Password(p.into())
    }

    /// The contents of a password file: the file minus one trailing newline (`\n` or `\r\n`),
    /// as `echo pass > file` writes it. Other whitespace is part of the password.
    pub fn from_file_contents(text: &str) -> Password {
        let t = text
            .strip_suffix("\r\n")
            .or_else(|| text.strip_suffix('\n'))
            .unwrap_or(text);
        Password(t.to_string())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(…)")
    }
}

/// A login to diagnose (`POST /V1/integration/{admin,customer}/token`).
#[derive(Debug, Clone, PartialEq)]
pub enum Login {
    Admin(String),
    Customer(String),
}

/// One header as the client sends it: the value is kept byte for byte (trailing spaces too).
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    pub name: String,
    pub value: String,
}

/// Which of Magento's web APIs a path reaches (its front name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Api {
    /// `/rest/…` (and short targets such as `V1/products`).
    Rest,
    /// `/graphql` (area `graphql`, `Magento\GraphQl\Controller\GraphQl`).
    Graphql,
    /// `/soap/<store>?services=…` (area `webapi_soap`).
    Soap,
}

impl Api {
    pub fn name(self) -> &'static str {
        match self {
            Api::Rest => "REST",
            Api::Graphql => "GraphQL",
            Api::Soap => "SOAP",
        }
    }

    /// The API of a path as sent: `/graphql…` and `/soap…` (also after `/index.php` or, in a
    /// URL, after a subfolder the store is installed in), else REST.
    pub fn of_path(path: &str, is_url: bool) -> Api {
        let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let mut i = 0;
        if segs.first() == Some(&"index.php") {
            i = 1;
        }
        let front = |s: &str| match s {
            "graphql" => Some(Api::Graphql),
            "soap" => Some(Api::Soap),
            _ => None,
        };
        if let Some(a) = segs.get(i).and_then(|s| front(s)) {
            return a;
        }
        if is_url {
            // `/shop/graphql`, `/shop/index.php/soap/default`: a subfolder before the front name,
            // no REST front name or API version before it.
            for s in &segs {
                if *s == "rest" || is_version(s) {
                    break;
                }
                if let Some(a) = front(s) {
                    return a;
                }
            }
        }
        Api::Rest
    }
}

fn is_version(s: &str) -> bool {
    s.strip_prefix('V')
        .is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()))
}

/// The request target, split.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub scheme: Option<String>,
    pub host: Option<String>,
    pub port: Option<u16>,
    /// The path as sent, always starting with `/`; a target without `/rest` is put under `/rest`.
    pub path: String,
    pub query: Option<String>,
}

impl Target {
    /// Which web API the target reaches.
    pub fn api(&self) -> Api {
        Api::of_path(&self.path, self.host.is_some())
    }

    /// The target as a URL when it has a host, else as a path.
    pub fn display(&self) -> String {
        let mut s = String::new();
        if let Some(host) = &self.host {
            s.push_str(self.scheme.as_deref().unwrap_or("https"));
            s.push_str("://");
            s.push_str(host);
            if let Some(p) = self.port {
                s.push_str(&format!(":{p}"));
            }
        }
        s.push_str(&self.path);
        if let Some(q) = &self.query {
            s.push('?');
            s.push_str(q);
        }
        s
    }
}

/// The request being diagnosed.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestSpec {
    pub method: String,
    pub target: Option<Target>,
    pub headers: Vec<Header>,
    pub body: Option<String>,
    pub oauth: Option<OauthCredentials>,
    pub login: Option<Login>,
    /// The login's password, when one was read (the CLI reads it after validation).
    pub password: Option<Password>,
}

impl RequestSpec {
    /// Validate the command-line description. `None` when no request was described at all.
    /// Errors are one line: the input they quote may hold new lines.
    pub fn from_options(opts: &RequestOptions) -> Result<Option<RequestSpec>, Error> {
        Self::from_options_inner(opts).map_err(|e| match e {
            Error::Usage(m) => Error::Usage(crate::mask::one_line(&m)),
            e => e,
        })
    }

    fn from_options_inner(opts: &RequestOptions) -> Result<Option<RequestSpec>, Error> {
        if opts.is_empty() {
            if opts.password_file.is_some() {
                return Err(Error::Usage(
                    "--password-file goes with --admin-user or --customer".into(),
                ));
            }
            return Ok(None);
        }
        let mut spec = RequestSpec {
            method: "GET".into(),
            target: None,
            headers: Vec::new(),
            body: None,
            oauth: None,
            login: None,
            password: None,
        };
        if opts.har_entry.is_some() && opts.har.is_none() {
            return Err(Error::Usage("--har-entry goes with --har".into()));
        }
        if let Some(path) = &opts.har {
            if opts.curl.is_some() {
                return Err(Error::Usage(
                    "--har and --curl cannot be used together".into(),
                ));
            }
            // A regular file of at most HAR_FILE_BYTES (a FIFO would block, /dev/zero never end).
            let text = crate::store::fsread::read_text_capped(path, HAR_FILE_BYTES)
                .map_err(|e| Error::Usage(format!("--har {}: {e}", path.display())))?;
            spec.apply_har(&text, opts.har_entry).map_err(|e| match e {
                Error::Usage(m) => Error::Usage(format!("--har {}{m}", path.display())),
                e => e,
            })?;
        }
        if let Some(curl) = &opts.curl {
            spec.apply_curl(curl)?;
        }
        if let Some(req) = &opts.request {
            let (method, target) = split_request(req)?;
            spec.method = method;
            spec.target = Some(parse_target(&target)?);
        }
        for h in &opts.headers {
            spec.headers.push(parse_header(h)?);
        }
        match (&opts.data, &opts.data_file) {
            (Some(_), Some(_)) => {
                return Err(Error::Usage(
                    "--data and --data-file cannot be used together".into(),
                ));
            }
            (Some(d), None) => spec.body = Some(d.clone()),
            (None, Some(f)) => {
                spec.body = Some(
                    crate::store::fsread::read_text_capped(
                        f,
                        crate::store::fsread::STORE_FILE_BYTES,
                    )
                    .map_err(|e| Error::Usage(format!("--data-file {}: {e}", f.display())))?,
                )
            }
            (None, None) => {}
        }

        if let Some(op) = &opts.soap_operation {
            spec.apply_soap_operation(op)?;
        }
        if let Some(t) = &opts.token {
            spec.headers.push(Header {
                name: "Authorization".into(),
                value: format!("Bearer {t}"),
            });
        }
        if let Some(o) = &opts.oauth {
            let parts: Vec<&str> = o.split(',').collect();
            if parts.len() != 4 || parts.iter().any(|p| p.is_empty()) {
                return Err(Error::Usage(
                    "--oauth takes KEY,SECRET,TOKEN,TOKEN_SECRET (four non-empty values separated by commas)".into(),
                ));
            }
            spec.oauth = Some(OauthCredentials {
                consumer_key: parts[0].into(),
                consumer_secret: parts[1].into(),
                token: parts[2].into(),
                token_secret: parts[3].into(),
            });
        }
        match (&opts.admin_user, &opts.customer) {
            (Some(_), Some(_)) => {
                return Err(Error::Usage(
                    "--admin-user and --customer cannot be used together".into(),
                ));
            }
            (Some(a), None) => spec.login = Some(Login::Admin(a.clone())),
            (None, Some(c)) => spec.login = Some(Login::Customer(c.clone())),
            (None, None) => {}
        }
        Ok(Some(spec))
    }

    /// Which web API the request reaches (REST when it names no target).
    pub fn api(&self) -> Api {
        self.target.as_ref().map_or(Api::Rest, Target::api)
    }

    /// The first header of that name (any case), as sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str())
    }

    /// Every Authorization header value, as sent.
    pub fn authorization(&self) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case("authorization"))
            .map(|h| h.value.as_str())
            .collect()
    }

    /// Whether sending this request makes Magento record an OAuth nonce: it is signed by m2auth
    /// (`--oauth`/`--integration`) or carries an `Authorization: OAuth …` header of its own.
    pub fn is_oauth_signed(&self) -> bool {
        self.oauth.is_some()
            || self.authorization().iter().any(|a| {
                a.trim_start()
                    .split_once(' ')
                    .is_some_and(|(scheme, _)| scheme.eq_ignore_ascii_case("oauth"))
            })
    }

    /// The bearer token of the first Authorization header, if it is a Bearer one.
    pub fn bearer_token(&self) -> Option<&str> {
        let v = *self.authorization().first()?;
        let (scheme, rest) = v.trim_start().split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
    }

    /// How the request authenticates, for reports (the JSON's `request.auth`):
    ///
    /// * `none`: no Authorization header and no login;
    /// * `bearer-jwt-admin` / `bearer-jwt-customer`: a JWT whose `utypid` claim is 2 / 3;
    /// * `bearer-jwt`: a JWT whose user type cannot be read (encrypted, or no `utypid`);
    /// * `bearer-integration`: a 32-character opaque token (an integration's access token used
    ///   as Bearer; since 2.4.4 admin and customer tokens are JWTs);
    /// * `oauth1`: an OAuth 1.0a signature (`--oauth`, or an `OAuth` header as sent);
    /// * `basic`: HTTP Basic credentials;
    /// * `malformed`: an Authorization header Magento cannot read (another scheme, a Bearer
    ///   without a token or with one of neither shape);
    /// * `login-admin` / `login-customer`: a login (`--admin-user`/`--customer`).
    pub fn auth_kind(&self) -> &'static str {
        if self.oauth.is_some() {
            return "oauth1";
        }
        if let Some(v) = self.authorization().first() {
            let scheme = v
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_ascii_lowercase();
            return match scheme.as_str() {
                "bearer" => match self.bearer_token() {
                    Some(t) if t.split('.').count() == 3 => {
                        match crate::magento::token::parse(t).jwt_user() {
                            Some((_, 2)) => "bearer-jwt-admin",
                            Some((_, 3)) => "bearer-jwt-customer",
                            _ => "bearer-jwt",
                        }
                    }
                    Some(t) if t.split('.').count() == 5 => "bearer-jwt",
                    Some(t) if t.len() == 32 && t.chars().all(|c| c.is_ascii_alphanumeric()) => {
                        "bearer-integration"
                    }
                    _ => "malformed",
                },
                "oauth" => "oauth1",
                "basic" => "basic",
                _ => "malformed",
            };
        }
        match &self.login {
            Some(Login::Admin(_)) => "login-admin",
            Some(Login::Customer(_)) => "login-customer",
            None => "none",
        }
    }

    /// The request as a report shows it: the method and the target; a login without a target is
    /// the POST to the token endpoint it diagnoses.
    pub fn shown(&self) -> (String, Option<String>) {
        match (&self.target, &self.login) {
            (Some(t), _) => (self.method.clone(), Some(t.display())),
            (None, Some(Login::Admin(_))) => (
                "POST".into(),
                Some("/rest/V1/integration/admin/token".into()),
            ),
            (None, Some(Login::Customer(_))) => (
                "POST".into(),
                Some("/rest/V1/integration/customer/token".into()),
            ),
            (None, None) => (self.method.clone(), None),
        }
    }

    /// Every value of [`RequestSpec::auth_kind`] (the JSON Schema's enum).
    pub const AUTH_KINDS: &[&str] = &[
        "none",
        "bearer-jwt-admin",
        "bearer-jwt-customer",
        "bearer-jwt",
        "bearer-integration",
        "oauth1",
        "basic",
        "malformed",
        "login-admin",
        "login-customer",
    ];

    /// The secrets this request carries (tokens, OAuth secrets, credentials), for the masker.
    pub fn secrets(&self) -> Vec<String> {
        let mut v = Vec::new();
        for a in self.authorization() {
            let rest = a
                .trim()
                .split_once(' ')
                .map(|(_, r)| r.trim())
                .unwrap_or(a.trim());
            v.push(rest.to_string());
        }
        if let Some(o) = &self.oauth {
            v.extend([
                o.consumer_secret.clone(),
                o.token.clone(),
                o.token_secret.clone(),
                o.consumer_key.clone(),
            ]);
        }
        if let Some(p) = &self.password {
            v.push(p.expose().to_string());
        }
        if let Some(b) = &self.body {
            v.extend(crate::mask::body_secrets(b));
        }
        if let Some(q) = self.target.as_ref().and_then(|t| t.query.as_deref()) {
            v.extend(crate::mask::body_secrets(q));
        }
        // The password of a GraphQL generateCustomerToken in the body.
        if self.api() == Api::Graphql
            && let Ok(call) = crate::magento::graphql::read_call(
                &self.method,
                self.target.as_ref().and_then(|t| t.query.as_deref()),
                self.body.as_deref(),
            )
            && let Some(q) = &call.query
            && let Some((_, Some(pw))) =
                crate::magento::graphql::customer_token_arguments(q, call.variables.as_ref())
        {
            v.push(pw);
        }
        v
    }

    fn apply_curl(&mut self, line: &str) -> Result<(), Error> {
        let words = shell_words::split(line)
            .map_err(|e| Error::Usage(format!("--curl: cannot split the command: {e}")))?;
        let mut it = words.into_iter().peekable();
        if it.peek().map(|w| w.ends_with("curl")) == Some(true) {
            it.next();
        }
        let mut method = None;
        let mut get = false;
        let mut url: Option<String> = None;
        while let Some(w) = it.next() {
            let (opt, inline) = split_curl_option(&w);
            let Some(opt) = opt else {
                if url.replace(w).is_some() {
                    return Err(Error::Usage(
                        "--curl: the command names more than one URL".into(),
                    ));
                }
                continue;
            };
            let takes_value = CURL_VALUE_OPTIONS.contains(&opt.as_str());
            let value = if takes_value {
                match inline {
                    Some(v) => Some(v),
                    None => Some(
                        it.next()
                            .ok_or_else(|| Error::Usage(format!("--curl: {opt} needs a value")))?,
                    ),
                }
            } else if CURL_FLAGS.contains(&opt.as_str()) {
                None
            } else {
                // The option's name only: `-Zvalue`, `--opt=value` may carry a secret.
                return Err(Error::Usage(format!(
                    "--curl: curl option {} is not understood: describe the request with --request and -H instead",
                    curl_option_name(&opt)
                )));
            };
            let value = value.unwrap_or_default();
            match opt.as_str() {
                "-X" | "--request" => method = Some(value),
                "-H" | "--header" => self.headers.push(parse_header(&value)?),
                "-d" | "--data" | "--data-raw" | "--data-binary" | "--data-ascii"
                | "--data-urlencode" => self.body = Some(value),
                "--json" => {
                    self.body = Some(value);
                    self.headers.push(Header {
                        name: "Content-Type".into(),
                        value: "application/json".into(),
                    });
                }
                "-u" | "--user" => self.headers.push(Header {
                    name: "Authorization".into(),
                    value: format!("Basic {}", base64(&value)),
                }),
                "--oauth2-bearer" => self.headers.push(Header {
                    name: "Authorization".into(),
                    value: format!("Bearer {value}"),
                }),
                "--url" if url.replace(value).is_some() => {
                    return Err(Error::Usage(
                        "--curl: the command names more than one URL".into(),
                    ));
                }
                "-G" | "--get" => get = true,
                "-I" | "--head" => method = Some("HEAD".into()),
                _ => {}
            }
        }
        let url = url.ok_or_else(|| Error::Usage("--curl: the command names no URL".into()))?;
        self.method = method.unwrap_or_else(|| {
            if self.body.is_some() {
                "POST".into()
            } else {
                "GET".into()
            }
        });
        let mut target = parse_target(&url)?;
        if get {
            // `curl -G`: the data goes into the query string (a GraphQL GET query).
            self.method = "GET".into();
            if let Some(b) = self.body.take() {
                target.query = Some(match target.query.take() {
                    Some(q) if !q.is_empty() => format!("{q}&{b}"),
                    _ => b,
                });
            }
        }
        self.target = Some(target);
        Ok(())
    }
}

impl RequestSpec {
    /// `--soap-operation NAME`: without `--request`, `POST /soap/default?services=SERVICE` (the
    /// service is the name up to its version, `catalogProductRepositoryV1`); without a body, the
    /// smallest envelope that calls the operation (what Magento's SOAP server reads to pick the
    /// operation, and what `request` sends). An envelope given with `--data` must call the same
    /// operation.
    fn apply_soap_operation(&mut self, op: &str) -> Result<(), Error> {
        let Some(service) = crate::magento::soap::service_of_operation(op) else {
            return Err(Error::Usage(format!(
                "--soap-operation {op:?}: expected a service name with its version and a method, e.g. catalogProductRepositoryV1Get"
            )));
        };
        match &self.target {
            None => {
                self.method = "POST".into();
                self.target = Some(parse_target(&format!("/soap/default?services={service}"))?);
            }
            Some(t) if t.api() != Api::Soap => {
                return Err(Error::Usage(format!(
                    "--soap-operation goes with a SOAP request (/soap/<store>?services=…), not {}",
                    t.path
                )));
            }
            Some(_) => {}
        }
        match self.body.as_deref() {
            None => {
                self.body = Some(crate::magento::soap::minimal_envelope(op));
                if self.header("content-type").is_none() {
                    self.headers.push(Header {
                        name: "Content-Type".into(),
                        value: "application/soap+xml; charset=utf-8".into(),
                    });
                }
            }
            Some(b) => match crate::magento::soap::operation_of_envelope(b) {
                Some(called) if called != op => {
                    return Err(Error::Usage(format!(
                        "--soap-operation {op} but the envelope (--data) calls {called}"
                    )));
                }
                _ => {}
            },
        }
        Ok(())
    }

    /// `--har`: a browser's (DevTools "Save all as HAR") or a proxy's recording. The entry is
    /// `entry` (1-based) or else the first call to /rest, /graphql or /soap that was refused:
    /// a 401 or 403, or Magento's refusal inside a 200 (a GraphQL `graphql-authorization` or
    /// `graphql-authentication` error, a SOAP fault). HTTP/2 pseudo-headers (`:authority`…) are
    /// not headers the client sent as such and are left out. Errors start with `:LINE: ` or
    /// `: ` (the caller prefixes the file name).
    fn apply_har(&mut self, text: &str, entry: Option<usize>) -> Result<(), Error> {
        let doc: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| Error::Usage(format!(":{}: not a HAR file (JSON): {e}", e.line())))?;
        let Some(entries) = doc
            .pointer("/log/entries")
            .and_then(serde_json::Value::as_array)
        else {
            return Err(Error::Usage(": not a HAR file (no log.entries)".into()));
        };
        let url_of = |e: &serde_json::Value| {
            e.pointer("/request/url")
                .and_then(serde_json::Value::as_str)
                .map(str::to_string)
        };
        let is_api = |e: &serde_json::Value| {
            url_of(e).is_some_and(|u| {
                let path = url::Url::parse(&u)
                    .map(|u| u.path().to_string())
                    .unwrap_or(u);
                Api::of_path(&path, true) != Api::Rest || path.split('/').any(|s| s == "rest")
            })
        };
        let chosen = match entry {
            Some(n) => entries.get(n.wrapping_sub(1)).ok_or_else(|| {
                Error::Usage(format!(
                    ": --har-entry {n}: the file has {} entries",
                    entries.len()
                ))
            })?,
            None => {
                let api: Vec<&serde_json::Value> = entries.iter().filter(|e| is_api(e)).collect();
                let refused = |e: &&serde_json::Value| {
                    let status = e
                        .pointer("/response/status")
                        .and_then(serde_json::Value::as_u64)
                        .unwrap_or(0);
                    let body = e
                        .pointer("/response/content/text")
                        .and_then(serde_json::Value::as_str)
                        .unwrap_or("");
                    status == 401
                        || status == 403
                        || body.contains("graphql-authorization")
                        || body.contains("graphql-authentication")
                        || body.contains(":Fault>")
                };
                match api.iter().find(|e| refused(e)) {
                    Some(e) => *e,
                    None => {
                        return Err(Error::Usage(format!(
                            ": no call to /rest, /graphql or /soap was refused (of {} entries, {} are API calls): choose one with --har-entry N",
                            entries.len(),
                            api.len()
                        )));
                    }
                }
            }
        };
        let url =
            url_of(chosen).ok_or_else(|| Error::Usage(": the entry has no request.url".into()))?;
        self.method = chosen
            .pointer("/request/method")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("GET")
            .to_ascii_uppercase();
        self.target = Some(parse_target(&url)?);
        for h in chosen
            .pointer("/request/headers")
            .and_then(serde_json::Value::as_array)
            .into_iter()
            .flatten()
        {
            let (Some(name), Some(value)) = (
                h.get("name").and_then(serde_json::Value::as_str),
                h.get("value").and_then(serde_json::Value::as_str),
            ) else {
                continue;
            };
            if name.starts_with(':') || name.is_empty() || name.contains(char::is_whitespace) {
                continue;
            }
            self.headers.push(Header {
                name: name.to_string(),
                value: value.to_string(),
            });
        }
        if let Some(body) = chosen
            .pointer("/request/postData/text")
            .and_then(serde_json::Value::as_str)
        {
            self.body = Some(body.to_string());
        }
        Ok(())
    }
}

/// The largest HAR recording `--har` reads (with response bodies a browser's export of a checkout
/// is a few MiB; the parsed JSON takes a few times the file's size).
const HAR_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// curl options whose value m2auth reads or must skip.
const CURL_VALUE_OPTIONS: &[&str] = &[
    "-X",
    "--request",
    "-H",
    "--header",
    "-d",
    "--data",
    "--data-raw",
    "--data-binary",
    "--data-ascii",
    "--data-urlencode",
    "--json",
    "-u",
    "--user",
    "--oauth2-bearer",
    "--url",
    "-o",
    "--output",
    "-m",
    "--max-time",
    "--connect-timeout",
    "-A",
    "--user-agent",
    "-e",
    "--referer",
    "-b",
    "--cookie",
    "-c",
    "--cookie-jar",
    "--cacert",
    "--capath",
    "--cert",
    "--key",
    "-E",
    "--cert-type",
    "--key-type",
    "-w",
    "--write-out",
    "--resolve",
    "--connect-to",
    "-x",
    "--proxy",
    "-U",
    "--proxy-user",
    "-F",
    "--form",
    "--form-string",
    "-T",
    "--upload-file",
    "--retry",
    "--retry-delay",
    "--retry-max-time",
    "--max-redirs",
    "--limit-rate",
    "-r",
    "--range",
    "--interface",
    "--dns-servers",
    "--noproxy",
    "--unix-socket",
    "--pass",
    "-K",
    "--config",
    "--trace",
    "--trace-ascii",
    "--stderr",
];

/// curl options without a value that do not change the request m2auth diagnoses.
const CURL_FLAGS: &[&str] = &[
    "-s",
    "--silent",
    "-S",
    "--show-error",
    "-v",
    "--verbose",
    "-k",
    "--insecure",
    "-L",
    "--location",
    "-i",
    "--include",
    "--compressed",
    "-f",
    "--fail",
    "--fail-with-body",
    "-g",
    "--globoff",
    "--http1.0",
    "--http1.1",
    "--http2",
    "--http2-prior-knowledge",
    "-N",
    "--no-buffer",
    "-G",
    "--get",
    "-I",
    "--head",
    "-#",
    "--progress-bar",
    "-4",
    "--ipv4",
    "-6",
    "--ipv6",
    "--location-trusted",
    "-O",
    "--remote-name",
    "--raw",
    "--tr-encoding",
    "--no-keepalive",
    "--ssl",
    "--tlsv1.2",
    "--tlsv1.3",
    "-q",
    "--disable",
];

/// Split a curl word into its option and an inline value: `-XPOST` → (`-X`, `POST`),
/// `--request=POST` → (`--request`, `POST`), `-H'A: b'` (after shell splitting `-HA: b`) →
/// (`-H`, `A: b`); a word that is no option (the URL) → (None, None).
/// The name of a curl option as the user wrote it, without any value glued to it: `-Zsecret` →
/// `-Z`, `--opt=value` → `--opt`.
fn curl_option_name(word: &str) -> String {
    match word.strip_prefix("--") {
        Some(long) => format!("--{}", long.split('=').next().unwrap_or("")),
        None => word.chars().take(2).collect(),
    }
}

fn split_curl_option(word: &str) -> (Option<String>, Option<String>) {
    if let Some(long) = word.strip_prefix("--") {
        return match long.split_once('=') {
            Some((name, v)) => (Some(format!("--{name}")), Some(v.to_string())),
            None => (Some(word.to_string()), None),
        };
    }
    if word.len() > 1 && word.starts_with('-') {
        let opt: String = word.chars().take(2).collect();
        let rest: String = word.chars().skip(2).collect();
        if rest.is_empty() {
            return (Some(opt), None);
        }
        if CURL_VALUE_OPTIONS.contains(&opt.as_str()) {
            return (Some(opt), Some(rest));
        }
        // Bundled flags such as `-sSk`: accepted when each is a known flag.
        if rest
            .chars()
            .all(|c| CURL_FLAGS.contains(&format!("-{c}").as_str()))
        {
            return (Some(opt), None);
        }
        return (Some(word.to_string()), None);
    }
    (None, None)
}

fn split_request(req: &str) -> Result<(String, String), Error> {
    let mut parts = req.split_whitespace();
    let (Some(method), Some(target), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(Error::Usage(format!(
            "--request takes \"METHOD TARGET\", e.g. \"GET /V1/products\" (got {} word(s))",
            req.split_whitespace().count()
        )));
    };
    let method = method.to_ascii_uppercase();
    if !method.chars().all(|c| c.is_ascii_alphabetic()) {
        return Err(Error::Usage(format!(
            "--request: \"{method}\" is not an HTTP method"
        )));
    }
    Ok((method, target.to_string()))
}

/// Parse `https://host[:port]/path?query`, `/path?query` or `V1/path`; a path that does not start
/// with `/rest` or `/index.php/rest` is taken as a REST path under `/rest`.
pub fn parse_target(target: &str) -> Result<Target, Error> {
    let mut t = if target.contains("://") {
        let url = url::Url::parse(target).map_err(|e| {
            let shown: String = target
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            Error::Usage(format!("\"{shown}\": not a URL: {e}"))
        })?;
        let host = url
            .host_str()
            .map(|h| h.trim_matches(['[', ']']).to_string());
        Target {
            scheme: Some(url.scheme().to_string()),
            host,
            port: url.port(),
            path: raw_path(target),
            query: url.query().map(str::to_string),
        }
    } else {
        let (path, query) = match target.split_once('?') {
            Some((p, q)) => (p.to_string(), Some(q.to_string())),
            None => (target.to_string(), None),
        };
        let path = if path.starts_with('/') {
            path
        } else {
            format!("/{path}")
        };
        Target {
            scheme: None,
            host: None,
            port: None,
            path,
            query,
        }
    };
    // GraphQL and SOAP keep their path: only REST targets may be written short.
    if Api::of_path(&t.path, t.host.is_some()) != Api::Rest {
        return Ok(t);
    }
    // A store in a subfolder (`/shop/rest/V1/…`) is left as it is; the router finds `/rest/`.
    let under_rest = t.path.starts_with("/rest/")
        || t.path == "/rest"
        || t.path.contains("/rest/")
        || t.path.starts_with("/index.php/rest/");
    if !under_rest {
        t.path = format!("/rest{}", t.path);
    }
    Ok(t)
}

/// The path of a URL exactly as written (no normalisation: the diagnosis must see what was sent).
fn raw_path(url: &str) -> String {
    let after_scheme = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let without_fragment = after_scheme.split('#').next().unwrap_or("");
    let without_query = without_fragment.split('?').next().unwrap_or("");
    match without_query.find('/') {
        Some(i) => without_query[i..].to_string(),
        None => "/".to_string(),
    }
}

fn parse_header(h: &str) -> Result<Header, Error> {
    let Some((name, value)) = h.split_once(':') else {
        return Err(Error::Usage(format!(
            "-H \"{}\": expected \"Name: value\"",
            crate::mask::mask(h)
        )));
    };
    let name = name.trim();
    if name.is_empty() || name.contains(char::is_whitespace) {
        return Err(Error::Usage(
            "-H: the header name is empty or contains spaces".into(),
        ));
    }
    // One optional space after the colon is the separator, as curl sends it; the rest is kept.
    let value = value.strip_prefix(' ').unwrap_or(value);
    Ok(Header {
        name: name.to_string(),
        value: value.to_string(),
    })
}

/// Standard base64 (for `curl -u`).
fn base64(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `request.auth` tells every kind of caller apart (issue 10, item 8).
    #[test]
    fn auth_kinds() {
        let jwt = |claims: &str| {
            use base64::Engine as _;
            let e = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
            format!("{}.{}.c2ln", e(r#"{"alg":"HS256","kid":"1"}"#), e(claims))
        };
        let kind = |o: RequestOptions| {
            RequestSpec::from_options(&RequestOptions {
                request: Some("GET /V1/products".into()),
                ..o
            })
            .unwrap()
            .unwrap()
            .auth_kind()
        };
        let token = |t: &str| RequestOptions {
            token: Some(t.to_string()),
            ..Default::default()
        };
        let header = |h: &str| RequestOptions {
            headers: vec![h.to_string()],
            ..Default::default()
        };
        assert_eq!(kind(Default::default()), "none");
        assert_eq!(
            kind(token(&jwt(r#"{"uid":1,"utypid":2}"#))),
            "bearer-jwt-admin"
        );
        assert_eq!(
            kind(token(&jwt(r#"{"uid":1,"utypid":3}"#))),
            "bearer-jwt-customer"
        );
        assert_eq!(kind(token(&jwt(r#"{"uid":1}"#))), "bearer-jwt");
        assert_eq!(
            kind(token("abcdefghijklmnopqrstuvwxyz012345")),
            "bearer-integration"
        );
        assert_eq!(kind(token("short")), "malformed");
        assert_eq!(kind(header("Authorization: Basic dTpw")), "basic");
        assert_eq!(kind(header("Authorization: Token x")), "malformed");
        assert_eq!(
            kind(header("Authorization: OAuth oauth_consumer_key=\"k\"")),
            "oauth1"
        );
        let oauth = RequestOptions {
            oauth: Some("k,s,t,ts".into()),
            ..Default::default()
        };
        assert_eq!(kind(oauth), "oauth1");
        for k in RequestSpec::AUTH_KINDS {
            assert!(!k.is_empty());
        }
    }

    fn opts(request: &str) -> RequestOptions {
        RequestOptions {
            request: Some(request.into()),
            ..Default::default()
        }
    }

    #[test]
    fn short_targets_go_under_rest() {
        let s = RequestSpec::from_options(&opts("get V1/products"))
            .unwrap()
            .unwrap();
        assert_eq!(s.method, "GET");
        assert_eq!(s.target.unwrap().path, "/rest/V1/products");
        let s = RequestSpec::from_options(&opts("POST /rest/default/V1/orders"))
            .unwrap()
            .unwrap();
        assert_eq!(s.target.unwrap().path, "/rest/default/V1/orders");
    }

    #[test]
    fn full_urls_keep_host_port_and_raw_path() {
        let s = RequestSpec::from_options(&opts(
            "GET https://shop.example.com:8443/rest/all/V1/customers/me?x=1",
        ))
        .unwrap()
        .unwrap();
        let t = s.target.unwrap();
        assert_eq!(t.host.as_deref(), Some("shop.example.com"));
        assert_eq!(t.port, Some(8443));
        assert_eq!(t.path, "/rest/all/V1/customers/me");
        assert_eq!(t.query.as_deref(), Some("x=1"));
    }

    #[test]
    fn headers_are_kept_as_sent() {
        let o = RequestOptions {
            request: Some("GET /V1/products".into()),
            headers: vec!["Authorization: Bearer abc ".into()],
            ..Default::default()
        };
        let s = RequestSpec::from_options(&o).unwrap().unwrap();
        assert_eq!(s.authorization(), vec!["Bearer abc "]);
    }

    #[test]
    fn curl_commands_are_understood() {
        let o = RequestOptions {
            curl: Some(
                "curl -X POST 'https://m.test/rest/V1/integration/admin/token' -H 'Content-Type: application/json' -d '{\"username\":\"a\"}'"
                    .into(),
            ),
            ..Default::default()
        };
        let s = RequestSpec::from_options(&o).unwrap().unwrap();
        assert_eq!(s.method, "POST");
        assert_eq!(s.target.unwrap().host.as_deref(), Some("m.test"));
        assert_eq!(s.headers.len(), 1);
        assert_eq!(base64("user:pass"), "dXNlcjpwYXNz");
    }

    #[test]
    fn curl_joined_options_and_bearer() {
        let o = RequestOptions {
            curl: Some("curl -sSk -XPUT -H'Authorization: Bearer abc' --oauth2-bearer def --url=https://m.test/rest/V1/x -F a=b".into()),
            ..Default::default()
        };
        let s = RequestSpec::from_options(&o).unwrap().unwrap();
        assert_eq!(s.method, "PUT");
        assert_eq!(s.target.as_ref().unwrap().path, "/rest/V1/x");
        assert_eq!(s.authorization(), vec!["Bearer abc", "Bearer def"]);
        let o = RequestOptions {
            curl: Some("curl --frobnicate https://m.test/x".into()),
            ..Default::default()
        };
        assert!(RequestSpec::from_options(&o).is_err());
        let o = RequestOptions {
            curl: Some("curl https://a.test/x https://b.test/y".into()),
            ..Default::default()
        };
        assert!(RequestSpec::from_options(&o).is_err());
    }

    #[test]
    fn password_files_lose_one_trailing_newline() {
        assert_eq!(Password::from_file_contents("pw 1\n").expose(), "pw 1");
        assert_eq!(Password::from_file_contents("pw\r\n").expose(), "pw");
        assert_eq!(Password::from_file_contents("pw\n\n").expose(), "pw\n");
        assert_eq!(Password::from_file_contents(" pw ").expose(), " pw ");
        assert_eq!(format!("{:?}", Password::new("secret")), "Password(…)");
    }

    #[test]
    fn graphql_and_soap_keep_their_paths() {
        let s = RequestSpec::from_options(&opts("POST /graphql"))
            .unwrap()
            .unwrap();
        assert_eq!(s.target.as_ref().unwrap().path, "/graphql");
        assert_eq!(s.api(), Api::Graphql);
        let s = RequestSpec::from_options(&opts(
            "POST https://m.test/shop/soap/default?services=catalogProductRepositoryV1",
        ))
        .unwrap()
        .unwrap();
        assert_eq!(s.target.as_ref().unwrap().path, "/shop/soap/default");
        assert_eq!(s.api(), Api::Soap);
        let s = RequestSpec::from_options(&opts("GET /index.php/graphql?query=%7Bx%7D"))
            .unwrap()
            .unwrap();
        assert_eq!(s.api(), Api::Graphql);
        // A REST path that merely contains the word stays REST.
        let s = RequestSpec::from_options(&opts("GET https://m.test/rest/V1/soap"))
            .unwrap()
            .unwrap();
        assert_eq!(s.api(), Api::Rest);
        let s = RequestSpec::from_options(&opts("GET /V1/graphql"))
            .unwrap()
            .unwrap();
        assert_eq!(s.target.as_ref().unwrap().path, "/rest/V1/graphql");
        assert_eq!(s.api(), Api::Rest);
    }

    #[test]
    fn bodies_from_data_and_curl() {
        let o = RequestOptions {
            request: Some("POST /graphql".into()),
            data: Some("{\"query\":\"{ customer { email } }\"}".into()),
            ..Default::default()
        };
        let s = RequestSpec::from_options(&o).unwrap().unwrap();
        assert!(s.body.unwrap().contains("customer"));
        let o = RequestOptions {
            curl: Some(
                "curl -G https://m.test/graphql --data-urlencode 'query={storeConfig{code}}'"
                    .into(),
            ),
            ..Default::default()
        };
        let s = RequestSpec::from_options(&o).unwrap().unwrap();
        assert_eq!(s.method, "GET");
        assert_eq!(s.body, None);
        assert_eq!(
            s.target.unwrap().query.as_deref(),
            Some("query={storeConfig{code}}")
        );
        let o = RequestOptions {
            data: Some("x".into()),
            data_file: Some("/nonexistent".into()),
            ..Default::default()
        };
        assert!(RequestSpec::from_options(&o).is_err());
    }

    #[test]
    fn bad_requests_are_usage_errors() {
        assert!(RequestSpec::from_options(&opts("/V1/products")).is_err());
        let o = RequestOptions {
            oauth: Some("a,b,c".into()),
            ..Default::default()
        };
        assert!(RequestSpec::from_options(&o).is_err());
    }
}
