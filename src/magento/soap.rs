//! SOAP (`/soap/<store>?services=…`) as Magento 2.4.4–2.4.8 serves it: the same webapi.xml routes
//! and ACL as REST, named as services and operations. Service name:
//! `Magento\Webapi\Model\ServiceMetadata::getServiceName`; operation name: service name + the
//! route's `soapOperation` (else the service method) with its first letter upper-cased
//! (`Magento\Webapi\Model\Config\Converter::convert`, `Soap\Config::getSoapOperations`); the
//! request kinds: `Magento\Webapi\Controller\Soap::dispatch`. No I/O here.

/// What a `/soap` request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SoapRequest {
    /// `?wsdl_list`: every service name, no authentication.
    WsdlList,
    /// `?wsdl&services=a,b`: the WSDL of the methods the caller may use.
    Wsdl { services: Vec<String> },
    /// A call: `?services=a,b` with an envelope whose body element names the operation.
    Call {
        services: Vec<String>,
        /// `catalogProductRepositoryV1Get`, from the body element (`…Request` removed).
        operation: Option<String>,
    },
    /// `services` is missing or not `^[a-zA-Z\d]*V\d+(,[a-zA-Z\d]*V\d+)*$` (nor `all`): 400
    /// "Incorrect format of request URI or Requested services are missing.".
    BadServices(String),
}

/// Read the query string and the envelope.
pub fn read_request(query: Option<&str>, body: Option<&str>) -> SoapRequest {
    let mut wsdl = false;
    let mut services: Option<String> = None;
    for (k, v) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        match k.as_ref() {
            "wsdl_list" => return SoapRequest::WsdlList,
            "wsdl" => wsdl = true,
            "services" => services = Some(v.into_owned()),
            _ => {}
        }
    }
    let raw = services.unwrap_or_default();
    if !services_format_ok(&raw) {
        return SoapRequest::BadServices(raw);
    }
    let services: Vec<String> = raw.split(',').map(str::to_string).collect();
    if wsdl {
        return SoapRequest::Wsdl { services };
    }
    SoapRequest::Call {
        services,
        operation: body.and_then(operation_of_envelope),
    }
}

/// `Magento\Framework\Webapi\Request::_convertRequestParamToServiceArray`'s pattern.
fn services_format_ok(s: &str) -> bool {
    if s == "all" {
        return true;
    }
    !s.is_empty()
        && s.split(',').all(|one| {
            let Some(i) = one.rfind('V') else {
                return false;
            };
            let (name, ver) = (&one[..i], &one[i + 1..]);
            name.chars().all(|c| c.is_ascii_alphanumeric())
                && !ver.is_empty()
                && ver.chars().all(|c| c.is_ascii_digit())
        })
}

/// The operation an envelope calls: the local name of the first element in `Body`, without
/// its `Request` suffix.
pub fn operation_of_envelope(xml: &str) -> Option<String> {
    let doc = roxmltree::Document::parse(xml).ok()?;
    let body = doc
        .root_element()
        .children()
        .find(|n| n.is_element() && n.tag_name().name() == "Body")?;
    let first = body.children().find(|n| n.is_element())?;
    let name = first.tag_name().name();
    Some(name.strip_suffix("Request").unwrap_or(name).to_string())
}

/// The service of an operation name: everything up to the last `V<digits>` followed by the
/// method's capital letter (`catalogProductRepositoryV1GetList` → `catalogProductRepositoryV1`).
pub fn service_of_operation(op: &str) -> Option<&str> {
    let b = op.as_bytes();
    let mut found = None;
    for i in 1..b.len() {
        if b[i] != b'V' {
            continue;
        }
        let digits = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        let end = i + 1 + digits;
        if digits > 0 && b.get(end).is_some_and(u8::is_ascii_uppercase) {
            found = Some(end);
        }
    }
    let end = found?;
    op[end..]
        .chars()
        .all(|c| c.is_ascii_alphanumeric())
        .then_some(())?;
    op[..end]
        .chars()
        .all(|c| c.is_ascii_alphanumeric())
        .then_some(&op[..end])
}

/// The smallest SOAP 1.2 envelope that calls `op` (no parameters): enough for Magento's SOAP
/// server to pick the operation and check the caller before it reads any argument.
pub fn minimal_envelope(op: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<env:Envelope xmlns:env=\"http://www.w3.org/2003/05/soap-envelope\" xmlns:ns1=\"urn:m2auth\"><env:Body><ns1:{op}Request/></env:Body></env:Envelope>"
    )
}

