//! Display formatting shared by the web pages and the command line.

use time::OffsetDateTime;

/// `1h 05m`, `7m 30s`, `45s`.
pub fn duration(secs: u32) -> String {
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    match (h, m, s) {
        (0, 0, s) => format!("{s}s"),
        (0, m, 0) => format!("{m}m"),
        (0, m, s) => format!("{m}m {s:02}s"),
        (h, m, _) => format!("{h}h {m:02}m"),
    }
}

/// `$1,234` (whole units; estimates do not deserve cents).
pub fn money(currency: &str, amount: f64) -> String {
    let symbol = if currency == "USD" { "$" } else { "" };
    let whole = amount.round() as i64;
    let digits = whole.abs().to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if whole < 0 { "-" } else { "" };
    if symbol.is_empty() {
        format!("{sign}{grouped} {currency}")
    } else {
        format!("{sign}{symbol}{grouped}")
    }
}

pub fn timestamp(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// `subscription / resource group / cluster`, or a dash for drafts without a valid target.
pub fn target(sub: Option<&str>, rg: Option<&str>, cluster: Option<&str>) -> String {
    match (sub, rg, cluster) {
        (Some(s), Some(r), Some(c)) => format!("{s} / {r} / {c}"),
        _ => "—".to_string(),
    }
}

/// HTML for a message: escaped, with `backticked` values shown as code. Messages quote the
/// admin's own values that way, so those are the only markup a message can carry.
pub fn rich_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for (i, part) in text.split('`').enumerate() {
        let escaped = escape_html(part);
        // Odd parts were between backticks; a final unmatched backtick is shown as is.
        if i % 2 == 1 {
            out.push_str("<code>");
            out.push_str(&escaped);
            out.push_str("</code>");
        } else {
            out.push_str(&escaped);
        }
    }
    if text.matches('`').count() % 2 == 1 {
        // Unbalanced: fall back to plain escaped text rather than leave a <code> open.
        return escape_html(text);
    }
    out
}

fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rich_html_escapes_and_marks_code() {
        assert_eq!(
            rich_html("`<b>` is not a GUID & more"),
            "<code>&lt;b&gt;</code> is not a GUID &amp; more"
        );
        assert_eq!(rich_html("odd ` tick <x>"), "odd ` tick &lt;x&gt;");
    }

    #[test]
    fn durations_and_money_read_well() {
        assert_eq!(duration(45), "45s");
        assert_eq!(duration(420), "7m");
        assert_eq!(duration(1895), "31m 35s");
        assert_eq!(duration(3720), "1h 02m");
        assert_eq!(money("USD", 2608.64), "$2,609");
        assert_eq!(money("EUR", 901.2), "901 EUR");
    }
}
