//! Recursive-descent parser for `<?php [code;] return <array>;`, evaluating as it parses (the
//! values, operators and caps are in `evaluator`).
//!
//! Hand-written because no maintained crate parses this PHP subset while keeping line numbers for
//! every key and reporting, per key, the values that are not literals (`getenv()` the environment
//! cannot answer, unknown variables, calls…) so the rest of the file still works.
//!
//! Expressions are evaluated while they are parsed into an [`Ev`](super::evaluator::Ev). An
//! expression the parser does not understand (`new Foo()`, `match`, `$a->b`…) is not an error:
//! the parser rewinds to its start and skips it with balanced brackets up to the next `,`, `;` or
//! closing bracket, and the value becomes [`Value::NonLiteral`]. Syntax errors in the array
//! structure itself are errors.

use std::collections::HashMap;
use std::rc::Rc;

use super::evaluator::{
    Budget, Closure, Ev, MAX_CALLS_TOTAL, binop, cast, collect_unresolved, set_path, size_of,
    size_of_ev, truthy, truthy_known,
};
use super::lexer::{Cast, Index, Lexer, Part, Src, Tok, Token};
use super::{Array, Document, Entry, EnvPhpError, Environment, Key, NonLiteral, Value};

/// Deepest nesting of arrays, parentheses and sub-expressions before we give up. Real files nest
/// less than 10 deep; a debug build uses ~18 KB of stack per level, so 64 levels stay well inside
/// the 2 MiB of a spawned (test) thread.
pub(crate) const MAX_DEPTH: usize = 64;
/// Deepest chain of closure calls evaluated (`$e('X')` calling `$f(…)`…).
const MAX_CALLS: usize = 8;

enum Fail {
    /// Not a syntax error, only something we do not evaluate: skip it as a non-literal.
    Soft,
    Hard(EnvPhpError),
}

impl From<EnvPhpError> for Fail {
    fn from(e: EnvPhpError) -> Self {
        Fail::Hard(e)
    }
}

type PResult<T> = Result<T, Fail>;

#[derive(Clone, Copy, PartialEq)]
enum Skip {
    /// A value: stop at `,` `;` or a closing bracket (and `=>` when `arrow`).
    Value { arrow: bool },
    /// A statement: stop after `;` or after a closing `}` that ends it.
    Statement,
    /// A block body: stop at the closing `}`.
    Block,
}

struct Mark {
    lex: Lexer,
    peeked: Option<Token>,
    last_end: usize,
    open: usize,
}

pub(crate) struct Parser<'a> {
    src: &'a Src<'a>,
    env: &'a dyn Environment,
    lex: Lexer,
    peeked: Option<Token>,
    /// End of the last token taken, for the source text of non-literals.
    last_end: usize,
    /// Open brackets: offset and the closing byte expected.
    open: Vec<(usize, u8)>,
    depth: usize,
    calls: usize,
    vars: HashMap<String, Ev>,
    budget: Budget,
}

fn describe(t: &Token, src: &Src) -> String {
    match &t.tok {
        Tok::Eof => "end of file".into(),
        Tok::CloseTag => "`?>`".into(),
        // A string here may be a password or key of a broken file: never quote it whole.
        Tok::Str(_) | Tok::Interp(_) => {
            format!("string `{}`", crate::mask::mask(&src.text(t.start, t.end)))
        }
        Tok::Int(_) | Tok::Float(_) => format!("number `{}`", src.text(t.start, t.end)),
        Tok::Var(v) => format!("variable `${v}`"),
        _ => format!("`{}`", src.text(t.start, t.end)),
    }
}

fn is_name(t: &Token, word: &str) -> bool {
    matches!(&t.tok, Tok::Name(n) if n.eq_ignore_ascii_case(word))
}

fn is_punct(t: &Token, p: &str) -> bool {
    matches!(&t.tok, Tok::Punct(q) if *q == p)
}

impl<'a> Parser<'a> {
    pub fn new(src: &'a Src<'a>, start: usize, env: &'a dyn Environment) -> Self {
        Parser {
            src,
            env,
            lex: Lexer::new(start),
            peeked: None,
            last_end: start,
            open: Vec::new(),
            depth: 0,
            calls: 0,
            vars: HashMap::new(),
            budget: Budget::new(src.bytes.len()),
        }
    }

    /// The next token from the lexer, counting the bytes read against [`MAX_WORK`].
    fn lex_next(&mut self) -> Result<Token, EnvPhpError> {
        let before = self.lex.pos;
        let t = self.lex.next(self.src)?;
        self.budget.work = self
            .budget
            .work
            .saturating_add(self.lex.pos.saturating_sub(before));
        if self.budget.work > self.budget.max_work {
            let mib = self.budget.max_work >> 20;
            let msg = format!(
                "too much to evaluate (over {mib} MiB of source read: expressions re-read too often)"
            );
            return Err(self.budget.fail(self.src, t.start, msg));
        }
        Ok(t)
    }

    // ---- tokens -------------------------------------------------------------------------------

    fn peek(&mut self) -> Result<&Token, EnvPhpError> {
        if self.peeked.is_none() {
            self.peeked = Some(self.lex_next()?);
        }
        Ok(self.peeked.as_ref().expect("just filled"))
    }

    fn bump(&mut self) -> Result<Token, EnvPhpError> {
        let t = match self.peeked.take() {
            Some(t) => t,
            None => self.lex_next()?,
        };
        if t.tok != Tok::Eof {
            self.last_end = t.end;
        }
        Ok(t)
    }

    fn at_punct(&mut self, p: &str) -> Result<bool, EnvPhpError> {
        Ok(is_punct(self.peek()?, p))
    }

    fn eat(&mut self, p: &str) -> Result<bool, EnvPhpError> {
        let yes = self.at_punct(p)?;
        if yes {
            self.bump()?;
        }
        Ok(yes)
    }

    fn mark(&self) -> Mark {
        Mark {
            lex: self.lex,
            peeked: self.peeked.clone(),
            last_end: self.last_end,
            open: self.open.len(),
        }
    }

    fn restore(&mut self, m: Mark) {
        self.lex = m.lex;
        self.peeked = m.peeked;
        self.last_end = m.last_end;
        self.open.truncate(m.open);
    }

    fn eof_error(&self, t: &Token, expected: &str) -> EnvPhpError {
        let mut msg = "unexpected end of file".to_string();
        if !expected.is_empty() && self.open.is_empty() {
            msg += &format!(" (expected {expected})");
        }
        if let Some(&(pos, _)) = self.open.last() {
            let n = self.open.len();
            msg += &format!(
                ": {n} bracket{} still open (opened at {})",
                if n == 1 { "" } else { "s" },
                self.src.at(pos)
            );
        }
        self.src.err(t.start, msg)
    }

