//! Magento release numbers (`2.4.7`, `2.4.7-p3`, `2.4.8-beta1`) and comparisons between them.

use std::cmp::Ordering;

/// A parsed release: major.minor.patch, the `-pN` security patch, and any other suffix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
    /// `N` of `-pN`.
    pub security_patch: u32,
    /// A pre-release suffix (`beta1`, `alpha`): sorts before the release.
    pub pre: Option<String>,
}

impl ReleaseVersion {
    pub fn parse(s: &str) -> Option<ReleaseVersion> {
        let s = s.trim().trim_start_matches(['v', 'V']);
        let (nums, suffix) = match s.split_once('-') {
            Some((n, rest)) => (n, Some(rest)),
            None => (s, None),
        };
        let mut it = nums.split('.');
        let major = it.next()?.parse().ok()?;
        let minor = it.next()?.parse().ok()?;
        let patch = it.next().unwrap_or("0").parse().ok()?;
        let (security_patch, pre) = match suffix {
            Some(p) if p.starts_with('p') && p[1..].parse::<u32>().is_ok() => {
                (p[1..].parse().ok()?, None)
            }
            Some(other) => (0, Some(other.to_string())),
            None => (0, None),
        };
        Some(ReleaseVersion {
            major,
            minor,
            patch,
            security_patch,
            pre,
        })
    }

    /// The Magento Open Source release a Mage-OS release is built on, for comparisons with
    /// Magento's own release numbers: Mage-OS 1.0.x follows Magento 2.4.7, 1.1 and later follow
    /// 2.4.8 (Mage-OS release notes). Used as a lower bound only.
    pub fn mage_os_upstream(&self) -> ReleaseVersion {
        let patch = if self.major == 1 && self.minor == 0 {
            7
        } else {
            8
        };
        ReleaseVersion {
            major: 2,
            minor: 4,
            patch,
            security_patch: 0,
            pre: None,
        }
    }

    /// Whether this release is at least `major.minor.patch` (pre-releases of it count as it).
    pub fn at_least(&self, major: u32, minor: u32, patch: u32) -> bool {
        (self.major, self.minor, self.patch) >= (major, minor, patch)
    }
}

impl PartialOrd for ReleaseVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ReleaseVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch, self.security_patch)
            .cmp(&(other.major, other.minor, other.patch, other.security_patch))
            .then_with(|| match (&self.pre, &other.pre) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(a), Some(b)) => a.cmp(b),
            })
    }
}

/// The day [`NEWEST_PATCHES`] and [`AUTH_BULLETINS`] were last checked against Adobe's security
/// bulletins (helpx.adobe.com/security/products/magento.html). Update the three together.
pub const PATCHES_CHECKED: &str = "2026-12-07";

/// The newest security patch of each release line still patched, as of [`PATCHES_CHECKED`]:
/// the fixed versions of APSB26-49 (2026-05-12, released with 2.4.9), the newest bulletin
/// found that day. 2.4.4 and 2.4.5 get patches for Adobe Commerce only (`commerce_only`).
/// Lines before 2.4.4 get no patches at all.
pub const NEWEST_PATCHES: &[PatchLine] = &[
    PatchLine {
        line: (2, 4, 9),
        newest: "2.4.9",
        commerce_only: false,
    },
    PatchLine {
        line: (2, 4, 8),
        newest: "2.4.8-p5",
        commerce_only: false,
    },
    PatchLine {
        line: (2, 4, 7),
        newest: "2.4.7-p10",
        commerce_only: false,
    },
    PatchLine {
        line: (2, 4, 6),
        newest: "2.4.6-p15",
        commerce_only: false,
    },
    PatchLine {
        line: (2, 4, 5),
        newest: "2.4.5-p17",
        commerce_only: true,
    },
    PatchLine {
        line: (2, 4, 4),
        newest: "2.4.4-p18",
        commerce_only: true,
    },
];

/// A release line and its newest security patch.
#[derive(Debug, Clone, Copy)]
pub struct PatchLine {
    pub line: (u32, u32, u32),
    pub newest: &'static str,
    /// Patched for Adobe Commerce only: Magento Open Source on this line gets no more fixes.
    pub commerce_only: bool,
}

