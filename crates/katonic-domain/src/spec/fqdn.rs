//! Fully qualified domain names (RFC 1123) and the add-on hosts derived from them.

use super::Invalid;
use super::text::show;

/// Longest domain name DNS carries (in its dotted text form).
pub const MAX_FQDN_LEN: usize = 253;
/// Longest label.
pub const MAX_LABEL_LEN: usize = 63;

/// A lowercase FQDN without trailing dot: <= 253 characters, >= 2 labels of 1-63 characters
/// matching `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, top-level label not all digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fqdn(String);

impl Fqdn {
    /// Parse, lowercasing and stripping one trailing dot.
    pub fn parse(input: &str) -> Result<Fqdn, Invalid> {
        if input.is_empty() {
            return Err(Invalid::new(
                "required",
                "the domain name is empty",
                "give the platform's domain, e.g. `katonic.example.com`",
            ));
        }
        // Only ASCII is lowercased: any other character is refused below, with the punycode hint.
        let lower = input.to_ascii_lowercase();
        let name = lower.strip_suffix('.').unwrap_or(&lower);
        if name.len() > MAX_FQDN_LEN {
            return Err(Invalid::new(
                "fqdn.length",
                format!(
                    "{} is {} characters long; a domain name has at most {MAX_FQDN_LEN}",
                    show(name),
                    name.len()
                ),
                "use a shorter domain name",
            ));
        }
        let labels: Vec<&str> = name.split('.').collect();
        if labels.len() < 2 {
            return Err(Invalid::new(
                "fqdn.labels",
                format!(
                    "{} is a single label, not a fully qualified name",
                    show(input)
                ),
                format!(
                    "give the full name including its parent domain, e.g. `{name}.example.com`"
                ),
            ));
        }
        for label in &labels {
            check_label(label, name)?;
        }
        if let Some(tld) = labels.last()
            && tld.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(Invalid::new(
                "fqdn.label",
                format!(
                    "the top-level label {} of {} is all digits (an IP address is not a domain name)",
                    show(tld),
                    show(name)
                ),
                "give the DNS name the platform is reached by, e.g. `katonic.example.com`",
            ));
        }
        Ok(Fqdn(name.to_string()))
    }

    /// `prefix` glued to the first label: `dash-` + `katonic.example.com` = `dash-katonic.example.com`.
    pub fn with_prefix(&self, prefix: &str) -> Result<Fqdn, Invalid> {
        Fqdn::parse(&format!("{prefix}{}", self.0))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The leftmost label (`katonic` in `katonic.example.com`).
    pub fn first_label(&self) -> &str {
        self.0.split('.').next().unwrap_or_default()
    }
}

fn check_label(label: &str, name: &str) -> Result<(), Invalid> {
    if label.is_empty() {
        return Err(Invalid::new(
            "fqdn.label",
            format!(
                "{} has an empty label (two dots in a row, or a leading dot)",
                show(name)
            ),
            "remove the extra dot",
        ));
    }
    if let Some(bad) = label
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        let fix = if bad.is_ascii() {
            "use only letters, digits and `-` in each label".to_string()
        } else {
            "use only letters, digits and `-`; write internationalised names in punycode (`xn--...`)"
                .to_string()
        };
        return Err(Invalid::new(
            "fqdn.label",
            format!(
                "the label {} of {} contains {}",
                show(label),
                show(name),
                show(&bad.to_string())
            ),
            fix,
        ));
    }
    if label.len() > MAX_LABEL_LEN {
        return Err(Invalid::new(
            "fqdn.label",
            format!(
                "the label {} is {} characters long; a label has at most {MAX_LABEL_LEN}",
                show(label),
                label.len()
            ),
            "shorten the label",
        ));
    }
    if label.starts_with('-') || label.ends_with('-') {
        return Err(Invalid::new(
            "fqdn.label",
            format!(
                "the label {} of {} starts or ends with `-`",
                show(label),
                show(name)
            ),
            format!("write `{}`", label.trim_matches('-')),
        ));
    }
    Ok(())
}