    /// "expected X, found Y" at the token, or an end-of-file error.
    fn unexpected(&self, t: &Token, expected: &str) -> EnvPhpError {
        if t.tok == Tok::Eof {
            return self.eof_error(t, expected);
        }
        self.src.err(
            t.start,
            format!("expected {expected}, found {}", describe(t, self.src)),
        )
    }

    fn expect(&mut self, p: &str, expected: &str) -> Result<Token, EnvPhpError> {
        let t = self.peek()?.clone();
        if is_punct(&t, p) {
            self.bump()
        } else {
            Err(self.unexpected(&t, expected))
        }
    }

    fn push_open(&mut self, pos: usize, close: u8) {
        self.open.push((pos, close));
    }

    fn pop_open(&mut self) {
        self.open.pop();
    }

    // ---- statements ---------------------------------------------------------------------------

    pub fn document(mut self) -> Result<Document, EnvPhpError> {
        loop {
            let t = self.peek()?.clone();
            match &t.tok {
                Tok::Eof => return Err(self.src.err(t.start, "no `return` statement")),
                Tok::Punct(";") | Tok::CloseTag => {
                    self.bump()?;
                }
                Tok::Name(n) if n.eq_ignore_ascii_case("return") => {
                    self.bump()?;
                    return self.return_statement();
                }
                Tok::Var(name) => {
                    let name = name.clone();
                    self.assignment(name)?;
                }
                _ => self.skip(Skip::Statement)?,
            }
        }
    }

    fn return_statement(&mut self) -> Result<Document, EnvPhpError> {
        let start = self.peek()?.clone();
        if start.tok == Tok::Eof || is_punct(&start, ";") {
            return Err(self.unexpected(&start, "an array after `return`"));
        }
        let ev = self.value(Skip::Value { arrow: false })?;
        // The expression is not quoted: it may hold the whole configuration, secrets included.
        let root = match ev {
            Ev::Val(Value::Array(a)) => a,
            Ev::Val(v) => {
                let what = match v {
                    Value::Str(_) => "a string".to_string(),
                    Value::Int(i) => format!("`{i}`"),
                    Value::Float(_) => "a number".to_string(),
                    Value::Bool(b) => format!("`{b}`"),
                    Value::Null => "`null`".to_string(),
                    Value::Array(_) | Value::NonLiteral(_) => "a value".to_string(),
                };
                return Err(self.src.err(
                    start.start,
                    format!("`return` must give an array, found {what}"),
                ));
            }
            _ => {
                let what = self.what_expr(&start, self.last_end);
                return Err(self.src.err(
                    start.start,
                    format!("`return` must give an array literal, found {what} (not a literal)"),
                ));
            }
        };
        let t = self.peek()?.clone();
        if !(is_punct(&t, ";") || t.tok == Tok::CloseTag) {
            return Err(self.unexpected(&t, "`;` after the returned array"));
        }
        let mut unresolved = Vec::new();
        collect_unresolved(&root, "", &mut unresolved);
        Ok(Document { root, unresolved })
    }

    /// What the expression from token `first` to `end` is, naming no more than its first token
    /// (strings masked): "a function call `array_merge(…)`", "variable `$cfg`".
    fn what_expr(&self, first: &Token, end: usize) -> String {
        let mut lx = self.lex;
        lx.pos = first.end;
        lx.closed = false;
        let next = lx.next(self.src).ok().filter(|t| t.start < end);
        let alone = next.is_none();
        match (&first.tok, next.map(|t| t.tok)) {
            (Tok::Name(n), Some(Tok::Punct("("))) => format!("a function call `{n}(…)`"),
            (Tok::Name(n), Some(Tok::Punct("::"))) => format!("a class member `{n}::…`"),
            (Tok::Name(n), None) => format!("the constant `{n}`"),
            (Tok::Name(n), Some(Tok::Name(_))) if n.eq_ignore_ascii_case("new") => {
                "an object (`new …`)".to_string()
            }
            _ if alone => describe(first, self.src),
            _ => format!("an expression starting with {}", describe(first, self.src)),
        }
    }

    /// `$name = expr;` and `$name['a']['b'] = expr;` are remembered; anything else starting with
    /// a variable is skipped (and the variable forgotten if it may have changed).
    fn assignment(&mut self, name: String) -> Result<(), EnvPhpError> {
        let m = self.mark();
        self.bump()?;
        match self.try_assignment(&name) {
            Ok(true) => return Ok(()),
            Ok(false) | Err(Fail::Soft) => {}
            Err(Fail::Hard(e)) => return Err(e),
        }
        self.restore(m);
        self.bump()?;
        if !self.at_punct("(")? {
            self.vars.insert(name, Ev::Unknown);
        }
        self.skip(Skip::Statement)
    }

    fn try_assignment(&mut self, name: &str) -> PResult<bool> {
        let mut path = Vec::new();
        while self.eat("[")? {
            if path.len() >= MAX_DEPTH {
                let pos = self.last_end - 1;
                let msg = format!("nesting deeper than {MAX_DEPTH} levels");
                return Err(self.src.err(pos, msg).into());
            }
            if self.eat("]")? {
                path.push(None);
                continue;
            }
            let k = self.expr()?;
            self.expect("]", "`]`")?;
            path.push(Some(self.key_of(k, None).ok_or(Fail::Soft)?));
        }
        if !self.eat("=")? {
            return Ok(false);
        }
        let start = self.peek()?.start;
        let ev = self.value(Skip::Value { arrow: false })?;
        let t = self.peek()?.clone();
        if !(is_punct(&t, ";") || t.tok == Tok::CloseTag || t.tok == Tok::Eof) {
            return Ok(false);
        }
        if name == "_ENV" || name == "_SERVER" || name == "this" {
            return Ok(true);
        }
        // Values kept in variables nest at most MAX_DEPTH deep, so that reading them back (and
        // dropping them) never recurses deeper than twice that.
        let (_, _, depth) = size_of_ev(&ev);
        if path.len() + depth > MAX_DEPTH {
            let msg = format!("nesting deeper than {MAX_DEPTH} levels");
            return Err(self.src.err(start, msg).into());
        }
        self.budget.charge(self.src, start, path.len(), 0)?;
        if path.is_empty() {
            self.vars.insert(name.to_string(), ev);
            return Ok(true);
        }
        let value = self.finish(ev, start);
        let line = self.src.line(start);
        let updated = match self.vars.remove(name) {
            None | Some(Ev::Val(Value::Null)) => {
                let mut a = Array::default();
                set_path(&mut a, &path, value, line).then_some(a)
            }
            Some(Ev::Val(Value::Array(mut a))) => set_path(&mut a, &path, value, line).then_some(a),
            Some(_) => None,
        };
        self.vars.insert(
            name.to_string(),
            updated.map_or(Ev::Unknown, |a| Ev::Val(Value::Array(a))),
        );
        Ok(true)
    }

