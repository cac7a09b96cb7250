//! Step 6: server rules the store's own files carry. Magento's stock `.htaccess` files pass the
//! Authorization header on to PHP (`RewriteRule .* - [E=HTTP_AUTHORIZATION:%{HTTP:Authorization}]`,
//! "workaround for HTTP authorization in CGI environment"); under PHP-FPM/FastCGI the header
//! reaches PHP only through such a rule (or a vhost's `CGIPassAuth On` / `SetEnvIf`).

use crate::checks::{Context, Diagnosis};
use crate::findings::{Code, Evidence, Finding, Fix, Severity};
use crate::store::server;

pub const STOCK_RULE: &str = "RewriteRule .* - [E=HTTP_AUTHORIZATION:%{HTTP:Authorization}]";

pub fn run(ctx: &Context, d: &mut Diagnosis) {
    let docroot_is_pub = ctx
        .install
        .env
        .as_ref()
        .and_then(|e| e.get("directories/document_root_is_pub"))
        .is_some_and(|v| v.is_truthy());
    let Some(file) = server::docroot_htaccess(&ctx.install.root, docroot_is_pub) else {
        return;
    };
    if file.passthrough_line().is_some() {
        return;
    }
    let mut f = Finding::new(Code::HtaccessAuthPassthroughMissing, Severity::Warning)
        .detail(format!(
            "{} has no active rule passing the Authorization header on to PHP. Under PHP-FPM or FastCGI (the usual setup) Apache then drops the header unless the vhost has `CGIPassAuth On` or `SetEnvIf Authorization`, and every token request runs as a guest (401).",
            file.path
        ))
        .fix(Fix {
            summary: format!("Restore Magento's stock rule in {} (inside `<IfModule mod_rewrite.c>`, after `RewriteEngine on`)", file.path),
            commands: vec![format!("    {STOCK_RULE}")],
            admin_path: None,
        });
    f = match file.disabled_rule_line() {
        Some(line) => f.evidence(Evidence::file(&file.path, Some(line), format!("commented out: {}", file.lines[line as usize - 1].trim()))),
        None => f.evidence(Evidence::file(&file.path, None, "no RewriteRule with E=HTTP_AUTHORIZATION, no SetEnvIf Authorization, no CGIPassAuth On")),
    };
    d.push(f);
}