impl std::fmt::Display for Fqdn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// As its text; read back through its parser (a stored plan cannot smuggle in a bad value).
impl serde::Serialize for Fqdn {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Fqdn {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <String as serde::Deserialize>::deserialize(d)?;
        Fqdn::parse(&text).map_err(|e| serde::de::Error::custom(e.message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rule(input: &str) -> &'static str {
        Fqdn::parse(input).unwrap_err().rule
    }

    #[test]
    fn accepts_and_normalises() {
        assert_eq!(
            Fqdn::parse("katonic.example.com").unwrap().as_str(),
            "katonic.example.com"
        );
        assert_eq!(
            Fqdn::parse("Katonic.Example.COM.").unwrap().as_str(),
            "katonic.example.com"
        );
        assert_eq!(Fqdn::parse("a-1.b2.io").unwrap().as_str(), "a-1.b2.io");
        assert_eq!(Fqdn::parse("1.2.3.example").unwrap().first_label(), "1");
        let label63 = "a".repeat(63);
        assert!(Fqdn::parse(&format!("{label63}.com")).is_ok());
    }

    #[test]
    fn refuses_with_rules() {
        assert_eq!(rule(""), "required");
        assert_eq!(rule("katonic"), "fqdn.labels");
        assert_eq!(rule("katonic."), "fqdn.labels");
        assert_eq!(rule("."), "fqdn.labels");
        assert_eq!(rule("katonic..com"), "fqdn.label");
        assert_eq!(rule(".katonic.com"), "fqdn.label");
        assert_eq!(rule("katonic.com.."), "fqdn.label");
        assert_eq!(rule("kat_onic.com"), "fqdn.label");
        assert_eq!(rule("-katonic.com"), "fqdn.label");
        assert_eq!(rule("katonic-.com"), "fqdn.label");
        assert_eq!(rule("kätonic.com"), "fqdn.label");
        assert_eq!(rule("10.0.0.4"), "fqdn.label");
        assert_eq!(rule(&format!("{}.com", "a".repeat(64))), "fqdn.label");
        let long = format!("{}.com", vec!["a".repeat(60); 5].join("."));
        assert_eq!(rule(&long), "fqdn.length");
    }

    #[test]
    fn messages_name_the_value() {
        let e = Fqdn::parse("kat_onic.example.com").unwrap_err();
        assert!(e.message.contains("`kat_onic`"), "{}", e.message);
        assert!(e.message.contains("`_`"), "{}", e.message);
        let e = Fqdn::parse("katönic.example.com").unwrap_err();
        assert!(e.fix.contains("punycode"));
    }

    #[test]
    fn prefix_glues_to_first_label() {
        let f = Fqdn::parse("katonic.tesla.com").unwrap();
        assert_eq!(
            f.with_prefix("dash-").unwrap().as_str(),
            "dash-katonic.tesla.com"
        );
        assert_eq!(
            f.with_prefix("connectors-").unwrap().as_str(),
            "connectors-katonic.tesla.com"
        );
        let long = Fqdn::parse(&format!("{}.com", "a".repeat(60))).unwrap();
        assert_eq!(long.with_prefix("dash-").unwrap_err().rule, "fqdn.label");
    }

    fn label() -> impl Strategy<Value = String> {
        "[a-z0-9]([-a-z0-9]{0,20}[a-z0-9])?"
    }

    fn fqdn() -> impl Strategy<Value = String> {
        (
            prop::collection::vec(label(), 1..4),
            "[a-z]([-a-z0-9]{0,8}[a-z0-9])?",
        )
            .prop_map(|(mut labels, tld)| {
                labels.push(tld);
                labels.join(".")
            })
    }

    proptest! {
        #[test]
        fn valid_names_round_trip(name in fqdn()) {
            let parsed = Fqdn::parse(&name).unwrap();
            prop_assert_eq!(parsed.as_str(), name.as_str());
            prop_assert_eq!(Fqdn::parse(&parsed.to_string()).unwrap(), parsed.clone());
            prop_assert_eq!(Fqdn::parse(&format!("{}.", name.to_uppercase())).unwrap(), parsed);
        }

        #[test]
        fn an_invalid_character_is_refused(name in fqdn(), at in any::<prop::sample::Index>(),
                                           bad in "[_ !@#$%^&*()+=/\\\\:;,?~é]") {
            let i = at.index(name.len());
            let mutated = format!("{}{}{}", &name[..i], bad, &name[i..]);
            prop_assert_eq!(Fqdn::parse(&mutated).unwrap_err().rule, "fqdn.label");
        }

        #[test]
        fn a_label_too_long_is_refused(name in fqdn(), extra in 64usize..100) {
            let mutated = format!("{}.{name}", "a".repeat(extra));
            prop_assert_eq!(Fqdn::parse(&mutated).unwrap_err().rule, "fqdn.label");
        }

        #[test]
        fn never_panics(s in any::<String>()) {
            if let Ok(f) = Fqdn::parse(&s) {
                prop_assert!(f.as_str().len() <= MAX_FQDN_LEN);
                let _ = f.with_prefix("dash-");
            }
        }
    }
}
