//! Small wire conventions shared by resource modules.

use chrono::{DateTime, Utc};

/// Timestamps as the reference's examples write them (Go's default time format).
pub fn go_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S%.6f +0000 UTC").to_string()
}
