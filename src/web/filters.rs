//! askama filters for the templates of this module tree.

/// `{{ message|rich|safe }}`: escaped text with `backticked` values as `<code>`.
#[askama::filter_fn]
pub fn rich<T: std::fmt::Display>(text: T, _: &dyn askama::Values) -> askama::Result<String> {
    Ok(crate::format::rich_html(&text.to_string()))
}
