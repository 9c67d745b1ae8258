//! Small text helpers for error messages: quoting values, grouping digits, near-miss suggestions.

/// The value as a message shows it: in backticks, cut at 64 characters so that a pasted file
/// does not flood the page.
pub(super) fn show(value: &str) -> String {
    const MAX: usize = 64;
    if value.chars().count() <= MAX {
        format!("`{value}`")
    } else {
        let head: String = value.chars().take(MAX).collect();
        format!("`{head}…`")
    }
}

/// `1922` as `1,922`.
pub(super) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1 node`, `3 nodes`.
pub(super) fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// "`a`, `b` or `c`": the allowed values of a closed set.
pub(super) fn one_of(values: &[&str]) -> String {
    let quoted: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// Levenshtein distance over characters, for "did you mean" suggestions.
pub(super) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = Vec::with_capacity(b.len() + 1);
        cur.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let substitute = prev[j] + usize::from(ca != *cb);
            cur.push(substitute.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Up to `n` candidates within `max_distance` edits of `input`, closest first.
pub(super) fn closest<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    max_distance: usize,
    n: usize,
) -> Vec<&'a str> {
    let mut scored: Vec<(usize, &str)> = candidates
        .into_iter()
        .map(|c| (edit_distance(input, c), c))
        .filter(|(d, _)| *d <= max_distance)
        .collect();
    scored.sort();
    scored.into_iter().take(n).map(|(_, c)| c).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn groups_thousands() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1922), "1,922");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn shows_long_values_cut() {
        assert_eq!(show("abc"), "`abc`");
        let long = "x".repeat(100);
        assert!(show(&long).ends_with("…`"));
        assert_eq!(show(&long).chars().count(), 64 + 3);
    }

    #[test]
    fn lists_allowed_values() {
        assert_eq!(one_of(&["a"]), "`a`");
        assert_eq!(one_of(&["a", "b"]), "`a` or `b`");
        assert_eq!(one_of(&["a", "b", "c"]), "`a`, `b` or `c`");
    }

    #[test]
    fn edit_distance_and_closest() {
        assert_eq!(edit_distance("eastus", "eastus"), 0);
        assert_eq!(edit_distance("estus", "eastus"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(
            closest("estus", ["eastus", "westus", "centralus"], 2, 3),
            ["eastus", "westus"]
        );
        assert_eq!(closest("eastus", ["b", "a"], usize::MAX, 1), ["a"]);
    }

    proptest! {
        #[test]
        fn thousands_round_trips(n in any::<u64>()) {
            prop_assert_eq!(thousands(n).replace(',', ""), n.to_string());
        }

        #[test]
        fn edit_distance_is_a_metric(a in "[a-c]{0,6}", b in "[a-c]{0,6}") {
            prop_assert_eq!(edit_distance(&a, &b), edit_distance(&b, &a));
            prop_assert_eq!(edit_distance(&a, &b) == 0, a == b);
            prop_assert!(edit_distance(&a, &b) <= a.len().max(b.len()));
        }
    }
}
