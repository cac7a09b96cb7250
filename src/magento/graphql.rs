//! GraphQL (`/graphql`) as Magento 2.4.4–2.4.8 runs it: the request (`query`, `variables` from a
//! JSON POST body or the GET query string: `Magento\GraphQl\Controller\GraphQl::getDataFromRequest`),
//! the operations of a document and their top-level fields, the root fields a module's
//! `etc/schema.graphqls` declares with their `@resolver` class, and which resolvers refuse a
//! caller (the guards in the resolvers' `resolve()`), per release line.
//!
//! Documents and schema files are parsed by `graphql-parser`; nothing here reads a file.

use graphql_parser::query as q;
use graphql_parser::schema as s;

/// `Query` or `Mutation` (subscriptions are not served by Magento).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OpKind {
    Query,
    Mutation,
    Subscription,
}

impl OpKind {
    /// The root type's name in the schema.
    pub fn root_type(self) -> &'static str {
        match self {
            OpKind::Query => "Query",
            OpKind::Mutation => "Mutation",
            OpKind::Subscription => "Subscription",
        }
    }
}

/// One operation of a request document.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    pub kind: OpKind,
    pub name: Option<String>,
    /// The top-level fields, by name (not alias), fragments followed, first-seen order.
    pub fields: Vec<String>,
}

/// What a GraphQL request carries: the document and the variables (as JSON text).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GraphQlCall {
    pub query: Option<String>,
    pub variables: Option<serde_json::Value>,
    pub operation_name: Option<String>,
}

/// Why the request's GraphQL could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CallError {
    /// The POST body is not JSON: 2.4.4–2.4.7 answer 500 (the serializer's exception escapes
    /// the controller), 2.4.8 400 "Unable to parse the request.".
    #[error("the body is not JSON: {0}")]
    BodyNotJson(String),
    /// webonyx's `SyntaxError`: answered 500 (≤2.4.7) or 400 (2.4.8).
    #[error("the GraphQL document does not parse: {0}")]
    Syntax(String),
}

/// The request's GraphQL, as `getDataFromRequest` reads it: POST → the JSON body; GET → the
/// query string (`variables` a JSON string).
pub fn read_call(
    method: &str,
    query_string: Option<&str>,
    body: Option<&str>,
) -> Result<GraphQlCall, CallError> {
    if method.eq_ignore_ascii_case("GET") {
        let mut call = GraphQlCall::default();
        for (k, v) in url::form_urlencoded::parse(query_string.unwrap_or("").as_bytes()) {
            match k.as_ref() {
                "query" => call.query = Some(v.into_owned()),
                "variables" => call.variables = serde_json::from_str(&v).ok(),
                "operationName" => call.operation_name = Some(v.into_owned()),
                _ => {}
            }
        }
        return Ok(call);
    }
    let body = body.unwrap_or("").trim();
    if body.is_empty() {
        return Ok(GraphQlCall::default());
    }
    let v: serde_json::Value =
        serde_json::from_str(body).map_err(|e| CallError::BodyNotJson(e.to_string()))?;
    Ok(GraphQlCall {
        query: v.get("query").and_then(|q| q.as_str()).map(str::to_string),
        variables: v.get("variables").filter(|v| v.is_object()).cloned(),
        operation_name: v
            .get("operationName")
            .and_then(|q| q.as_str())
            .map(str::to_string),
    })
}

