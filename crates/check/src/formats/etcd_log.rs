//! Porcupine's Jepsen etcd logs: one register, read/write/cas.
//!
//! Each line reads `INFO  jepsen.util - P :type :f value` (tabs or spaces), e.g.
//! `2 :invoke :write 4`, `3 :ok :read nil`, `17 :invoke :cas [4 4]`,
//! `13 :info :cas :timed-out`. Porcupine's meaning, which differs from Jepsen's for
//! `:fail`: a failed cas happened and returned false; `:fail :read :timed-out` is a read
//! with an unknown result; `:info` is indeterminate (may have happened, or not).

use super::edn::parse_forms;
use super::jepsen::{build, Event, FailMeaning, Kind};
use super::{AnyHistory, ModelKind, ParseError};

/// Splits off the first whitespace-separated token.
fn token(s: &str) -> (&str, &str) {
    let s = s.trim_start();
    let end = s.find(char::is_whitespace).unwrap_or(s.len());
    (&s[..end], &s[end..])
}

const SHAPE: &str = "expected 'INFO  jepsen.util - PROCESS :TYPE :F VALUE'";

fn event(line_no: usize, line: &str) -> Result<Event, ParseError> {
    let bad = |what: &str| ParseError::at(line_no, format!("{SHAPE}: {what}"));
    let (info, rest) = token(line);
    let (logger, rest) = token(rest);
    let (dash, rest) = token(rest);
    if (info, logger, dash) != ("INFO", "jepsen.util", "-") {
        return Err(bad("bad prefix"));
    }
    let (process, rest) = token(rest);
    let process = process
        .parse::<u64>()
        .map_err(|_| bad(&format!("process {process:?} is not a number")))?;
    let (kind, rest) = token(rest);
    let kind = kind
        .strip_prefix(':')
        .and_then(Kind::parse)
        .ok_or_else(|| {
            bad(&format!(
                "type {kind:?} is not :invoke, :ok, :fail or :info"
            ))
        })?;
    let (f, rest) = token(rest);
    let f = f
        .strip_prefix(':')
        .filter(|f| !f.is_empty())
        .ok_or_else(|| bad(&format!("function {f:?} is not a keyword")))?;
    let forms = parse_forms(rest).map_err(|e| bad(&e.message))?;
    let value = match forms.as_slice() {
        [one] => one.value.clone(),
        _ => return Err(bad("expected exactly one value")),
    };
    Ok(Event {
        line: line_no,
        process,
        kind,
        f: f.to_owned(),
        key: None,
        value,
    })
}

/// Parses an etcd log into a register history.
pub fn parse(text: &str, model: Option<ModelKind>) -> Result<AnyHistory, ParseError> {
    if let Some(other) = model.filter(|&m| m != ModelKind::Register) {
        return Err(ParseError {
            line: None,
            message: format!("an etcd log holds a register history, not {other}"),
        });
    }
    let mut events = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        events.push(event(i + 1, line)?);
    }
    build(&events, Some(ModelKind::Register), FailMeaning::Porcupine)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::History;
    use crate::models::register::{RegisterInput as RI, RegisterOutput as RO};

    fn register(text: &str) -> History<RI, RO> {
        match parse(text, None).unwrap() {
            AnyHistory::Register(h) => h,
            other => panic!("expected register, got {other:?}"),
        }
    }

    #[test]
    fn reads_tabs_and_spaces_with_porcupine_semantics() {
        let h = register(
            "INFO  jepsen.util - 0\t:invoke\t:read\tnil\n\
             INFO  jepsen.util - 1   :invoke :cas    [4 4]\n\
             INFO  jepsen.util - 0\t:ok\t:read\tnil\n\
             INFO  jepsen.util - 1\t:fail\t:cas\t[4 4]\n\
             INFO  jepsen.util - 2\t:invoke\t:read\tnil\n\
             INFO  jepsen.util - 2\t:fail\t:read\t:timed-out\n\
             INFO  jepsen.util - 3\t:invoke\t:write\t5\n\
             INFO  jepsen.util - 3\t:info\t:write\t:timed-out\n\
             \n",
        );
        assert_eq!(h.len(), 4);
        assert_eq!(h.ops[0].output, Some(RO::Value(None)));
        assert_eq!(
            h.ops[1].input,
            RI::Cas {
                expected: 4,
                new: 4
            }
        );
        assert_eq!(h.ops[1].output, Some(RO::Cas(false)));
        assert_eq!(h.ops[1].complete, Some(3));
        assert_eq!(h.ops[2].complete, Some(5));
        assert_eq!(h.ops[2].output, None);
        assert_eq!(h.ops[3].complete, None);
        assert_eq!(h.ops[3].input, RI::Write(5));
    }

    #[test]
    fn malformed_lines_name_line_and_shape() {
        let cases = [
            ("WARN  jepsen.util - 0 :invoke :read nil", "bad prefix"),
            ("INFO  jepsen.util - x :invoke :read nil", "not a number"),
            ("INFO  jepsen.util - 0 :start :read nil", ":invoke, :ok"),
            ("INFO  jepsen.util - 0 :invoke read nil", "not a keyword"),
            ("INFO  jepsen.util - 0 :invoke :cas [1 2", "expected ']'"),
            ("INFO  jepsen.util - 0 :invoke :read", "exactly one value"),
        ];
        for (line, needle) in cases {
            let text = format!("INFO  jepsen.util - 9 :invoke :read nil\n{line}\n");
            let err = parse(&text, None).unwrap_err();
            assert_eq!(err.line, Some(2), "{line}: {err}");
            assert!(err.message.contains(needle), "{line}: {err}");
            assert!(err.message.contains("expected 'INFO"), "{line}: {err}");
        }
    }

    #[test]
    fn refuses_the_kv_model() {
        let err = parse(
            "INFO  jepsen.util - 0 :invoke :read nil",
            Some(ModelKind::Kv),
        );
        assert!(err.unwrap_err().message.contains("register"));
    }
}
