//! The relay's clock, injectable so tests move time instead of sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
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

/// The system clock plus an offset that tests advance.
#[derive(Debug, Default)]
pub struct TestClock {
    offset: AtomicU64,
}

impl TestClock {
    pub fn new() -> Arc<TestClock> {
        Arc::new(TestClock::default())
    }
    pub fn advance(&self, secs: u64) {
        self.offset.fetch_add(secs, Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now(&self) -> u64 {
        SystemClock.now() + self.offset.load(Ordering::SeqCst)
    }
}
