//! Reading and writing the document as YAML or JSON, with field paths on structural errors.

use super::{FieldError, InstallDocument, SpecErrors};

/// Which syntax a document is in (chosen by the API from `Content-Type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentFormat {
    Yaml,
    Json,
}

/// Parse YAML into a document; structural errors (unknown key, wrong type, bad syntax) carry the
/// field path where serde found them. The text is first held to the limits of [`super::limits`]
/// (depth, nodes, no aliases), so no document costs more than a few milliseconds to refuse.
pub fn from_yaml(text: &str) -> Result<InstallDocument, SpecErrors> {
    super::limits::check(text)?;
    let de = serde_yaml_ng::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| structural(e.path().to_string(), e.inner()))
}

/// Parse JSON into a document: exactly one JSON value, nothing but whitespace after it.
/// (serde_json refuses nesting past 128 levels by itself, in linear time.)
pub fn from_json(text: &str) -> Result<InstallDocument, SpecErrors> {
    let mut de = serde_json::Deserializer::from_str(text);
    let doc = serde_path_to_error::deserialize(&mut de)
        .map_err(|e| structural(e.path().to_string(), e.inner()))?;
    de.end().map_err(|e| trailing(&e))?;
    Ok(doc)
}

fn trailing(err: &serde_json::Error) -> SpecErrors {
    SpecErrors {
        errors: vec![FieldError {
            field: "document".to_string(),
            rule: "document.trailing".to_string(),
            message: format!(
                "more text follows the JSON document, from line {}, column {}",
                err.line(),
                err.column()
            ),
            fix: "send exactly one JSON document: remove what follows its closing brace"
                .to_string(),
        }],
    }
}

/// Parse in the given format.
pub fn from_text(text: &str, format: DocumentFormat) -> Result<InstallDocument, SpecErrors> {
    match format {
        DocumentFormat::Yaml => from_yaml(text),
        DocumentFormat::Json => from_json(text),
    }
}

/// The document as YAML.
pub fn to_yaml(doc: &InstallDocument) -> String {
    // Serializing plain structs of strings, numbers and bools cannot fail.
    serde_yaml_ng::to_string(doc).unwrap_or_default()
}

fn structural(path: String, err: &dyn std::fmt::Display) -> SpecErrors {
    let field = if path == "." || path.is_empty() {
        "document".to_string()
    } else {
        path
    };
    let message = err.to_string();
    let (rule, fix) = if message.contains("unknown field") {
        (
            "document.unknown-field",
            "remove the key or correct its spelling (keys are camelCase, see README)",
        )
    } else if message.contains("invalid type") {
        (
            "document.type",
            "give the value the type shown in the README's annotated example",
        )
    } else {
        (
            "document.syntax",
            "fix the syntax at the position given (YAML indentation, quotes, commas)",
        )
    };
    SpecErrors {
        errors: vec![FieldError {
            field,
            rule: rule.to_string(),
            message,
            fix: fix.to_string(),
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_followed_by_more_text_is_refused_and_whitespace_is_not() {
        let json = serde_json::to_string(&super::super::testutil::sample_doc()).unwrap();
        assert!(from_json(&format!("{json}\n  \n")).is_ok());
        for tail in [" garbage", "{}", "\n{\"name\": \"x\"}"] {
            let errors = from_json(&format!("{json}{tail}")).unwrap_err();
            assert_eq!(errors.errors[0].rule, "document.trailing", "{tail:?}");
            assert!(errors.errors[0].message.contains("more text follows"));
        }
        // The page upload reads JSON as YAML, which refuses the same.
        assert!(from_yaml(&json).is_ok());
        assert!(from_yaml(&format!("{json} garbage")).is_err());
    }

    #[test]
    fn yaml_is_held_to_the_limits_before_serde_reads_it() {
        let deep = format!("{}1{}", "[".repeat(200_000), "]".repeat(200_000));
        let errors = from_yaml(&format!("name: {deep}")).unwrap_err();
        assert_eq!(errors.errors[0].rule, "document.depth");
    }
}