/// The operations of a document with their top-level fields.
pub fn operations(document: &str) -> Result<Vec<Operation>, CallError> {
    let doc = q::parse_query::<String>(document)
        .map_err(|e| CallError::Syntax(one_line(&e.to_string())))?;
    let fragments: Vec<&q::FragmentDefinition<String>> = doc
        .definitions
        .iter()
        .filter_map(|d| match d {
            q::Definition::Fragment(f) => Some(f),
            _ => None,
        })
        .collect();
    let mut out = Vec::new();
    for d in &doc.definitions {
        let q::Definition::Operation(op) = d else {
            continue;
        };
        let (kind, name, set) = match op {
            q::OperationDefinition::SelectionSet(s) => (OpKind::Query, None, s),
            q::OperationDefinition::Query(x) => (OpKind::Query, x.name.clone(), &x.selection_set),
            q::OperationDefinition::Mutation(x) => {
                (OpKind::Mutation, x.name.clone(), &x.selection_set)
            }
            q::OperationDefinition::Subscription(x) => {
                (OpKind::Subscription, x.name.clone(), &x.selection_set)
            }
        };
        let mut fields = Vec::new();
        collect_fields(set, &fragments, &mut fields, 0);
        out.push(Operation { kind, name, fields });
    }
    Ok(out)
}

/// The `email` and `password` of a top-level `generateCustomerToken` in the document, literal
/// or from the variables (`$email`).
pub fn customer_token_arguments(
    document: &str,
    variables: Option<&serde_json::Value>,
) -> Option<(String, Option<String>)> {
    let doc = q::parse_query::<String>(document).ok()?;
    for d in &doc.definitions {
        let q::Definition::Operation(q::OperationDefinition::Mutation(m)) = d else {
            continue;
        };
        for item in &m.selection_set.items {
            let q::Selection::Field(f) = item else {
                continue;
            };
            if f.name != "generateCustomerToken" {
                continue;
            }
            let arg = |name: &str| -> Option<String> {
                let (_, v) = f.arguments.iter().find(|(n, _)| n == name)?;
                match v {
                    q::Value::String(s) => Some(s.clone()),
                    q::Value::Variable(var) => {
                        variables?.get(var.as_str())?.as_str().map(str::to_string)
                    }
                    _ => None,
                }
            };
            return Some((arg("email")?, arg("password")));
        }
    }
    None
}

