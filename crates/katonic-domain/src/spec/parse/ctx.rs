//! The error collector every section parser writes to, and helpers for raw document values.

use super::super::text::show;
use super::super::{FieldError, Invalid, Scalar, SpecErrors};
use super::order;
use std::net::Ipv4Addr;

/// Collects field errors while the sections are parsed.
#[derive(Default)]
pub(super) struct Ctx {
    errors: Vec<FieldError>,
}

impl Ctx {
    pub fn fail(&mut self, field: &str, e: Invalid) {
        self.errors.push(e.at(field));
    }

    /// The value, or `None` after recording why not.
    pub fn check<T>(&mut self, field: &str, r: Result<T, Invalid>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.fail(field, e);
                None
            }
        }
    }

    /// A required text value: absent or blank is `required` (with `fix`), else parsed.
    pub fn required<T>(
        &mut self,
        field: &str,
        value: Option<&String>,
        parse: impl FnOnce(&str) -> Result<T, Invalid>,
        fix: &str,
    ) -> Option<T> {
        match text(value) {
            Some(t) => self.check(field, parse(t)),
            None => {
                self.fail(
                    field,
                    Invalid::new("required", format!("`{field}` is missing"), fix),
                );
                None
            }
        }
    }

    /// An optional text value: `Some(None)` when absent or blank, `None` when refused.
    pub fn optional<T>(
        &mut self,
        field: &str,
        value: Option<&String>,
        parse: impl FnOnce(&str) -> Result<T, Invalid>,
    ) -> Option<Option<T>> {
        match text(value) {
            Some(t) => self.check(field, parse(t)).map(Some),
            None => Some(None),
        }
    }

    /// Every error, in document order; `Ok(build())` when there are none.
    pub fn finish<T>(mut self, build: impl FnOnce() -> Option<T>) -> Result<T, SpecErrors> {
        order::sort(&mut self.errors);
        if self.errors.is_empty()
            && let Some(v) = build()
        {
            return Ok(v);
        }
        if self.errors.is_empty() {
            // A section returned no value without saying why: a bug here, not in the document.
            self.errors.push(
                Invalid::new(
                    "internal",
                    "the console could not assemble the install spec",
                    "report this as a bug together with the document",
                )
                .at("document"),
            );
        }
        Err(SpecErrors {
            errors: self.errors,
        })
    }
}

/// Trimmed text; blank counts as absent (empty form fields arrive as "").
pub(super) fn text(value: Option<&String>) -> Option<&str> {
    value.map(|s| s.trim()).filter(|s| !s.is_empty())
}

/// A scalar, with blank text counted as absent.
pub(super) fn scalar(value: Option<&Scalar>) -> Option<&Scalar> {
    value.filter(|s| !matches!(s, Scalar::Text(t) if t.trim().is_empty()))
}

/// A whole number from YAML/JSON (int) or a form (text).
pub(super) fn whole(value: &Scalar) -> Result<u32, Invalid> {
    let refused = |what: &str| {
        Invalid::new(
            "number.format",
            format!("{} is {what}", show(&value.as_text())),
            "write a whole number such as `3`",
        )
    };
    match value {
        Scalar::Int(i) if *i < 0 => Err(refused("negative")),
        Scalar::Int(i) => u32::try_from(*i).map_err(|_| refused("too large")),
        Scalar::Text(t) => {
            let t = t.trim();
            if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
                t.parse().map_err(|_| refused("too large"))
            } else {
                Err(refused("not a whole number"))
            }
        }
        Scalar::Float(_) => Err(refused("not a whole number")),
        Scalar::Bool(_) => Err(refused("not a number")),
    }
}

/// An IPv4 address.
pub(super) fn ip(input: &str) -> Result<Ipv4Addr, Invalid> {
    input.parse().map_err(|_| {
        Invalid::new(
            "ip.format",
            format!("{} is not an IPv4 address", show(input)),
            "write four numbers 0-255 separated by dots, e.g. `10.20.0.50`",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn whole_numbers() {
        assert_eq!(whole(&Scalar::Int(3)), Ok(3));
        assert_eq!(whole(&Scalar::Text(" 12 ".into())), Ok(12));
        for bad in [
            Scalar::Int(-1),
            Scalar::Int(i64::MAX),
            Scalar::Text("3.5".into()),
            Scalar::Text("+3".into()),
            Scalar::Text("three".into()),
            Scalar::Text("99999999999".into()),
            Scalar::Float(2.0),
            Scalar::Bool(true),
        ] {
            let e = whole(&bad).unwrap_err();
            assert_eq!(e.rule, "number.format", "{bad:?}");
            assert!(e.message.contains(&bad.as_text()), "{}", e.message);
        }
    }

    #[test]
    fn blank_is_absent() {
        assert_eq!(text(Some(&"  ".to_string())), None);
        assert_eq!(text(Some(&" a ".to_string())), Some("a"));
        assert!(scalar(Some(&Scalar::Text(" ".into()))).is_none());
        assert!(scalar(Some(&Scalar::Int(0))).is_some());
    }

    #[test]
    fn ips() {
        assert_eq!(ip("10.20.0.50"), Ok(Ipv4Addr::new(10, 20, 0, 50)));
        assert_eq!(ip("10.20.0").unwrap_err().rule, "ip.format");
        assert_eq!(ip("10.20.0.256").unwrap_err().rule, "ip.format");
    }

    proptest! {
        #[test]
        fn never_panics(s in any::<String>(), i in any::<i64>(), f in any::<f64>()) {
            let _ = whole(&Scalar::Text(s.clone()));
            let _ = whole(&Scalar::Int(i));
            let _ = whole(&Scalar::Float(f));
            let _ = ip(&s);
        }
    }
}
