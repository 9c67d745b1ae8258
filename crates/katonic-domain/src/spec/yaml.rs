//! Reading and writing the document as YAML or JSON, with field paths on structural errors.

use super::{FieldError, InstallDocument, SpecErrors};

/// Which syntax a document is in (chosen by the API from `Content-Type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentFormat {
    Yaml,
    Json,
}

/// Parse YAML into a document; structural errors (unknown key, wrong type, bad syntax) carry the
/// field path where serde found them.
pub fn from_yaml(text: &str) -> Result<InstallDocument, SpecErrors> {
    let de = serde_yaml_ng::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| structural(e.path().to_string(), e.inner()))
}

/// Parse JSON into a document.
pub fn from_json(text: &str) -> Result<InstallDocument, SpecErrors> {
    let mut de = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut de)
        .map_err(|e| structural(e.path().to_string(), e.inner()))
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
