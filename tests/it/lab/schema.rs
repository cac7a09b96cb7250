//! Magento's declarative schema (`etc/db_schema.xml`) rendered to MySQL DDL, the way
//! `Magento\Framework\Setup\Declaration\Schema` would create the tables (see
//! `../shared/reference/magento-acl-schema.md` §4), plus hand-written DDL for the tables whose
//! `db_schema.xml` is not in the reference folder (`customer_entity` subset, `store`,
//! `store_group`, `store_website`).
//!
//! Supported: columns `int/smallint/tinyint/bigint/mediumint` (padding, unsigned, identity,
//! nullable, default), `varchar/varbinary` (length, default 255), `text/mediumtext/longtext`,
//! `blob/mediumblob/longblob`, `decimal/float/double/real` (precision, scale), `boolean`,
//! `date/datetime/timestamp` (default `CURRENT_TIMESTAMP`, `0`, `on_update`); `disabled="true"`
//! tables, columns, constraints and indexes are skipped; a table declared by several files is
//! merged (later columns replace earlier ones of the same name). Primary and unique constraints and
//! btree/fulltext/hash indexes are rendered.
//!
//! **Foreign keys are not created**: the tables come from several modules (and the reference set
//! lacks some referenced tables, e.g. `customer_entity` is a subset and `store` is hand-written),
//! and tests insert rows in any order. Charset is Magento 2.4's `utf8mb3`/`utf8mb3_general_ci`.

use std::path::Path;

const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    /// The column definition after the name: `int(10) unsigned NOT NULL AUTO_INCREMENT COMMENT '…'`.
    pub definition: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Logical name (no prefix).
    pub name: String,
    pub columns: Vec<Column>,
    /// `PRIMARY KEY (…)`, `UNIQUE KEY …`, `KEY …` lines (index names are not prefixed).
    pub keys: Vec<(String, String)>,
    pub comment: String,
    /// Where the table was declared (for messages).
    pub source: String,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// `CREATE TABLE` for this table with `prefix` applied to its name.
    pub fn ddl(&self, prefix: &str) -> String {
        let mut lines: Vec<String> = self
            .columns
            .iter()
            .map(|c| format!("  `{}` {}", c.name, c.definition))
            .collect();
        lines.extend(self.keys.iter().map(|(_, k)| format!("  {k}")));
        format!(
            "CREATE TABLE `{prefix}{}` (\n{}\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb3 COLLATE=utf8mb3_general_ci COMMENT={}",
            self.name,
            lines.join(",\n"),
            quote(&self.comment)
        )
    }
}

/// A SQL string literal.
pub fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "''"))
}

fn truthy(v: Option<&str>) -> bool {
    matches!(v, Some("true") | Some("1"))
}

fn xsi_type<'a>(n: &roxmltree::Node<'a, '_>) -> Option<&'a str> {
    n.attribute((XSI, "type")).or_else(|| n.attribute("type"))
}

