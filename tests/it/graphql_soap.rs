//! GraphQL and SOAP knowledge against Magento's real files, read in place: the SOAP operation
//! names of the reference webapi.xml routes (../shared/magento-reference), and the root fields
//! and resolvers of every schema.graphqls of a complete 2.4.7-p3 vendor/ tree (the bare git
//! mirror beside the repository, `M2AUTH_MAGENTO_GIT` to name another). Each test skips with a
//! message when its files are absent.

use std::path::{Path, PathBuf};
use std::process::Command;

use m2auth::magento::graphql::{self, Guard, OpKind};
use m2auth::magento::soap;
use m2auth::store::modules::{Module, ModuleSet};
use m2auth::store::webapi::load_routes;

use crate::lab::reference_dir;

#[test]
fn reference_routes_have_the_soap_operations_magento_names() {
    let Some(dir) = reference_dir() else { return };
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().join("etc/webapi.xml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let modules = ModuleSet {
        modules: names
            .iter()
            .map(|n| Module {
                name: format!("Magento_{n}"),
                enabled: true,
                dir: Some(dir.join(n)),
                layout: None,
            })
            .collect(),
        duplicates: Vec::new(),
        config_known: true,
    };
    let (idx, _) = load_routes(&modules);
    let ops: Vec<(String, &m2auth::magento::routes::Route)> = idx
        .routes()
        .iter()
        .filter_map(|r| {
            let alias = r.soap_operation.as_deref().unwrap_or(&r.service_method);
            Some((
                soap::operation_name(&r.service_class, r.version(), alias)?,
                r,
            ))
        })
        .collect();
    assert!(ops.len() > 100, "{}", ops.len());
    let find = |op: &str| {
        ops.iter()
            .filter(|(o, _)| o == op)
            .map(|(_, r)| (r.method.clone(), r.url.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        find("catalogProductRepositoryV1Get"),
        [("GET".to_string(), "/V1/products/:sku".to_string())]
    );
    // Routes of one service method are one operation: GET /V1/customers/me (no soapOperation
    // in the reference file) shares getById with GET /V1/customers/:customerId.
    let by_id = find("customerCustomerRepositoryV1GetById");
    assert!(
        by_id.contains(&("GET".to_string(), "/V1/customers/me".to_string())),
        "{by_id:?}"
    );
    assert!(
        by_id.contains(&("GET".to_string(), "/V1/customers/:customerId".to_string())),
        "{by_id:?}"
    );
    assert_eq!(
        find("integrationCustomerTokenServiceV1CreateCustomerAccessToken"),
        [(
            "POST".to_string(),
            "/V1/integration/customer/token".to_string()
        )]
    );
}

/// The bare git repository of a complete Magento install, or `None` with a skip message.
fn magento_git() -> Option<PathBuf> {
    let p = std::env::var_os("M2AUTH_MAGENTO_GIT")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../.mirror/AbdelhamidYousef+vanilla-magento/repo")
        });
    if p.join("HEAD").is_file() {
        Some(p)
    } else {
        eprintln!(
            "skipped: no Magento vendor/ tree in git at {} (set M2AUTH_MAGENTO_GIT)",
            p.display()
        );
        None
    }
}

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("--git-dir")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn real_schema_files_parse_and_their_guards_are_known() {
    let Some(dir) = magento_git() else { return };
    let Some(list) = git(
        &dir,
        &["ls-tree", "-r", "--name-only", "HEAD", "vendor/magento"],
    ) else {
        eprintln!("skipped: git cannot read {}", dir.display());
        return;
    };
    let files: Vec<&str> = list
        .lines()
        .filter(|l| l.ends_with("/etc/schema.graphqls"))
        .collect();
    assert!(files.len() > 40, "{}", files.len());
    let texts: Vec<(&str, String)> = files
        .iter()
        .map(|f| (*f, git(&dir, &["show", &format!("HEAD:{f}")]).unwrap()))
        .collect();
    let mut fields = Vec::new();
    let mut all_text = String::new();
    let mut failed = Vec::new();
    let started = std::time::Instant::now();
    for (f, text) in &texts {
        all_text.push_str(text);
        match graphql::root_fields(text) {
            Ok(got) => fields.extend(got),
            Err(e) => failed.push(format!("{f}: {e}")),
        }
    }
    // The figure docs/benchmarks.md §7 quotes (not asserted: no timed tests).
    eprintln!(
        "{} schema.graphqls ({} KiB) parsed in {:?}: {} root fields",
        texts.len(),
        all_text.len() / 1024,
        started.elapsed(),
        fields.len()
    );
    assert!(failed.is_empty(), "{failed:#?}");
    let resolver = |kind: OpKind, name: &str| {
        fields
            .iter()
            .filter(|f| f.kind == kind && f.name == name)
            .find_map(|f| f.resolver.clone())
            .unwrap_or_else(|| panic!("{name} has no resolver"))
    };
    for (kind, name) in [
        (OpKind::Query, "customer"),
        (OpKind::Query, "customerCart"),
        (OpKind::Query, "customerOrders"),
        (OpKind::Mutation, "revokeCustomerToken"),
        (OpKind::Mutation, "updateCustomerV2"),
        (OpKind::Mutation, "mergeCarts"),
        (OpKind::Mutation, "cancelOrder"),
    ] {
        assert!(
            matches!(
                graphql::guard_of(&resolver(kind, name)),
                Guard::Customer { .. }
            ),
            "{name}"
        );
    }
    assert!(matches!(
        graphql::guard_of(&resolver(OpKind::Mutation, "generateCustomerTokenAsAdmin")),
        Guard::Admin { .. }
    ));
    for (kind, name) in [
        (OpKind::Query, "storeConfig"),
        (OpKind::Query, "products"),
        (OpKind::Mutation, "generateCustomerToken"),
        (OpKind::Mutation, "createEmptyCart"),
    ] {
        assert_eq!(
            graphql::guard_of(&resolver(kind, name)),
            Guard::Public,
            "{name}"
        );
    }
    // Every guarded resolver m2auth knows is named by a real schema file (no typo in the table).
    let all = all_text.replace("\\\\", "\\");
    for class in graphql::guarded_resolvers() {
        assert!(all.contains(class), "{class} is in no schema.graphqls");
    }
    // 2.4.7-p3 has no Bearer pre-validation.
    let validator = format!(
        "HEAD:vendor/magento/module-customer-graph-ql/{}",
        graphql::AUTHORIZATION_VALIDATOR
    );
    assert!(git(&dir, &["cat-file", "-e", &validator]).is_none());
}