    /// Skip tokens with balanced brackets (see [`Skip`]).
    fn skip(&mut self, mode: Skip) -> Result<(), EnvPhpError> {
        let base = self.open.len();
        loop {
            let t = self.peek()?.clone();
            let at_base = self.open.len() == base;
            match &t.tok {
                Tok::Eof if at_base && mode == Skip::Statement => return Ok(()),
                Tok::Eof => return Err(self.eof_error(&t, "")),
                Tok::CloseTag if at_base => return Ok(()),
                Tok::Punct(p @ ("(" | "[" | "{" | "#[")) => {
                    let close = match *p {
                        "(" => b')',
                        "{" => b'}',
                        _ => b']',
                    };
                    if self.open.len() >= base + 4 * MAX_DEPTH {
                        return Err(self
                            .src
                            .err(t.start, format!("nesting deeper than {MAX_DEPTH} levels")));
                    }
                    self.push_open(t.start, close);
                    self.bump()?;
                }
                Tok::Punct(p @ (")" | "]" | "}")) => {
                    if at_base {
                        if mode == Skip::Statement {
                            return Err(self.src.err(t.start, format!("unmatched `{p}`")));
                        }
                        return Ok(());
                    }
                    let (open_pos, close) = *self.open.last().expect("not at base");
                    if p.as_bytes()[0] != close {
                        let opened = self.src.text(open_pos, open_pos + 1);
                        let msg = format!(
                            "`{p}` does not match `{opened}` opened at {}",
                            self.src.at(open_pos)
                        );
                        return Err(self.src.err(t.start, msg));
                    }
                    self.pop_open();
                    self.bump()?;
                    if mode == Skip::Statement && *p == "}" && self.open.len() == base {
                        let n = self.peek()?.clone();
                        let goes_on = matches!(
                            n.tok,
                            Tok::Punct(";" | ")" | "," | "->" | "(" | "." | "??" | "?" | ":")
                        ) || ["else", "elseif", "catch", "finally", "while"]
                            .iter()
                            .any(|w| is_name(&n, w));
                        if !goes_on {
                            return Ok(());
                        }
                    }
                }
                Tok::Punct(";") if at_base => {
                    if mode == Skip::Statement {
                        self.bump()?;
                    }
                    if mode != Skip::Block {
                        return Ok(());
                    }
                    self.bump()?;
                }
                Tok::Punct(",") if at_base && mode != Skip::Statement && mode != Skip::Block => {
                    return Ok(());
                }
                Tok::Punct("=>") if at_base && mode == (Skip::Value { arrow: true }) => {
                    return Ok(());
                }
                _ => {
                    self.bump()?;
                }
            }
        }
    }

    // ---- values -------------------------------------------------------------------------------

    /// An expression; one we do not evaluate is skipped and gives [`Ev::Unknown`].
    fn value(&mut self, mode: Skip) -> Result<Ev, EnvPhpError> {
        let m = self.mark();
        let start = self.peek()?.start;
        match self.expr() {
            Ok(ev) => {
                if !self.continues()? {
                    return Ok(ev);
                }
            }
            Err(Fail::Soft) => {}
            Err(Fail::Hard(e)) => return Err(e),
        }
        self.restore(m);
        self.skip(mode)?;
        if self.last_end <= start {
            let t = self.peek()?.clone();
            return Err(self.unexpected(&t, "a value"));
        }
        Ok(Ev::Unknown)
    }

    /// After a complete expression: is the next token an operator we do not evaluate?
    fn continues(&mut self) -> Result<bool, EnvPhpError> {
        let t = self.peek()?;
        Ok(match &t.tok {
            Tok::Punct(p) => !matches!(*p, "," | ";" | ")" | "]" | "}" | "=>" | ":"),
            Tok::Name(n) => ["instanceof", "and", "or", "xor"]
                .iter()
                .any(|w| n.eq_ignore_ascii_case(w)),
            _ => false,
        })
    }

    /// The [`Value`] of an evaluated expression that started at `start`.
    fn finish(&self, ev: Ev, start: usize) -> Value {
        match ev {
            Ev::Val(v) => v,
            _ => Value::NonLiteral(NonLiteral {
                text: self.src.masked_text(start, self.last_end),
                line: self.src.line(start),
            }),
        }
    }

    /// An array key from an evaluated expression (PHP casts: `'8'` → 8, `true` → 1, `null` → '').
    fn key_of(&self, ev: Ev, start: Option<usize>) -> Option<Key> {
        Some(match ev {
            Ev::Val(Value::Int(i)) => Key::Int(i),
            Ev::Val(Value::Str(s)) => match s.parse::<i64>() {
                Ok(i) if i.to_string() == s => Key::Int(i),
                _ => Key::Str(s),
            },
            Ev::Val(Value::Bool(b)) => Key::Int(b as i64),
            Ev::Val(Value::Float(f)) => Key::Int(f as i64),
            Ev::Val(Value::Null) => Key::Str(String::new()),
            Ev::Const(c) => Key::Const(c),
            _ => Key::Const(self.src.masked_text(start?, self.last_end)),
        })
    }

    fn expr(&mut self) -> PResult<Ev> {
        if self.depth >= MAX_DEPTH {
            let pos = self.peek()?.start;
            return Err(self
                .src
                .err(pos, format!("nesting deeper than {MAX_DEPTH} levels"))
                .into());
        }
        self.depth += 1;
        let r = self.ternary();
        self.depth -= 1;
        r
    }

    fn ternary(&mut self) -> PResult<Ev> {
        let mut cond = self.coalesce()?;
        while self.eat("?")? {
            if self.eat(":")? {
                let other = self.coalesce()?;
                cond = match truthy(&cond) {
                    Some(true) => cond,
                    Some(false) => other,
                    None => Ev::Unknown,
                };
            } else {
                let yes = self.expr()?;
                self.expect(":", "`:` in a ternary")?;
                let no = self.coalesce()?;
                cond = match truthy(&cond) {
                    Some(true) => yes,
                    Some(false) => no,
                    None => Ev::Unknown,
                };
            }
        }
        Ok(cond)
    }

    fn coalesce(&mut self) -> PResult<Ev> {
        let mut items = vec![self.binary(0)?];
        while self.eat("??")? {
            items.push(self.binary(0)?);
        }
        let mut acc = items.pop().expect("one item");
        while let Some(left) = items.pop() {
            acc = match left {
                Ev::Val(Value::Null) | Ev::Unset(Value::Null) => acc,
                Ev::Val(_) | Ev::Unset(_) | Ev::Closure(_) => left,
                _ => Ev::Unknown,
            };
        }
        Ok(acc)
    }