/// Render one `<column>` element; `None` for a disabled column.
pub fn column_definition(col: &roxmltree::Node<'_, '_>) -> Result<Option<Column>, String> {
    if truthy(col.attribute("disabled")) {
        return Ok(None);
    }
    let name = col
        .attribute("name")
        .ok_or("a <column> without name")?
        .to_string();
    let ty = xsi_type(col).ok_or_else(|| format!("column {name} without xsi:type"))?;
    let unsigned = truthy(col.attribute("unsigned"));
    let nullable = col
        .attribute("nullable")
        .map(|v| v == "true" || v == "1")
        .unwrap_or(true);
    let identity = truthy(col.attribute("identity")) || truthy(col.attribute("auto_increment"));
    let default = col.attribute("default");
    let on_update = truthy(col.attribute("on_update"));
    let padding = col.attribute("padding");

    let mut def = String::new();
    let mut default_sql: Option<String> = None;
    let int_default = |d: &str| -> Result<String, String> {
        d.trim()
            .parse::<i64>()
            .map(|i| i.to_string())
            .map_err(|_| format!("column {name}: integer default `{d}`"))
    };
    match ty {
        "int" | "smallint" | "tinyint" | "bigint" | "mediumint" => {
            let (u, s) = match ty {
                "int" => (10, 11),
                "smallint" => (5, 6),
                "tinyint" => (3, 4),
                "mediumint" => (8, 9),
                _ => (20, 20),
            };
            let width = padding
                .map(str::to_string)
                .unwrap_or_else(|| (if unsigned { u } else { s }).to_string());
            def.push_str(&format!("{ty}({width})"));
            if unsigned {
                def.push_str(" unsigned");
            }
            if let Some(d) = default {
                default_sql = Some(int_default(d)?);
            }
        }
        "boolean" => {
            def.push_str("tinyint(1)");
            if let Some(d) = default {
                default_sql = Some(if d == "true" || d == "1" {
                    "1".into()
                } else {
                    "0".into()
                });
            }
        }
        "varchar" | "varbinary" => {
            def.push_str(&format!(
                "{ty}({})",
                col.attribute("length").unwrap_or("255")
            ));
            if let Some(d) = default {
                default_sql = Some(quote(d));
            }
        }
        "text" | "mediumtext" | "longtext" | "blob" | "mediumblob" | "longblob" => {
            // MySQL refuses defaults on these; Magento never declares one that works.
            def.push_str(ty);
        }
        "decimal" | "float" | "double" | "real" => {
            let precision = col.attribute("precision");
            let scale = col.attribute("scale");
            let base = if ty == "real" { "double" } else { ty };
            match (ty, precision, scale) {
                ("decimal", p, s) => def.push_str(&format!(
                    "decimal({},{})",
                    p.unwrap_or("10"),
                    s.unwrap_or("0")
                )),
                (_, Some(p), s) => def.push_str(&format!("{base}({p},{})", s.unwrap_or("0"))),
                (_, None, _) => def.push_str(base),
            }
            if unsigned {
                def.push_str(" unsigned");
            }
            if let Some(d) = default {
                d.trim()
                    .parse::<f64>()
                    .map_err(|_| format!("column {name}: numeric default `{d}`"))?;
                default_sql = Some(d.trim().to_string());
            }
        }
        "date" | "datetime" | "timestamp" => {
            def.push_str(ty);
            default_sql = match default {
                Some(d) if d.eq_ignore_ascii_case("CURRENT_TIMESTAMP") => {
                    Some("CURRENT_TIMESTAMP".into())
                }
                Some("0") if ty == "date" => Some("'0000-00-00'".into()),
                Some("0") => Some("'0000-00-00 00:00:00'".into()),
                Some(d) if d.eq_ignore_ascii_case("null") => None,
                Some(d) => Some(quote(d)),
                None => None,
            };
        }
        "json" => def.push_str("longtext"),
        other => return Err(format!("column {name}: unsupported xsi:type `{other}`")),
    }
    def.push_str(if nullable { " NULL" } else { " NOT NULL" });
    match default_sql {
        Some(d) => def.push_str(&format!(" DEFAULT {d}")),
        None if nullable
            && !matches!(
                ty,
                "text" | "mediumtext" | "longtext" | "blob" | "mediumblob" | "longblob"
            ) =>
        {
            def.push_str(" DEFAULT NULL")
        }
        None => {}
    }
    if on_update {
        def.push_str(" ON UPDATE CURRENT_TIMESTAMP");
    }
    if identity {
        def.push_str(" AUTO_INCREMENT");
    }
    if let Some(c) = col.attribute("comment") {
        def.push_str(&format!(" COMMENT {}", quote(c)));
    }
    Ok(Some(Column {
        name,
        definition: def,
    }))
}

fn key_columns(n: &roxmltree::Node<'_, '_>) -> Result<String, String> {
    let cols: Vec<String> = n
        .children()
        .filter(|c| c.has_tag_name("column"))
        .map(|c| {
            c.attribute("name")
                .map(|s| format!("`{s}`"))
                .ok_or("a key <column> without name")
        })
        .collect::<Result<_, _>>()?;
    if cols.is_empty() {
        return Err("a key without columns".into());
    }
    Ok(cols.join(","))
}

