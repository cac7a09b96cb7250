//! The REST route index: every enabled module's `etc/webapi.xml`, merged and matched the way
//! Magento does it (reference: `shared/reference/magento-acl-schema.md` §1). Pure: the text of
//! each file comes from the caller (`crate::store::webapi` reads them).
//!
//! # Building
//!
//! [`parse_webapi`] reads one file into [`RouteDecl`]s (with line numbers);
//! [`RouteIndex::add`] merges them in module load order (config.php order), like
//! `Magento\Framework\Config\Dom` merging with the id attributes `/routes/route => url+method`,
//! `resource => ref`, `parameter => name`:
//!
//! * routes are keyed by (url trimmed of whitespace, method as written); `/V1/customers` and
//!   `/V1/customers/` are two keys;
//! * a later declaration of the same key replaces the `<service>` class/method (attributes it
//!   does not carry are kept), replaces `secure` when it carries the attribute, ADDS its
//!   resources to the existing ones (union, first-seen order), and merges `<data><parameter>` by
//!   name (text replaced when the new one has text, `force` replaced when present);
//! * every declaring module and the file:line of every declaration are kept.
//!
//! Simplification: Magento loads the first file as the initial DOM without merging duplicates
//! inside it (the converter then keeps the last one whole); here every repeated declaration is
//! merged. Real files do not repeat a url+method.
//!
//! # Matching ([`RouteIndex::resolve`])
//!
//! 1. `?query` and `#fragment` are dropped, a leading `/index.php` too (Magento's path info
//!    excludes the script name).
//! 2. `PathProcessor::process`: trim `/`, drop the first segment (the `rest` front name), then
//!    the next segment is a store code when it is one of `store_codes` (exact, case-sensitive;
//!    `admin` never counts: `StoreManager::getStores(false)` leaves out store id 0), or `all`
//!    (admin store); anything else means no code and the whole rest is the route path.
//! 3. Async/bulk (`WebapiAsync`), for methods other than `GET`: `^/async/bulk(/V.+)` is a bulk
//!    request, matched against the routes with every `/:param` turned into `/by<Param>`;
//!    `^/async(/V.+)` is an asynchronous request matched against the normal routes.
//!    A `GET` is never asynchronous [from memory of `AsynchronousRequestProcessor::canProcess`,
//!    not re-read], so `GET /async/V1/...` is matched literally and not found.
//! 4. `Rest\Config::getRestRoutes`: the exact key `routes[path][METHOD]` wins outright;
//!    otherwise the candidates are the routes, sorted by url in byte order (`ksort
//!    SORT_STRING`), whose `trim(url,'/')` starts with the `#^/?\w+/\w+#` prefix of the path
//!    (no prefix: no candidates) and whose method equals the request's ignoring ASCII case.
//! 5. `Route::match` per candidate: equal segment counts; a segment `:name` (not `::`) matches
//!    any one segment, its value `urldecode`d; other segments compare with PHP `!=` (byte
//!    equality, except that two numeric strings compare as numbers). The LAST matching
//!    candidate wins (`array_pop`), so a literal starting with a letter beats a `:param`
//!    sibling (`:` is 0x3A) and a literal starting with a digit, `-` or `.` loses to it.
//!
//! Caveat [unverified]: with no store code and a first segment that is not `V<digits>`, Magento
//! may answer 400 "Specified request cannot be processed." (no request processor claims the
//! path) rather than the 404 "Request does not match any route."; either way nothing matches.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The resource every caller is granted (`GuestAuthorization` plugin).
pub const ANONYMOUS: &str = "anonymous";
/// The resource a customer token is granted (`CustomerAuthorization` plugin).
pub const SELF: &str = "self";

/// One `<data><parameter>` of a route.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RouteParam {
    /// `customer.id`, `cartId`.
    pub name: String,
    /// `force="…"` as PHP's `(bool)` reads it (only `""` and `"0"` are false); default false.
    pub force: bool,
    /// The text (`%customer_id%`); `None` for the text `null`.
    pub value: Option<String>,
}

