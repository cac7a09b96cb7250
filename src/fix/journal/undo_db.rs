//! Undo of database changes: the plan of undoing an entry, and [`Journal::undo`], which
//! checks every row is still as the entry left it and applies the inverse of each change in
//! one transaction (re-inserting deleted rows with their ids, unsealing sealed values).

use std::fs;

use crate::fix::{Conflict, FixError, Plan, Step, sql_literal};
use crate::mask::{looks_secret, mask};
use crate::store::db::write::{Change, Operation, Stored, WriteSession};
use crate::store::db::{Row, SqlValue};
use crate::store::secrets::Sealer;

use super::Journal;
use super::entry::{
    Entry, EntryMeta, Listed, SEALED_PREFIX, UndoOptions, UndoOutcome, database_ref, digest,
    is_redacted, is_sealed, marked_undone, new_entry, redact_entry, same_server,
};
use super::store::{commit_surely_failed, rewrite};

impl Journal {
    /// Undo `target` through `session` (which must not have a transaction open yet).
    ///
    /// Refused when the entry was already undone, when it was written for another database
    /// (server — host and port, or socket —, name or table prefix; `force` does not override
    /// this), and — unless `force` — when any row is no longer as the entry left
    /// it ([`FixError::Conflict`] names each such row). Either everything is undone, or nothing.
    pub fn undo(
        &self,
        mut session: WriteSession,
        target: &Listed,
        opts: &UndoOptions,
    ) -> Result<UndoOutcome, FixError> {
        let entry = &target.entry;
        if let Some(u) = &entry.undone {
            return Err(FixError::AlreadyUndone {
                id: entry.id.clone(),
                at: u.at.clone(),
            });
        }
        // Rows an entry re-inserts are as dangerous as files it writes (an admin user).
        self.check_trusted(&target.path)?;
        let here = database_ref(session.params());
        let Some(there) = &entry.database else {
            return Err(FixError::Refused(format!(
                "internal: journal entry {} changed no database",
                entry.id
            )));
        };
        if !same_server(&here, there)
            || here.name != there.name
            || here.table_prefix != there.table_prefix
        {
            return Err(FixError::Refused(format!(
                "journal entry {} changed database `{}` (table prefix `{}`) on {}, but this run writes to database `{}` (table prefix `{}`) on {}: an entry is only undone on the database it changed (--force does not override this)",
                entry.id,
                there.name,
                there.table_prefix,
                there.server(),
                here.name,
                here.table_prefix,
                here.server()
            )));
        }
        session.begin()?;
        let mut conflicts = Vec::new();
        for change in entry.changes.iter().rev() {
            undo_change(
                &mut session,
                change,
                &entry.redacted,
                opts.sealer.as_ref(),
                opts.force,
                &mut conflicts,
            )?;
        }
        // An undo of this entry that was interrupted (killed between its journal entry and the
        // mark on this one): its entry is there, this one is not marked undone.
        let interrupted = self
            .list()?
            .into_iter()
            .find(|l| l.entry.undoes.as_deref() == Some(entry.id.as_str()));
        if !conflicts.is_empty() && !opts.force {
            session.rollback()?;
            if let Some(u) = interrupted {
                // The rows are no longer as this entry left them and an undo of it was under
                // way: that undo committed before the kill. Finish it: mark this entry.
                let marked = marked_undone(entry, &u.entry, false);
                rewrite(&target.path, &marked)?;
                return Ok(UndoOutcome {
                    undo: u,
                    original: Listed {
                        path: target.path.clone(),
                        entry: marked,
                    },
                    overridden: Vec::new(),
                    cache_notice: entry.cache_notice(),
                });
            }
            return Err(FixError::Conflict(conflicts));
        }
        if let Some(u) = &interrupted {
            // The rows are still as this entry left them: that undo never committed.
            let _ = fs::remove_file(&u.path);
        }

        let meta = EntryMeta {
            title: format!("Undo {}: {}", entry.id, entry.title),
            slug: "undo".into(),
            command: opts.command.clone(),
            masker: opts.masker.clone(),
        };
        let mut undo_entry = new_entry(&meta, &session, session.changes().to_vec());
        undo_entry.undoes = Some(entry.id.clone());
        redact_entry(&mut undo_entry, &entry.redacted, None);
        // The undo's entry first (it names the entry it undoes), then COMMIT, then the mark on
        // the original: a kill between two steps leaves what the next `undo` of the original
        // recognises and finishes (see `interrupted` above), never a mark without the change.
        let undo_path = self.write_new(&mut undo_entry)?;
        super::kill_point("undo-entry-written");
        if let Err(e) = session.commit() {
            if commit_surely_failed(&e) {
                let _ = fs::remove_file(&undo_path);
            }
            return Err(FixError::CommitFailed(e));
        }
        super::kill_point("undo-committed");
        let marked = marked_undone(entry, &undo_entry, opts.force && !conflicts.is_empty());
        rewrite(&target.path, &marked)?;
        Ok(UndoOutcome {
            undo: Listed {
                path: undo_path,
                entry: undo_entry,
            },
            original: Listed {
                path: target.path.clone(),
                entry: marked,
            },
            overridden: conflicts,
            cache_notice: entry.cache_notice(),
        })
    }
}

