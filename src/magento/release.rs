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
}
