//! Step 3: the Authorization header as sent, read the way Magento's TokenUserContext reads it.

use crate::lab;
use crate::lab::report::{codes, finding};
use crate::lab::{EnvSpec, FixtureStore};
use serde_json::Value;

#[test]
fn header_forms_magento_refuses_and_the_ones_it_takes() {
    let Some(lab) = lab::mariadb() else { return };
    let db = lab.database("");
    db.insert(
        "admin_user",
        &[
            ("user_id", 1.into()),
            ("username", "admin".into()),
            ("password", "x".into()),
            ("is_active", 1.into()),
        ],
    );
    let store = FixtureStore::new();
    store.env(&EnvSpec::magento(&db));
    store.config_php(&[
        ("Magento_Store", true),
        ("Magento_JwtUserToken", true),
        ("Magento_TwoFactorAuth", true),
    ]);
    store.composer_lock("magento/product-community-edition", "2.4.7-p3");
    let token = lab::magento_jwt(1, 2);
    let run = |headers: &[String]| -> Value {
        let mut args = vec![
            "diagnose",
            "--request",
            "GET /V1/modules",
            "--format",
            "json",
            "--root",
            store.root().to_str().unwrap(),
        ];
        for h in headers {
            args.push("-H");
            args.push(h);
        }
        let out = lab::m2auth(&args, store.root());
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(!text.contains(&token), "token printed whole: {text}");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
    };
    let step3 = |doc: &Value| -> Vec<String> {
        codes(doc)
            .into_iter()
            .filter(|c| c.starts_with("auth-header"))
            .collect()
    };
    // Taken as Magento takes them.
    for ok in [
        format!("Authorization: Bearer {token}"),
        format!("authorization: bearer {token}"),
        format!("Authorization: BEARER {token}"),
    ] {
        let doc = run(std::slice::from_ref(&ok));
        assert_eq!(step3(&doc), Vec::<String>::new(), "{ok}: {doc}");
    }
    // Refused: Magento never reads the token.
    for bad in [
        format!("Authorization: Bearer:{token}"),
        format!("Authorization: Bearer: {token}"),
        format!("Authorization: Bearer  {token}"),
        format!("Authorization: Bearer {token} "),
        format!("Authorization: Token {token}"),
        format!("Authorization: {token}"),
        "Authorization: Bearer".to_string(),
    ] {
        let doc = run(std::slice::from_ref(&bad));
        assert_eq!(step3(&doc), vec!["auth-header-malformed"], "{bad}: {doc}");
        assert_eq!(finding(&doc, "auth-header-malformed")["severity"], "error");
    }
    // Two headers.
    let doc = run(&[
        format!("Authorization: Bearer {token}"),
        format!("Authorization: Bearer {token}"),
    ]);
    assert_eq!(step3(&doc), vec!["auth-header-malformed"], "{doc}");
    // None at all: said, as context.
    let doc = run(&[]);
    assert_eq!(step3(&doc), vec!["auth-header-missing"], "{doc}");
}
