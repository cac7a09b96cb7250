//! The write path against the lab: `WriteSession`, the journal, `undo`, and `acl:grant` writing
//! `authorization_rule` exactly as `Rules::saveRel()` does.

use m2auth::fix::FixError;
use m2auth::fix::acl_grant::{ALLOW, DENY, apply_grant, plan_grant, rule_from_row};
use m2auth::fix::journal::{EntryMeta, Journal, UndoOptions};
use m2auth::magento::acl::{ADMIN, ALL, RuleRow};
use m2auth::mask::Masker;
use m2auth::store::db::write::{DUMP_IS_READ_ONLY, WriteSession};
use m2auth::store::db::{DbChoice, SqlValue};

use crate::lab;

/// The ACL tree of the test, in ACL order.
fn tree() -> Vec<String> {
    [
        ALL,
        ADMIN,
        "Magento_Sales::sales",
        "Magento_Sales::sales_operation",
        "Magento_Sales::sales_order",
        "Magento_Sales::actions_view",
        "Magento_Catalog::catalog",
        "Magento_Catalog::catalog_inventory",
        "Magento_Catalog::products",
        "Magento_Customer::customer",
        "Magento_Customer::manage",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Every rule of every role, as text, by rule_id.
fn all_rules(db: &lab::LabDb) -> Vec<Vec<Option<String>>> {
    db.query(&format!(
        "SELECT rule_id, role_id, resource_id, privileges, permission FROM `{}` ORDER BY rule_id",
        db.table("authorization_rule")
    ))
}

struct Setup {
    db: lab::LabDb,
    store: lab::FixtureStore,
    role: u64,
    other_role: u64,
}

/// A custom role with rules for part of the tree (and one for a resource no longer declared),
/// plus another role whose rules must never be touched.
fn setup(prefix: &str) -> Option<Setup> {
    let lab = lab::mariadb()?;
    let db = lab.database(prefix);
    let role = db.insert(
        "authorization_role",
        &[
            ("parent_id", 0.into()),
            ("tree_level", 1.into()),
            ("role_type", "G".into()),
            ("user_type", "2".into()),
            ("role_name", "Catalog editors".into()),
        ],
    );
    let other_role = db.insert(
        "authorization_role",
        &[
            ("parent_id", 0.into()),
            ("tree_level", 1.into()),
            ("role_type", "G".into()),
            ("user_type", "2".into()),
            ("role_name", "Administrators".into()),
        ],
    );
    db.insert(
        "authorization_rule",
        &[
            ("role_id", other_role.into()),
            ("resource_id", ALL.into()),
            ("privileges", mysql::Value::NULL),
            ("permission", ALLOW.into()),
        ],
    );
    for (res, perm) in [
        (ALL, DENY),
        (ADMIN, ALLOW),
        ("Magento_Sales::sales", DENY),
        ("Magento_Catalog::catalog", ALLOW),
        ("Magento_Catalog::catalog_inventory", ALLOW),
        ("Magento_Catalog::products", ALLOW),
        ("Gone_Module::thing", ALLOW),
    ] {
        db.insert(
            "authorization_rule",
            &[
                ("role_id", role.into()),
                ("resource_id", res.into()),
                ("privileges", "".into()),
                ("permission", perm.into()),
            ],
        );
    }
    Some(Setup {
        db,
        store: lab::FixtureStore::new(),
        role,
        other_role,
    })
}

fn role_rules(s: &mut WriteSession, role: u64) -> Vec<RuleRow> {
    s.rows("authorization_rule", &[("role_id", SqlValue::UInt(role))])
        .unwrap()
        .iter()
        .filter_map(rule_from_row)
        .collect()
}

fn meta(db: &lab::LabDb, title: &str) -> EntryMeta {
    let mut masker = Masker::new();
    masker.add(db.password());
    EntryMeta {
        title: title.into(),
        slug: "acl-grant".into(),
        command: vec![
            "m2auth".into(),
            "acl:grant".into(),
            "--db".into(),
            db.socket_url(),
            "Magento_Sales::sales".into(),
            "--apply".into(),
        ],
        masker,
    }
}

/// Grant two resources: the plan, the rows exactly as saveRel writes them, the journal file.
fn grant(s: &Setup, journal: &Journal) -> m2auth::fix::journal::Listed {
    let mut session = WriteSession::connect(&s.db.conn_params()).unwrap();
    let current = role_rules(&mut session, s.role);
    let add = vec![
        "Magento_Sales::sales".to_string(),
        "Magento_Sales::sales_order".to_string(),
    ];
    let plan = plan_grant(&tree(), s.role, &current, &add).unwrap();
    let printed = plan.plan(s.db.prefix(), "").to_text();
    assert!(
        printed.contains("newly allowed: Magento_Sales::sales, Magento_Sales::sales_order"),
        "{printed}"
    );
    assert!(printed.contains("Gone_Module::thing"), "{printed}");
    assert!(
        printed.contains("bin/magento cache:clean config"),
        "{printed}"
    );
    session.begin().unwrap();
    apply_grant(&mut session, &plan).unwrap();
    journal
        .commit(session, &meta(&s.db, "Grant Magento_Sales::sales to role"))
        .unwrap()
        .expect("changes were made")
}

#[test]
fn grant_writes_rows_like_save_rel_and_undo_restores_them() {
    let Some(s) = setup("m2_") else { return };
    let before = all_rules(&s.db);
    let journal = Journal::for_root(s.store.root());
    let listed = grant(&s, &journal);

    // The role's rows: one per resource of the tree, in tree order, exactly as saveRel.
    let rows = s.db.query(&format!(
        "SELECT role_id, resource_id, privileges, permission FROM `{}` WHERE role_id = {} ORDER BY rule_id",
        s.db.table("authorization_rule"),
        s.role
    ));
    let allowed = [
        ADMIN,
        "Magento_Sales::sales",
        "Magento_Sales::sales_order",
        "Magento_Catalog::catalog",
        "Magento_Catalog::catalog_inventory",
        "Magento_Catalog::products",
    ];
    let expected: Vec<Vec<Option<String>>> = tree()
        .iter()
        .map(|id| {
            vec![
                Some(s.role.to_string()),
                Some(id.clone()),
                Some(String::new()),
                Some(
                    if allowed.contains(&id.as_str()) {
                        ALLOW
                    } else {
                        DENY
                    }
                    .to_string(),
                ),
            ]
        })
        .collect();
    assert_eq!(rows, expected);
    // The other role is untouched.
    let other: Vec<_> = all_rules(&s.db)
        .into_iter()
        .filter(|r| r[1].as_deref() == Some(&s.other_role.to_string()))
        .collect();
    let other_before: Vec<_> = before
        .iter()
        .filter(|r| r[1].as_deref() == Some(&s.other_role.to_string()))
        .cloned()
        .collect();
    assert_eq!(other, other_before);

    // The journal file: 0600 in a 0700 directory, no password, the changes in order.
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(
        listed.path.parent().unwrap(),
        s.store.path("var/m2auth/journal")
    );
    assert_eq!(mode(&listed.path), 0o600);
    assert_eq!(mode(&s.store.path("var/m2auth/journal")), 0o700);
    assert_eq!(mode(&s.store.path("var/m2auth")), 0o700);
    let text = std::fs::read_to_string(&listed.path).unwrap();
    assert!(
        !text.contains(s.db.password()),
        "the DB password is in the journal"
    );
    assert!(
        !text.contains(&lab::pct(s.db.password())),
        "the encoded DB password is in the journal"
    );
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["database"]["name"], s.db.name());
    assert!(json["database"].get("password").is_none());
    let changes = json["changes"].as_array().unwrap();
    assert_eq!(changes[0]["operation"], "delete");
    assert_eq!(changes[0]["before"].as_array().unwrap().len(), 7);
    assert_eq!(changes.len(), 1 + tree().len());
    assert!(changes[1..].iter().all(|c| c["operation"] == "insert"));
    assert!(listed.entry.command.contains("acl:grant"));
    assert_eq!(journal.list().unwrap()[0].entry.id, listed.entry.id);

    // Undo: the original rows back, same rule_ids, same values.
    let session = WriteSession::connect(&s.db.conn_params()).unwrap();
    let target = journal.find(None).unwrap();
    assert_eq!(target.entry.id, listed.entry.id);
    let plan = m2auth::fix::journal::undo_plan(&target.entry);
    assert_eq!(plan.steps.len(), 1 + tree().len());
    let out = journal
        .undo(session, &target, &UndoOptions::default())
        .unwrap();
    assert_eq!(all_rules(&s.db), before);
    assert!(out.overridden.is_empty());
    assert_eq!(
        out.undo.entry.undoes.as_deref(),
        Some(listed.entry.id.as_str())
    );
    assert_eq!(mode(&out.undo.path), 0o600);
    let reread = m2auth::fix::journal::load(&listed.path).unwrap();
    assert_eq!(reread.undone.as_ref().unwrap().by, out.undo.entry.id);
    assert_eq!(mode(&listed.path), 0o600);

    // A second undo is refused, and changes nothing.
    let session = WriteSession::connect(&s.db.conn_params()).unwrap();
    let again = journal.find(Some(&listed.entry.id)).unwrap();
    let err = journal
        .undo(session, &again, &UndoOptions::default())
        .unwrap_err();
    assert!(matches!(err, FixError::AlreadyUndone { .. }), "{err}");
    assert_eq!(all_rules(&s.db), before);
    // `undo` without an argument skips undone entries and undos: nothing left here.
    assert!(matches!(journal.find(None), Err(FixError::NotFound(_))));
    // The undo's own entry can be named (a redo).
    assert_eq!(
        journal
            .find(Some(&out.undo.entry.id))
            .unwrap()
            .entry
            .undoes
            .as_deref(),
        Some(listed.entry.id.as_str())
    );
}

#[test]
fn undo_is_refused_after_a_manual_change_and_forced_on_request() {
    let Some(s) = setup("") else { return };
    let before = all_rules(&s.db);
    let journal = Journal::for_root(s.store.root());
    let listed = grant(&s, &journal);

    // Someone edits one of the rows the grant wrote.
    let rule_id: String = s.db.query(&format!(
        "SELECT rule_id FROM authorization_rule WHERE role_id = {} AND resource_id = 'Magento_Customer::manage'",
        s.role
    ))[0][0]
        .clone()
        .unwrap();
    s.db.exec(&format!(
        "UPDATE authorization_rule SET permission = 'allow' WHERE rule_id = {rule_id}"
    ));
    let after_manual = all_rules(&s.db);

    let session = WriteSession::connect(&s.db.conn_params()).unwrap();
    let err = journal
        .undo(session, &listed, &UndoOptions::default())
        .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, FixError::Conflict(_)), "{msg}");
    assert!(
        msg.contains(&format!("authorization_rule row rule_id={rule_id}")),
        "{msg}"
    );
    assert!(msg.contains("permission"), "{msg}");
    assert!(msg.contains("--force"), "{msg}");
    assert_eq!(
        all_rules(&s.db),
        after_manual,
        "a refused undo changes nothing"
    );
    assert!(
        m2auth::fix::journal::load(&listed.path)
            .unwrap()
            .undone
            .is_none()
    );

    // --force: undone anyway, the overridden row reported.
    let session = WriteSession::connect(&s.db.conn_params()).unwrap();
    let opts = UndoOptions {
        force: true,
        ..UndoOptions::default()
    };
    let out = journal.undo(session, &listed, &opts).unwrap();
    assert_eq!(out.overridden.len(), 1);
    assert_eq!(all_rules(&s.db), before);
    assert!(out.original.entry.undone.as_ref().unwrap().forced);
}