/// Parse one `db_schema.xml` text; `source` names it for messages.
pub fn parse_schema(xml: &str, source: &str) -> Result<Vec<Table>, String> {
    let doc = roxmltree::Document::parse(xml).map_err(|e| format!("{source}: {e}"))?;
    let mut tables = Vec::new();
    for t in doc
        .root_element()
        .children()
        .filter(|n| n.has_tag_name("table"))
    {
        let name = t
            .attribute("name")
            .ok_or_else(|| format!("{source}: a <table> without name"))?;
        let err = |m: String| format!("{source}: table {name}: {m}");
        let mut table = Table {
            name: name.to_string(),
            columns: Vec::new(),
            keys: Vec::new(),
            comment: t.attribute("comment").unwrap_or("").to_string(),
            source: source.to_string(),
        };
        if truthy(t.attribute("disabled")) {
            table.columns.clear();
            table.source = format!("disabled in {source}");
            tables.push(table);
            continue;
        }
        for n in t.children().filter(|n| n.is_element()) {
            match n.tag_name().name() {
                "column" => {
                    if let Some(c) = column_definition(&n).map_err(err)? {
                        table.columns.push(c);
                    }
                }
                "constraint" if !truthy(n.attribute("disabled")) => {
                    let id = n.attribute("referenceId").unwrap_or("").to_string();
                    match xsi_type(&n) {
                        Some("primary") => table.keys.push((
                            id,
                            format!("PRIMARY KEY ({})", key_columns(&n).map_err(err)?),
                        )),
                        Some("unique") => table.keys.push((
                            id.clone(),
                            format!("UNIQUE KEY `{id}` ({})", key_columns(&n).map_err(err)?),
                        )),
                        // Foreign keys are deliberately not created (see the module comment).
                        Some("foreign") => {}
                        other => return Err(err(format!("unsupported constraint type {other:?}"))),
                    }
                }
                "index" if !truthy(n.attribute("disabled")) => {
                    let id = n.attribute("referenceId").unwrap_or("").to_string();
                    let kind = match n.attribute("indexType") {
                        Some("fulltext") => "FULLTEXT KEY",
                        _ => "KEY",
                    };
                    table.keys.push((
                        id.clone(),
                        format!("{kind} `{id}` ({})", key_columns(&n).map_err(err)?),
                    ));
                }
                _ => {}
            }
        }
        tables.push(table);
    }
    Ok(tables)
}

/// Merge a table declared again by another file into the list.
fn merge(into: &mut Vec<Table>, t: Table) {
    if t.source.starts_with("disabled in ") {
        into.retain(|x| x.name != t.name);
        return;
    }
    match into.iter_mut().find(|x| x.name == t.name) {
        None => into.push(t),
        Some(x) => {
            for c in t.columns {
                match x.columns.iter_mut().find(|y| y.name == c.name) {
                    Some(y) => *y = c,
                    None => x.columns.push(c),
                }
            }
            for (id, k) in t.keys {
                x.keys.retain(|(i, _)| i != &id);
                x.keys.push((id, k));
            }
            if !t.comment.is_empty() {
                x.comment = t.comment;
            }
            x.source = format!("{} + {}", x.source, t.source);
        }
    }
}

