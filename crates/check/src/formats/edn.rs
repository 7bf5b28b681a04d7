//! A reader for the subset of EDN that Jepsen histories use: maps, vectors, lists,
//! sets, keywords, symbols, strings, integers, floats, booleans and nil. Tagged
//! literals (`#jepsen.history.Op{...}`) read as their value; `#_` discards a form.

use std::fmt;

use super::MAX_NESTING;

/// An EDN value.
#[derive(Clone, Debug, PartialEq)]
pub enum Edn {
    /// `nil`
    Nil,
    /// `true` / `false`
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// A string, escapes resolved.
    Str(String),
    /// A keyword, without its leading colon.
    Keyword(String),
    /// A symbol.
    Symbol(String),
    /// `[...]`
    Vector(Vec<Edn>),
    /// `(...)`
    List(Vec<Edn>),
    /// `#{...}`
    Set(Vec<Edn>),
    /// `{...}`, pairs in source order.
    Map(Vec<(Edn, Edn)>),
}

impl Edn {
    /// The value under keyword `key` when `self` is a map.
    pub fn get(&self, key: &str) -> Option<&Edn> {
        match self {
            Edn::Map(pairs) => pairs
                .iter()
                .find(|(k, _)| matches!(k, Edn::Keyword(name) if name == key))
                .map(|(_, v)| v),
            _ => None,
        }
    }
}

impl fmt::Display for Edn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn seq(f: &mut fmt::Formatter<'_>, open: &str, items: &[Edn], close: &str) -> fmt::Result {
            f.write_str(open)?;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    f.write_str(" ")?;
                }
                write!(f, "{item}")?;
            }
            f.write_str(close)
        }
        match self {
            Edn::Nil => f.write_str("nil"),
            Edn::Bool(b) => write!(f, "{b}"),
            Edn::Int(n) => write!(f, "{n}"),
            Edn::Float(x) => write!(f, "{x:?}"),
            Edn::Str(s) => write!(f, "{s:?}"),
            Edn::Keyword(k) => write!(f, ":{k}"),
            Edn::Symbol(s) => f.write_str(s),
            Edn::Vector(v) => seq(f, "[", v, "]"),
            Edn::List(v) => seq(f, "(", v, ")"),
            Edn::Set(v) => seq(f, "#{", v, "}"),
            Edn::Map(pairs) => {
                f.write_str("{")?;
                for (i, (k, v)) in pairs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k} {v}")?;
                }
                f.write_str("}")
            }
        }
    }
}

/// A syntax error at a 1-based line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EdnError {
    /// Line of the offending character.
    pub line: usize,
    /// What was expected.
    pub message: String,
}

/// A top-level form and the line it starts on.
#[derive(Clone, Debug, PartialEq)]
pub struct Form {
    /// 1-based line of the form's first character.
    pub line: usize,
    /// The value.
    pub value: Edn,
}

/// Reads every top-level form of `text`.
pub fn parse_forms(text: &str) -> Result<Vec<Form>, EdnError> {
    let mut reader = Reader {
        bytes: text.as_bytes(),
        text,
        pos: 0,
        line: 1,
        depth: 0,
    };
    let mut forms = Vec::new();
    loop {
        reader.skip_blank();
        if reader.pos == reader.bytes.len() {
            return Ok(forms);
        }
        let line = reader.line;
        let value = reader.value()?;
        forms.push(Form { line, value });
    }
}

/// Reads the elements of a history: the items of a top-level vector or list
/// (`[{...} {...}]`, `({...} {...})`), each with its own line, or else every top-level
/// form (one map per line).
pub fn parse_items(text: &str) -> Result<Vec<Form>, EdnError> {
    let mut reader = Reader {
        bytes: text.as_bytes(),
        text,
        pos: 0,
        line: 1,
        depth: 0,
    };
    reader.skip_blank();
    let (close, name) = match reader.peek() {
        Some(b'[') => (b']', "vector"),
        Some(b'(') => (b')', "list"),
        _ => return parse_forms(text),
    };
    reader.bump();
    let mut items = Vec::new();
    loop {
        reader.skip_blank();
        match reader.peek() {
            None => {
                return reader.error(format!(
                    "expected '{}' to close the history {name}",
                    close as char
                ))
            }
            Some(b) if b == close => break,
            Some(_) => {
                let line = reader.line;
                let value = reader.value()?;
                items.push(Form { line, value });
            }
        }
    }
    reader.bump();
    reader.skip_blank();
    if reader.peek().is_some() {
        return reader.error(format!("expected nothing after the history {name}"));
    }
    Ok(items)
}

struct Reader<'a> {
    bytes: &'a [u8],
    text: &'a str,
    pos: usize,
    line: usize,
    /// Collections and tags open around the current position.
    depth: usize,
}

fn is_delimiter(b: u8) -> bool {
    b.is_ascii_whitespace() || b",()[]{}\";".contains(&b)
}