#[test]
fn an_error_mid_transaction_rolls_everything_back() {
    let Some(s) = setup("") else { return };
    let before = all_rules(&s.db);
    let journal = Journal::for_root(s.store.root());
    {
        let mut session = WriteSession::connect(&s.db.conn_params()).unwrap();
        let current = role_rules(&mut session, s.role);
        let plan = plan_grant(&tree(), s.role, &current, &["Magento_Sales::sales".into()]).unwrap();
        session.begin().unwrap();
        apply_grant(&mut session, &plan).unwrap();
        assert_eq!(session.changes().len(), 1 + tree().len());
        // A later step fails: a table that does not exist.
        let err = session
            .insert("no_such_table", &[("x", SqlValue::Int(1))])
            .unwrap_err();
        assert!(err.to_string().contains("no_such_table"), "{err}");
        // The caller returns the error; the session is dropped without commit.
    }
    assert_eq!(all_rules(&s.db), before);
    assert!(journal.list().unwrap().is_empty());
    assert!(!s.store.path("var/m2auth").exists());

    // The lab creates no foreign keys: add Magento's, for the cascade check below.
    s.db.exec(
        "ALTER TABLE authorization_rule ADD CONSTRAINT AUTHORIZATION_RULE_ROLE_ID_AUTHORIZATION_ROLE_ROLE_ID \
         FOREIGN KEY (role_id) REFERENCES authorization_role (role_id) ON DELETE CASCADE",
    );
    // Writes outside a transaction, and whole-table writes, are refused.
    let mut session = WriteSession::connect(&s.db.conn_params()).unwrap();
    assert!(
        session
            .delete("authorization_rule", &[("role_id", SqlValue::UInt(s.role))])
            .is_err()
    );
    assert!(
        session
            .insert("authorization_rule", &[("role_id", SqlValue::UInt(s.role))])
            .is_err()
    );
    session.begin().unwrap();
    assert!(session.delete("authorization_rule", &[]).is_err());
    assert!(
        session
            .update(
                "authorization_rule",
                &[("rule_id", SqlValue::Int(1))],
                &[("role_id", SqlValue::UInt(s.role))]
            )
            .is_err()
    );
    let err = session
        .delete("authorization_role", &[("role_id", SqlValue::UInt(s.role))])
        .unwrap_err();
    assert!(err.to_string().contains("foreign key"), "{err}");
    session.rollback().unwrap();
    assert_eq!(all_rules(&s.db), before);
}