/// `ServiceMetadata::getServiceName($interface, $version)`: `Magento\Catalog\Api\ProductRepositoryInterface`
/// with `V1` gives `catalogProductRepositoryV1`; the vendor is dropped when it is `Magento`, the module
/// when the name starts with the same word; nested `Api\Sub\Name` parts are appended.
pub fn service_name(interface: &str, version: &str) -> Option<String> {
    let class = interface.trim_start_matches('\\');
    let (vendor, rest) = class.split_once('\\')?;
    let (module, rest) = rest.split_once('\\')?;
    let rest = rest.strip_prefix("Api\\")?;
    let rest = rest.strip_suffix("Interface").unwrap_or(rest);
    if rest.is_empty() {
        return None;
    }
    let mut parts: Vec<&str> = rest.split('\\').collect();
    let vendor = if vendor == "Magento" { "" } else { vendor };
    let module = if parts[0] == module { "" } else { module };
    let first = format!("{vendor}{module}{}", parts.remove(0));
    let mut name = first;
    for p in parts {
        name.push_str(p);
    }
    name.push_str(version);
    Some(lcfirst(&name))
}

/// The operation name of a route: service name + `ucfirst(soapOperation or method)`.
pub fn operation_name(interface: &str, version: &str, alias: &str) -> Option<String> {
    let service = service_name(interface, version)?;
    Some(format!("{service}{}", ucfirst(alias)))
}

fn lcfirst(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

fn ucfirst(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The fault text of a SOAP authorization failure (HTTP 200, `env:Sender`): the placeholder is
/// not substituted in the Reason; `resources` is a fault parameter.
pub const UNAUTHORIZED_FAULT: &str = "The consumer isn't authorized to access %resources.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_names_follow_service_metadata() {
        let n = |i, v| service_name(i, v).unwrap();
        assert_eq!(
            n("Magento\\Catalog\\Api\\ProductRepositoryInterface", "V1"),
            "catalogProductRepositoryV1"
        );
        assert_eq!(
            n("Magento\\Customer\\Api\\CustomerRepositoryInterface", "V1"),
            "customerCustomerRepositoryV1"
        );
        assert_eq!(
            n("Magento\\Customer\\Api\\AccountManagementInterface", "V1"),
            "customerAccountManagementV1"
        );
        assert_eq!(
            n("\\Magento\\Quote\\Api\\GuestCartManagementInterface", "V1"),
            "quoteGuestCartManagementV1"
        );
        assert_eq!(
            n("Vendor\\Erp\\Api\\Sync\\OrderInterface", "V2"),
            "vendorErpSyncOrderV2"
        );
        assert_eq!(
            n("Magento\\Store\\Api\\StoreRepositoryInterface", "V1"),
            "storeStoreRepositoryV1"
        );
        assert_eq!(
            operation_name(
                "Magento\\Customer\\Api\\CustomerRepositoryInterface",
                "V1",
                "getSelf"
            )
            .unwrap(),
            "customerCustomerRepositoryV1GetSelf"
        );
        assert!(service_name("Nope", "V1").is_none());
    }

    #[test]
    fn requests_are_read() {
        assert_eq!(
            read_request(Some("wsdl_list=1"), None),
            SoapRequest::WsdlList
        );
        assert_eq!(
            read_request(Some("wsdl&services=catalogProductRepositoryV1"), None),
            SoapRequest::Wsdl {
                services: vec!["catalogProductRepositoryV1".into()]
            }
        );
        let env = r#"<?xml version="1.0"?><env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:ns1="http://m.test/soap/default?services=catalogProductRepositoryV1"><env:Header/><env:Body><ns1:catalogProductRepositoryV1GetRequest><sku>x</sku></ns1:catalogProductRepositoryV1GetRequest></env:Body></env:Envelope>"#;
        assert_eq!(
            read_request(Some("services=catalogProductRepositoryV1"), Some(env)),
            SoapRequest::Call {
                services: vec!["catalogProductRepositoryV1".into()],
                operation: Some("catalogProductRepositoryV1Get".into())
            }
        );
        assert!(matches!(
            read_request(Some("services=catalog"), None),
            SoapRequest::BadServices(_)
        ));
        assert!(matches!(
            read_request(None, None),
            SoapRequest::BadServices(_)
        ));
    }

    #[test]
    fn the_service_of_an_operation() {
        assert_eq!(
            service_of_operation("catalogProductRepositoryV1Get"),
            Some("catalogProductRepositoryV1")
        );
        assert_eq!(
            service_of_operation("salesOrderRepositoryV12GetList"),
            Some("salesOrderRepositoryV12")
        );
        assert_eq!(service_of_operation("catalogProductRepositoryV1"), None);
        assert_eq!(service_of_operation("Get"), None);
        assert_eq!(service_of_operation("a-bV1Get"), None);
        let env = minimal_envelope("catalogProductRepositoryV1Get");
        assert_eq!(
            operation_of_envelope(&env).as_deref(),
            Some("catalogProductRepositoryV1Get")
        );
    }
}
