//! Time as ucsd sees it. Everything that decides by time takes a [`Clock`], so tests can move time
//! by hand (lease expiry, token expiry, precheck expiry) without sleeping.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, TimeZone, Utc};

use crate::Error;

pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> DateTime<Utc>;

    /// Moves the clock ahead by `by` (the testing tools' time control). Refused when this clock
    /// cannot be moved (an internal error: the route is not served then), or when it would pass
    /// [`latest`] (bad input); the clock is then as it was.
    fn shift(&self, _by: Duration) -> Result<(), Error> {
        Err(Error::internal("this server's clock cannot be moved"))
    }
}

/// The latest instant a clock can be moved to: the last millisecond of year 9999. Every time ucsd
/// writes (RFC 3339, Go's `time.String()`) spells the year with four digits, and far beyond it
/// arithmetic on instants overflows.
pub fn latest() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).single().expect("valid date") + Duration::milliseconds(999)
}

/// `from` moved ahead by `by`, unless that passes [`latest`].
fn moved(from: DateTime<Utc>, by: Duration) -> Result<DateTime<Utc>, Error> {
    from.checked_add_signed(by).filter(|t| *t <= latest()).ok_or_else(|| {
        Error::invalid_body(format!(
            "the clock cannot move past {}: it is {} now",
            latest().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            from.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        ))
    })
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

    fn shift(&self, by: Duration) -> Result<(), Error> {
        let mut now = self.0.lock().expect("clock lock");
        *now = moved(*now, by)?;
        Ok(())
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

    #[allow(clippy::disallowed_methods)] // the wall clock, shifted
    fn shift(&self, by: Duration) -> Result<(), Error> {
        let mut offset = self.0.lock().expect("clock lock");
        let now = Utc::now();
        let to = moved(now.checked_add_signed(*offset).unwrap_or_else(latest), by)?;
        *offset = to - now;
        Ok(())
    }
}

/// Milliseconds since the epoch: how the store keeps instants, the same on every backend.
pub fn to_millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub fn from_millis(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};

    use super::{latest, Clock, ManualClock, ShiftedClock};

    #[test]
    #[allow(clippy::disallowed_methods)] // compares with the wall clock
    fn a_clock_moves_up_to_the_last_millisecond_of_9999_and_no_further() {
        let start = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
        let clock = ManualClock::new(start);
        clock.shift(Duration::days(1)).unwrap();
        assert_eq!(clock.now(), start + Duration::days(1));
        for too_far in [Duration::MAX, Duration::milliseconds(i64::MAX), Duration::days(3_000_000)] {
            let e = clock.shift(too_far).unwrap_err();
            assert_eq!((e.status(), e.code()), (400, "UCS.01000012"), "{e:?}");
            assert_eq!(clock.now(), start + Duration::days(1), "unchanged");
        }
        clock.shift(latest() - clock.now()).unwrap();
        assert_eq!(clock.now(), latest());
        assert!(clock.shift(Duration::milliseconds(1)).is_err());

        let wall = ShiftedClock::default();
        assert!(wall.shift(Duration::milliseconds(i64::MAX)).is_err());
        wall.shift(Duration::days(365)).unwrap();
        assert!(wall.now() > Utc::now() + Duration::days(364));
        assert!(wall.shift(Duration::days(3_000_000)).is_err());
        assert!(wall.now() < Utc::now() + Duration::days(366), "unchanged");
    }
}