#[test]
fn update_with_an_on_update_timestamp_is_undone_exactly() {
    let Some(s) = setup("") else { return };
    let id = s.db.insert(
        "admin_user",
        &[
            ("firstname", "Jane".into()),
            ("lastname", "Doe".into()),
            ("email", "jane@example.com".into()),
            ("username", "jane".into()),
            ("password", "a3f1c2e4b5d6a7f8e9d0c1b2a3f4e5d6:salt:1".into()),
            ("is_active", 1.into()),
            ("modified", "2020-01-02 03:04:05".into()),
        ],
    );
    let select = format!("SELECT * FROM admin_user WHERE user_id = {id}");
    let before = s.db.query(&select);
    let journal = Journal::for_root(s.store.root());
    let mut session = WriteSession::connect(&s.db.conn_params()).unwrap();
    session.begin().unwrap();
    let n = session
        .update(
            "admin_user",
            &[
                ("is_active", SqlValue::Int(0)),
                ("lock_expires", SqlValue::Text("2030-01-01 00:00:00".into())),
            ],
            &[("user_id", SqlValue::UInt(id))],
        )
        .unwrap();
    assert_eq!(n, 1);
    let listed = journal
        .commit(
            session,
            &EntryMeta {
                title: "lock jane".into(),
                slug: "lock".into(),
                ..EntryMeta::default()
            },
        )
        .unwrap()
        .unwrap();
    assert_ne!(s.db.query(&select), before);
    let text = std::fs::read_to_string(&listed.path).unwrap();
    assert!(text.contains("\"update\""), "{text}");

    let session = WriteSession::connect(&s.db.conn_params()).unwrap();
    journal
        .undo(session, &listed, &UndoOptions::default())
        .unwrap();
    assert_eq!(s.db.query(&select), before);

    // A session with nothing changed writes no entry.
    let mut session = WriteSession::connect(&s.db.conn_params()).unwrap();
    session.begin().unwrap();
    assert_eq!(
        session
            .update(
                "admin_user",
                &[("is_active", SqlValue::Int(1))],
                &[("user_id", SqlValue::UInt(id))]
            )
            .unwrap(),
        0
    );
    assert!(
        journal
            .commit(session, &EntryMeta::default())
            .unwrap()
            .is_none()
    );
    assert_eq!(journal.list().unwrap().len(), 2);
}

#[test]
fn writing_to_a_dump_is_refused() {
    let Some(s) = setup("") else { return };
    let dump = s.store.path("copy.sql");
    s.db.mysqldump(&dump, false);
    let err = WriteSession::open(&DbChoice::Dump(dump), None).unwrap_err();
    assert_eq!(err.to_string(), DUMP_IS_READ_ONLY);
}
