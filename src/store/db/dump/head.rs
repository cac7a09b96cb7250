//! Classifies a statement from its first bytes, without parsing it.

/// What a statement is about, as far as the dump reader cares.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Head {
    /// `CREATE TABLE`, `INSERT`, `REPLACE` for this physical table name.
    Table(String),
    /// `DROP TABLE a, b` (names as written).
    Drop(Vec<String>),
    /// `TRUNCATE [TABLE] a`.
    Truncate(String),
    Other,
}

struct Lex<'a> {
    s: &'a [u8],
    i: usize,
    /// Whether `s` holds the whole statement (else it may be cut anywhere).
    complete: bool,
}

impl<'a> Lex<'a> {
    fn ws(&mut self) {
        while let Some(b) = self.s.get(self.i) {
            if b.is_ascii_whitespace() || *b == 0x0b {
                self.i += 1;
            } else if *b == b'/'
                && self.s.get(self.i + 1) == Some(&b'*')
                && self.s.get(self.i + 2) != Some(&b'!')
            {
                // A plain comment between keywords.
                match memchr::memmem::find(&self.s[self.i + 2..], b"*/") {
                    Some(j) => self.i += j + 4,
                    None => {
                        self.i = self.s.len();
                        return;
                    }
                }
            } else {
                return;
            }
        }
    }

    /// The next keyword, if it is `kw` (any case); consumed only then.
    fn kw(&mut self, kw: &str) -> bool {
        self.ws();
        let rest = &self.s[self.i..];
        let n = kw.len();
        if rest.len() >= n
            && rest[..n].eq_ignore_ascii_case(kw.as_bytes())
            && !rest.get(n).is_some_and(|b| is_ident_byte(*b))
        {
            self.i += n;
            true
        } else {
            false
        }
    }

    /// One identifier part: `` `x` `` (doubled backticks inside), `"x"`, or bare.
    fn ident_part(&mut self) -> Option<String> {
        self.ws();
        let rest = &self.s[self.i..];
        match rest.first()? {
            q @ (b'`' | b'"') => {
                let mut out = Vec::new();
                let mut j = 1;
                loop {
                    let b = *rest.get(j)?;
                    if b == *q {
                        if rest.get(j + 1) == Some(q) {
                            out.push(b);
                            j += 2;
                            continue;
                        }
                        self.i += j + 1;
                        return String::from_utf8(out).ok();
                    }
                    out.push(b);
                    j += 1;
                }
            }
            b if is_ident_byte(*b) => {
                let n = rest.iter().take_while(|b| is_ident_byte(**b)).count();
                // The head may be cut in the middle of a name: then it is no name we know.
                if n == rest.len() && !self.complete {
                    return None;
                }
                self.i += n;
                String::from_utf8(rest[..n].to_vec()).ok()
            }
            _ => None,
        }
    }

