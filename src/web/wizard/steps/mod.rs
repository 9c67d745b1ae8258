//! The wizard's pages and their fields. A field's `path` is at once the form field name, the
//! document key and the spec's error path, so errors land next to the input that caused them.

/// How a field is rendered and read back from the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Number,
    Select(&'static [(&'static str, &'static str)]),
    /// Azure region picker (from the catalogue).
    Region,
    /// VM size input with the catalogue's sizes as suggestions.
    VmSize,
    /// Kubernetes version input with the catalogue's releases and support dates as suggestions.
    K8sVersion,
    Checkbox,
    /// Availability zone checkboxes.
    Zones,
    /// Checkbox that adds or removes an optional section (the GPU pool).
    Section,
}

#[derive(Debug)]
pub struct Field {
    pub path: &'static str,
    pub label: &'static str,
    pub kind: Kind,
    pub help: &'static str,
    pub placeholder: &'static str,
    /// Heading shown before this field (starts a group).
    pub group: Option<&'static str>,
}

/// Which live panel a page shows beside its fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Panel {
    None,
    IpBudget,
    Capacity,
    Hosts,
}

#[derive(Debug)]
pub struct Step {
    pub id: &'static str,
    pub title: &'static str,
    pub intro: &'static str,
    pub fields: &'static [Field],
    pub panel: Panel,
}

const fn field(path: &'static str, label: &'static str, kind: Kind, help: &'static str) -> Field {
    Field {
        path,
        label,
        kind,
        help,
        placeholder: "",
        group: None,
    }
}

const fn placeholder(mut f: Field, text: &'static str) -> Field {
    f.placeholder = text;
    f
}

const fn group(mut f: Field, heading: &'static str) -> Field {
    f.group = Some(heading);
    f
}

mod choices;
mod network_pages;
mod platform_pages;

use network_pages::{AZURE, CLUSTER};
use platform_pages::{DOMAIN, POOLS, STORAGE};

/// The wizard's pages, in order.
pub const STEPS: &[Step] = &[AZURE, CLUSTER, POOLS, DOMAIN, STORAGE];

/// Id of the last page, after the field pages.
pub const REVIEW: &str = "review";

pub fn step(id: &str) -> Option<&'static Step> {
    STEPS.iter().find(|s| s.id == id)
}

/// The page after `id` (`review` after the last).
pub fn next(id: &str) -> &'static str {
    let pos = STEPS.iter().position(|s| s.id == id);
    match pos.and_then(|p| STEPS.get(p + 1)) {
        Some(s) => s.id,
        None => REVIEW,
    }
}

/// The page before `id`.
pub fn previous(id: &str) -> Option<&'static str> {
    if id == REVIEW {
        return STEPS.last().map(|s| s.id);
    }
    let pos = STEPS.iter().position(|s| s.id == id)?;
    pos.checked_sub(1).and_then(|p| STEPS.get(p)).map(|s| s.id)
}

/// Whether an error at `error_path` belongs to `step` (its field, a part of one, or a section
/// containing one, like `cluster.nodePools.platform`).
pub fn owns(step: &Step, error_path: &str) -> bool {
    step.fields.iter().any(|f| related(f.path, error_path))
}

fn related(a: &str, b: &str) -> bool {
    a == b
        || (a.starts_with(b) && a[b.len()..].starts_with('.'))
        || (b.starts_with(a) && b[a.len()..].starts_with('.'))
}

/// The page an error is fixed on (`review` for document-level errors such as `apiVersion`).
pub fn step_of(error_path: &str) -> &'static str {
    STEPS
        .iter()
        .find(|s| s.fields.iter().any(|f| f.path == error_path))
        .or_else(|| STEPS.iter().find(|s| owns(s, error_path)))
        .map_or(REVIEW, |s| s.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_path_is_a_document_path() {
        let doc = katonic_domain::spec::default_document();
        for step in STEPS {
            for f in step.fields {
                let value = match f.kind {
                    Kind::Checkbox => crate::web::form::FieldValue::Bool(true),
                    Kind::Zones => crate::web::form::FieldValue::List(vec!["1".into()]),
                    Kind::Section => crate::web::form::FieldValue::Remove,
                    _ => crate::web::form::FieldValue::Text(Some("x".into())),
                };
                crate::web::form::apply(&doc, &[(f.path, value)])
                    .unwrap_or_else(|e| panic!("{} is not a document path: {e}", f.path));
            }
        }
    }

    #[test]
    fn errors_map_to_the_page_that_fixes_them() {
        assert_eq!(step_of("cluster.network.aksSubnetCidr"), "cluster");
        assert_eq!(step_of("cluster.nodePools.platform"), "pools");
        assert_eq!(step_of("addons.superset"), "storage");
        assert_eq!(step_of("apiVersion"), REVIEW);
        assert_eq!(next("storage"), REVIEW);
        assert_eq!(previous(REVIEW), Some("storage"));
        assert_eq!(previous("azure"), None);
    }
}