impl Reader<'_> {
    fn error<T>(&self, message: impl Into<String>) -> Result<T, EdnError> {
        Err(EdnError {
            line: self.line,
            message: message.into(),
        })
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos += 1;
        if b == b'\n' {
            self.line += 1;
        }
        Some(b)
    }

    /// Skips whitespace, commas and `;` comments.
    fn skip_blank(&mut self) {
        while let Some(b) = self.peek() {
            if b.is_ascii_whitespace() || b == b',' {
                self.bump();
            } else if b == b';' {
                while !matches!(self.peek(), None | Some(b'\n')) {
                    self.bump();
                }
            } else {
                break;
            }
        }
    }

    /// One form, refusing nesting deeper than [`MAX_NESTING`] (so a hostile file
    /// cannot overflow the stack).
    fn value(&mut self) -> Result<Edn, EdnError> {
        if self.depth >= MAX_NESTING {
            return self.error(format!(
                "nesting deeper than {MAX_NESTING} levels (the limit for history files)"
            ));
        }
        self.depth += 1;
        let value = self.unnested_value();
        self.depth -= 1;
        value
    }

    fn unnested_value(&mut self) -> Result<Edn, EdnError> {
        self.skip_blank();
        let Some(b) = self.peek() else {
            return self.error("expected a value, found the end of the input");
        };
        match b {
            b'{' => {
                self.bump();
                let items = self.items(b'}')?;
                if items.len() % 2 != 0 {
                    return self.error("expected an even number of forms in a map");
                }
                let mut pairs = Vec::with_capacity(items.len() / 2);
                let mut it = items.into_iter();
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    pairs.push((k, v));
                }
                Ok(Edn::Map(pairs))
            }
            b'[' => {
                self.bump();
                Ok(Edn::Vector(self.items(b']')?))
            }
            b'(' => {
                self.bump();
                Ok(Edn::List(self.items(b')')?))
            }
            b'"' => self.string(),
            b'#' => self.dispatch(),
            b':' => {
                self.bump();
                let name = self.token();
                if name.is_empty() {
                    return self.error("expected a keyword name after ':'");
                }
                Ok(Edn::Keyword(name.to_owned()))
            }
            b'}' | b']' | b')' => self.error(format!("unexpected '{}'", b as char)),
            b'\\' => self.error("character literals are not supported"),
            _ => self.atom(),
        }
    }

    /// Forms up to the closing byte `close`.
    fn items(&mut self, close: u8) -> Result<Vec<Edn>, EdnError> {
        let mut items = Vec::new();
        loop {
            self.skip_blank();
            match self.peek() {
                None => return self.error(format!("expected '{}' before the end", close as char)),
                Some(b) if b == close => {
                    self.bump();
                    return Ok(items);
                }
                Some(_) => items.push(self.value()?),
            }
        }
    }

    fn dispatch(&mut self) -> Result<Edn, EdnError> {
        self.bump();
        match self.peek() {
            Some(b'{') => {
                self.bump();
                Ok(Edn::Set(self.items(b'}')?))
            }
            Some(b'_') => {
                self.bump();
                self.value()?;
                self.value()
            }
            Some(b) if b.is_ascii_alphabetic() => {
                self.token();
                self.value()
            }
            _ => self.error("expected '#{', '#_' or a tag after '#'"),
        }
    }

    fn token(&mut self) -> &str {
        let start = self.pos;
        while self.peek().is_some_and(|b| !is_delimiter(b)) {
            self.bump();
        }
        &self.text[start..self.pos]
    }

    fn atom(&mut self) -> Result<Edn, EdnError> {
        let token = self.token().to_owned();
        match token.as_str() {
            "nil" => return Ok(Edn::Nil),
            "true" => return Ok(Edn::Bool(true)),
            "false" => return Ok(Edn::Bool(false)),
            _ => {}
        }
        let first = token.as_bytes()[0];
        let numeric = first.is_ascii_digit()
            || ((first == b'-' || first == b'+')
                && token.as_bytes().get(1).is_some_and(u8::is_ascii_digit));
        if !numeric {
            return Ok(Edn::Symbol(token));
        }
        let digits = token.strip_suffix('N').unwrap_or(&token);
        if let Ok(n) = digits.parse::<i64>() {
            return Ok(Edn::Int(n));
        }
        let float = token.strip_suffix('M').unwrap_or(&token);
        match float.parse::<f64>() {
            Ok(x) => Ok(Edn::Float(x)),
            Err(_) => self.error(format!("expected a number, found {token:?}")),
        }
    }

    fn string(&mut self) -> Result<Edn, EdnError> {
        self.bump();
        let mut out = String::new();
        let start_line = self.line;
        loop {
            let start = self.pos;
            while !matches!(self.peek(), None | Some(b'"') | Some(b'\\')) {
                self.bump();
            }
            out.push_str(&self.text[start..self.pos]);
            match self.bump() {
                None => {
                    return Err(EdnError {
                        line: start_line,
                        message: "expected a closing '\"' for this string".into(),
                    })
                }
                Some(b'"') => return Ok(Edn::Str(out)),
                _ => {
                    let escaped = match self.bump() {
                        Some(b'n') => '\n',
                        Some(b't') => '\t',
                        Some(b'r') => '\r',
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        _ => {
                            return self.error("expected one of \\n \\t \\r \\\" \\\\ in a string")
                        }
                    };
                    out.push(escaped);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Edn {
        let forms = parse_forms(text).unwrap();
        assert_eq!(forms.len(), 1, "{forms:?}");
        forms.into_iter().next().unwrap().value
    }

    #[test]
    fn reads_a_jepsen_op_map() {
        let op = one(r#"{:process 0, :type :invoke, :f :append, :key "0", :value "x 0 0 y"}"#);
        assert_eq!(op.get("process"), Some(&Edn::Int(0)));
        assert_eq!(op.get("type"), Some(&Edn::Keyword("invoke".into())));
        assert_eq!(op.get("value"), Some(&Edn::Str("x 0 0 y".into())));
        assert_eq!(op.get("missing"), None);
    }

    #[test]
    fn reads_nested_collections_numbers_and_escapes() {
        let v = one(r#"[nil true -3 2.5 "a\"b\n" sym #{1} (1 2) {:a [4 5]}]"#);
        let Edn::Vector(items) = v else { panic!() };
        assert_eq!(items[0], Edn::Nil);
        assert_eq!(items[1], Edn::Bool(true));
        assert_eq!(items[2], Edn::Int(-3));
        assert_eq!(items[3], Edn::Float(2.5));
        assert_eq!(items[4], Edn::Str("a\"b\n".into()));
        assert_eq!(items[5], Edn::Symbol("sym".into()));
        assert_eq!(items[6], Edn::Set(vec![Edn::Int(1)]));
        assert_eq!(items[7], Edn::List(vec![Edn::Int(1), Edn::Int(2)]));
        assert_eq!(
            items[8].get("a"),
            Some(&Edn::Vector(vec![Edn::Int(4), Edn::Int(5)]))
        );
    }

    #[test]
    fn tags_comments_and_discards_are_skipped() {
        let forms = parse_forms("; header\n#jepsen.history.Op{:a 1}\n#_ {:b 2} {:c 3}\n").unwrap();
        assert_eq!(forms.len(), 2);
        assert_eq!(forms[0].line, 2);
        assert_eq!(forms[0].value.get("a"), Some(&Edn::Int(1)));
        assert_eq!(forms[1].line, 3);
        assert_eq!(forms[1].value.get("c"), Some(&Edn::Int(3)));
    }

    #[test]
    fn errors_name_the_line_and_the_expectation() {
        let err = parse_forms("{:a 1}\n{:b 2\n").unwrap_err();
        assert_eq!(err.line, 3);
        assert!(err.message.contains("expected '}'"), "{}", err.message);

        let err = parse_forms("{:a 1}\n{:b \"open\n\n").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.message.contains("closing"));

        let err = parse_forms("{:a}").unwrap_err();
        assert!(err.message.contains("even number"));

        let err = parse_forms("\n ]").unwrap_err();
        assert_eq!(err.line, 2);

        let err = parse_forms("12x").unwrap_err();
        assert!(err.message.contains("expected a number"));
    }

    #[test]
    fn items_of_a_top_level_vector_keep_their_lines() {
        let items = parse_items("[{:a 1}\n {:a 2}]\n").unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[1].line, 2);
        assert_eq!(items[1].value.get("a"), Some(&Edn::Int(2)));
        let lines = parse_items("{:a 1}\n{:a 2}\n").unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(parse_items("[{:a 1}] {:a 2}").unwrap_err().line, 1);
        assert!(parse_items("[{:a 1}").unwrap_err().message.contains("']'"));
        let list = parse_items("; Jepsen writes lists too\n({:a 1}\n {:a 2})\n").unwrap();
        assert_eq!(list.iter().map(|f| f.line).collect::<Vec<_>>(), [2, 3]);
        assert!(parse_items("({:a 1}").unwrap_err().message.contains("')'"));
    }

    #[test]
    fn nesting_is_capped_with_an_error_naming_the_limit() {
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(parse_forms(&deep(MAX_NESTING)).is_ok());
        for text in [
            deep(MAX_NESTING + 1),
            deep(20_000),
            "(".repeat(20_000),
            "{:a ".repeat(20_000),
            "#_".repeat(20_000),
            "#tag ".repeat(20_000),
        ] {
            let err = parse_forms(&text).unwrap_err();
            assert!(
                err.message
                    .contains(&format!("deeper than {MAX_NESTING} levels")),
                "{}",
                err.message
            );
        }
        let err = parse_items(&format!("[{}]", deep(20_000))).unwrap_err();
        assert!(err.message.contains("deeper than"), "{}", err.message);
    }

    #[test]
    fn display_round_trips() {
        let text = r#"{:f :cas, :value [1 2], :s "q\"", :n nil}"#;
        let v = one(text);
        assert_eq!(one(&v.to_string()), v);
    }
}
