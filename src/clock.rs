//! The console's reading of the calendar: one place, so lifecycle checks (supported versions,
//! retired VM sizes) all agree on what "today" is.

/// Today's date (UTC), for lifecycle warnings and checks.
pub fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}