/// A merged route: what Magento's `routes[url][method]` holds after every module's file.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Route {
    /// The url as written, whitespace-trimmed (`/V1/products/:sku`, may end in `/`).
    pub url: String,
    /// The method as written (`GET`, `POST`, `PUT`, `DELETE`, `PATCH`).
    pub method: String,
    /// `secure="…"` as PHP's `(bool)` reads it: the request must be HTTPS (else 400
    /// "Operation allowed only in HTTPS", after the ACL check).
    pub secure: bool,
    pub service_class: String,
    pub service_method: String,
    /// `soapOperation="…"` of the route (the SOAP operation's alias instead of the method).
    pub soap_operation: Option<String>,
    /// Every `<resource ref>` of every declaration, first-seen order. ALL are required.
    pub resources: Vec<String>,
    pub parameters: Vec<RouteParam>,
    /// The modules that declared the route, in load order (the last one's service is used).
    pub modules: Vec<String>,
    /// File and 1-based line of each `<route>` declaration, in load order.
    pub sources: Vec<(PathBuf, u32)>,
}

impl Route {
    /// The module whose declaration came last (its service answers the route).
    pub fn module(&self) -> &str {
        self.modules.last().map(String::as_str).unwrap_or("")
    }

    /// Every listed resource is `anonymous`: any caller, with or without a token, passes the
    /// ACL check. (`anonymous` plus another resource still needs the other one.)
    pub fn is_anonymous(&self) -> bool {
        !self.resources.is_empty() && self.resources.iter().all(|r| r == ANONYMOUS)
    }

    /// The route lists `self` and nothing but `self`/`anonymous`: only a customer token passes
    /// (admin and integration tokens are not granted `self`).
    pub fn is_self(&self) -> bool {
        self.resources.iter().any(|r| r == SELF)
            && self.resources.iter().all(|r| r == SELF || r == ANONYMOUS)
    }

    /// The resources the ACL decides (neither `anonymous` nor `self`).
    pub fn acl_resources(&self) -> impl Iterator<Item = &str> {
        self.resources
            .iter()
            .map(String::as_str)
            .filter(|r| *r != ANONYMOUS && *r != SELF)
    }

    /// The API version (`V1`): the text between the first and second `/` of the url.
    pub fn version(&self) -> &str {
        let u = self.url.strip_prefix('/').unwrap_or(&self.url);
        u.split('/').next().unwrap_or("")
    }

    /// The bulk url (`/V1/products/bySku` for `/V1/products/:sku`): every `/:word` becomes
    /// `/by` + the word with its first letter upper-cased (served as `/async/bulk/V1/...`).
    pub fn bulk_url(&self) -> String {
        bulk_url(&self.url)
    }
}

/// One `<route>` element as written in one file (before merging).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteDecl {
    /// Whitespace-trimmed.
    pub url: String,
    pub method: String,
    /// `None` when the attribute is absent (a merge keeps the earlier value).
    pub secure: Option<bool>,
    pub service_class: Option<String>,
    pub service_method: Option<String>,
    pub soap_operation: Option<String>,
    pub resources: Vec<String>,
    pub parameters: Vec<ParamDecl>,
    /// 1-based line of the `<route` tag.
    pub line: u32,
}

/// One `<parameter>` as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamDecl {
    pub name: String,
    pub force: Option<bool>,
    /// The element's text; `None` for an empty element (a merge keeps the earlier text).
    pub text: Option<String>,
}

/// Why a file, or one route in it, could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct WebapiXmlError {
    /// 1-based.
    pub line: u32,
    pub message: String,
}

/// A parsed webapi.xml: its routes, and the `<route>` elements that had to be skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebapiFile {
    pub routes: Vec<RouteDecl>,
    /// Routes without `url` or `method` (Magento's schema validation would reject the file).
    pub problems: Vec<WebapiXmlError>,
}

/// PHP's `(bool)` of a string.
fn php_bool(s: &str) -> bool {
    !(s.is_empty() || s == "0")
}

