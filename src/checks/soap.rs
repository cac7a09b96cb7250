//! Step 2 for a SOAP request (`/soap/<store>?services=…`): the operation → the webapi.xml routes
//! of the same service method → the ACL resources (the union of every such route's, all
//! required: `Magento\Webapi\Model\Config\Converter::convert`), judged for the caller exactly as
//! for REST ([`roles::check_route`]), with SOAP's own answers: a WSDL that leaves out what the
//! caller may not call, a fault at HTTP 200 for a call, PHP's "Procedure not present" when the
//! caller may use other operations of the service but not this one.

use crate::checks::Diagnosis;
use crate::checks::caller::Identified;
use crate::checks::roles::{self, AclData, RouteCheck};
use crate::context::Context;
use crate::findings::{Code, Evidence, Finding, Fix, Severity};
use crate::magento::routes::{Route, StorePart};
use crate::magento::soap::{self, SoapRequest};
use crate::request::Target;

/// The SOAP operation of a route (`catalogProductRepositoryV1Get`).
pub fn operation_of(route: &Route) -> Option<String> {
    let alias = route
        .soap_operation
        .as_deref()
        .unwrap_or(&route.service_method);
    soap::operation_name(&route.service_class, route.version(), alias)
}

/// The service of a route (`catalogProductRepositoryV1`).
pub fn service_of(route: &Route) -> Option<String> {
    soap::service_name(&route.service_class, route.version())
}

/// Every route that maps to the operation, merged the way the SOAP config merges them: the
/// union of their resources, `secure` if any is.
fn operation_route(data: &AclData, operation: &str) -> Option<Route> {
    let mut merged: Option<Route> = None;
    for r in data.routes.routes() {
        if operation_of(r).as_deref() != Some(operation) {
            continue;
        }
        match &mut merged {
            None => merged = Some(r.clone()),
            Some(m) => {
                for res in &r.resources {
                    if !m.resources.contains(res) {
                        m.resources.push(res.clone());
                    }
                }
                m.secure |= r.secure;
                m.sources.extend(r.sources.iter().cloned());
            }
        }
    }
    merged
}

/// The store a SOAP path runs on (`Magento\Webapi\Controller\PathProcessor`): a known store code
/// after `/soap/`, `all` = admin; anything else leaves the default store (never an error).
fn soap_store(ctx: &Context, path: &str) -> StorePart {
    let after = path
        .split_once("/soap/")
        .map(|(_, r)| r)
        .unwrap_or("")
        .split('/')
        .next()
        .unwrap_or("");
    if after == "all" {
        return StorePart::All;
    }
    if !after.is_empty() && after != "admin" && ctx.config.scopes.store_by_code(after).is_some() {
        return StorePart::Code(after.to_string());
    }
    StorePart::Default
}

fn empty(d: Diagnosis) -> RouteCheck {
    RouteCheck {
        method: "POST".into(),
        route: None,
        verdict: None,
        diagnosis: d,
    }
}

fn not_found(title: String, detail: String) -> Finding {
    Finding::new(Code::RouteNotFound, Severity::Error)
        .title(title)
        .detail(detail)
        .fix(Fix {
            summary: "List the services the store has, then name the service and operation as the WSDL does".into(),
            commands: vec!["curl 'https://<store>/soap/all?wsdl_list=1'".into()],
            admin_path: None,
        })
}

