//! What reading a spec document may cost: its nesting depth, its node count and its aliases are
//! bounded, and checked before serde_yaml_ng sees the text.
//!
//! Why a second parser: serde_yaml_ng (libyaml) has no such limits and loads the whole event
//! stream before its own recursion limit applies, and libyaml's work per token grows with the
//! flow nesting depth, so `{a: {a: …}}` at 100 000 levels took minutes. granit-parser (already in
//! the build through kube) streams events and stops at a nesting limit of its own; counting its
//! events here stops at the first breach, so a refusal costs at most the limits' worth of work.

use super::{FieldError, SpecErrors};
use granit_parser::{ErrorKind, Event, Marker, Parser, ScanError};

/// Deepest nesting of mappings and sequences (flow and block alike). A spec needs six levels.
pub const MAX_DEPTH: usize = 32;
/// Most nodes (keys, values, collections, documents). The fullest spec has a few hundred.
pub const MAX_NODES: usize = 10_000;

/// Refuse a YAML (or JSON) document that nests deeper than [`MAX_DEPTH`], holds more than
/// [`MAX_NODES`] nodes, uses an alias, or does not scan; otherwise `Ok`. Linear in the text up to
/// the first breach.
pub fn check(text: &str) -> Result<(), SpecErrors> {
    let options = granit_parser::options! {
        // The scanner reads a token or two ahead of the events counted below, so a deep flow
        // collection may meet the parser's own limit first: both answer as too deep.
        flow_nesting_limit: MAX_DEPTH,
        block_nesting_limit: MAX_DEPTH,
    };
    let mut depth = 0usize;
    let mut nodes = 0usize;
    for item in Parser::new_from_str_with_options(text, options) {
        let (event, span) = item.map_err(syntax)?;
        match event {
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                depth += 1;
                nodes += 1;
                if depth > MAX_DEPTH {
                    return Err(too_deep(&span.start));
                }
            }
            Event::MappingEnd | Event::SequenceEnd => depth = depth.saturating_sub(1),
            Event::Scalar(..) | Event::DocumentStart(..) => nodes += 1,
            Event::Alias(_) | Event::UnresolvedAlias(_) => return Err(alias(&span.start)),
            _ => {}
        }
        if nodes > MAX_NODES {
            return Err(too_many(&span.start));
        }
    }
    Ok(())
}

fn refusal(rule: &str, message: String, fix: &str) -> SpecErrors {
    SpecErrors {
        errors: vec![FieldError {
            field: "document".to_string(),
            rule: rule.to_string(),
            message,
            fix: fix.to_string(),
        }],
    }
}

/// `line L, column C` (both from 1).
fn position(at: &Marker) -> String {
    format!("line {}, column {}", at.line(), at.col() + 1)
}

fn too_deep(at: &Marker) -> SpecErrors {
    refusal(
        "document.depth",
        format!(
            "the document nests mappings and sequences more than {MAX_DEPTH} levels deep \
             (level {} starts at {})",
            MAX_DEPTH + 1,
            position(at)
        ),
        &format!(
            "a spec nests at most {MAX_DEPTH} levels (it needs about six): write it as in the \
             README's annotated example"
        ),
    )
}

fn too_many(at: &Marker) -> SpecErrors {
    refusal(
        "document.nodes",
        format!(
            "the document holds more than {MAX_NODES} nodes (keys, values and collections; \
             the one past the limit is at {})",
            position(at)
        ),
        &format!(
            "a spec holds at most {MAX_NODES} nodes (a full one has a few hundred): send one \
             install spec, as in the README's annotated example"
        ),
    )
}

fn alias(at: &Marker) -> SpecErrors {
    refusal(
        "document.alias",
        format!("the document uses a YAML alias (*name) at {}", position(at)),
        "aliases are not read in a spec: write each value out in full",
    )
}