    /// Binary operators by precedence climbing (`||` lowest … `*` highest).
    fn binary(&mut self, min: u8) -> PResult<Ev> {
        let start = self.peek()?.start;
        let mut left = self.unary()?;
        while let Tok::Punct(op) = self.peek()?.tok {
            let prec = match op {
                "||" => 1,
                "&&" => 2,
                "==" | "!=" | "===" | "!==" | "<>" => 3,
                "<" | "<=" | ">" | ">=" => 4,
                "." => 5,
                "+" | "-" => 6,
                "*" | "/" | "%" => 7,
                _ => break,
            };
            if prec < min {
                break;
            }
            self.bump()?;
            let right = self.binary(prec + 1)?;
            if op == "." {
                // Check the size before building the string.
                let len = |v: &Ev| match v {
                    Ev::Val(Value::Str(s)) => s.len(),
                    _ => 20,
                };
                self.budget
                    .string(self.src, start, len(&left).saturating_add(len(&right)))?;
            }
            left = binop(op, left, right);
        }
        Ok(left)
    }

    fn unary(&mut self) -> PResult<Ev> {
        let mut ops = Vec::new();
        loop {
            let t = self.peek()?.clone();
            match t.tok {
                Tok::Punct(p @ ("-" | "+" | "!" | "@")) => ops.push(Tok::Punct(p)),
                Tok::Cast(c) => ops.push(Tok::Cast(c)),
                Tok::Punct("~" | "++" | "--" | "&" | "...") => return Err(Fail::Soft),
                _ => break,
            }
            if ops.len() > 4 * MAX_DEPTH {
                return Err(self
                    .src
                    .err(t.start, format!("nesting deeper than {MAX_DEPTH} levels"))
                    .into());
            }
            self.bump()?;
        }
        let mut v = self.postfix()?;
        for op in ops.iter().rev() {
            v = match op {
                Tok::Punct("@") => v,
                Tok::Punct("!") => {
                    truthy_known(&v).map_or(Ev::Unknown, |b| Ev::Val(Value::Bool(!b)))
                }
                Tok::Punct("-") => match v {
                    Ev::Val(Value::Int(i)) => Ev::Val(
                        i.checked_neg()
                            .map_or(Value::Float(-(i as f64)), Value::Int),
                    ),
                    Ev::Val(Value::Float(f)) => Ev::Val(Value::Float(-f)),
                    _ => Ev::Unknown,
                },
                Tok::Punct(_) => match v {
                    Ev::Val(Value::Int(_) | Value::Float(_)) => v,
                    _ => Ev::Unknown,
                },
                Tok::Cast(c) => cast(*c, v),
                _ => Ev::Unknown,
            };
        }
        Ok(v)
    }

    fn postfix(&mut self) -> PResult<Ev> {
        let first = self.peek()?.clone();
        let mut v = match &first.tok {
            // `$a['k']['l']` copies only the element, not all of `$a`.
            Tok::Var(name) if name != "_ENV" && name != "_SERVER" => {
                let name = name.clone();
                self.bump()?;
                let mut keys = Vec::new();
                while self.at_punct("[")? {
                    keys.push(self.index_key()?);
                }
                self.read_var(&name, keys, first.start)?
            }
            _ => self.primary()?,
        };
        loop {
            let t = self.peek()?.clone();
            match t.tok {
                Tok::Punct("[") => {
                    let k = self.index_key()?;
                    v = self.index(v, k, t.start)?;
                }
                Tok::Punct("(") => {
                    let args = self.args()?;
                    v = match v {
                        Ev::Closure(c) => self.call(&c, args, t.start)?,
                        _ => Ev::Unknown,
                    };
                }
                Tok::Punct("->" | "?->" | "::" | "{") => return Err(Fail::Soft),
                _ => return Ok(v),
            }
        }
    }

    /// `[ expr ]` after a value.
    fn index_key(&mut self) -> PResult<Ev> {
        let open = self.bump()?;
        self.push_open(open.start, b']');
        let k = self.expr()?;
        self.expect("]", "`]` after an index")?;
        self.pop_open();
        Ok(k)
    }

    /// The value of `$name[k1][k2]…` (at `pos`), copying only what is returned and counting it
    /// against the budget.
    fn read_var(&mut self, name: &str, keys: Vec<Ev>, pos: usize) -> PResult<Ev> {
        let mut keys = keys.into_iter();
        let mut v = match self.vars.get(name) {
            None => Ev::Unknown,
            Some(Ev::Val(val)) => {
                let mut cur = val;
                let mut rest = None;
                for k in keys.by_ref() {
                    let found = match (cur, &k) {
                        (Value::Array(a), Ev::Val(kv)) => match kv.as_string() {
                            Some(seg) => a.get(&seg).ok_or(Ev::Unset(Value::Null)),
                            None => Err(Ev::Unknown),
                        },
                        (Value::Null, Ev::Val(_)) => Err(Ev::Unset(Value::Null)),
                        _ => Err(Ev::Unknown),
                    };
                    match found {
                        Ok(next) => cur = next,
                        Err(ev) => {
                            rest = Some(ev);
                            break;
                        }
                    }
                }
                match rest {
                    Some(ev) => ev,
                    None => {
                        let (nodes, bytes, _) = size_of(cur);
                        self.budget.charge(self.src, pos, nodes, bytes)?;
                        Ev::Val(cur.clone())
                    }
                }
            }
            Some(ev) => {
                let (nodes, bytes, _) = size_of_ev(ev);
                let ev = ev.clone();
                self.budget.charge(self.src, pos, nodes, bytes)?;
                ev
            }
        };
        for k in keys {
            v = self.index(v, k, pos)?;
        }
        Ok(v)
    }

    /// `v[k]` on a value already owned (moved out, never copied); environment values are
    /// counted against the budget.
    fn index(&mut self, v: Ev, k: Ev, pos: usize) -> PResult<Ev> {
        let Ev::Val(k) = k else {
            return Ok(Ev::Unknown);
        };
        Ok(match v {
            Ev::Env => match k.as_string() {
                Some(name) => match self.env.var(&name) {
                    Some(s) => {
                        self.budget.charge(self.src, pos, 0, s.len())?;
                        Ev::Val(Value::Str(s))
                    }
                    None => Ev::Unset(Value::Null),
                },
                None => Ev::Unknown,
            },
            Ev::Val(Value::Array(mut a)) => match k.as_string() {
                Some(seg) => match a.entry(&seg).map(|e| e as *const Entry) {
                    Some(found) => {
                        let p = a
                            .entries
                            .iter()
                            .position(|e| std::ptr::eq(e, found))
                            .expect("entry of this array");
                        Ev::Val(a.entries.swap_remove(p).value)
                    }
                    None => Ev::Unset(Value::Null),
                },
                None => Ev::Unknown,
            },
            Ev::Unset(_) | Ev::Val(Value::Null) => Ev::Unset(Value::Null),
            _ => Ev::Unknown,
        })
    }

