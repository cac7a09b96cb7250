//! Step 7, logs: the access log the store's nginx server block names (found through
//! `--server-config`, with its `log_format`), Magento's var/log and var/report; what `diagnose`
//! reads by default (the last 16 MiB of each log) and with `--logs-since`; and a store whose
//! logs hold nothing of the kind.

use crate::lab::scenario::Scenario;

/// The scenario store with an nginx server block for it that logs to var/log/nginx/access.log
/// in a custom format (the Authorization scheme included); returns the config's path.
fn with_nginx(s: &Scenario) -> String {
    let root = s.root().canonicalize().unwrap();
    let conf = root.join(".etc/nginx.conf");
    std::fs::create_dir_all(conf.parent().unwrap()).unwrap();
    std::fs::write(
        &conf,
        format!(
            r#"http {{
    log_format m2 '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_authorization"';
    server {{
        listen 80;
        server_name shop.test;
        set $MAGE_ROOT {root};
        root $MAGE_ROOT/pub;
        access_log {root}/var/log/nginx/access.log m2;
        location / {{
            try_files $uri $uri/ /index.php$is_args$args;
        }}
        location ~ ^/index\.php$ {{
            fastcgi_pass 127.0.0.1:9000;
        }}
    }}
}}
"#,
            root = root.display()
        ),
    )
    .unwrap();
    conf.to_str().unwrap().to_string()
}

/// One line of the `m2` format.
fn access(client: &str, minute: u32, request: &str, status: u16, auth: &str) -> String {
    format!(
        "{client} - - [01/May/2024:10:{:02}:{:02} +0000] \"{request} HTTP/1.1\" {status} 120 \"-\" \"GuzzleHttp/7\" \"{auth}\"\n",
        minute % 60,
        minute / 60 % 60
    )
}

fn healthy_log() -> String {
    (0..200)
        .map(|i| {
            access(
                "198.51.100.7",
                i,
                "GET /rest/default/V1/products/24-MB01",
                200,
                "Bearer eyJhbGciOi.x.y",
            )
        })
        .collect()
}

#[test]
fn healthy_logs_have_no_step_7_finding() {
    let Some(s) = super::store() else { return };
    let conf = with_nginx(&s);
    s.file("var/log/nginx/access.log", &healthy_log()).file(
        "var/log/system.log",
        "[2024-05-01T10:00:00.000000+00:00] main.INFO: Cache cleared {} []\n[2024-05-01T10:01:00.000000+00:00] main.INFO: Reindex done {} []\n",
    );
    s.diagnose(&["--server-config", &conf])
        .expect_none_of_step(7);
}

#[test]
fn log_auth_failures() {
    let Some(s) = super::store() else { return };
    let conf = with_nginx(&s);
    let mut log = healthy_log();
    for i in 0..12 {
        log.push_str(&access(
            "203.0.113.9",
            30 + i,
            "GET /rest/default/V1/products/WS12-M",
            401,
            "Bearer eyJhbGciOi.x.y",
        ));
    }
    s.file("var/log/nginx/access.log", &log);
    let out = s
        .diagnose(&["--server-config", &conf])
        .expect_code("log-auth-failures")
        .expect_severity("log-auth-failures", "warning");
    let f = out.finding("log-auth-failures").to_string();
    // Folded with the store's routes, with its client and the scheme the log records.
    assert!(f.contains("GET /V1/products/:sku (12)"), "{f}");
    assert!(f.contains("203.0.113.9 (12)"), "{f}");
    assert!(f.contains("Bearer"), "{f}");
    assert!(!f.contains("eyJhbGciOi"), "the token is never shown: {f}");
    // The same from logs:scan, in the contract's JSON.
    let scan = s.run(&["logs:scan", "--server-config", &conf]);
    let doc = scan.doc();
    assert_eq!(doc["totals"]["rest_401"], 12, "{doc:#}");
    assert_eq!(doc["by_route"][0]["key"], "GET /V1/products/:sku");
    assert_eq!(doc["by_route"][0]["count"], 12);
    assert_eq!(doc["by_route"][0]["requests"], 212);
    assert_eq!(doc["by_client"][0]["key"], "203.0.113.9");
    assert_eq!(doc["route_folding"], "store-routes");
}

