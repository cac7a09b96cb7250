//! Who the web server's PHP runs as: the files Magento writes at run time belong to it.
//!
//! In order: `--web-user USER[:GROUP]`; a php-fpm pool (`user`, `group`, else `listen.owner` /
//! `listen.group`) from the given pool files or folders, else the usual places
//! (`/etc/php/*/fpm/pool.d/*.conf`, `/etc/php-fpm.d/*.conf`, `/etc/php*/php-fpm.d/*.conf`,
//! `/usr/local/etc/php-fpm.d/*.conf`); Apache's `User`/`Group` (`${APACHE_RUN_USER}` read from
//! the `envvars` file beside the main configuration, as Debian's apache2ctl does); nginx's
//! `user USER [GROUP];`. Several pools: the first whose user is not root, by file name.

use std::path::{Path, PathBuf};

use super::users::{self, Named};
use crate::store::server::{Kind, Loaded, walk};

/// The web server's user and group, and where that was read.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct WebUser {
    pub user: Option<Named>,
    pub group: Option<Named>,
    /// `--web-user`, `php-fpm pool [www]`, `Apache User/Group`, `nginx user`.
    pub how: String,
    /// `file:line` of the directive, when read from a file.
    pub source: Option<String>,
}

/// Where php-fpm pools are read from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum PoolSources {
    #[default]
    Default,
    /// Files or folders of `*.conf` files.
    Given(Vec<PathBuf>),
}

const POOL_GLOBS: &[&str] = &[
    "/etc/php/*/fpm/pool.d/*.conf",
    "/etc/php-fpm.d/*.conf",
    "/etc/php*/php-fpm.d/*.conf",
    "/usr/local/etc/php-fpm.d/*.conf",
];

/// `USER[:GROUP]` as given on the command line; `None` with the name that is unknown.
pub fn given(spec: &str) -> Result<WebUser, String> {
    let (u, g) = match spec.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (spec, None),
    };
    let user = users::user(u).ok_or_else(|| format!("no user `{u}` on this system"))?;
    let group = match g {
        Some(g) => Some(users::group(g).ok_or_else(|| format!("no group `{g}` on this system"))?),
        None => users::primary_group(user.id).map(users::group_id),
    };
    Ok(WebUser {
        user: Some(user),
        group,
        how: "--web-user".into(),
        source: None,
    })
}

/// Detect the web server's user from php-fpm pools, then the server configuration.
pub fn detect(pools: &PoolSources, server: &Loaded) -> Option<WebUser> {
    from_pools(&pool_files(pools)).or_else(|| from_server(server))
}

fn pool_files(src: &PoolSources) -> Vec<PathBuf> {
    let mut files = Vec::new();
    match src {
        PoolSources::Default => {
            for g in POOL_GLOBS {
                if let Ok(paths) = glob::glob(g) {
                    files.extend(paths.flatten());
                }
            }
        }
        PoolSources::Given(paths) => {
            for p in paths {
                if p.is_dir() {
                    if let Ok(rd) = std::fs::read_dir(p) {
                        files.extend(
                            rd.flatten()
                                .map(|e| e.path())
                                .filter(|f| f.extension().is_some_and(|x| x == "conf")),
                        );
                    }
                } else {
                    files.push(p.clone());
                }
            }
        }
    }
    files.sort();
    files
}

/// One pool of a php-fpm configuration file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pool {
    pub name: String,
    /// (value, line) of each setting.
    pub user: Option<(String, u32)>,
    pub group: Option<(String, u32)>,
    pub listen_owner: Option<(String, u32)>,
    pub listen_group: Option<(String, u32)>,
}

/// The pools of a php-fpm ini file (`[name]` sections; `;` and `#` comments; `$pool`).
pub fn parse_pools(text: &str) -> Vec<Pool> {
    let mut pools: Vec<Pool> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with(';') || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            pools.push(Pool {
                name: name.trim().to_string(),
                ..Pool::default()
            });
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let Some(pool) = pools.last_mut() else {
            continue;
        };
        let v = v.split(';').next().unwrap_or("").trim().trim_matches('"');
        let v = v.replace("$pool", &pool.name);
        let at = Some((v, i as u32 + 1));
        match k.trim() {
            "user" => pool.user = at,
            "group" => pool.group = at,
            "listen.owner" => pool.listen_owner = at,
            "listen.group" => pool.listen_group = at,
            _ => {}
        }
    }
    pools.retain(|p| p.name != "global");
    pools
}

