//! m2auth's own steps among a diagnosis' fixes: the `m2auth acl:grant …`, `m2auth
//! admin:user:unlock …`, `m2auth integration:activate …` (and, once m2auth cleans caches,
//! `m2auth cache:clean …`) that findings propose. `fix --apply` carries them out (each journaled
//! by the command itself) instead of listing them as manual steps.
//!
//! They are recognised by their command line, the one the finding shows the user: what `fix`
//! runs is exactly what the report says, and a check needs nothing more to make its fix
//! automatic than to propose an m2auth command.

use serde::Serialize;

use super::acl_grant::GrantTarget;
use crate::findings::Code;

/// One step m2auth carries out itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnStep {
    Grant {
        target: GrantTarget,
        resources: Vec<String>,
    },
    Unlock {
        user: String,
    },
    Activate {
        integration: String,
    },
    /// The hook for `m2auth cache:clean TYPE…`: recognised, not yet automated
    /// ([`OwnStep::automated`]); until then it stays a manual step.
    CacheClean {
        types: Vec<String>,
    },
}

impl OwnStep {
    /// The step from an m2auth command line (`m2auth acl:grant --integration 'ERP' --resource
    /// X --apply`); `None` for any other command, and for placeholders (`NAME`, role 0).
    pub fn parse(command: &str) -> Option<OwnStep> {
        let words = shell_words::split(command).ok()?;
        let (bin, rest) = words.split_first()?;
        if bin != "m2auth" {
            return None;
        }
        let (cmd, args) = rest.split_first()?;
        let args: Vec<&str> = args
            .iter()
            .map(String::as_str)
            .filter(|a| *a != "--apply")
            .collect();
        let placeholder = |s: &str| s.is_empty() || s == "NAME" || s.starts_with('<');
        match cmd.as_str() {
            "admin:user:unlock" => match args.as_slice() {
                [user] if !placeholder(user) => Some(OwnStep::Unlock {
                    user: user.to_string(),
                }),
                _ => None,
            },
            "integration:activate" => match args.as_slice() {
                [name] if !placeholder(name) => Some(OwnStep::Activate {
                    integration: name.to_string(),
                }),
                _ => None,
            },
            "cache:clean" if args.iter().all(|a| !a.starts_with('-')) => {
                Some(OwnStep::CacheClean {
                    types: args.iter().map(|a| a.to_string()).collect(),
                })
            }
            "acl:grant" => {
                let mut target = None;
                let mut resources = Vec::new();
                let mut it = args.iter();
                while let Some(a) = it.next() {
                    let (name, value) = match a.split_once('=') {
                        Some((n, v)) => (n, v.to_string()),
                        None => (*a, it.next()?.to_string()),
                    };
                    match name {
                        "--integration" if !placeholder(&value) => {
                            target = Some(GrantTarget::Integration(value))
                        }
                        "--admin-user" if !placeholder(&value) => {
                            target = Some(GrantTarget::AdminUser(value))
                        }
                        "--role" => match value.parse::<i64>() {
                            Ok(id) if id > 0 => target = Some(GrantTarget::Role(id)),
                            _ => return None,
                        },
                        // `--resource <Resource_Id>`: a step for the user to complete.
                        "--resource" if placeholder(&value) => return None,
                        "--resource" => resources.push(value),
                        _ => return None,
                    }
                }
                (!resources.is_empty()).then_some(OwnStep::Grant {
                    target: target?,
                    resources,
                })
            }
            _ => None,
        }
    }

    /// Whether `fix --apply` carries it out today (cache cleaning: not until m2auth cleans
    /// caches; then flip it here and run it in `app::fix`).
    pub fn automated(&self) -> bool {
        !matches!(self, OwnStep::CacheClean { .. })
    }