    /// `( expr, … )` of a call; anything unusual (named or spread arguments) is soft.
    fn args(&mut self) -> PResult<Vec<Ev>> {
        let open = self.bump()?;
        self.push_open(open.start, b')');
        let mut args = Vec::new();
        while !self.eat(")")? {
            args.push(self.expr()?);
            if !self.eat(",")? && !self.at_punct(")")? {
                let t = self.peek()?.clone();
                if t.tok == Tok::Eof {
                    return Err(self.eof_error(&t, "`)`").into());
                }
                return Err(Fail::Soft);
            }
        }
        self.pop_open();
        Ok(args)
    }

    fn primary(&mut self) -> PResult<Ev> {
        let t = self.peek()?.clone();
        let v = match &t.tok {
            Tok::Str(s) => {
                self.budget.charge(self.src, t.start, 0, s.len())?;
                Ev::Val(Value::Str(s.clone()))
            }
            Tok::Interp(parts) => self.interpolate(parts, t.start)?,
            Tok::Int(i) => Ev::Val(Value::Int(*i)),
            Tok::Float(f) => Ev::Val(Value::Float(*f)),
            Tok::Var(name) => match name.as_str() {
                "_ENV" | "_SERVER" => Ev::Env,
                _ => self.read_var(name, Vec::new(), t.start)?,
            },
            Tok::Punct("[") => {
                self.bump()?;
                return self.array(t.start, b']');
            }
            Tok::Punct("(") => {
                self.bump()?;
                self.push_open(t.start, b')');
                let v = self.expr()?;
                self.expect(")", "`)`")?;
                self.pop_open();
                return Ok(v);
            }
            Tok::Punct("#[" | "$" | "`") => return Err(Fail::Soft),
            Tok::Name(n) => return self.name(n.clone()),
            _ => return Err(self.unexpected(&t, "a value").into()),
        };
        self.bump()?;
        Ok(v)
    }

    fn name(&mut self, name: String) -> PResult<Ev> {
        let t = self.bump()?;
        let lower = name.to_ascii_lowercase();
        match lower.as_str() {
            "true" => return Ok(Ev::Val(Value::Bool(true))),
            "false" => return Ok(Ev::Val(Value::Bool(false))),
            "null" => return Ok(Ev::Val(Value::Null)),
            "array" if self.at_punct("(")? => {
                let open = self.bump()?;
                return self.array(open.start, b')');
            }
            "function" | "fn" => return self.closure(lower == "fn"),
            "new" | "clone" | "match" | "static" | "list" | "include" | "include_once"
            | "require" | "require_once" | "print" | "yield" | "throw" | "self" | "parent" => {
                return Err(Fail::Soft);
            }
            _ => {}
        }
        if self.at_punct("(")? {
            let args = self.args()?;
            let first = args.into_iter().next();
            return Ok(match (lower.as_str(), first) {
                ("getenv", Some(Ev::Val(k))) => {
                    match k.as_string().and_then(|k| self.env.var(&k)) {
                        Some(v) => {
                            self.budget.charge(self.src, t.start, 0, v.len())?;
                            Ev::Val(Value::Str(v))
                        }
                        None if k.as_string().is_some() => Ev::Unset(Value::Bool(false)),
                        None => Ev::Unknown,
                    }
                }
                ("isset", Some(Ev::Val(v) | Ev::Unset(v))) => {
                    Ev::Val(Value::Bool(v != Value::Null))
                }
                ("empty", Some(a)) => truthy(&a).map_or(Ev::Unknown, |b| Ev::Val(Value::Bool(!b))),
                ("intval", Some(a)) => cast(Cast::Int, a),
                ("floatval", Some(a)) => cast(Cast::Float, a),
                ("strval", Some(a)) => cast(Cast::Str, a),
                ("boolval", Some(a)) => cast(Cast::Bool, a),
                _ => Ev::Unknown,
            });
        }
        if self.eat("::")? {
            let c = self.bump()?;
            return match c.tok {
                Tok::Name(member) if !self.at_punct("(")? => {
                    Ok(Ev::Const(format!("{name}::{member}")))
                }
                _ => Err(Fail::Soft),
            };
        }
        Ok(match name.as_str() {
            "PHP_EOL" => Ev::Val(Value::Str("\n".into())),
            "DIRECTORY_SEPARATOR" => Ev::Val(Value::Str("/".into())),
            "PHP_INT_MAX" => Ev::Val(Value::Int(i64::MAX)),
            "PHP_INT_MIN" => Ev::Val(Value::Int(i64::MIN)),
            "PHP_INT_SIZE" => Ev::Val(Value::Int(8)),
            _ => Ev::Const(name),
        })
    }

    /// `function (...) [use (...)] [: type] { ... }` or `fn (...) [: type] => expr`, after the
    /// keyword. Only a body `return <expr>;` can be evaluated later.
    fn closure(&mut self, arrow: bool) -> PResult<Ev> {
        self.eat("&")?;
        if !self.at_punct("(")? {
            return Err(Fail::Soft);
        }
        let open = self.bump()?;
        self.push_open(open.start, b')');
        let mut params = Vec::new();
        while !self.eat(")")? {
            let t = self.bump()?;
            match t.tok {
                Tok::Var(name) => {
                    let default = if self.eat("=")? {
                        Some(self.expr()?)
                    } else {
                        None
                    };
                    params.push((name, default));
                    if !self.eat(",")? && !self.at_punct(")")? {
                        return Err(Fail::Soft);
                    }
                }
                Tok::Name(_) | Tok::Punct("?" | "|" | "&" | "...") => {}
                Tok::Eof => return Err(self.eof_error(&t, "`)`").into()),
                _ => return Err(Fail::Soft),
            }
        }
        self.pop_open();
        if !arrow && self.peek().is_ok_and(|t| is_name(t, "use")) {
            self.bump()?;
            if !self.at_punct("(")? {
                return Err(Fail::Soft);
            }
            self.args()?;
        }
        if self.eat(":")? {
            while matches!(self.peek()?.tok, Tok::Name(_) | Tok::Punct("?" | "|")) {
                self.bump()?;
            }
        }
        // Parse the body once with the parameters unknown, to check and skip it.
        let saved: Vec<_> = params
            .iter()
            .map(|(p, _)| (p.clone(), self.vars.insert(p.clone(), Ev::Unknown)))
            .collect();
        let body = self.closure_body(arrow);
        for (p, old) in saved {
            match old {
                Some(v) => self.vars.insert(p, v),
                None => self.vars.remove(&p),
            };
        }
        let body = body?;
        Ok(Ev::Closure(Rc::new(Closure {
            params,
            body,
            arrow,
        })))
    }