/// Parse one webapi.xml. Not well-formed XML, or a root other than `<routes>`, is an error.
pub fn parse_webapi(text: &str) -> Result<WebapiFile, WebapiXmlError> {
    let doc = roxmltree::Document::parse(text).map_err(|e| WebapiXmlError {
        line: e.pos().row,
        message: e.to_string(),
    })?;
    let line_of = |n: roxmltree::Node| doc.text_pos_at(n.range().start).row;
    let root = doc.root_element();
    if root.tag_name().name() != "routes" {
        return Err(WebapiXmlError {
            line: line_of(root),
            message: format!("root element is <{}>, not <routes>", root.tag_name().name()),
        });
    }
    let mut out = WebapiFile::default();
    for route in root.children().filter(|n| n.has_tag_name("route")) {
        let line = line_of(route);
        let (Some(url), Some(method)) = (route.attribute("url"), route.attribute("method")) else {
            out.problems.push(WebapiXmlError {
                line,
                message: "<route> without url or method attribute: skipped".into(),
            });
            continue;
        };
        // Magento's converter takes the first <service>/<resources> below the route
        // (getElementsByTagName) and every <parameter>.
        let service = route.descendants().find(|n| n.has_tag_name("service"));
        let resources = route
            .descendants()
            .find(|n| n.has_tag_name("resources"))
            .map(|rs| {
                let mut v: Vec<String> = Vec::new();
                for r in rs.descendants().filter(|n| n.has_tag_name("resource")) {
                    if let Some(r) = r.attribute("ref")
                        && !v.iter().any(|x| x == r)
                    {
                        v.push(r.to_string());
                    }
                }
                v
            })
            .unwrap_or_default();
        let parameters = route
            .descendants()
            .filter(|n| n.has_tag_name("parameter"))
            .filter_map(|p| {
                let name = p.attribute("name")?.to_string();
                let text: String = p
                    .descendants()
                    .filter(|n| n.is_text())
                    .filter_map(|n| n.text())
                    .collect();
                Some(ParamDecl {
                    name,
                    force: p.attribute("force").map(php_bool),
                    text: (!text.is_empty()).then_some(text),
                })
            })
            .collect();
        out.routes.push(RouteDecl {
            url: url.trim().to_string(),
            method: method.to_string(),
            secure: route.attribute("secure").map(php_bool),
            service_class: service
                .and_then(|s| s.attribute("class"))
                .map(str::to_string),
            service_method: service
                .and_then(|s| s.attribute("method"))
                .map(str::to_string),
            soap_operation: route.attribute("soapOperation").map(str::to_string),
            resources,
            parameters,
            line,
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// The index

#[derive(Debug, Clone, PartialEq)]
enum Seg {
    Lit(String),
    Var(String),
    /// `:` or `:0`: PHP's falsy variable name makes the segment compare with `null`, so only an
    /// empty path segment matches (and no param is recorded).
    NullVar,
}

/// One way of looking at the routes (normal urls, or bulk urls).
#[derive(Debug, Clone, Default)]
struct Table {
    /// Per route: the url this table matches on.
    urls: Vec<String>,
    /// Per route: `trim(url, '/')`.
    trimmed: Vec<String>,
    segs: Vec<Vec<Seg>>,
    /// Route indices in `ksort(SORT_STRING)` order of their url (stable: methods of one url
    /// keep declaration order).
    sorted: Vec<usize>,
    /// (url, method) → route; the first route with that key when bulk urls collide.
    exact: HashMap<(String, String), usize>,
}

impl Table {
    fn build(routes: &[Route], url_of: impl Fn(&Route) -> String) -> Table {
        let mut t = Table::default();
        for (i, r) in routes.iter().enumerate() {
            let url = url_of(r);
            let trimmed = url.trim_matches('/').to_string();
            t.segs.push(trimmed.split('/').map(segment).collect());
            // Colliding bulk urls: the later route overwrites the key, like a PHP array.
            t.exact.insert((url.clone(), r.method.clone()), i);
            t.trimmed.push(trimmed);
            t.urls.push(url);
        }
        let mut sorted: Vec<usize> = (0..routes.len()).collect();
        sorted.sort_by(|&a, &b| t.urls[a].as_bytes().cmp(t.urls[b].as_bytes()));
        t.sorted = sorted;
        t
    }

    /// `Route::match`: params when the route matches `path` (a `/`-trimmed path's segments).
    fn match_route(&self, i: usize, parts: &[&str]) -> Option<Vec<(String, String)>> {
        let segs = &self.segs[i];
        if segs.len() != parts.len() {
            return None;
        }
        let mut params = Vec::new();
        for (s, p) in segs.iter().zip(parts) {
            match s {
                Seg::Var(name) => params.push((name.clone(), urldecode(p))),
                Seg::NullVar if p.is_empty() => {}
                Seg::NullVar => return None,
                Seg::Lit(l) if php_loose_eq(l, p) => {}
                Seg::Lit(_) => return None,
            }
        }
        Some(params)
    }

    /// `getRestRoutes` + `Router::match`.
    fn find(&self, routes: &[Route], method: &str, path: &str) -> Option<(usize, Params)> {
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        if let Some(&i) = self.exact.get(&(path.to_string(), method.to_string())) {
            return self.match_route(i, &parts).map(|p| (i, p));
        }
        let base = base_url(path)?;
        let base = base.trim_matches('/');
        let mut last = None;
        for &i in &self.sorted {
            if !self.trimmed[i].starts_with(base) || !routes[i].method.eq_ignore_ascii_case(method)
            {
                continue;
            }
            if let Some(p) = self.match_route(i, &parts) {
                last = Some((i, p));
            }
        }
        last
    }
}

type Params = Vec<(String, String)>;

fn segment(s: &str) -> Seg {
    match s.strip_prefix(':') {
        Some(name) if !name.starts_with(':') => {
            if name.is_empty() || name == "0" {
                Seg::NullVar
            } else {
                Seg::Var(name.to_string())
            }
        }
        _ => Seg::Lit(s.to_string()),
    }
}

/// `#^/?\w+/\w+#` (ASCII `\w`).
fn base_url(path: &str) -> Option<&str> {
    let b = path.as_bytes();
    let w = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut i = usize::from(b.first() == Some(&b'/'));
    let start = i;
    while i < b.len() && w(b[i]) {
        i += 1;
    }
    if i == start || b.get(i) != Some(&b'/') {
        return None;
    }
    i += 1;
    let s2 = i;
    while i < b.len() && w(b[i]) {
        i += 1;
    }
    (i > s2).then(|| &path[..i])
}

/// The bulk form of a url: `/:word` → `/by` + ucfirst(word) (`\w` = ASCII word characters).
pub fn bulk_url(url: &str) -> String {
    let b = url.as_bytes();
    let mut out = String::with_capacity(url.len() + 8);
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'/' && b.get(i + 1) == Some(&b':') {
            let start = i + 2;
            let mut j = start;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                j += 1;
            }
            if j > start {
                out.push_str("/by");
                out.push(b[start].to_ascii_uppercase() as char);
                out.push_str(&url[start + 1..j]);
                i = j;
                continue;
            }
        }
        let c = url[i..].chars().next().unwrap_or('/');
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// PHP `urldecode`: `+` is a space, `%XX` a byte; invalid escapes stay as written.
pub fn urldecode(s: &str) -> String {
    if !s.contains(['%', '+']) {
        return s.to_string();
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() && hex(b[i + 1]).is_some() && hex(b[i + 2]).is_some() => {
                out.push(hex(b[i + 1]).unwrap_or(0) * 16 + hex(b[i + 2]).unwrap_or(0));
                i += 3;
                continue;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// PHP 8 `==` of two strings: equal bytes, or both numeric strings with equal values.
fn php_loose_eq(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match (php_numeric(a), php_numeric(b)) {
        (Some(x), Some(y)) => match (x, y) {
            (Num::Int(x), Num::Int(y)) => x == y,
            (x, y) => x.as_f64() == y.as_f64(),
        },
        _ => false,
    }
}

#[derive(Clone, Copy)]
enum Num {
    Int(i64),
    Float(f64),
}

impl Num {
    fn as_f64(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::Float(f) => f,
        }
    }
}

/// A PHP 8 numeric string (leading/trailing whitespace allowed).
fn php_numeric(s: &str) -> Option<Num> {
    let t = s.trim_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let b = t.as_bytes();
    let first = *b.first()?;
    if !(first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'.')) {
        return None;
    }
    // Only digits, one dot, one exponent; Rust's parser accepts the same shapes once words
    // like `inf`/`nan` are excluded.
    if !b
        .iter()
        .all(|c| c.is_ascii_digit() || matches!(c, b'+' | b'-' | b'.' | b'e' | b'E'))
    {
        return None;
    }
    if let Ok(i) = t.parse::<i64>() {
        return Some(Num::Int(i));
    }
    t.parse::<f64>().ok().map(Num::Float)
}

/// Where the request's store came from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "code")]
pub enum StorePart {
    /// A known store code (that store view becomes current).
    Code(String),
    /// `all`: the admin store (id 0).
    All,
    /// No store code: the default store view.
    Default,
    /// The segment after `rest` is not a store code, and the rest of the path after it would
    /// match a route: most likely a mistyped or unknown store code (`store-code-unknown`).
    /// Magento matched the whole path (segment included) and found nothing.
    Unknown(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    Sync,
    /// `/async/V1/...`: queued, answered 202.
    Async,
    /// `/async/bulk/V1/...` with `by<Param>` segments.
    Bulk,
}

/// Why a route is offered as a near miss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClosestKind {
    /// The path matches, the method does not (Magento answers 404, not 405).
    OtherMethod,
    /// The path would match after the unknown first segment (store code).
    StoreCode,
    /// The path matches segment by segment, but Magento never tries the route: its url does
    /// not start with the request's `#^/?\w+/\w+#` prefix (a `:param` in the first two segments).
    PrefixSkipped,
    /// `GET` on `/async/...`: only other methods can be asynchronous.
    AsyncGet,
    /// Small edit distance on literal segments (possibly also another method).
    Typo,
    /// Same leading segments, one or two more or fewer.
    SegmentCount,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Closest {
    /// Index into [`RouteIndex::routes`].
    pub route: usize,
    pub kind: ClosestKind,
    /// A short explanation: "exists for GET, not POST", "`product` → `products`".
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "outcome")]
pub enum Outcome {
    Matched {
        /// Index into [`RouteIndex::routes`].
        route: usize,
        /// The `:param` values, urldecoded, in url order.
        params: Vec<(String, String)>,
    },
    /// 404 "Request does not match any route."; `closest` has at most 5 near misses, best first.
    NotFound { closest: Vec<Closest> },
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Resolution {
    pub store: StorePart,
    pub mode: Mode,
    /// The path Magento matches against the route urls: `/V1/products/abc` (for async and
    /// bulk without the `/async`, `/async/bulk` prefix; for bulk the `by<Param>` form).
    pub route_path: String,
    pub outcome: Outcome,
}

impl Resolution {
    /// The matched route's index.
    pub fn route(&self) -> Option<usize> {
        match self.outcome {
            Outcome::Matched { route, .. } => Some(route),
            Outcome::NotFound { .. } => None,
        }
    }
}

/// The merged routes of a set of modules, and the lookup structures to match requests.
#[derive(Debug, Clone, Default)]
pub struct RouteIndex {
    routes: Vec<Route>,
    /// (url, method) → index into `routes`.
    keys: HashMap<(String, String), usize>,
    /// Matching tables (normal urls, bulk urls), built on first use after the last `add`.
    tables: OnceLock<(Table, Table)>,
}

impl RouteIndex {
    pub fn new() -> RouteIndex {
        RouteIndex::default()
    }

    /// Parse `text` (the webapi.xml of `module`, read from `path`) and merge it. On an XML
    /// error nothing is merged. Returns the skipped-route problems.
    pub fn add_file(
        &mut self,
        module: &str,
        path: &Path,
        text: &str,
    ) -> Result<Vec<WebapiXmlError>, WebapiXmlError> {
        let file = parse_webapi(text)?;
        self.add(module, path, &file.routes);
        Ok(file.problems)
    }

    /// Merge one module's declarations (call in module load order).
    pub fn add(&mut self, module: &str, path: &Path, decls: &[RouteDecl]) {
        for d in decls {
            let key = (d.url.clone(), d.method.clone());
            let i = match self.keys.get(&key) {
                Some(&i) => i,
                None => {
                    self.keys.insert(key, self.routes.len());
                    self.routes.push(Route {
                        url: d.url.clone(),
                        method: d.method.clone(),
                        secure: false,
                        service_class: String::new(),
                        service_method: String::new(),
                        soap_operation: None,
                        resources: Vec::new(),
                        parameters: Vec::new(),
                        modules: Vec::new(),
                        sources: Vec::new(),
                    });
                    self.routes.len() - 1
                }
            };
            let r = &mut self.routes[i];
            if let Some(s) = d.secure {
                r.secure = s;
            }
            if let Some(c) = &d.service_class {
                r.service_class.clone_from(c);
            }
            if let Some(m) = &d.service_method {
                r.service_method.clone_from(m);
            }
            if let Some(o) = &d.soap_operation {
                r.soap_operation = Some(o.clone());
            }
            for res in &d.resources {
                if !r.resources.contains(res) {
                    r.resources.push(res.clone());
                }
            }
            for p in &d.parameters {
                let value = |t: &String| (t != "null").then(|| t.clone());
                match r.parameters.iter_mut().find(|x| x.name == p.name) {
                    Some(x) => {
                        if let Some(f) = p.force {
                            x.force = f;
                        }
                        if let Some(t) = &p.text {
                            x.value = value(t);
                        }
                    }
                    None => r.parameters.push(RouteParam {
                        name: p.name.clone(),
                        force: p.force.unwrap_or(false),
                        value: p.text.as_ref().map_or(Some(String::new()), value),
                    }),
                }
            }
            if !r.modules.iter().any(|m| m == module) {
                r.modules.push(module.to_string());
            }
            r.sources.push((path.to_path_buf(), d.line));
        }
        self.tables = OnceLock::new();
    }

    fn tables(&self) -> &(Table, Table) {
        self.tables.get_or_init(|| {
            (
                Table::build(&self.routes, |r| r.url.clone()),
                Table::build(&self.routes, Route::bulk_url),
            )
        })
    }

    fn table(&self, mode: Mode) -> &Table {
        let (sync, bulk) = self.tables();
        if mode == Mode::Bulk { bulk } else { sync }
    }

    /// Every merged route, in first-declaration order.
    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    pub fn len(&self) -> usize {
        self.routes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    /// The route declared with this url (as written, whitespace-trimmed) and method.
    pub fn find(&self, url: &str, method: &str) -> Option<&Route> {
        self.position(url, method).map(|i| &self.routes[i])
    }

    pub fn position(&self, url: &str, method: &str) -> Option<usize> {
        self.keys
            .get(&(url.trim().to_string(), method.to_string()))
            .copied()
    }

    /// Match a request the way Magento does (see the module docs). `method` as sent (Magento
    /// compares it exactly for the exact-url shortcut and ignoring case otherwise); `path` as
    /// sent below the store's base URL (`/rest/default/V1/products/abc`, `/index.php/rest/...`);
    /// `store_codes` the store view codes (`Scopes::codes()`).
    pub fn resolve(&self, method: &str, path: &str, store_codes: &[String]) -> Resolution {
        self.resolve_with(method, path, store_codes, true)
    }

    /// The route `path` matches, as [`RouteIndex::resolve`] finds it, without looking for near
    /// misses when nothing matches (for folding access-log lines by route).
    pub fn match_path(&self, method: &str, path: &str, store_codes: &[String]) -> Option<usize> {
        self.resolve_with(method, path, store_codes, false).route()
    }

    fn resolve_with(
        &self,
        method: &str,
        path: &str,
        store_codes: &[String],
        near_misses: bool,
    ) -> Resolution {
        let path = path.split(['?', '#']).next().unwrap_or("");
        let path = match path.strip_prefix("/index.php") {
            Some(rest) if rest.is_empty() || rest.starts_with('/') => rest,
            _ => path,
        };
        // PathProcessor::stripPathBeforeStorecode + process.
        let trimmed = path.trim_matches('/');
        let after_front = trimmed.split_once('/').map_or("", |(_, rest)| rest);
        let after_front = after_front.trim_start_matches('/');
        let (first, remainder) = match after_front.split_once('/') {
            Some((f, r)) => (f, Some(r)),
            None => (after_front, None),
        };
        let known = first != "admin" && store_codes.iter().any(|c| c == first);
        let (mut store, route_path) = if known || first == "all" {
            let s = if known {
                StorePart::Code(first.to_string())
            } else {
                StorePart::All
            };
            (s, format!("/{}", remainder.unwrap_or("")))
        } else {
            (StorePart::Default, format!("/{after_front}"))
        };

        let (mode, route_path) = split_mode(method, &route_path);
        let table = self.table(mode);
        if let Some((route, params)) = table.find(&self.routes, method, &route_path) {
            return Resolution {
                store,
                mode,
                route_path,
                outcome: Outcome::Matched { route, params },
            };
        }

        if !near_misses {
            return Resolution {
                store,
                mode,
                route_path,
                outcome: Outcome::NotFound {
                    closest: Vec::new(),
                },
            };
        }
        let mut closest: Vec<(u32, Closest)> = Vec::new();
        // An unknown store code: would the rest match?
        // (`/async/...` is the async prefix sent with GET, handled below.)
        if store == StorePart::Default
            && first != "async"
            && let Some(rest) = remainder
        {
            let (m2, p2) = split_mode(method, &format!("/{rest}"));
            let t2 = self.table(m2);
            if let Some((route, _)) = t2.find(&self.routes, method, &p2) {
                store = StorePart::Unknown(first.to_string());
                closest.push((
                    0,
                    Closest {
                        route,
                        kind: ClosestKind::StoreCode,
                        reason: format!(
                            "matches {p2} once `{first}` is removed: `{first}` is not a store code"
                        ),
                    },
                ));
            }
        }
        // GET /async/...: would it match as a synchronous route?
        if mode == Mode::Sync && method == "GET" {
            let (m2, p2) = split_mode("POST", &route_path);
            if m2 != Mode::Sync {
                let t2 = self.table(m2);
                if let Some((route, _)) = t2.find(&self.routes, method, &p2) {
                    closest.push((
                        0,
                        Closest {
                            route,
                            kind: ClosestKind::AsyncGet,
                            reason: format!(
                                "GET cannot be asynchronous: use {p2} without the async prefix"
                            ),
                        },
                    ));
                }
            }
        }
        self.near_misses(table, method, &route_path, &mut closest);
        closest.sort_by_key(|(cost, c)| (*cost, c.route));
        let mut seen = Vec::new();
        let closest = closest
            .into_iter()
            .filter(|(_, c)| {
                let new = !seen.contains(&c.route);
                seen.push(c.route);
                new
            })
            .take(5)
            .map(|(_, c)| c)
            .collect();
        Resolution {
            store,
            mode,
            route_path,
            outcome: Outcome::NotFound { closest },
        }
    }

    /// Near misses of `path` among the routes of `table`, with a cost (lower is better).
    fn near_misses(&self, table: &Table, method: &str, path: &str, out: &mut Vec<(u32, Closest)>) {
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        let base = base_url(path).map(|b| b.trim_matches('/'));
        for (i, route) in self.routes.iter().enumerate() {
            let segs = &table.segs[i];
            let same_method = route.method.eq_ignore_ascii_case(method);
            let method_note = if same_method {
                String::new()
            } else {
                format!("exists for {}, not {method}", route.method)
            };
            if segs.len() == parts.len() {
                let mut cost = 0u32;
                let mut diffs = Vec::new();
                let mut ok = true;
                for (s, p) in segs.iter().zip(&parts) {
                    let Seg::Lit(l) = s else { continue };
                    if php_loose_eq(l, p) {
                        continue;
                    }
                    match typo_distance(l, p) {
                        Some(d) => {
                            cost += d;
                            diffs.push(format!("`{p}` → `{l}`"));
                        }
                        None => {
                            ok = false;
                            break;
                        }
                    }
                }
                if !ok || cost > 4 {
                    continue;
                }
                if cost == 0 && !same_method {
                    out.push((
                        1,
                        Closest {
                            route: i,
                            kind: ClosestKind::OtherMethod,
                            reason: method_note,
                        },
                    ));
                } else if cost == 0 {
                    // Matches, yet was not found: skipped by the base-url prefix test.
                    let base = base.unwrap_or("");
                    out.push((
                        0,
                        Closest {
                            route: i,
                            kind: ClosestKind::PrefixSkipped,
                            reason: format!(
                                "matches segment by segment, but Magento only tries routes whose url starts with `{base}` (a `:param` in the first two segments is never matched)"
                            ),
                        },
                    ));
                } else {
                    let mut reason = diffs.join(", ");
                    if !same_method {
                        reason.push_str(&format!("; {method_note}"));
                    }
                    out.push((
                        2 * cost + u32::from(!same_method),
                        Closest {
                            route: i,
                            kind: ClosestKind::Typo,
                            reason,
                        },
                    ));
                }
            } else {
                let n = segs.len().min(parts.len());
                let diff = segs.len().abs_diff(parts.len());
                if diff > 2 || n < 2 {
                    continue;
                }
                let prefix_ok = segs[..n].iter().zip(&parts[..n]).all(|(s, p)| match s {
                    Seg::Lit(l) => php_loose_eq(l, p),
                    _ => true,
                });
                if !prefix_ok {
                    continue;
                }
                let mut reason = if segs.len() > parts.len() {
                    let more: Vec<String> = table.trimmed[i]
                        .split('/')
                        .skip(n)
                        .map(str::to_string)
                        .collect();
                    format!("the route continues with /{}", more.join("/"))
                } else {
                    format!("the request has extra segment(s) /{}", parts[n..].join("/"))
                };
                if !same_method {
                    reason.push_str(&format!("; {method_note}"));
                }
                out.push((
                    3 * diff as u32 + 2 + u32::from(!same_method),
                    Closest {
                        route: i,
                        kind: ClosestKind::SegmentCount,
                        reason,
                    },
                ));
            }
        }
    }
}

/// Async/bulk detection on the path after the store code.
fn split_mode(method: &str, path: &str) -> (Mode, String) {
    if method != "GET" {
        if let Some(rest) = path.strip_prefix("/async/bulk")
            && rest.starts_with("/V")
            && rest.len() > 2
        {
            return (Mode::Bulk, rest.to_string());
        }
        if let Some(rest) = path.strip_prefix("/async")
            && rest.starts_with("/V")
            && rest.len() > 2
        {
            return (Mode::Async, rest.to_string());
        }
    }
    (Mode::Sync, path.to_string())
}

/// Edit distance between a route literal and a request segment when small enough to be a
/// typo (letter case differences count 1 in total), else `None`.
fn typo_distance(route: &str, req: &str) -> Option<u32> {
    let limit = match route.chars().count() {
        0..=3 => 1,
        4..=7 => 2,
        _ => 3,
    };
    if route.eq_ignore_ascii_case(req) {
        return Some(1);
    }
    let a: Vec<char> = route.chars().collect();
    let b: Vec<char> = req.chars().collect();
    if a.len().abs_diff(b.len()) > limit {
        return None;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let sub = usize::from(!a[i - 1].eq_ignore_ascii_case(&b[j - 1]));
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + sub);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    let d = prev[b.len()];
    (d <= limit).then_some(d as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_is_the_two_word_prefix() {
        assert_eq!(base_url("/V1/guest-carts/abc"), Some("/V1/guest"));
        assert_eq!(base_url("/V1/products"), Some("/V1/products"));
        assert_eq!(base_url("V1/products/x"), Some("V1/products"));
        assert_eq!(base_url("/V1"), None);
        assert_eq!(base_url("/V1/"), None);
        assert_eq!(base_url("/V1/-x"), None);
        assert_eq!(base_url("//V1/x"), None);
    }

    #[test]
    fn bulk_urls() {
        assert_eq!(bulk_url("/V1/products/:sku"), "/V1/products/bySku");
        assert_eq!(
            bulk_url("/V1/carts/:cartId/items/:itemId"),
            "/V1/carts/byCartId/items/byItemId"
        );
        assert_eq!(bulk_url("/V1/products"), "/V1/products");
        assert_eq!(bulk_url("/V1/x/:"), "/V1/x/:");
    }

    #[test]
    fn php_urldecode_and_loose_eq() {
        assert_eq!(urldecode("a%2Fb"), "a/b");
        assert_eq!(urldecode("a+b"), "a b");
        assert_eq!(urldecode("%zz%4"), "%zz%4");
        assert_eq!(urldecode("%C3%A9"), "é");
        assert!(php_loose_eq("10", "1e1"));
        assert!(php_loose_eq("1", " 1"));
        assert!(php_loose_eq("abc", "abc"));
        assert!(!php_loose_eq("V1", "v1"));
        assert!(!php_loose_eq("1", "1a"));
        assert!(!php_loose_eq("inf", "INF"));
    }

    #[test]
    fn segments() {
        assert_eq!(segment(":sku"), Seg::Var("sku".into()));
        assert_eq!(segment("::x"), Seg::Lit("::x".into()));
        assert_eq!(segment(":"), Seg::NullVar);
        assert_eq!(segment(":0"), Seg::NullVar);
        assert_eq!(segment("products"), Seg::Lit("products".into()));
    }

    #[test]
    fn parse_errors_have_lines() {
        let e = parse_webapi("<routes>\n<route url='/V1/a' method='GET'>\n</routes>").unwrap_err();
        assert_eq!(e.line, 3);
        let e = parse_webapi("<?xml version=\"1.0\"?>\n<config/>").unwrap_err();
        assert_eq!(e.line, 2);
        let f = parse_webapi("<routes>\n<!-- c -->\n<route url='/V1/a'/>\n<route url=' /V1/b ' method='GET'/>\n</routes>")
            .unwrap();
        assert_eq!(f.problems.len(), 1);
        assert_eq!(f.problems[0].line, 3);
        assert_eq!(f.routes.len(), 1);
        assert_eq!((f.routes[0].url.as_str(), f.routes[0].line), ("/V1/b", 4));
        assert_eq!(f.routes[0].service_class, None);
    }

    #[test]
    fn typos() {
        assert_eq!(typo_distance("products", "product"), Some(1));
        assert_eq!(typo_distance("V1", "v1"), Some(1));
        assert_eq!(typo_distance("V1", "V12"), Some(1));
        assert_eq!(typo_distance("carts", "orders"), None);
        assert_eq!(typo_distance("me", "mine"), None);
    }

    #[test]
    fn empty_index_resolves_nothing() {
        let idx = RouteIndex::new();
        assert!(idx.is_empty());
        let r = idx.resolve("GET", "", &[]);
        assert_eq!(r.route_path, "/");
        assert_eq!(r.outcome, Outcome::NotFound { closest: vec![] });
        let r = idx.resolve("GET", "/rest/all", &[]);
        assert_eq!((r.store, r.route_path.as_str()), (StorePart::All, "/"));
    }
}
