//! Step 1: credentials and tokens.
//!
//! Magento signs and verifies admin/customer JWTs (2.4.4+) with the last key of `crypt/key`
//! (app/code/Magento/JwtUserToken/Model/SecretBasedJwksFactory.php): without a key no token can
//! be issued or verified.

use crate::checks::Diagnosis;
use crate::context::Context;
use crate::findings::{Code, Evidence, Finding, Fix, Severity};
use crate::store::root::ENV_PHP;

pub fn run(ctx: &Context, d: &mut Diagnosis) {
    crypt_key(ctx, d);
}

fn crypt_key(ctx: &Context, d: &mut Diagnosis) {
    let fix = Fix {
        summary: "Restore the crypt key of this installation in app/etc/env.php (from a backup or the environment it was copied from); a new key invalidates every issued token and encrypted value".into(),
        commands: vec!["bin/magento setup:config:set --key=<the original 32-character or base64 key>".into()],
        admin_path: None,
    };
    let Some(env) = &ctx.install.env else {
        d.push(
            Finding::new(Code::CryptKeyMissing, Severity::Error)
                .detail("app/etc/env.php does not exist, so there is no crypt key: no admin or customer token can be issued or verified.")
                .evidence(Evidence::file(ENV_PHP, None, "file not found"))
                .fix(fix),
        );
        return;
    };
    if let Some(u) = env.unresolved_at("crypt/key") {
        d.push(
            Finding::new(Code::CryptKeyMissing, Severity::Error)
                .title("The crypt key is not a literal m2auth can read")
                .detail(format!(
                    "crypt/key is not a literal at line {} ({}), and the environment does not provide it: m2auth cannot verify tokens, and if PHP cannot resolve it either, Magento cannot sign them.",
                    u.line, u.text
                ))
                .evidence(Evidence::file(ENV_PHP, Some(u.line), format!("crypt/key = {}", u.text)))
                .fix(fix),
        );
        return;
    }
    let entry = env.entry("crypt/key");
    let keys = ctx.install.crypt_keys();
    if keys.is_empty() {
        let (line, text) = match entry {
            Some(e) => (Some(e.line), "crypt/key is empty".to_string()),
            None => (env.line("crypt"), "no crypt/key entry".to_string()),
        };
        d.push(
            Finding::new(Code::CryptKeyMissing, Severity::Error)
                .detail("app/etc/env.php has no usable crypt/key: no admin or customer token can be issued or verified, and encrypted configuration cannot be read.")
                .evidence(Evidence::file(ENV_PHP, line, text))
                .fix(fix),
        );
    }
}