    fn closure_body(&mut self, arrow: bool) -> PResult<Option<usize>> {
        if arrow {
            self.expect("=>", "`=>` in an arrow function")?;
            let start = self.peek()?.start;
            self.expr()?;
            return Ok(Some(start));
        }
        let open = self.peek()?.clone();
        if !is_punct(&open, "{") {
            return Err(Fail::Soft);
        }
        self.bump()?;
        self.push_open(open.start, b'}');
        let m = self.mark();
        if self.peek().is_ok_and(|t| is_name(t, "return")) {
            self.bump()?;
            let start = self.peek()?.start;
            let ok = match self.expr() {
                Ok(_) => true,
                Err(Fail::Hard(e)) if self.budget.exhausted => return Err(e.into()),
                Err(_) => false,
            };
            if ok && self.eat(";")? && self.eat("}")? {
                self.pop_open();
                return Ok(Some(start));
            }
        }
        self.restore(m);
        self.skip(Skip::Block)?;
        self.expect("}", "`}`")?;
        self.pop_open();
        Ok(None)
    }

    /// Evaluate a closure call (at `pos`) by parsing its returned expression again with the
    /// arguments bound. Only a cap of the budget is an error; anything else gives `Unknown`.
    fn call(&mut self, c: &Closure, args: Vec<Ev>, pos: usize) -> Result<Ev, EnvPhpError> {
        let Some(body) = c.body else {
            return Ok(Ev::Unknown);
        };
        if self.calls >= MAX_CALLS {
            return Ok(Ev::Unknown);
        }
        self.budget.calls += 1;
        if self.budget.calls > MAX_CALLS_TOTAL {
            let msg = format!("too many closure calls to evaluate (over {MAX_CALLS_TOTAL})");
            return Err(self.budget.fail(self.src, pos, msg));
        }
        let mut bound = Vec::with_capacity(c.params.len());
        let mut args = args.into_iter();
        for (name, default) in &c.params {
            let v = match args.next() {
                Some(v) => v,
                None => match default {
                    Some(d) => {
                        let (nodes, bytes, _) = size_of_ev(d);
                        self.budget.charge(self.src, pos, nodes, bytes)?;
                        d.clone()
                    }
                    None => Ev::Unknown,
                },
            };
            bound.push((name.clone(), v));
        }
        // An arrow function sees the variables around it (those of the call, a simplification
        // of PHP's capture by value): the parameters are bound over them and unbound after.
        // A `function` sees its parameters only.
        let outer = if c.arrow {
            None
        } else {
            Some(std::mem::take(&mut self.vars))
        };
        let saved: Vec<_> = bound
            .into_iter()
            .map(|(name, v)| {
                let old = self.vars.insert(name.clone(), v);
                (name, old)
            })
            .collect();
        let m = self.mark();
        self.lex = Lexer::new(body);
        self.peeked = None;
        self.calls += 1;
        let r = self.expr();
        self.calls -= 1;
        self.restore(m);
        match outer {
            Some(outer) => self.vars = outer,
            None => {
                for (name, old) in saved.into_iter().rev() {
                    match old {
                        Some(v) => self.vars.insert(name, v),
                        None => self.vars.remove(&name),
                    };
                }
            }
        }
        match r {
            Ok(v) => Ok(v),
            Err(Fail::Hard(e)) if self.budget.exhausted => Err(e),
            Err(_) => Ok(Ev::Unknown),
        }
    }

    /// A double-quoted string or heredoc with variables, at `pos`.
    fn interpolate(&mut self, parts: &[Part], pos: usize) -> PResult<Ev> {
        let mut out = String::new();
        for p in parts {
            let piece = match p {
                Part::Lit(s) => s.clone(),
                Part::Complex => return Ok(Ev::Unknown),
                Part::Var { name, index: idx } => {
                    let k = match idx {
                        None => None,
                        Some(Index::Str(s)) => Some(Ev::Val(Value::Str(s.clone()))),
                        Some(Index::Int(n)) => Some(Ev::Val(Value::Int(*n))),
                        Some(Index::Var(n)) => Some(self.read_var(n, Vec::new(), pos)?),
                    };
                    let v = match name.as_str() {
                        "_ENV" | "_SERVER" => match k {
                            Some(k) => self.index(Ev::Env, k, pos)?,
                            None => Ev::Unknown,
                        },
                        _ => self.read_var(name, k.into_iter().collect(), pos)?,
                    };
                    match v {
                        Ev::Val(v) => match v.as_string() {
                            Some(s) => s,
                            None => return Ok(Ev::Unknown),
                        },
                        _ => return Ok(Ev::Unknown),
                    }
                }
            };
            self.budget
                .string(self.src, pos, out.len().saturating_add(piece.len()))?;
            out.push_str(&piece);
        }
        Ok(Ev::Val(Value::Str(out)))
    }

