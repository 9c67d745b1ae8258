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
        if i > 0 && (digits.len() - i) % 3 == 0 {
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