    /// The command line m2auth runs it as (recorded in its journal entry).
    pub fn argv(&self) -> Vec<String> {
        let mut v = vec!["m2auth".to_string()];
        match self {
            OwnStep::Grant { target, resources } => {
                v.push("acl:grant".into());
                match target {
                    GrantTarget::Integration(n) => v.extend(["--integration".into(), n.clone()]),
                    GrantTarget::AdminUser(n) => v.extend(["--admin-user".into(), n.clone()]),
                    GrantTarget::Role(id) => v.extend(["--role".into(), id.to_string()]),
                }
                for r in resources {
                    v.extend(["--resource".into(), r.clone()]);
                }
            }
            OwnStep::Unlock { user } => v.extend(["admin:user:unlock".into(), user.clone()]),
            OwnStep::Activate { integration } => {
                v.extend(["integration:activate".into(), integration.clone()])
            }
            OwnStep::CacheClean { types } => {
                v.push("cache:clean".into());
                v.extend(types.iter().cloned());
            }
        }
        v.push("--apply".into());
        v
    }
}

/// A step of m2auth's own in the plan of `fix`: the findings it fixes and the command.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OwnFix {
    /// The findings it fixes (one step may fix several: a lock and the token throttle).
    pub codes: Vec<Code>,
    pub summary: String,
    /// The command line, as the user would type it.
    pub command: String,
    #[serde(skip)]
    pub step: OwnStep,
}

impl OwnFix {
    pub fn new(code: Code, summary: &str, step: OwnStep) -> OwnFix {
        OwnFix {
            codes: vec![code],
            summary: summary.to_string(),
            command: shell_words::join(step.argv()),
            step,
        }
    }
}

/// What carrying out one [`OwnFix`] did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OwnDone {
    pub command: String,
    /// The journal entry it wrote (`None`: nothing needed changing, or it failed).
    pub journal: Option<String>,
    /// What happened, one line (the command's note, or why it failed).
    pub note: String,
    pub ok: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_commands_findings_propose() {
        assert_eq!(
            OwnStep::parse(
                "m2auth acl:grant --integration 'ERP Connector' --resource Magento_Catalog::products --resource Magento_Sales::sales --apply"
            ),
            Some(OwnStep::Grant {
                target: GrantTarget::Integration("ERP Connector".into()),
                resources: vec![
                    "Magento_Catalog::products".into(),
                    "Magento_Sales::sales".into()
                ],
            })
        );
        assert_eq!(
            OwnStep::parse("m2auth acl:grant --role 3 --resource A::b --apply"),
            Some(OwnStep::Grant {
                target: GrantTarget::Role(3),
                resources: vec!["A::b".into()],
            })
        );
        assert_eq!(
            OwnStep::parse("m2auth acl:grant --integration ERP --resource '<Resource_Id>'"),
            None
        );
        assert_eq!(
            OwnStep::parse("m2auth acl:grant --role 0 --resource A::b"),
            None
        );
        assert_eq!(
            OwnStep::parse("m2auth admin:user:unlock jane"),
            Some(OwnStep::Unlock {
                user: "jane".into()
            })
        );
        assert_eq!(
            OwnStep::parse("m2auth integration:activate 'ERP' --apply"),
            Some(OwnStep::Activate {
                integration: "ERP".into()
            })
        );
        assert_eq!(
            OwnStep::parse("m2auth integration:activate NAME --apply"),
            None
        );
        assert!(
            !OwnStep::parse("m2auth cache:clean config")
                .unwrap()
                .automated()
        );
        for other in [
            "bin/magento admin:user:unlock jane",
            "m2auth admin:user:change-password --username=jane",
            "m2auth oauth:sign --request 'GET /x' --oauth K,S,T,TS",
            "m2auth integration:show ERP",
            "DELETE FROM oauth_token_request_log;",
        ] {
            assert_eq!(OwnStep::parse(other), None, "{other}");
        }
        let step =
            OwnStep::parse("m2auth acl:grant --admin-user 'jane d' --resource A::b").unwrap();
        assert_eq!(OwnStep::parse(&shell_words::join(step.argv())), Some(step));
    }
}
