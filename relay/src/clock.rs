//! The relay's clock, injectable so tests move time instead of sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Unix seconds, the only time the protocol knows (§1): wallet-core's
/// trait, implemented here by the system clock and the tests' clock.
pub use wallet_core::serve::Clock;

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    }
}

/// The system clock plus an offset that tests move, forwards (as time
/// passing) or backwards (as a wall clock stepped back by NTP, or a second
/// process whose clock is behind).
#[derive(Debug, Default)]
pub struct TestClock {
    offset: AtomicI64,
}

impl TestClock {
    pub fn new() -> Arc<TestClock> {
        Arc::new(TestClock::default())
    }
    /// A clock `offset` seconds ahead of the system clock (behind if negative).
    pub fn skewed(offset: i64) -> Arc<TestClock> {
        let c = TestClock::new();
        c.set_offset(offset);
        c
    }
    pub fn advance(&self, secs: u64) {
        self.offset
            .fetch_add(i64::try_from(secs).unwrap_or(i64::MAX), Ordering::SeqCst);
    }
    /// Steps the clock back by `secs`.
    pub fn step_back(&self, secs: u64) {
        self.offset
            .fetch_sub(i64::try_from(secs).unwrap_or(i64::MAX), Ordering::SeqCst);
    }
    pub fn set_offset(&self, offset: i64) {
        self.offset.store(offset, Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now(&self) -> u64 {
        SystemClock
            .now()
            .saturating_add_signed(self.offset.load(Ordering::SeqCst))
    }
}
