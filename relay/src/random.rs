//! The relay's randomness: the operating system's CSPRNG, as wallet-core's
//! [`RandomSource`] for the endpoint logic and as plain bytes for the rest.

use crate::error::{StoreError, StoreResult};
use wallet_core::serve::RandomSource;

/// `getrandom`: the OS CSPRNG (a failure answers 500, never a weak value).
#[derive(Debug, Default, Clone, Copy)]
pub struct OsRandom;

impl RandomSource for OsRandom {
    fn fill(&self, out: &mut [u8]) -> StoreResult<()> {
        getrandom::fill(out).map_err(|e| StoreError::new(format!("no randomness: {e}")))
    }
}

/// `N` bytes from the OS CSPRNG.
pub fn random<const N: usize>() -> StoreResult<[u8; N]> {
    let mut b = [0u8; N];
    OsRandom.fill(&mut b)?;
    Ok(b)
}