/// Security bulletins that fixed authentication or token flaws, with the first fixed release of
/// each line (checked on [`PATCHES_CHECKED`]).
pub const AUTH_BULLETINS: &[Bulletin] = &[
    Bulletin {
        id: "APSB24-40",
        what: "CVE-2024-34102 \"CosmicSting\": an XML entity reads app/etc/env.php, whose crypt key lets anyone sign admin API tokens",
        fixed: &["2.4.7-p1", "2.4.6-p6", "2.4.5-p8", "2.4.4-p9"],
    },
    Bulletin {
        id: "APSB25-88",
        what: "CVE-2025-54236 \"SessionReaper\": REST API input validation, customer session takeover",
        fixed: &[
            "2.4.8-p3",
            "2.4.7-p8",
            "2.4.6-p13",
            "2.4.5-p15",
            "2.4.4-p16",
        ],
    },
    Bulletin {
        id: "APSB26-49",
        what: "security feature bypass (authentication and access controls) among others",
        fixed: &[
            "2.4.9",
            "2.4.8-p5",
            "2.4.7-p10",
            "2.4.6-p15",
            "2.4.5-p17",
            "2.4.4-p18",
        ],
    },
];

/// An Adobe security bulletin and the first release of each line that has its fixes.
#[derive(Debug, Clone, Copy)]
pub struct Bulletin {
    pub id: &'static str,
    pub what: &'static str,
    pub fixed: &'static [&'static str],
}

impl Bulletin {
    /// Whether `v` lacks this bulletin's fixes: older than the fixed release of its line, or on a
    /// line older than every fixed one (no patch at all).
    pub fn affects(&self, v: &ReleaseVersion) -> bool {
        let fixed: Vec<ReleaseVersion> = self
            .fixed
            .iter()
            .filter_map(|f| ReleaseVersion::parse(f))
            .collect();
        let line = (v.major, v.minor, v.patch);
        if let Some(f) = fixed.iter().find(|f| (f.major, f.minor, f.patch) == line) {
            return v < f;
        }
        fixed.iter().all(|f| line < (f.major, f.minor, f.patch))
    }
}

/// Where `v` stands against [`NEWEST_PATCHES`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatchStatus {
    /// At (or past) the newest patch of its line.
    Current,
    /// Behind the newest patch of its line.
    Behind {
        newest: &'static str,
        commerce_only: bool,
    },
    /// The line gets no security patches any more (older than every line in the table).
    Unsupported,
    /// A line newer than the table knows (the table is older than the release).
    Unknown,
}

pub fn patch_status(v: &ReleaseVersion) -> PatchStatus {
    let line = (v.major, v.minor, v.patch);
    if let Some(p) = NEWEST_PATCHES.iter().find(|p| p.line == line) {
        let newest = ReleaseVersion::parse(p.newest).expect("a release number");
        return if *v >= newest {
            PatchStatus::Current
        } else {
            PatchStatus::Behind {
                newest: p.newest,
                commerce_only: p.commerce_only,
            }
        };
    }
    if NEWEST_PATCHES.iter().all(|p| line < p.line) {
        PatchStatus::Unsupported
    } else {
        PatchStatus::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_orders() {
        let a = ReleaseVersion::parse("2.4.7-p3").unwrap();
        assert_eq!((a.major, a.minor, a.patch, a.security_patch), (2, 4, 7, 3));
        assert!(a > ReleaseVersion::parse("2.4.7").unwrap());
        assert!(
            ReleaseVersion::parse("2.4.8-beta1").unwrap() < ReleaseVersion::parse("2.4.8").unwrap()
        );
        assert!(a.at_least(2, 4, 7) && !a.at_least(2, 4, 8));
        assert!(ReleaseVersion::parse("dev-main").is_none());
        assert!(
            ReleaseVersion::parse("1.0.4")
                .unwrap()
                .mage_os_upstream()
                .at_least(2, 4, 7)
        );
    }

    #[test]
    fn patch_table_and_bulletins() {
        let v = |s: &str| ReleaseVersion::parse(s).unwrap();
        assert_eq!(patch_status(&v("2.4.7-p10")), PatchStatus::Current);
        assert!(matches!(
            patch_status(&v("2.4.7-p3")),
            PatchStatus::Behind {
                newest: "2.4.7-p10",
                ..
            }
        ));
        assert_eq!(patch_status(&v("2.3.7-p4")), PatchStatus::Unsupported);
        assert_eq!(patch_status(&v("2.5.0")), PatchStatus::Unknown);
        let cosmic = &AUTH_BULLETINS[0];
        assert!(cosmic.affects(&v("2.4.7")) && !cosmic.affects(&v("2.4.7-p1")));
        assert!(cosmic.affects(&v("2.4.3-p3")) && !cosmic.affects(&v("2.4.8")));
        for b in AUTH_BULLETINS {
            assert!(b.fixed.iter().all(|f| ReleaseVersion::parse(f).is_some()));
        }
    }
}
