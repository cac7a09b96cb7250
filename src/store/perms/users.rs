//! User and group names ↔ ids through the system's user database (`getpwnam_r` & co, so NSS
//! sources such as LDAP count as the system sees them). No crate in the project's set does this;
//! the four calls are small.

use std::ffi::{CStr, CString};

/// A user or group: its id and, when known, its name.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Named {
    pub id: u32,
    pub name: Option<String>,
}

impl Named {
    /// `www-data (33)`, or `uid 1234` / `gid 1234` for an id without a name.
    pub fn show(&self, what: &str) -> String {
        match &self.name {
            Some(n) => format!("{n} ({})", self.id),
            None => format!("{what} {}", self.id),
        }
    }
}

const BUF: usize = 16 * 1024;

/// A user by name, or by number (`1000`).
pub fn user(name: &str) -> Option<Named> {
    if let Ok(id) = name.parse::<u32>() {
        return Some(Named {
            id,
            name: user_name(id),
        });
    }
    let c = CString::new(name).ok()?;
    let mut pw: libc::passwd = unsafe { std::mem::zeroed() };
    let mut buf = vec![0 as libc::c_char; BUF];
    let mut out: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the call; `buf` outlives `pw`'s use.
    let rc = unsafe { libc::getpwnam_r(c.as_ptr(), &mut pw, buf.as_mut_ptr(), BUF, &mut out) };
    (rc == 0 && !out.is_null()).then(|| Named {
        id: pw.pw_uid,
        name: Some(name.to_string()),
    })
}

/// A user's primary group.
pub fn primary_group(uid: u32) -> Option<u32> {
    let mut pw: libc::passwd = unsafe { std::mem::zeroed() };
    let mut buf = vec![0 as libc::c_char; BUF];
    let mut out: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: as in `user`.
    let rc = unsafe { libc::getpwuid_r(uid, &mut pw, buf.as_mut_ptr(), BUF, &mut out) };
    (rc == 0 && !out.is_null()).then_some(pw.pw_gid)
}

/// A user's name.
pub fn user_name(uid: u32) -> Option<String> {
    let mut pw: libc::passwd = unsafe { std::mem::zeroed() };
    let mut buf = vec![0 as libc::c_char; BUF];
    let mut out: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: as in `user`; pw_name points into `buf`, copied before it is dropped.
    let rc = unsafe { libc::getpwuid_r(uid, &mut pw, buf.as_mut_ptr(), BUF, &mut out) };
    if rc != 0 || out.is_null() || pw.pw_name.is_null() {
        return None;
    }
    Some(
        unsafe { CStr::from_ptr(pw.pw_name) }
            .to_string_lossy()
            .into_owned(),
    )
}

/// A group by name, or by number.
pub fn group(name: &str) -> Option<Named> {
    if let Ok(id) = name.parse::<u32>() {
        return Some(Named {
            id,
            name: group_name(id),
        });
    }
    let c = CString::new(name).ok()?;
    let mut gr: libc::group = unsafe { std::mem::zeroed() };
    let mut buf = vec![0 as libc::c_char; BUF];
    let mut out: *mut libc::group = std::ptr::null_mut();
    // SAFETY: as in `user`.
    let rc = unsafe { libc::getgrnam_r(c.as_ptr(), &mut gr, buf.as_mut_ptr(), BUF, &mut out) };
    (rc == 0 && !out.is_null()).then(|| Named {
        id: gr.gr_gid,
        name: Some(name.to_string()),
    })
}

/// A group's name.
pub fn group_name(gid: u32) -> Option<String> {
    let mut gr: libc::group = unsafe { std::mem::zeroed() };
    let mut buf = vec![0 as libc::c_char; BUF];
    let mut out: *mut libc::group = std::ptr::null_mut();
    // SAFETY: as in `user_name`.
    let rc = unsafe { libc::getgrgid_r(gid, &mut gr, buf.as_mut_ptr(), BUF, &mut out) };
    if rc != 0 || out.is_null() || gr.gr_name.is_null() {
        return None;
    }
    Some(
        unsafe { CStr::from_ptr(gr.gr_name) }
            .to_string_lossy()
            .into_owned(),
    )
}

/// A user by id, with its name.
pub fn user_id(uid: u32) -> Named {
    Named {
        id: uid,
        name: user_name(uid),
    }
}

/// A group by id, with its name.
pub fn group_id(gid: u32) -> Named {
    Named {
        id: gid,
        name: group_name(gid),
    }
}

/// The effective user id of this process.
pub fn euid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// Every group a user is in: its primary group and the supplementary ones (`getgrouplist`).
pub fn groups_of(user: &Named) -> Vec<u32> {
    let Some(primary) = primary_group(user.id) else {
        return Vec::new();
    };
    let Some(name) = user.name.clone().or_else(|| user_name(user.id)) else {
        return vec![primary];
    };
    let Ok(c) = CString::new(name) else {
        return vec![primary];
    };
    let mut n: libc::c_int = 64;
    loop {
        let mut groups = vec![0 as libc::gid_t; n as usize];
        let want = n;
        // SAFETY: `groups` holds `n` entries; getgrouplist writes at most that many and sets `n`.
        let rc = unsafe { libc::getgrouplist(c.as_ptr(), primary, groups.as_mut_ptr(), &mut n) };
        if rc >= 0 {
            groups.truncate(n.max(0) as usize);
            return groups;
        }
        if n <= want {
            // Nothing to grow to: give up with the primary group.
            return vec![primary];
        }
    }
}