#[test]
fn log_brute_force() {
    let Some(s) = super::store() else { return };
    let conf = with_nginx(&s);
    let mut log = healthy_log();
    // 25 failed admin token requests from one client within two minutes.
    for i in 0..25 {
        log.push_str(&access(
            "192.0.2.66",
            40 + i / 20,
            "POST /rest/V1/integration/admin/token",
            401,
            "-",
        ));
    }
    s.file("var/log/nginx/access.log", &log);
    let out = s
        .diagnose(&["--server-config", &conf])
        .expect_code("log-brute-force")
        .expect_code("log-auth-failures");
    let f = out.finding("log-brute-force").to_string();
    assert!(f.contains("192.0.2.66"), "{f}");
    // Under the threshold it is only failures.
    let mut log = healthy_log();
    for i in 0..5 {
        log.push_str(&access(
            "192.0.2.66",
            40 + i,
            "POST /rest/V1/integration/admin/token",
            401,
            "-",
        ));
    }
    s.file("var/log/nginx/access.log", &log);
    s.diagnose(&["--server-config", &conf])
        .expect_no_code("log-brute-force")
        .expect_code("log-auth-failures");
}

#[test]
fn log_auth_exception() {
    let Some(s) = super::store() else { return };
    let conf = with_nginx(&s);
    s.file("var/log/nginx/access.log", &healthy_log());
    // A Monolog 2 record over several lines (a Throwable as the message), and a web API report.
    s.file(
        "var/log/exception.log",
        concat!(
            "[2024-05-01T10:00:00.000000+00:00] main.INFO: Cache cleared {} []\n",
            "[2024-05-01T10:05:00.123456+00:00] main.CRITICAL: Magento\\Framework\\Exception\\AuthenticationException: The account sign-in was incorrect or your account is disabled temporarily. in /var/www/vendor/magento/module-integration/Model/AdminTokenService.php:91\n",
            "Stack trace:\n",
            "#0 /var/www/vendor/magento/framework/Interception/Interceptor.php(58): f()\n",
            "#1 {main} {\"exception\":\"[object] (Magento\\\\Framework\\\\Exception\\\\AuthenticationException(code: 0): x at y:91)\"} []\n",
            "[2024-05-01T10:06:00.000000+00:00] main.INFO: Reindex done {} []\n",
        ),
    );
    s.file(
        "var/report/api/1714557900123",
        "\"Fatal Error: 'SQLSTATE[HY000] [2002] Connection refused' in '/var/www/vendor/magento/framework/DB/Adapter/Pdo/Mysql.php' on line 600\"",
    );
    let out = s
        .diagnose(&["--server-config", &conf])
        .expect_code("log-auth-exception")
        .expect_no_code("log-auth-failures");
    let f = out.finding("log-auth-exception");
    let evidence = f["evidence"].to_string();
    assert!(evidence.contains("log:var/log/exception.log:2"), "{f:#}");
    assert!(
        evidence.contains("log:var/report/api/1714557900123"),
        "{f:#}"
    );
    assert!(
        f["detail"].as_str().unwrap().contains("api/1714557900123"),
        "{f:#}"
    );
}

#[test]
fn diagnose_reads_a_bounded_tail_unless_logs_since() {
    let Some(s) = super::store() else { return };
    let conf = with_nginx(&s);
    // Failures at the start, then more than 16 MiB of successful requests.
    let mut log = String::new();
    for i in 0..10 {
        log.push_str(&access(
            "203.0.113.9",
            i,
            "GET /rest/V1/products/x",
            401,
            "-",
        ));
    }
    let ok = access(
        "198.51.100.7",
        30,
        "GET /rest/default/V1/products/24-MB01",
        200,
        "-",
    );
    while log.len() < 17 << 20 {
        log.push_str(&ok);
    }
    s.file("var/log/nginx/access.log", &log);
    s.diagnose(&["--server-config", &conf])
        .expect_no_code("log-auth-failures");
    s.diagnose(&[
        "--server-config",
        &conf,
        "--logs-since",
        "2024-05-01T00:00:00Z",
    ])
    .expect_code("log-auth-failures");
}