fn collect_fields(
    set: &q::SelectionSet<String>,
    fragments: &[&q::FragmentDefinition<String>],
    out: &mut Vec<String>,
    depth: usize,
) {
    // Fragments that spread each other in a cycle are a validation error in webonyx; stop.
    if depth > 32 {
        return;
    }
    for item in &set.items {
        match item {
            q::Selection::Field(f) => {
                if !f.name.starts_with("__") && !out.contains(&f.name) {
                    out.push(f.name.clone());
                }
            }
            q::Selection::InlineFragment(i) => {
                collect_fields(&i.selection_set, fragments, out, depth + 1)
            }
            q::Selection::FragmentSpread(s) => {
                if let Some(f) = fragments.iter().find(|f| f.name == s.fragment_name) {
                    collect_fields(&f.selection_set, fragments, out, depth + 1);
                }
            }
        }
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A root field a schema file declares.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RootField {
    pub kind: OpKind,
    pub name: String,
    /// The `@resolver(class: …)` without a leading backslash, when declared.
    pub resolver: Option<String>,
    /// 1-based line of the field.
    pub line: u32,
}

/// The `Query`/`Mutation` fields of one `schema.graphqls` (types and `extend type`s alike:
/// Magento merges every module's `type Query` into one).
pub fn root_fields(schema: &str) -> Result<Vec<RootField>, String> {
    let schema = empty_bodies(&legacy_implements(&root_types_only(schema)));
    if schema.trim().is_empty() {
        return Ok(Vec::new());
    }
    let doc = s::parse_schema::<String>(&schema).map_err(|e| one_line(&e.to_string()))?;
    let mut out = Vec::new();
    for d in &doc.definitions {
        let (name, fields) = match d {
            s::Definition::TypeDefinition(s::TypeDefinition::Object(o)) => (&o.name, &o.fields),
            s::Definition::TypeExtension(s::TypeExtension::Object(o)) => (&o.name, &o.fields),
            _ => continue,
        };
        let kind = match name.as_str() {
            "Query" => OpKind::Query,
            "Mutation" => OpKind::Mutation,
            _ => continue,
        };
        for f in fields {
            let resolver = f
                .directives
                .iter()
                .find(|d| d.name == "resolver")
                .and_then(|d| d.arguments.iter().find(|(n, _)| n == "class"))
                .and_then(|(_, v)| match v {
                    s::Value::String(c) => Some(c.trim_start_matches('\\').to_string()),
                    _ => None,
                });
            out.push(RootField {
                kind,
                name: f.name.clone(),
                resolver,
                line: u32::try_from(f.position.line).unwrap_or(u32::MAX),
            });
        }
    }
    Ok(out)
}

/// Only the `type Query`/`type Mutation` definitions (and `extend type`) of a schema file, every
/// other character blanked to a space (newlines kept, so positions stay right): a module's file
/// is mostly other types, and parsing only these is ~10× less work. Strings (`"…"`, `"""…"""`)
/// and `#` comments are skipped when matching braces. A hand-written pre-filter: the parsing
/// itself is graphql-parser's.
fn root_types_only(text: &str) -> String {
    let b = text.as_bytes();
    let mut keep = vec![false; b.len()];
    let mut i = 0;
    let is_name = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    while i < b.len() {
        match b[i] {
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' => i = skip_string(b, i),
            c if is_name(c) => {
                let start = i;
                while i < b.len() && is_name(b[i]) {
                    i += 1;
                }
                let word = &text[start..i];
                if word != "type" && word != "extend" {
                    continue;
                }
                // `type Query`, `extend type Query`: the name after `type`.
                let mut j = i;
                let rest_word = |j: &mut usize| {
                    while *j < b.len() && b[*j].is_ascii_whitespace() {
                        *j += 1;
                    }
                    let s = *j;
                    while *j < b.len() && is_name(b[*j]) {
                        *j += 1;
                    }
                    &text[s..*j]
                };
                let mut next = rest_word(&mut j);
                if word == "extend" {
                    if next != "type" {
                        continue;
                    }
                    next = rest_word(&mut j);
                }
                if next != "Query" && next != "Mutation" {
                    continue;
                }
                // The body: up to the matching `}` (directives and `implements` before `{`).
                let mut k = j;
                while k < b.len() && b[k] != b'{' {
                    if b[k] == b'"' {
                        k = skip_string(b, k);
                    } else {
                        k += 1;
                    }
                }
                let mut depth = 0usize;
                while k < b.len() {
                    match b[k] {
                        b'"' => {
                            k = skip_string(b, k);
                            continue;
                        }
                        b'#' => {
                            while k < b.len() && b[k] != b'\n' {
                                k += 1;
                            }
                            continue;
                        }
                        b'{' => depth += 1,
                        b'}' => {
                            depth -= 1;
                            if depth == 0 {
                                k += 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                    k += 1;
                }
                keep[start..k.min(b.len())]
                    .iter_mut()
                    .for_each(|x| *x = true);
                i = k;
            }
            _ => i += 1,
        }
    }
    let mut out = Vec::with_capacity(b.len());
    for (n, &c) in b.iter().enumerate() {
        out.push(if keep[n] || c == b'\n' { c } else { b' ' });
    }
    // Only ASCII bytes were replaced (by spaces) or kept whole with their neighbours: a
    // multi-byte character is either kept entirely (inside a kept range) or blanked byte by byte.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// The index after the string starting at `i` (`"…"` with `\` escapes, or `"""…"""`).
fn skip_string(b: &[u8], i: usize) -> usize {
    if b[i..].starts_with(b"\"\"\"") {
        let mut k = i + 3;
        while k < b.len() && !b[k..].starts_with(b"\"\"\"") {
            k += 1;
        }
        return (k + 3).min(b.len());
    }
    let mut k = i + 1;
    while k < b.len() && b[k] != b'"' && b[k] != b'\n' {
        if b[k] == b'\\' {
            k += 1;
        }
        k += 1;
    }
    (k + 1).min(b.len())
}

/// Magento writes `implements A, B` (the legacy SDL form webonyx accepts with
/// `allowLegacySDLImplementsInterfaces`); graphql-parser takes only `implements A & B`. The
/// separators between the names after `implements` become `&` (lines are kept, so positions
/// stay right). Written by hand: no parser crate takes the legacy form.
fn legacy_implements(text: &str) -> String {
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(i) = rest.find("implements") {
        let before_ok = rest[..i].chars().next_back().is_none_or(|c| !is_name(c));
        let after = &rest[i + "implements".len()..];
        out.push_str(&rest[..i + "implements".len()]);
        rest = after;
        if !before_ok || after.chars().next().is_some_and(is_name) {
            continue;
        }
        // Names separated by commas and/or whitespace, up to `{`, `@` or anything else.
        let mut names = 0;
        loop {
            let sep_len = rest
                .find(|c: char| !(c.is_whitespace() || c == ',' || c == '&'))
                .unwrap_or(rest.len());
            let (sep, tail) = rest.split_at(sep_len);
            let name_len = tail.find(|c: char| !is_name(c)).unwrap_or(tail.len());
            if name_len == 0 {
                break;
            }
            if names > 0 {
                out.push_str(" &");
            }
            out.push_str(&sep.replace([',', '&'], " "));
            out.push_str(&tail[..name_len]);
            names += 1;
            rest = &tail[name_len..];
        }
    }
    out.push_str(rest);
    out
}

/// Magento declares empty types and enums (`type Query {\n}`, `… implements X {}`) that other
/// modules fill; graphql-parser wants at least one field between braces. The braces of an
/// empty body become spaces (lines kept).
fn empty_bodies(text: &str) -> String {
    let mut out: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < out.len() {
        if out[i] == '{' {
            let mut j = i + 1;
            while j < out.len() && out[j].is_whitespace() {
                j += 1;
            }
            if j < out.len() && out[j] == '}' {
                out[i] = ' ';
                out[j] = ' ';
                i = j;
            }
        }
        i += 1;
    }
    out.into_iter().collect()
}

/// Who a resolver lets through (read in the resolvers' `resolve()`, 2.4.4–2.4.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guard {
    /// `$context->getExtensionAttributes()->getIsCustomer()` must be true: a customer token
    /// (or a logged-in storefront session); guests, admin and integration tokens are refused
    /// with `GraphQlAuthorizationException(message)`.
    Customer { message: &'static str },
    /// The context's user id must be non-zero (no user-type check): any token that is read
    /// passes, a guest is refused.
    UserId { message: &'static str },
    /// An admin token (user type 2) plus the ACL resource.
    Admin {
        resource: &'static str,
        message: &'static str,
    },
    /// No check in the resolver.
    Public,
}

const NOT_AUTHORIZED: &str = "The current customer isn't authorized.";

/// The resolvers that refuse callers (reference: Magento 2.4.4–2.4.8 resolvers grepped for
/// `getIsCustomer` / `GraphQlAuthorizationException`). Keys without a leading backslash.
const GUARDS: &[(&str, Guard)] = &[
    (
        "Magento\\CustomerGraphQl\\Model\\Resolver\\Customer",
        Guard::Customer {
            message: NOT_AUTHORIZED,
        },
    ),
    (
        "Magento\\QuoteGraphQl\\Model\\Resolver\\CustomerCart",
        Guard::Customer {
            message: "The request is allowed for logged in customer",
        },
    ),
    (
        "Magento\\SalesGraphQl\\Model\\Resolver\\Orders",
        Guard::Customer {
            message: NOT_AUTHORIZED,
        },
    ),
    (
        "Magento\\SalesGraphQl\\Model\\Resolver\\CustomerOrders",
        Guard::Customer {
            message: NOT_AUTHORIZED,
        },
    ),
    (
        "Magento\\SalesGraphQl\\Model\\Resolver\\Reorder",
        Guard::Customer {
            message: NOT_AUTHORIZED,
        },
    ),
    (
        "Magento\\WishlistGraphQl\\Model\\Resolver\\CustomerWishlistResolver",
        Guard::Customer {
            message: NOT_AUTHORIZED,
        },
    ),
    (
        "Magento\\WishlistGraphQl\\Model\\Resolver\\WishlistResolver",
        Guard::UserId {
            message: "The current user cannot perform operations on wishlist",
        },
    ),
    (
        "Magento\\WishlistGraphQl\\Model\\Resolver\\AddProductsToWishlist",
        Guard::UserId {
            message: "The current user cannot perform operations on wishlist",
        },
    ),
    (
        "Magento\\WishlistGraphQl\\Model\\Resolver\\CustomerWishlists",
        Guard::UserId {
            message: "The current user cannot perform operations on wishlist",
        },
    ),
    (
        "Magento\\VaultGraphQl\\Model\\Resolver\\PaymentTokens",
        Guard::Customer {
            message: NOT_AUTHORIZED,
        },
    ),
    (
        "Magento\\VaultGraphQl\\Model\\Resolver\\DeletePaymentToken",
        Guard::Customer {
            message: NOT_AUTHORIZED,
        },
    ),
    (
        "Magento\\OrderCancellationGraphQl\\Model\\Resolver\\CancelOrder",
        Guard::Customer {
            message: NOT_AUTHORIZED,
        },
    ),
    (
        "Magento\\CustomerDownloadableGraphQl\\Model\\Resolver\\CustomerDownloadableProducts",
        Guard::Customer {
            message: NOT_AUTHORIZED,
        },
    ),
    (
        "Magento\\ReviewGraphQl\\Model\\Resolver\\Customer\\Reviews",
        Guard::Customer {
            message: NOT_AUTHORIZED,
        },
    ),
    (
        "Magento\\CustomerGraphQl\\Model\\Resolver\\RevokeCustomerToken",
        Guard::Customer {
            message: NOT_AUTHORIZED,
        },
    ),
    (
        "Magento\\CustomerGraphQl\\Model\\Resolver\\ChangePassword",
        Guard::Customer {
            message: NOT_AUTHORIZED,
        },
    ),
    (
        "Magento\\CustomerGraphQl\\Model\\Resolver\\UpdateCustomer",
        Guard::Customer {
            message: NOT_AUTHORIZED,
        },
    ),
    (
        "Magento\\CustomerGraphQl\\Model\\Resolver\\UpdateCustomerEmail",
        Guard::Customer {
            message: NOT_AUTHORIZED,
        },
    ),
    (
        "Magento\\CustomerGraphQl\\Model\\Resolver\\DeleteCustomer",
        Guard::Customer {
            message: NOT_AUTHORIZED,
        },
    ),
    (
        "Magento\\CustomerGraphQl\\Model\\Resolver\\CreateCustomerAddress",
        Guard::Customer {
            message: NOT_AUTHORIZED,
        },
    ),
    (
        "Magento\\CustomerGraphQl\\Model\\Resolver\\UpdateCustomerAddress",
        Guard::Customer {
            message: NOT_AUTHORIZED,
        },
    ),
    (
        "Magento\\CustomerGraphQl\\Model\\Resolver\\DeleteCustomerAddress",
        Guard::Customer {
            message: NOT_AUTHORIZED,
        },
    ),
    (
        "Magento\\QuoteGraphQl\\Model\\Resolver\\MergeCarts",
        Guard::Customer {
            message: NOT_AUTHORIZED,
        },
    ),
    (
        "Magento\\QuoteGraphQl\\Model\\Resolver\\AssignCustomerToGuestCart",
        Guard::Customer {
            message: NOT_AUTHORIZED,
        },
    ),
    (
        "Magento\\LoginAsCustomerGraphQl\\Model\\Resolver\\RequestCustomerToken",
        Guard::Admin {
            resource: "Magento_LoginAsCustomer::login",
            message: NOT_AUTHORIZED,
        },
    ),
];

/// Every resolver class m2auth knows to refuse some callers.
pub fn guarded_resolvers() -> impl Iterator<Item = &'static str> {
    GUARDS.iter().map(|(c, _)| *c)
}

/// The guard of a resolver class (leading backslash or not); [`Guard::Public`] when the
/// resolver is not one m2auth knows to refuse callers.
pub fn guard_of(resolver: &str) -> Guard {
    let class = resolver.trim_start_matches('\\');
    GUARDS
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(class))
        .map(|(_, g)| *g)
        .unwrap_or(Guard::Public)
}

/// Whether the release validates the Bearer header before any resolver (2.4.8+:
/// `Magento\CustomerGraphQl\Controller\HttpRequestValidator\AuthorizationRequestValidator`):
/// an unreadable, expired or revoked token is a 401 for every operation. Before 2.4.8 such a
/// token is silently dropped and the request runs as a guest.
pub fn validates_bearer(version: &str) -> Option<bool> {
    let mut parts = version.split(['.', '-']).map(|p| p.parse::<u32>().ok());
    let (Some(Some(major)), Some(Some(minor)), Some(Some(patch))) =
        (parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    Some((major, minor, patch) >= (2, 4, 8))
}

/// The HTTP status a resolver's authorization error gets: 200 before 2.4.8, 403 from 2.4.8
/// (`GraphQl::getHttpResponseCode`).
pub fn authorization_status(validates_bearer: bool) -> u16 {
    if validates_bearer { 403 } else { 200 }
}

/// The name of the GraphQL modules whose state matters.
pub const MODULE: &str = "Magento_GraphQl";
pub const CUSTOMER_MODULE: &str = "Magento_CustomerGraphQl";
pub const STORE_MODULE: &str = "Magento_StoreGraphQl";
pub const CACHE_MODULE: &str = "Magento_GraphQlCache";
/// The file whose presence means the 2.4.8 Bearer pre-validation, relative to
/// Magento_CustomerGraphQl's folder.
pub const AUTHORIZATION_VALIDATOR: &str =
    "Controller/HttpRequestValidator/AuthorizationRequestValidator.php";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posts_and_gets_are_read() {
        let c = read_call(
            "POST",
            None,
            Some(r#"{"query":"{ customer { email } }","variables":{"a":1}}"#),
        )
        .unwrap();
        assert_eq!(c.query.as_deref(), Some("{ customer { email } }"));
        assert!(c.variables.is_some());
        let c = read_call(
            "GET",
            Some("query=%7Bcustomer%7Bemail%7D%7D&variables=%7B%7D"),
            None,
        )
        .unwrap();
        assert_eq!(c.query.as_deref(), Some("{customer{email}}"));
        assert!(matches!(
            read_call("POST", None, Some("{customer}")),
            Err(CallError::BodyNotJson(_))
        ));
    }

    #[test]
    fn operations_list_top_level_fields_through_fragments() {
        let ops = operations(
            "query Q { c: customer { email } ...F } fragment F on Query { cart(cart_id: \"x\") { id } __typename } mutation M { generateCustomerToken(email: \"a\", password: \"b\") { token } }",
        )
        .unwrap();
        assert_eq!(ops.len(), 2);
        assert_eq!(ops[0].kind, OpKind::Query);
        assert_eq!(ops[0].fields, vec!["customer", "cart"]);
        assert_eq!(ops[1].kind, OpKind::Mutation);
        assert_eq!(ops[1].name.as_deref(), Some("M"));
        assert!(matches!(
            operations("{ customer { "),
            Err(CallError::Syntax(_))
        ));
    }

    #[test]
    fn schema_root_fields_with_resolvers() {
        let f = root_fields(
            "# c\ntype StoreConfig { a: String }\ntype Query {\n    customer: Customer @resolver(class: \"Magento\\\\CustomerGraphQl\\\\Model\\\\Resolver\\\\Customer\") @doc(description: \"x\") @cache(cacheable: false)\n}\nextend type Mutation {\n  revokeCustomerToken: Out @resolver(class: \"\\\\Magento\\\\CustomerGraphQl\\\\Model\\\\Resolver\\\\RevokeCustomerToken\")\n}\n",
        )
        .unwrap();
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].name, "customer");
        assert_eq!(f[0].line, 4);
        assert_eq!(
            guard_of(f[0].resolver.as_deref().unwrap()),
            Guard::Customer {
                message: NOT_AUTHORIZED
            }
        );
        assert_eq!(f[1].kind, OpKind::Mutation);
        assert!(matches!(
            guard_of(f[1].resolver.as_deref().unwrap()),
            Guard::Customer { .. }
        ));
        assert_eq!(
            guard_of("Magento\\StoreGraphQl\\Model\\Resolver\\StoreConfigResolver"),
            Guard::Public
        );
    }

    #[test]
    fn legacy_implements_lists_are_accepted() {
        assert_eq!(
            legacy_implements("type B implements P, R,\n  C @doc(description: \"x\") {\n a: Int }")
                .replace(' ', ""),
            "typeBimplementsP&R&\nC@doc(description:\"x\"){\na:Int}"
        );
        assert_eq!(
            legacy_implements("type A implements X & Y {").replace(' ', ""),
            "typeAimplementsX&Y{"
        );
        assert_eq!(legacy_implements("reimplementsX"), "reimplementsX");
        assert!(root_fields("interface I { a: Int }\ninterface J { a: Int }\ntype Query implements I, J { a: Int }").is_ok());
    }

    #[test]
    fn empty_bodies_are_accepted() {
        assert!(
            root_fields(
                "type Query {\n}\nenum E {}\ntype Mutation { a: Int @resolver(class: \"X\") }"
            )
            .is_ok()
        );
    }

    #[test]
    fn customer_token_arguments_literal_or_variables() {
        let doc =
            "mutation { generateCustomerToken(email: \"a@b.c\", password: \"pw\") { token } }";
        assert_eq!(
            customer_token_arguments(doc, None),
            Some(("a@b.c".into(), Some("pw".into())))
        );
        let doc = "mutation L($e: String!, $p: String!) { generateCustomerToken(email: $e, password: $p) { token } }";
        let vars = serde_json::json!({"e": "x@y.z"});
        assert_eq!(
            customer_token_arguments(doc, Some(&vars)),
            Some(("x@y.z".into(), None))
        );
        assert_eq!(
            customer_token_arguments("{ customer { email } }", None),
            None
        );
    }

    #[test]
    fn only_root_types_are_kept_with_their_lines() {
        let t = "# x { y\ntype A { a: String @doc(description: \"} {\") }\ntype Query {\n  q: Int @resolver(class: \"X\\\\Y\")\n}\nextend type Mutation { m: Int }\ntype Mutations { z: Int }\n";
        let r = root_types_only(t);
        assert_eq!(r.lines().count(), t.lines().count());
        assert!(!r.contains("type A") && !r.contains("Mutations"));
        let f = root_fields(t).unwrap();
        assert_eq!(f.len(), 2);
        assert_eq!((f[0].name.as_str(), f[0].line), ("q", 4));
        assert_eq!(f[1].kind, OpKind::Mutation);
    }

    #[test]
    fn releases() {
        assert_eq!(validates_bearer("2.4.7-p3"), Some(false));
        assert_eq!(validates_bearer("2.4.8"), Some(true));
        assert_eq!(validates_bearer("2.4.8-p1"), Some(true));
        assert_eq!(validates_bearer("x"), None);
    }
}