/// The plan of undoing `entry`: one step per change, last change first.
pub fn undo_plan(entry: &Entry) -> Plan {
    let prefix = entry
        .database
        .as_ref()
        .map(|d| d.table_prefix.clone())
        .unwrap_or_default();
    let mut steps = Vec::new();
    for f in entry.files.iter().rev() {
        steps.push(Step {
            description: format!(
                "Put {} back as it was before ({}), unless it changed since",
                f.path, f.description
            ),
            sql_preview: String::new(),
        });
    }
    for change in entry.changes.iter().rev() {
        let table = format!("{prefix}{}", change.table);
        let keys: Vec<String> = change
            .before
            .iter()
            .chain(&change.after)
            .map(|r| change.describe_key(r))
            .collect();
        let (description, sql) = match change.operation {
            Operation::Insert => (
                format!(
                    "Delete the {} row(s) of {} the entry inserted",
                    change.after.len(),
                    change.table
                ),
                change
                    .after
                    .iter()
                    .map(|r| format!("DELETE FROM `{table}` WHERE {};", where_text(change, r)))
                    .collect::<Vec<_>>(),
            ),
            Operation::Delete => (
                format!(
                    "Re-insert the {} row(s) of {} the entry deleted, with their ids",
                    change.before.len(),
                    change.table
                ),
                change
                    .before
                    .iter()
                    .map(|r| {
                        let values: Vec<String> = r.iter().map(preview_value).collect();
                        format!(
                            "INSERT INTO `{table}` ({}) VALUES ({});",
                            change
                                .columns
                                .iter()
                                .map(|c| format!("`{c}`"))
                                .collect::<Vec<_>>()
                                .join(", "),
                            values.join(", ")
                        )
                    })
                    .collect(),
            ),
            Operation::Update => (
                format!(
                    "Restore the values of {} row(s) of {} the entry updated ({})",
                    change.after.len(),
                    change.table,
                    keys.first().cloned().unwrap_or_default()
                ),
                change
                    .before
                    .iter()
                    .zip(&change.after)
                    .map(|(b, a)| {
                        let set: Vec<String> = changed_columns(change, b, a)
                            .into_iter()
                            .map(|i| format!("`{}` = {}", change.columns[i], preview_value(&b[i])))
                            .collect();
                        format!(
                            "UPDATE `{table}` SET {} WHERE {};",
                            set.join(", "),
                            where_text(change, b)
                        )
                    })
                    .collect(),
            ),
        };
        steps.push(Step {
            description,
            sql_preview: sql.join("\n"),
        });
    }
    Plan {
        title: format!("Undo {}: {}", entry.id, entry.title),
        steps,
        cache_notice: entry.cache_notice(),
        ..Plan::default()
    }
}

/// Columns (indexes into `change.columns`) whose values differ between two rows.
pub(super) fn changed_columns(change: &Change, before: &[Stored], after: &[Stored]) -> Vec<usize> {
    (0..change.columns.len())
        .filter(|i| before.get(*i) != after.get(*i))
        .collect()
}