    /// The elements of `[...]` or `array(...)` after the opening bracket.
    fn array(&mut self, open: usize, close: u8) -> PResult<Ev> {
        self.push_open(open, close);
        let closer = if close == b']' { "]" } else { ")" };
        let mut arr = Array::default();
        let mut next: Option<i64> = None;
        loop {
            if self.eat(closer)? {
                break;
            }
            let first = self.peek()?.clone();
            if is_punct(&first, ",") {
                return Err(self.unexpected(&first, "a value").into());
            }
            let line = self.src.line(first.start);
            let ev = self.value(Skip::Value { arrow: true })?;
            let (key, value) = if self.eat("=>")? {
                let key = self.key_of(ev, Some(first.start)).expect("start given");
                let vstart = self.peek()?.start;
                let v = self.value(Skip::Value { arrow: false })?;
                (key, self.finish(v, vstart))
            } else {
                let k = next.unwrap_or(0);
                (Key::Int(k), self.finish(ev, first.start))
            };
            if let Key::Int(k) = key {
                // PHP ≥ 8.3: the next implicit key follows the largest integer key, even negative.
                if next.is_none_or(|n| k >= n) {
                    next = Some(k.saturating_add(1));
                }
            }
            self.budget.charge(self.src, first.start, 1, 0)?;
            arr.entries.push(Entry { key, value, line });
            if self.eat(",")? {
                continue;
            }
            let t = self.peek()?.clone();
            if is_punct(&t, closer) {
                continue;
            }
            return Err(self
                .unexpected(&t, &format!("`{closer}` or `,` after array element"))
                .into());
        }
        self.pop_open();
        Ok(Ev::Val(Value::Array(arr)))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::path::Path;

    use crate::store::envphp::{Document, Environment, Key, NoEnv, Value, parse};

    struct Env(HashMap<&'static str, &'static str>);

    impl Environment for Env {
        fn var(&self, name: &str) -> Option<String> {
            self.0.get(name).map(|s| s.to_string())
        }
    }

    fn env() -> Env {
        Env(HashMap::from([
            ("DB_HOST", "db.internal"),
            ("EMPTY", ""),
            ("PORT", "3307"),
        ]))
    }

    fn doc(body: &str) -> Document {
        parse(
            format!("<?php\n{body}").as_bytes(),
            Path::new("env.php"),
            &env(),
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    /// The value of `return ['v' => <expr>];`.
    fn val(expr: &str) -> Value {
        doc(&format!("return ['v' => {expr}];"))
            .get("v")
            .cloned()
            .expect("v")
    }

    fn s(x: &str) -> Value {
        Value::Str(x.into())
    }

    /// PHP_INT_MIN divided by -1 overflows an i64: PHP gives a float for `/` and 0 for `%`
    /// (it panicked here before: issue 11, defect 1).
    #[test]
    fn int_min_by_minus_one_is_what_php_gives() {
        assert_eq!(
            val("(-9223372036854775807-1)/-1"),
            Value::Float(9.223372036854776e18)
        );
        assert_eq!(val("(-9223372036854775807-1) % -1"), Value::Int(0));
        assert_eq!(val("7 % -1"), Value::Int(0));
        assert_eq!(
            val("(int)'-9223372036854775808'/-1"),
            Value::Float(9.223372036854776e18)
        );
        assert_eq!(val("6/3"), Value::Int(2));
        assert_eq!(val("7/2"), Value::Float(3.5));
    }

    fn err(body: &str) -> String {
        parse(body.as_bytes(), Path::new("env.php"), &NoEnv)
            .expect_err("should fail")
            .to_string()
    }

    #[test]
    fn scalars() {
        assert_eq!(val("TRUE"), Value::Bool(true));
        assert_eq!(val("False"), Value::Bool(false));
        assert_eq!(val("NULL"), Value::Null);
        assert_eq!(val("-5"), Value::Int(-5));
        assert_eq!(val("-2.5"), Value::Float(-2.5));
        assert_eq!(val("+3"), Value::Int(3));
        assert_eq!(val("(int) '12abc'"), Value::Int(12));
        assert_eq!(val("(int)'3307'"), Value::Int(3307));
        assert_eq!(val("(string) 5"), s("5"));
        assert_eq!(val("(bool) '0'"), Value::Bool(false));
        assert_eq!(val("(float) '1.5'"), Value::Float(1.5));
        assert_eq!(val("1 + 2 * 3"), Value::Int(7));
        assert_eq!(val("'a' . 'b' . 1"), s("ab1"));
        assert_eq!(val("('a')"), s("a"));
        assert_eq!(val("PHP_EOL"), s("\n"));
        assert_eq!(val("!0"), Value::Bool(true));
        assert_eq!(val("1 ? 'y' : 'n'"), s("y"));
        assert_eq!(val("'1' === '1' && 2 > 1"), Value::Bool(true));
    }

    #[test]
    fn environment_lookups() {
        assert_eq!(val("getenv('DB_HOST')"), s("db.internal"));
        assert_eq!(val("\\getenv(\"DB_HOST\")"), s("db.internal"));
        assert_eq!(val("getenv('NOPE') ?: 'd'"), s("d"));
        assert_eq!(val("getenv('EMPTY') ?: 'd'"), s("d"));
        // PHP's getenv() gives false, not null, so `??` never falls back: still unknown.
        assert!(val("getenv('NOPE') ?? 'd'").non_literal().is_some());
        assert_eq!(val("$_ENV['NOPE'] ?? 'd'"), s("d"));
        assert_eq!(val("$_ENV['DB_HOST'] ?? 'd'"), s("db.internal"));
        assert_eq!(val("$_SERVER['NOPE'] ?? $_ENV['NOPE'] ?? 'x'"), s("x"));
        assert_eq!(val("isset($_ENV['NOPE']) ? $_ENV['NOPE'] : 'd'"), s("d"));
        assert_eq!(val("(int) getenv('PORT')"), Value::Int(3307));
        assert_eq!(
            val("'mysql:' . getenv('DB_HOST') . ':' . $_ENV['PORT']"),
            s("mysql:db.internal:3307")
        );
        assert_eq!(
            val("\"{$_ENV['DB_HOST']}:$_ENV[PORT]\""),
            s("db.internal:3307")
        );
        for (unresolved, text) in [
            ("getenv('NOPE')", "getenv('NOPE')"),
            ("$_ENV['NOPE']", "$_ENV['NOPE']"),
            ("getenv('NOPE') . 'x'", "getenv('NOPE') . '…'"),
            ("$nope", "$nope"),
            ("$nope ?? []", "$nope ?? []"),
            ("foo()", "foo()"),
        ] {
            let v = val(unresolved);
            assert_eq!(
                v.non_literal().map(|n| n.text.as_str()),
                Some(text),
                "{unresolved}"
            );
        }
    }

    #[test]
    fn variables_and_closures() {
        let d = doc(
            "declare(strict_types=1);\nuse Foo\\Bar;\n$host = 'db';\n$port = (int) getenv('PORT');\n\
             $e = function ($k, $d = null) { return getenv($k) ?: $d; };\n$f = fn($k, $d) => $_ENV[$k] ?? $d;\n\
             $g = function () { $x = 1; return $x; };\n$c = ['a' => 1];\n$c['b']['c'] = 2;\n$c['list'][] = 'x';\n\
             if ($host) { $unused = 1; }\nfunction foo() { return 1; }\n\
             return ['host' => $host, 'dsn' => \"$host:{$port}\", 'r' => $e('REDIS', 'redis'), 'r2' => $e('DB_HOST'),\n\
             's' => $f('NOPE', 's'), 'g' => $g(), 'c' => $c];",
        );
        assert_eq!(doc_str(&d, "host"), "db");
        assert_eq!(doc_str(&d, "dsn"), "db:3307");
        assert_eq!(doc_str(&d, "r"), "redis");
        assert_eq!(doc_str(&d, "r2"), "db.internal");
        assert_eq!(doc_str(&d, "s"), "s");
        assert!(d.get("g").unwrap().non_literal().is_some());
        assert_eq!(d.get("c/a"), Some(&Value::Int(1)));
        assert_eq!(d.get("c/b/c"), Some(&Value::Int(2)));
        assert_eq!(d.get("c/list/0"), Some(&s("x")));
        assert_eq!(d.unresolved.len(), 1);
        assert_eq!(d.unresolved[0].path, "g");
    }

    fn doc_str(d: &Document, p: &str) -> String {
        d.string(p).unwrap_or_else(|| panic!("{p}: {:?}", d.get(p)))
    }

    #[test]
    fn keys_and_auto_index() {
        let d = doc(
            "return ['a', 5 => 'b', 'c', '7' => 'd', 'e', -3 => 'f', \\PDO::MYSQL_ATTR_SSL_CA => 'ca', PDO::X => 1, 'a' . 'b' => 2, 'x' => 1, 'x' => 2];",
        );
        let keys: Vec<_> = d.root.iter().map(|e| e.key.clone()).collect();
        assert_eq!(
            keys,
            vec![
                Key::Int(0),
                Key::Int(5),
                Key::Int(6),
                Key::Int(7),
                Key::Int(8),
                Key::Int(-3),
                Key::Const("PDO::MYSQL_ATTR_SSL_CA".into()),
                Key::Const("PDO::X".into()),
                Key::Str("ab".into()),
                Key::Str("x".into()),
                Key::Str("x".into()),
            ]
        );
        assert_eq!(d.get("x"), Some(&Value::Int(2)));
        assert_eq!(d.get("MYSQL_ATTR_SSL_CA"), Some(&s("ca")));
    }

    #[test]
    fn non_literals_are_skipped_robustly() {
        let d = doc(
            "return [\n'a' => new \\Foo(['x' => [1, 2]], 'y'),\n'b' => match(1) { 1 => 'a', default => 'b' },\n\
                     'c' => $obj->get('x')['y'],\n'd' => Foo::bar(1, 2),\n'e' => Foo::BAZ,\n'f' => function () { return [1]; },\n\
                     'g' => array_merge([1], [2]),\n'h' => 1 | 2,\n'i' => 'ok'];",
        );
        assert_eq!(d.string("i").as_deref(), Some("ok"));
        let paths: Vec<_> = d
            .unresolved
            .iter()
            .map(|u| (u.path.as_str(), u.line))
            .collect();
        assert_eq!(
            paths,
            vec![
                ("a", 3),
                ("b", 4),
                ("c", 5),
                ("d", 6),
                ("e", 7),
                ("f", 8),
                ("g", 9),
                ("h", 10)
            ]
        );
        // String literals are masked in the text; variable and class names are not.
        assert_eq!(d.unresolved[0].text, "new \\Foo(['…' => [1, 2]], '…')");
        assert_eq!(d.unresolved[4].text, "Foo::BAZ");
    }

    #[test]
    fn errors() {
        assert_eq!(err(""), "env.php:1:1: empty file: no `<?php` opening tag");
        assert_eq!(
            err("<?php\nreturn [1, 2;"),
            "env.php:2:13: expected `]` or `,` after array element, found `;`"
        );
        assert_eq!(
            err("<?php\nreturn array(1;"),
            "env.php:2:15: expected `)` or `,` after array element, found `;`"
        );
        assert_eq!(
            err("<?php\nreturn 1;"),
            "env.php:2:8: `return` must give an array, found `1`"
        );
        assert_eq!(
            err("<?php\n$a = 1;\n"),
            "env.php:3:1: no `return` statement"
        );
        assert_eq!(
            err("<?php\nreturn [\n  'a' => [\n"),
            "env.php:4:1: unexpected end of file: 2 brackets still open (opened at 3:10)"
        );
        assert_eq!(
            err("<?php\nreturn ['a' => ];"),
            "env.php:2:16: expected a value, found `]`"
        );
        assert_eq!(
            err("<?php\nreturn ['a' => 1 'b' => 2];"),
            "env.php:2:18: expected `]` or `,` after array element, found string `…`"
        );
        assert_eq!(
            err("<?php\nreturn [1]"),
            "env.php:2:11: unexpected end of file (expected `;` after the returned array)"
        );
        assert_eq!(err("\0\0\0"), "env.php:1:1: not a PHP file: binary data");
        assert_eq!(
            err("hello"),
            "env.php:1:1: not a PHP file: expected `<?php` at the start"
        );
        assert_eq!(
            err("<?php\nreturn $x;"),
            "env.php:2:8: `return` must give an array literal, found variable `$x` (not a literal)"
        );
    }

    #[test]
    fn statement_forms() {
        let ok = |src: &str| {
            parse(src.as_bytes(), Path::new("env.php"), &NoEnv)
                .unwrap_or_else(|e| panic!("{src}: {e}"))
        };
        assert!(ok("<?php return [];").root.is_empty());
        assert!(ok("<?PHP\nRETURN array();").root.is_empty());
        assert_eq!(
            ok("<?php return(['a' => 1]);").get("a"),
            Some(&Value::Int(1))
        );
        assert_eq!(
            ok("<?php return ['a' => 1] ?>").get("a"),
            Some(&Value::Int(1))
        );
        assert_eq!(ok("<?php\nnamespace X;\n#[Attr(1)]\nfunction f() { if (1) { return 2; } }\nif ($a) { $b = 1; } else { $b = 2; }\n$o = new Foo();\n$o->bar();\nreturn ['a' => $o, 'b' => $b];")
            .unresolved.iter().map(|u| u.path.as_str()).collect::<Vec<_>>(), ["a", "b"]);
        let d =
            ok("<?php $cfg = ['db' => ['host' => 'x']];\n$cfg['db']['host'] = 'y';\nreturn $cfg;");
        assert_eq!(d.string("db/host").as_deref(), Some("y"));
        assert_eq!(d.line("db/host"), Some(1), "the entry keeps its first line");
    }

    #[test]
    fn deep_nesting_is_an_error() {
        let ok = format!("<?php return {}{};", "[".repeat(63), "]".repeat(63));
        assert!(parse(ok.as_bytes(), Path::new("env.php"), &NoEnv).is_ok());
        let e = err(&format!(
            "<?php return {}{};",
            "[".repeat(65),
            "]".repeat(65)
        ));
        assert!(e.contains("nesting deeper than 64 levels"), "{e}");
        let e = err(&format!("<?php return ['a' => {}1];", "- ".repeat(10_001)));
        assert!(e.contains("nesting deeper"), "{e}");
        assert_eq!(val("- - -1"), Value::Int(-1));
        let e = err(&format!("<?php return ['a' => {}];", "(".repeat(10_000)));
        assert!(e.contains("nesting deeper"), "{e}");
    }
}
