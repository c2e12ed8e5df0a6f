//! Time as ucsd sees it. Everything that decides by time takes a [`Clock`], so tests can move time
//! by hand (lease expiry, token expiry, precheck expiry) without sleeping.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, TimeZone, Utc};

pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> DateTime<Utc>;

    /// Moves the clock ahead by `by` (the testing tools' time control); whether this clock can.
    fn shift(&self, _by: Duration) -> bool {
        false
    }
}

/// The wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // the one door to the wall clock
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that moves only when told to; shared by clones.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<DateTime<Utc>>>);

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        Self(Arc::new(Mutex::new(start)))
    }

    pub fn advance(&self, by: Duration) {
        *self.0.lock().expect("clock lock") += by;
    }

    pub fn set(&self, to: DateTime<Utc>) {
        *self.0.lock().expect("clock lock") = to;
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new(Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).single().expect("valid date"))
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock lock")
    }

    fn shift(&self, by: Duration) -> bool {
        self.advance(by);
        true
    }
}

/// The wall clock moved by an offset that tests can grow: time flows as usual (workers sleep and
/// retry for real) and a test can still jump ahead (token expiry) without waiting.
#[derive(Debug, Clone, Default)]
pub struct ShiftedClock(Arc<Mutex<Duration>>);

impl ShiftedClock {
    pub fn advance(&self, by: Duration) {
        *self.0.lock().expect("clock lock") += by;
    }
}

impl Clock for ShiftedClock {
    #[allow(clippy::disallowed_methods)] // the wall clock, shifted
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + *self.0.lock().expect("clock lock")
    }

    fn shift(&self, by: Duration) -> bool {
        self.advance(by);
        true
    }
}

/// Milliseconds since the epoch: how the store keeps instants, the same on every backend.
pub fn to_millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub fn from_millis(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}