/// Every table of every `<module>/etc/db_schema.xml` under `reference`, sorted by module folder.
pub fn reference_tables(reference: &Path) -> Result<Vec<Table>, String> {
    let mut files: Vec<_> = std::fs::read_dir(reference)
        .map_err(|e| format!("{}: {e}", reference.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("etc/db_schema.xml"))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    let mut tables = Vec::new();
    for f in files {
        let xml = std::fs::read_to_string(&f).map_err(|e| format!("{}: {e}", f.display()))?;
        for t in parse_schema(&xml, &f.display().to_string())? {
            merge(&mut tables, t);
        }
    }
    Ok(tables)
}

fn hand(name: &str, comment: &str, columns: &[(&str, &str)], keys: &[&str]) -> Table {
    Table {
        name: name.into(),
        columns: columns
            .iter()
            .map(|(n, d)| Column {
                name: n.to_string(),
                definition: d.to_string(),
            })
            .collect(),
        keys: keys
            .iter()
            .map(|k| {
                (
                    k.split('`').nth(1).unwrap_or("PRIMARY").to_string(),
                    k.to_string(),
                )
            })
            .collect(),
        comment: comment.into(),
        source: "tests/it/lab/schema.rs (hand-written)".into(),
    }
}

/// Tables m2auth reads whose `db_schema.xml` is not in the reference folder.
pub fn hand_written_tables() -> Vec<Table> {
    vec![
        // Subset of Magento_Customer's customer_entity (magento-acl-schema.md §4).
        hand(
            "customer_entity",
            "Customer Entity",
            &[
                (
                    "entity_id",
                    "int(10) unsigned NOT NULL AUTO_INCREMENT COMMENT 'Entity ID'",
                ),
                (
                    "website_id",
                    "smallint(5) unsigned NULL DEFAULT NULL COMMENT 'Website ID'",
                ),
                ("email", "varchar(255) NULL DEFAULT NULL COMMENT 'Email'"),
                (
                    "group_id",
                    "smallint(5) unsigned NOT NULL DEFAULT 0 COMMENT 'Group ID'",
                ),
                (
                    "store_id",
                    "smallint(5) unsigned NULL DEFAULT 0 COMMENT 'Store ID'",
                ),
                (
                    "created_at",
                    "timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP COMMENT 'Created At'",
                ),
                (
                    "updated_at",
                    "timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP COMMENT 'Updated At'",
                ),
                (
                    "is_active",
                    "smallint(5) unsigned NOT NULL DEFAULT 1 COMMENT 'Is Active'",
                ),
                (
                    "firstname",
                    "varchar(255) NULL DEFAULT NULL COMMENT 'First Name'",
                ),
                (
                    "lastname",
                    "varchar(255) NULL DEFAULT NULL COMMENT 'Last Name'",
                ),
                (
                    "password_hash",
                    "varchar(128) NULL DEFAULT NULL COMMENT 'Password_hash'",
                ),
                (
                    "rp_token",
                    "varchar(128) NULL DEFAULT NULL COMMENT 'Reset password token'",
                ),
                (
                    "rp_token_created_at",
                    "datetime NULL DEFAULT NULL COMMENT 'Reset password token creation time'",
                ),
                (
                    "confirmation",
                    "varchar(64) NULL DEFAULT NULL COMMENT 'Is Confirmed'",
                ),
                (
                    "failures_num",
                    "smallint(6) NULL DEFAULT 0 COMMENT 'Failure Number'",
                ),
                (
                    "first_failure",
                    "timestamp NULL DEFAULT NULL COMMENT 'First Failure'",
                ),
                (
                    "lock_expires",
                    "timestamp NULL DEFAULT NULL COMMENT 'Lock Expiration Date'",
                ),
                (
                    "session_cutoff",
                    "timestamp NULL DEFAULT NULL COMMENT 'Session Cutoff Time'",
                ),
            ],
            &[
                "PRIMARY KEY (`entity_id`)",
                "UNIQUE KEY `CUSTOMER_ENTITY_EMAIL_WEBSITE_ID` (`email`,`website_id`)",
                "KEY `CUSTOMER_ENTITY_STORE_ID` (`store_id`)",
                "KEY `CUSTOMER_ENTITY_WEBSITE_ID` (`website_id`)",
            ],
        ),
        // Magento_Store's store_website, store_group, store (app/code/Magento/Store/etc/db_schema.xml).
        hand(
            "store_website",
            "Websites",
            &[
                (
                    "website_id",
                    "smallint(5) unsigned NOT NULL AUTO_INCREMENT COMMENT 'Website ID'",
                ),
                ("code", "varchar(32) NULL DEFAULT NULL COMMENT 'Code'"),
                (
                    "name",
                    "varchar(64) NULL DEFAULT NULL COMMENT 'Website Name'",
                ),
                (
                    "sort_order",
                    "smallint(5) unsigned NOT NULL DEFAULT 0 COMMENT 'Sort Order'",
                ),
                (
                    "default_group_id",
                    "smallint(5) unsigned NOT NULL DEFAULT 0 COMMENT 'Default Group ID'",
                ),
                (
                    "is_default",
                    "smallint(5) unsigned NULL DEFAULT 0 COMMENT 'Defines Is Website Default'",
                ),
            ],
            &[
                "PRIMARY KEY (`website_id`)",
                "UNIQUE KEY `STORE_WEBSITE_CODE` (`code`)",
                "KEY `STORE_WEBSITE_SORT_ORDER` (`sort_order`)",
                "KEY `STORE_WEBSITE_DEFAULT_GROUP_ID` (`default_group_id`)",
            ],
        ),
        hand(
            "store_group",
            "Store Groups",
            &[
                (
                    "group_id",
                    "smallint(5) unsigned NOT NULL AUTO_INCREMENT COMMENT 'Group ID'",
                ),
                (
                    "website_id",
                    "smallint(5) unsigned NOT NULL DEFAULT 0 COMMENT 'Website ID'",
                ),
                ("name", "varchar(255) NOT NULL COMMENT 'Store Group Name'"),
                (
                    "root_category_id",
                    "int(10) unsigned NOT NULL DEFAULT 0 COMMENT 'Root Category ID'",
                ),
                (
                    "default_store_id",
                    "smallint(5) unsigned NOT NULL DEFAULT 0 COMMENT 'Default Store ID'",
                ),
                (
                    "code",
                    "varchar(32) NULL DEFAULT NULL COMMENT 'Store group unique code'",
                ),
            ],
            &[
                "PRIMARY KEY (`group_id`)",
                "UNIQUE KEY `STORE_GROUP_CODE` (`code`)",
                "KEY `STORE_GROUP_WEBSITE_ID` (`website_id`)",
                "KEY `STORE_GROUP_DEFAULT_STORE_ID` (`default_store_id`)",
            ],
        ),
        hand(
            "store",
            "Stores",
            &[
                (
                    "store_id",
                    "smallint(5) unsigned NOT NULL AUTO_INCREMENT COMMENT 'Store ID'",
                ),
                ("code", "varchar(32) NULL DEFAULT NULL COMMENT 'Code'"),
                (
                    "website_id",
                    "smallint(5) unsigned NOT NULL DEFAULT 0 COMMENT 'Website ID'",
                ),
                (
                    "group_id",
                    "smallint(5) unsigned NOT NULL DEFAULT 0 COMMENT 'Group ID'",
                ),
                ("name", "varchar(255) NOT NULL COMMENT 'Store Name'"),
                (
                    "sort_order",
                    "smallint(5) unsigned NOT NULL DEFAULT 0 COMMENT 'Store Sort Order'",
                ),
                (
                    "is_active",
                    "smallint(5) unsigned NOT NULL DEFAULT 0 COMMENT 'Store Activity'",
                ),
            ],
            &[
                "PRIMARY KEY (`store_id`)",
                "UNIQUE KEY `STORE_CODE` (`code`)",
                "KEY `STORE_WEBSITE_ID` (`website_id`)",
                "KEY `STORE_IS_ACTIVE_SORT_ORDER` (`is_active`,`sort_order`)",
                "KEY `STORE_GROUP_ID` (`group_id`)",
            ],
        ),
    ]
}

/// Magento's standard rows of a fresh install (`Magento\Store\Setup\Patch\Schema\InitializeStoresAndWebsites`),
/// as `INSERT` statements for `prefix`. Needs `NO_AUTO_VALUE_ON_ZERO` for the id 0 rows.
pub fn standard_rows(prefix: &str) -> Vec<String> {
    vec![
        format!(
            "INSERT INTO `{prefix}store_website` (website_id, code, name, sort_order, default_group_id, is_default) VALUES \
             (0, 'admin', 'Admin', 0, 0, 0), (1, 'base', 'Main Website', 0, 1, 1)"
        ),
        format!(
            "INSERT INTO `{prefix}store_group` (group_id, website_id, name, root_category_id, default_store_id, code) VALUES \
             (0, 0, 'Default', 0, 0, 'default'), (1, 1, 'Main Website Store', 2, 1, 'main_website_store')"
        ),
        format!(
            "INSERT INTO `{prefix}store` (store_id, code, website_id, group_id, name, sort_order, is_active) VALUES \
             (0, 'admin', 0, 0, 'Admin', 0, 1), (1, 'default', 1, 1, 'Default Store View', 0, 1)"
        ),
    ]
}

/// The reference tables followed by the hand-written ones (a reference table wins by name).
pub fn all_tables(reference: &Path) -> Result<Vec<Table>, String> {
    let mut tables = reference_tables(reference)?;
    for t in hand_written_tables() {
        if !tables.iter().any(|x| x.name == t.name) {
            tables.push(t);
        }
    }
    Ok(tables)
}