pub(super) fn where_text(change: &Change, row: &[Stored]) -> String {
    change
        .key_of(row)
        .unwrap_or_default()
        .iter()
        .map(|(k, v)| format!("`{k}` = {}", sql_literal(v)))
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// A value for a SQL preview: long text (hashes, tokens) masked.
pub(super) fn preview_value(v: &Stored) -> String {
    match v {
        Stored::Text(s) if s.chars().count() > 40 || looks_secret(s) => {
            format!("'{}'", mask(s))
        }
        other => other
            .to_sql()
            .map_or_else(|| "?".into(), |v| sql_literal(&v)),
    }
}

/// Compare a current row with the values a change left; the differing column names, or
/// `None` when equal.
pub(super) fn differs(
    change: &Change,
    expected: &[Stored],
    current: &Row,
    redacted: &[String],
) -> Option<String> {
    let mut cols = Vec::new();
    for (i, c) in change.columns.iter().enumerate() {
        match current.get(c) {
            None => cols.push(format!("{c} (column gone)")),
            Some(v) => {
                let mut now = Stored::from(v);
                if is_redacted(redacted, &change.table, c) {
                    now = digest(&now);
                }
                if expected.get(i) != Some(&now) {
                    cols.push(c.clone());
                }
            }
        }
    }
    (!cols.is_empty()).then(|| cols.join(", "))
}

pub(super) fn key_ref(key: &[(String, SqlValue)]) -> Vec<(&str, SqlValue)> {
    key.iter().map(|(k, v)| (k.as_str(), v.clone())).collect()
}

pub(super) fn bad_entry(change: &Change) -> FixError {
    FixError::Refused(format!(
        "the journal entry's {} of {} has a row without a usable primary key",
        change.operation, change.table
    ))
}

/// Re-insert a recorded row with every column (ids included) but generated ones; sealed
/// values are unsealed first.
pub(super) fn reinsert(
    session: &mut WriteSession,
    change: &Change,
    row: &[Stored],
    sealer: Option<&Sealer>,
) -> Result<(), FixError> {
    let generated = session.generated_columns(&change.table)?;
    let mut values: Vec<(&str, SqlValue)> = Vec::new();
    for (c, v) in change.columns.iter().zip(row) {
        if generated.iter().any(|g| g == c) {
            continue;
        }
        let v = match v {
            Stored::Text(t) if t.starts_with(SEALED_PREFIX) => {
                let opened = sealer
                    .ok_or_else(|| FixError::Refused(format!(
                        "the journal keeps {}.{c} sealed with the store's crypt/key, and env.php's crypt/key could not be read; nothing was changed",
                        change.table
                    )))?
                    .unseal(&t[SEALED_PREFIX.len()..])
                    .map_err(|e| FixError::Refused(format!(
                        "the journal keeps {}.{c} sealed with the store's crypt/key, and it does not open: {e}; nothing was changed",
                        change.table
                    )))?;
                Stored::Text(opened)
            }
            other => other.clone(),
        };
        values.push((c.as_str(), v.to_sql().ok_or_else(|| bad_entry(change))?));
    }
    session.insert(&change.table, &values)?;
    Ok(())
}

/// Apply the inverse of one change, row by row in reverse, after checking each row.
pub(super) fn undo_change(
    session: &mut WriteSession,
    change: &Change,
    redacted: &[String],
    sealer: Option<&Sealer>,
    force: bool,
    conflicts: &mut Vec<Conflict>,
) -> Result<(), FixError> {
    // A redacted value can be compared (by digest) but not written back: refuse a delete that
    // would re-create one, or an update that would restore one.
    let needs_restore = |i: usize| match change.operation {
        Operation::Insert => false,
        Operation::Delete => change
            .before
            .iter()
            .any(|r| r.get(i) != Some(&Stored::Null) && !is_sealed(r.get(i))),
        Operation::Update => change
            .before
            .iter()
            .zip(&change.after)
            .any(|(b, a)| b.get(i) != a.get(i)),
    };
    if let Some(c) = change
        .columns
        .iter()
        .enumerate()
        .find(|(i, c)| is_redacted(redacted, &change.table, c) && needs_restore(*i))
        .map(|(_, c)| c)
    {
        return Err(FixError::Refused(format!(
            "the journal keeps only a digest of {}.{c} (a secret), so the {} of {} cannot be reversed; nothing was changed",
            change.table, change.operation, change.table
        )));
    }
    let conflict = |row: &[Stored], problem: String| Conflict {
        table: change.table.clone(),
        key: change.describe_key(row),
        problem,
    };
    match change.operation {
        Operation::Insert => {
            for row in change.after.iter().rev() {
                let key = change.key_of(row).ok_or_else(|| bad_entry(change))?;
                let current = session.select_for_update(&change.table, &key_ref(&key))?;
                match current.first() {
                    None => {
                        conflicts.push(conflict(
                            row,
                            "was deleted since the entry inserted it".into(),
                        ));
                        continue;
                    }
                    Some(cur) => {
                        if let Some(cols) = differs(change, row, cur, redacted) {
                            conflicts.push(conflict(
                                row,
                                format!("changed since the entry inserted it ({cols})"),
                            ));
                            if !force {
                                continue;
                            }
                        }
                    }
                }
                session.delete(&change.table, &key_ref(&key))?;
            }
        }
        Operation::Delete => {
            for row in change.before.iter().rev() {
                let key = change.key_of(row).ok_or_else(|| bad_entry(change))?;
                let current = session.select_for_update(&change.table, &key_ref(&key))?;
                if !current.is_empty() {
                    conflicts.push(conflict(
                        row,
                        "a row with this key exists again since the entry deleted it".into(),
                    ));
                    if !force {
                        continue;
                    }
                    session.delete(&change.table, &key_ref(&key))?;
                }
                reinsert(session, change, row, sealer)?;
            }
        }
        Operation::Update => {
            let generated = session.generated_columns(&change.table)?;
            let auto = session.auto_updated_columns(&change.table)?;
            for (before, after) in change.before.iter().zip(&change.after).rev() {
                let key = change.key_of(after).ok_or_else(|| bad_entry(change))?;
                let current = session.select_for_update(&change.table, &key_ref(&key))?;
                let Some(cur) = current.first() else {
                    conflicts.push(conflict(
                        after,
                        "was deleted since the entry updated it".into(),
                    ));
                    if force {
                        reinsert(session, change, before, sealer)?;
                    }
                    continue;
                };
                // The entry owns the columns it changed; MySQL's own timestamps
                // (`ON UPDATE CURRENT_TIMESTAMP`) move with any write. A column someone else
                // changed since (a real login writes admin_user.logdate and lognum) is theirs:
                // neither a conflict nor restored.
                let owned: Vec<usize> = (0..change.columns.len())
                    .filter(|&i| {
                        let c = &change.columns[i];
                        before.get(i) != after.get(i)
                            && !change.primary_key.iter().any(|k| k == c)
                            && !generated.iter().any(|g| g == c)
                            && !auto.iter().any(|a| a == c)
                            && !is_redacted(redacted, &change.table, c)
                    })
                    .collect();
                let now = |i: usize| {
                    let c = &change.columns[i];
                    let mut v = cur.get(c).map(Stored::from);
                    if is_redacted(redacted, &change.table, c) {
                        v = v.map(|x| digest(&x));
                    }
                    v
                };
                let changed: Vec<&str> = owned
                    .iter()
                    .filter(|&&i| now(i).as_ref() != after.get(i))
                    .map(|&i| change.columns[i].as_str())
                    .collect();
                if !changed.is_empty() {
                    conflicts.push(conflict(
                        after,
                        format!(
                            "changed since the entry updated it ({})",
                            changed.join(", ")
                        ),
                    ));
                    if !force {
                        continue;
                    }
                }
                let mut set: Vec<(&str, SqlValue)> = Vec::new();
                for &i in &owned {
                    if now(i).as_ref() != before.get(i) {
                        set.push((
                            change.columns[i].as_str(),
                            before[i].to_sql().ok_or_else(|| bad_entry(change))?,
                        ));
                    }
                }
                if !set.is_empty() {
                    // MySQL's own timestamps go back to what the entry found when nobody else
                    // wrote the row since, and keep their current value otherwise (an UPDATE
                    // that does not name them would set them to now).
                    for c in &auto {
                        let Some(i) = change.columns.iter().position(|x| x == c) else {
                            continue;
                        };
                        let keep = if changed.is_empty()
                            && owned.iter().all(|&o| now(o).as_ref() == after.get(o))
                            && now(i).as_ref() == after.get(i)
                        {
                            before[i].clone()
                        } else {
                            now(i).unwrap_or(Stored::Null)
                        };
                        set.push((c.as_str(), keep.to_sql().ok_or_else(|| bad_entry(change))?));
                    }
                    session.update(&change.table, &set, &key_ref(&key))?;
                }
            }
        }
    }
    Ok(())
}
