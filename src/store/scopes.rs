//! Websites, store groups and store views (tables `store_website`, `store_group`, `store`), or,
//! without a database, the `scopes` section that `app:config:dump` writes into config.php/env.php.

use crate::store::db::{Database, DbError, Row};
use crate::store::envphp::Document;

#[derive(Debug, Clone, PartialEq)]
pub struct Website {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub default_group_id: Option<i64>,
    pub is_default: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoreView {
    pub id: i64,
    pub code: String,
    pub website_id: i64,
    pub group_id: i64,
    pub name: String,
    pub is_active: bool,
}

/// Where the scopes were read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopesSource {
    Db,
    ConfigFile,
    None,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Scopes {
    pub websites: Vec<Website>,
    pub stores: Vec<StoreView>,
    pub source: ScopesSource,
}

impl Scopes {
    pub fn empty() -> Scopes {
        Scopes {
            websites: Vec::new(),
            stores: Vec::new(),
            source: ScopesSource::None,
        }
    }

    /// From the store tables. An empty `store` table is read as it is.
    pub fn from_db(db: &dyn Database) -> Result<Scopes, DbError> {
        let websites = db
            .rows("store_website", &[])?
            .iter()
            .filter_map(|r| {
                Some(Website {
                    id: r.int("website_id")?,
                    code: r.text("code").unwrap_or_default(),
                    name: r.text("name").unwrap_or_default(),
                    default_group_id: r.int("default_group_id"),
                    is_default: r.int("is_default") == Some(1),
                })
            })
            .collect();
        let stores = db
            .rows("store", &[])?
            .iter()
            .filter_map(store_from_row)
            .collect();
        Ok(Scopes {
            websites,
            stores,
            source: ScopesSource::Db,
        })
    }

    /// From the `scopes` section of config.php/env.php (written by `app:config:dump`), env.php
    /// winning. `None` when neither file has one.
    pub fn from_files(files: &[&Document]) -> Option<Scopes> {
        let mut scopes = Scopes {
            websites: Vec::new(),
            stores: Vec::new(),
            source: ScopesSource::ConfigFile,
        };
        let mut found = false;
        for doc in files {
            if let Some(ws) = doc.get("scopes/websites").and_then(|v| v.as_array()) {
                found = true;
                for e in ws.iter() {
                    let Some(a) = e.value.as_array() else {
                        continue;
                    };
                    let get = |k: &str| a.get(k).and_then(|v| v.as_string());
                    let Some(id) = a.get("website_id").and_then(|v| v.as_int()) else {
                        continue;
                    };
                    scopes.websites.retain(|w| w.id != id);
                    scopes.websites.push(Website {
                        id,
                        code: get("code").unwrap_or_else(|| e.key.as_segment()),
                        name: get("name").unwrap_or_default(),
                        default_group_id: a.get("default_group_id").and_then(|v| v.as_int()),
                        is_default: a.get("is_default").and_then(|v| v.as_int()) == Some(1),
                    });
                }
            }
            if let Some(ss) = doc.get("scopes/stores").and_then(|v| v.as_array()) {
                found = true;
                for e in ss.iter() {
                    let Some(a) = e.value.as_array() else {
                        continue;
                    };
                    let get = |k: &str| a.get(k).and_then(|v| v.as_string());
                    let int = |k: &str| a.get(k).and_then(|v| v.as_int());
                    let Some(id) = int("store_id") else { continue };
                    scopes.stores.retain(|s| s.id != id);
                    scopes.stores.push(StoreView {
                        id,
                        code: get("code").unwrap_or_else(|| e.key.as_segment()),
                        website_id: int("website_id").unwrap_or(0),
                        group_id: int("group_id").unwrap_or(0),
                        name: get("name").unwrap_or_default(),
                        is_active: int("is_active").unwrap_or(1) == 1,
                    });
                }
            }
        }
        found.then_some(scopes)
    }

    pub fn store_by_code(&self, code: &str) -> Option<&StoreView> {
        self.stores.iter().find(|s| s.code == code)
    }

    pub fn store(&self, id: i64) -> Option<&StoreView> {
        self.stores.iter().find(|s| s.id == id)
    }

    pub fn website(&self, id: i64) -> Option<&Website> {
        self.websites.iter().find(|w| w.id == id)
    }

    /// The store view Magento uses for `/rest/V1/…` without a store code: the default store of
    /// the default group of the default website; `default` when the tables do not say.
    pub fn default_store(&self) -> Option<&StoreView> {
        let website = self.websites.iter().find(|w| w.is_default);
        website
            .and_then(|w| {
                self.stores
                    .iter()
                    .find(|s| s.website_id == w.id && Some(s.group_id) == w.default_group_id)
            })
            .or_else(|| self.store_by_code("default"))
            .or_else(|| self.stores.iter().find(|s| s.id != 0))
    }

    /// Store codes, admin (id 0) included, in id order.
    pub fn codes(&self) -> Vec<String> {
        let mut v: Vec<&StoreView> = self.stores.iter().collect();
        v.sort_by_key(|s| s.id);
        v.into_iter().map(|s| s.code.clone()).collect()
    }
}

fn store_from_row(r: &Row) -> Option<StoreView> {
    Some(StoreView {
        id: r.int("store_id")?,
        code: r.text("code").unwrap_or_default(),
        website_id: r.int("website_id").unwrap_or(0),
        group_id: r.int("group_id").unwrap_or(0),
        name: r.text("name").unwrap_or_default(),
        is_active: r.int("is_active").unwrap_or(1) == 1,
    })
}