    /// `name` or `db.name`: the table name.
    fn table_name(&mut self) -> Option<String> {
        let mut name = self.ident_part()?;
        while self.s.get(self.i) == Some(&b'.') {
            self.i += 1;
            name = self.ident_part()?;
        }
        Some(name)
    }
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

/// `complete`: `head` is the whole statement, not only its first bytes.
pub(super) fn classify(head: &[u8], complete: bool) -> Head {
    let mut l = Lex {
        s: head,
        i: 0,
        complete,
    };
    let name = if l.kw("CREATE") {
        let _ = l.kw("OR") && l.kw("REPLACE");
        if !l.kw("TABLE") {
            return Head::Other;
        }
        if l.kw("IF") && !(l.kw("NOT") && l.kw("EXISTS")) {
            return Head::Other;
        }
        l.table_name()
    } else if l.kw("INSERT") || l.kw("REPLACE") {
        while l.kw("IGNORE") || l.kw("LOW_PRIORITY") || l.kw("DELAYED") || l.kw("HIGH_PRIORITY") {}
        l.kw("INTO");
        l.table_name()
    } else if l.kw("DROP") {
        l.kw("TEMPORARY");
        if !l.kw("TABLE") && !l.kw("TABLES") {
            return Head::Other;
        }
        if l.kw("IF") && !l.kw("EXISTS") {
            return Head::Other;
        }
        let mut names = Vec::new();
        while let Some(n) = l.table_name() {
            names.push(n);
            l.ws();
            if l.s.get(l.i) != Some(&b',') {
                break;
            }
            l.i += 1;
        }
        return Head::Drop(names);
    } else if l.kw("TRUNCATE") {
        l.kw("TABLE");
        return l.table_name().map_or(Head::Other, Head::Truncate);
    } else {
        None
    };
    name.map_or(Head::Other, Head::Table)
}

/// The start of a plain `INSERT`/`REPLACE … [(columns)] VALUES`, for the fast row reader.
pub(super) struct InsertHeader {
    pub table: String,
    pub columns: Vec<String>,
    pub replace: bool,
    pub ignore: bool,
    /// Where the first row's `(` is expected.
    pub values_at: usize,
}

/// `None` for anything but the plain forms (the caller then lets sqlparser read the statement).
pub(super) fn insert_header(sql: &[u8]) -> Option<InsertHeader> {
    let mut l = Lex {
        s: sql,
        i: 0,
        complete: true,
    };
    let replace = if l.kw("INSERT") {
        false
    } else if l.kw("REPLACE") {
        true
    } else {
        return None;
    };
    let ignore = l.kw("IGNORE");
    if !l.kw("INTO") {
        return None;
    }
    let table = l.table_name()?;
    l.ws();
    let mut columns = Vec::new();
    if l.s.get(l.i) == Some(&b'(') {
        l.i += 1;
        loop {
            columns.push(l.ident_part()?);
            l.ws();
            match l.s.get(l.i)? {
                b',' => l.i += 1,
                b')' => {
                    l.i += 1;
                    break;
                }
                _ => return None,
            }
        }
    }
    if !(l.kw("VALUES") || l.kw("VALUE")) {
        return None;
    }
    l.ws();
    Some(InsertHeader {
        table,
        columns,
        replace,
        ignore,
        values_at: l.i,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Head {
        classify(s.as_bytes(), false)
    }

    #[test]
    fn recognises_statements() {
        let tb = |n: &str| Head::Table(n.to_string());
        assert_eq!(t("CREATE TABLE `admin_user` (\n"), tb("admin_user"));
        assert_eq!(
            t("create table if not exists admin_user(x int)"),
            tb("admin_user")
        );
        assert_eq!(t("INSERT INTO `a``b` VALUES (1)"), tb("a`b"));
        assert_eq!(t("INSERT  IGNORE INTO `store` VALUES"), tb("store"));
        assert_eq!(t("insert store values (1)"), tb("store"));
        assert_eq!(t("REPLACE INTO `db`.`store` (a) VALUES"), tb("store"));
        assert_eq!(t("INSERT INTO \"store\" VALUES"), tb("store"));
        assert_eq!(t("INSERT /* x */ INTO store VALUES"), tb("store"));
        assert_eq!(
            t("DROP TABLE IF EXISTS `a`, b ;"),
            Head::Drop(vec!["a".into(), "b".into()])
        );
        assert_eq!(t("TRUNCATE `store`"), Head::Truncate("store".into()));
        assert_eq!(t("LOCK TABLES `store` WRITE"), Head::Other);
        assert_eq!(
            t("/*!40000 ALTER TABLE `store` DISABLE KEYS */"),
            Head::Other
        );
        assert_eq!(t("CREATE DATABASE x"), Head::Other);
        assert_eq!(t("INSERTINTO x"), Head::Other);
        // Cut head: a bare name running to the end is not trusted.
        assert_eq!(t("INSERT INTO stor"), Head::Other);
        assert_eq!(t("INSERT INTO `stor"), Head::Other);
        assert_eq!(
            classify(b"DROP TABLE store", true),
            Head::Drop(vec!["store".into()])
        );
    }
}