fn from_pools(files: &[PathBuf]) -> Option<WebUser> {
    let mut candidates = Vec::new();
    for f in files {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        for p in parse_pools(&text) {
            let (user, line) = match (&p.user, &p.listen_owner) {
                (Some(u), _) => u.clone(),
                (None, Some(o)) => o.clone(),
                (None, None) => continue,
            };
            let group = p.group.clone().or(p.listen_group.clone()).map(|g| g.0);
            candidates.push((f.clone(), p.name.clone(), user, group, line));
        }
    }
    let pick = candidates
        .iter()
        .find(|c| c.2 != "root")
        .or(candidates.first())?;
    let (file, name, user, group, line) = pick.clone();
    // A user this system does not know is left out (its files cannot be told apart).
    let user_named = users::user(&user);
    let group = match group {
        Some(g) => users::group(&g),
        None => user_named
            .as_ref()
            .and_then(|u| users::primary_group(u.id))
            .map(users::group_id),
    };
    Some(WebUser {
        user: user_named,
        group,
        how: format!("php-fpm pool [{name}]"),
        source: Some(format!("{}:{line}", file.display())),
    })
}

/// `${VAR}` from Debian's `envvars` (`export VAR=value`) beside the main file.
fn apache_var(main: &Path, value: &str) -> String {
    let Some(var) = value.strip_prefix("${").and_then(|v| v.strip_suffix('}')) else {
        return value.to_string();
    };
    let dir = if main.is_dir() {
        main
    } else {
        main.parent().unwrap_or(Path::new("/"))
    };
    let text = std::fs::read_to_string(dir.join("envvars")).unwrap_or_default();
    for line in text.lines() {
        let l = line.trim().trim_start_matches("export ").trim();
        if let Some(v) = l.strip_prefix(var).and_then(|r| r.strip_prefix('=')) {
            return v.trim().trim_matches(['"', '\'']).to_string();
        }
    }
    value.to_string()
}

fn from_server(server: &Loaded) -> Option<WebUser> {
    for cfg in &server.configs {
        let mut user = None;
        let mut group = None;
        for n in walk(&cfg.nodes) {
            match cfg.kind {
                Kind::Apache if n.is("User") && n.block.is_none() => {
                    user = n.arg(0).map(|a| (apache_var(&cfg.main, a), n.place()))
                }
                Kind::Apache if n.is("Group") && n.block.is_none() => {
                    group = n.arg(0).map(|a| apache_var(&cfg.main, a))
                }
                Kind::Nginx if n.is("user") && n.block.is_none() => {
                    user = n.arg(0).map(|a| (a.to_string(), n.place()));
                    group = n.arg(1).map(str::to_string);
                }
                _ => {}
            }
        }
        let Some((u, place)) = user else { continue };
        let user = users::user(&u);
        let group = match group {
            Some(g) => users::group(&g),
            None => user
                .as_ref()
                .and_then(|u| users::primary_group(u.id))
                .map(users::group_id),
        };
        return Some(WebUser {
            user,
            group,
            how: match cfg.kind {
                Kind::Apache => "Apache User/Group".into(),
                Kind::Nginx => "nginx user".into(),
            },
            source: Some(place),
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pools() {
        let text = "[global]\npid = /run/php.pid\n\n[www]\n; user = nobody\nuser = www-data\ngroup = www-data\nlisten.owner = nginx ; the socket\n[$pool-b]\nlisten.owner = x_$pool\n";
        let p = parse_pools(text);
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].name, "www");
        assert_eq!(p[0].user, Some(("www-data".into(), 6)));
        assert_eq!(p[0].listen_owner, Some(("nginx".into(), 8)));
        assert_eq!(p[1].user, None);
    }
}