/// Judge a SOAP request for the identified caller.
pub fn check_request(
    ctx: &Context,
    data: &AclData,
    target: &Target,
    body: Option<&str>,
    who: &Identified,
) -> RouteCheck {
    let mut d = Diagnosis::default();
    for p in &data.problems {
        d.skip("xml", p.clone());
    }
    if data.routes.routes().is_empty() {
        d.skip(
            "role-permissions",
            "no webapi.xml of an enabled module was found (no vendor/ or app/code modules under the root): the SOAP operation and its ACL resources were not checked",
        );
        return empty(d);
    }
    if ctx.install.modules.is_enabled("Magento_Webapi") == Some(false) {
        d.push(
            Finding::new(Code::RouteModuleDisabled, Severity::Error)
                .title("Magento_Webapi is disabled: /soap is not served")
                .detail("The SOAP front controller belongs to Magento_Webapi, which app/etc/config.php disables.")
                .evidence(Evidence::file("app/etc/config.php", None, "'Magento_Webapi' => 0"))
                .fix(Fix {
                    summary: "Enable the module".into(),
                    commands: vec!["bin/magento module:enable Magento_Webapi && bin/magento setup:upgrade".into()],
                    admin_path: None,
                }),
        );
        return empty(d);
    }
    let (services, operation) = match soap::read_request(target.query.as_deref(), body) {
        SoapRequest::WsdlList => {
            d.skip(
                "role-permissions",
                "?wsdl_list lists every service to anyone, without authentication: nothing to check",
            );
            return empty(d);
        }
        SoapRequest::BadServices(s) => {
            d.push(not_found(
                "The SOAP URL names no valid services".into(),
                format!(
                    "services={s:?} does not match name+version (e.g. catalogProductRepositoryV1, several separated by commas): Magento answers 400 \"Incorrect format of request URI or Requested services are missing.\""
                ),
            ));
            return empty(d);
        }
        SoapRequest::Wsdl { services } => (services, None),
        SoapRequest::Call {
            operation: None, ..
        } => {
            d.skip(
                "role-permissions",
                "no SOAP envelope (--data or --data-file) names the operation: its ACL resources were not checked",
            );
            return empty(d);
        }
        SoapRequest::Call {
            services,
            operation,
        } => (services, operation),
    };
    // Services the store does not have: "Requested service is not available" (500, masked).
    let known: Vec<String> = data.routes.routes().iter().filter_map(service_of).collect();
    if services.iter().all(|s| s != "all")
        && let Some(unknown) = services.iter().find(|s| !known.contains(s))
    {
        d.push(not_found(
            format!("The store has no SOAP service {unknown}"),
            format!(
                "No webapi.xml route of an enabled module belongs to {unknown}: Magento throws \"Requested service is not available: \\\"{unknown}\\\"\" (a 500 \"Internal Error\" outside developer mode)."
            ),
        ));
        return empty(d);
    }
    let store = soap_store(ctx, &target.path);
    let Some(operation) = operation else {
        // A WSDL: the caller needs at least one operation of the requested services.
        let ops: Vec<(String, Route)> = data
            .routes
            .routes()
            .iter()
            .filter(|r| {
                service_of(r)
                    .is_some_and(|s| services.contains(&s) || services.iter().any(|x| x == "all"))
            })
            .filter_map(|r| Some((operation_of(r)?, r.clone())))
            .collect();
        let role_id = roles::role_of(ctx, &who.caller);
        let allowed = ops.iter().filter(|(op, _)| {
            operation_route(data, op)
                .is_some_and(|r| roles::evaluate(ctx, data, &r, &who.caller, role_id).allowed)
        });
        // Some operation is allowed: the WSDL lists those, nothing is refused.
        if allowed.count() > 0 || ops.is_empty() {
            return empty(d);
        }
        let (op, _) = &ops[0];
        let route = operation_route(data, op).expect("listed above");
        let mut check =
            roles::check_route(ctx, data, "POST", target, route.clone(), &store, who, d);
        relabel(
            &mut check.diagnosis,
            &route,
            &format!("the WSDL of {}", services.join(",")),
        );
        for f in &mut check.diagnosis.findings {
            if f.severity == Severity::Error {
                f.detail.push_str(&format!(
                    " SOAP: the caller may use no operation of {}, so the WSDL request itself is refused with 401 \"The consumer isn't authorized to access {}.\"",
                    services.join(", "),
                    services.join(", ")
                ));
            }
        }
        return check;
    };
    let Some(route) = operation_route(data, &operation) else {
        d.push(not_found(
            format!("The store has no SOAP operation {operation}"),
            format!(
                "No webapi.xml route of an enabled module maps to {operation} (service name + the route's soapOperation or method): PHP's SoapServer answers a fault \"Procedure not present\" (HTTP 500)."
            ),
        ));
        return empty(d);
    };
    let service = service_of(&route).unwrap_or_default();
    if !services.iter().any(|s| *s == service || s == "all") {
        d.push(not_found(
            format!("{operation} is not in the requested services"),
            format!(
                "The operation belongs to {service}, and the URL asks for services={}: the WSDL Magento generates has no such operation, PHP answers \"Procedure not present\" (HTTP 500). Add {service} to services=.",
                services.join(",")
            ),
        ));
        return empty(d);
    }
    let mut check = roles::check_route(ctx, data, "POST", target, route.clone(), &store, who, d);
    relabel(
        &mut check.diagnosis,
        &route,
        &format!("SOAP operation {operation}"),
    );
    if check.verdict.as_ref().is_some_and(|v| !v.allowed) {
        // What the caller sees depends on the rest of the service (§5.4: the per-caller WSDL).
        let role_id = roles::role_of(ctx, &who.caller);
        let others_allowed = data
            .routes
            .routes()
            .iter()
            .filter(|r| service_of(r).as_deref() == Some(service.as_str()))
            .filter_map(operation_of)
            .filter(|op| *op != operation)
            .any(|op| {
                operation_route(data, &op)
                    .is_some_and(|r| roles::evaluate(ctx, data, &r, &who.caller, role_id).allowed)
            });
        let answer = if others_allowed {
            format!(
                " SOAP: the caller may use other operations of {service}, so the WSDL Magento generates for it leaves {operation} out and PHP answers its own fault \"Procedure not present\" (HTTP 500), not Magento's message."
            )
        } else {
            format!(
                " SOAP: the caller may use no operation of {service}: Magento answers a fault (HTTP 200, env:Sender) \"{}\" with resources = {service}.",
                soap::UNAUTHORIZED_FAULT
            )
        };
        for f in &mut check.diagnosis.findings {
            if f.severity == Severity::Error && f.step == 2 {
                f.detail.push_str(&answer);
            }
        }
    }
    check
}

/// Name the SOAP operation in titles written for the REST route ("GET /V1/products/:sku needs…").
fn relabel(d: &mut Diagnosis, route: &Route, what: &str) {
    let rest = format!("{} {}", route.method, route.url);
    for f in &mut d.findings {
        if f.title.contains(&rest) {
            f.title = f.title.replace(&rest, what);
            f.detail.push_str(&format!(
                " (The operation is the service method of {rest}.)"
            ));
        }
    }
}
