//! Step 3, the Authorization header: as the client sends it (`-H`), and as the web server passes
//! it on to PHP (Magento's real nginx.conf.sample with one edit), and a healthy request.

use super::NOW;
use super::server::{nginx, web_store};
use crate::lab::scenario::{Outcome, Scenario, jwt};

fn admin_jwt() -> String {
    jwt(1, 2, NOW - 600, NOW + 3000)
}

fn with_header(s: &Scenario, header: &str, extra: &[&str]) -> Outcome {
    let mut args = vec!["--request", "GET /V1/modules", "-H", header];
    args.extend_from_slice(extra);
    s.diagnose(&args)
}

#[test]
fn healthy_header_has_no_step_3_finding() {
    let Some(s) = web_store() else { return };
    let h = format!("Authorization: Bearer {}", admin_jwt());
    with_header(&s, &h, &[])
        .expect_no_error()
        .expect_none_of_step(3);
    let conf = nginx(&s, "", "");
    with_header(&s, &h, &["--server-config", &conf])
        .expect_no_error()
        .expect_none_of_step(3);
}

#[test]
fn auth_header_missing() {
    let Some(s) = web_store() else { return };
    s.diagnose(&["--request", "GET /V1/modules"])
        .expect_code("auth-header-missing");
}

#[test]
fn auth_header_malformed() {
    let Some(s) = web_store() else { return };
    with_header(&s, &format!("Authorization: Bearer:{}", admin_jwt()), &[])
        .expect_root_cause("auth-header-malformed")
        .expect_severity("auth-header-malformed", "error")
        .expect_exit(1);
}

#[test]
fn auth_header_stripped() {
    let Some(s) = web_store() else { return };
    // fastcgi_pass_request_headers off at server level, inherited by the PHP location.
    let conf = nginx(&s, "    fastcgi_pass_request_headers off;\n", "");
    let h = format!("Authorization: Bearer {}", admin_jwt());
    with_header(&s, &h, &["--server-config", &conf])
        .expect_root_cause("auth-header-stripped")
        .expect_exit(1);
}

#[test]
fn basic_auth_in_front() {
    let Some(s) = web_store() else { return };
    let conf = nginx(
        &s,
        "    auth_basic \"Staging\";\n    auth_basic_user_file /etc/nginx/.htpasswd;\n",
        "",
    );
    let h = format!("Authorization: Bearer {}", admin_jwt());
    with_header(&s, &h, &["--server-config", &conf])
        .expect_root_cause("basic-auth-in-front")
        .expect_exit(1);
}