fn syntax(err: ScanError) -> SpecErrors {
    if matches!(err.kind(), ErrorKind::RecursionLimitExceeded) {
        return too_deep(err.marker());
    }
    refusal(
        "document.syntax",
        format!(
            "the document is not valid YAML: {} at {}",
            err.info(),
            position(err.marker())
        ),
        "fix the syntax at the position given (YAML indentation, quotes, commas)",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(text: &str) -> Option<String> {
        check(text).err().map(|e| e.errors[0].rule.clone())
    }

    fn flow_maps(levels: usize) -> String {
        format!("{}1{}", "{a: ".repeat(levels), "}".repeat(levels))
    }

    fn block_maps(levels: usize) -> String {
        (0..levels)
            .map(|i| format!("{}k{i}:\n", "  ".repeat(i)))
            .collect::<String>()
    }

    #[test]
    fn the_sample_spec_and_its_json_pass() {
        let yaml = super::super::testutil::sample_yaml();
        assert_eq!(check(&yaml), Ok(()));
        let doc = super::super::from_yaml(&yaml).unwrap();
        assert_eq!(check(&serde_json::to_string(&doc).unwrap()), Ok(()));
    }

    #[test]
    fn nesting_is_counted_up_to_the_limit_in_flow_and_block_alike() {
        assert_eq!(check(&flow_maps(MAX_DEPTH)), Ok(()));
        assert_eq!(
            rule(&flow_maps(MAX_DEPTH + 1)).as_deref(),
            Some("document.depth")
        );
        let seqs = |n| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert_eq!(check(&seqs(MAX_DEPTH)), Ok(()));
        assert_eq!(
            rule(&seqs(MAX_DEPTH + 1)).as_deref(),
            Some("document.depth")
        );
        assert_eq!(check(&block_maps(MAX_DEPTH)), Ok(()));
        assert_eq!(
            rule(&block_maps(MAX_DEPTH + 1)).as_deref(),
            Some("document.depth")
        );
        let dashes = |n| format!("{}x\n", "- ".repeat(n));
        assert_eq!(check(&dashes(MAX_DEPTH)), Ok(()));
        assert_eq!(
            rule(&dashes(MAX_DEPTH + 1)).as_deref(),
            Some("document.depth")
        );
    }

    #[test]
    fn brackets_in_quotes_comments_and_block_scalars_are_not_nesting() {
        let many = "{[".repeat(MAX_DEPTH * 4);
        let text = format!(
            "a: \"{many}\"\nb: '{many} ''quoted'' {many}'\n# {many}\nc: |\n  {many}\n  '\nd: x # {many}\n"
        );
        assert_eq!(check(&text), Ok(()));
        // The same brackets outside a quote do nest.
        assert_eq!(
            rule(&format!("a: {many}")).as_deref(),
            Some("document.depth")
        );
    }

    #[test]
    fn a_block_scalar_ends_where_its_indentation_does() {
        // `b:` is a key of the same mapping, not text of `a`'s scalar: its flow value counts.
        let text = format!("- a: |\n    text\n  b: {}\n", flow_maps(MAX_DEPTH + 1));
        assert_eq!(rule(&text).as_deref(), Some("document.depth"));
    }

    #[test]
    fn the_refusal_names_the_limit_and_where() {
        let errors = check(&flow_maps(100_000)).unwrap_err();
        let e = &errors.errors[0];
        assert_eq!(e.field, "document");
        assert!(e.message.contains("more than 32 levels"), "{}", e.message);
        assert!(e.message.contains("line 1, column 129"), "{}", e.message);
        assert!(e.fix.contains("at most 32 levels"), "{}", e.fix);
    }

    #[test]
    fn node_count_is_bounded() {
        let list = |n: usize| format!("[{}]", vec!["1"; n].join(","));
        assert_eq!(check(&list(MAX_NODES - 2)), Ok(()));
        let errors = check(&list(MAX_NODES)).unwrap_err();
        assert_eq!(errors.errors[0].rule, "document.nodes");
        assert!(errors.errors[0].message.contains("more than 10000 nodes"));
    }

    #[test]
    fn aliases_are_refused_billion_laughs_first() {
        let mut text = String::from("a0: &a0 [lol, lol]\n");
        for i in 1..10 {
            let p = i - 1;
            text.push_str(&format!("a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}]\n"));
        }
        let errors = check(&text).unwrap_err();
        assert_eq!(errors.errors[0].rule, "document.alias");
        assert!(errors.errors[0].message.contains("line 2, column 10"));
        // An anchor alone is harmless, and `*` inside a value is text.
        assert_eq!(check("a: &x 1\nb: 2*3\nc: '*x'\n"), Ok(()));
    }

    #[test]
    fn syntax_errors_say_where() {
        let errors = check("a: [1, 2\nb: 3\n").unwrap_err();
        assert_eq!(errors.errors[0].rule, "document.syntax");
        assert!(errors.errors[0].message.contains("line"));
    }
}
