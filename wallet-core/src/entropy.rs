//! Randomness is an input: hosts pass a CSPRNG (the browser's
//! `crypto.getRandomValues`, the OS), tests pass a seeded one.

use crate::keys::random_scalar;
use crate::types::{Id, Scalar};
use std::convert::Infallible;

pub trait Entropy {
    fn fill(&mut self, out: &mut [u8]);

    fn bytes<const N: usize>(&mut self) -> [u8; N]
    where
        Self: Sized,
    {
        let mut b = [0u8; N];
        self.fill(&mut b);
        b
    }

    /// A uniformly random scalar in `[1, n-1]` (rejection sampling).
    fn scalar(&mut self) -> Scalar
    where
        Self: Sized,
    {
        let Ok(s) = random_scalar(|b| {
            self.fill(b);
            Ok::<(), Infallible>(())
        });
        s
    }

    fn uuid_v4(&mut self) -> Id
    where
        Self: Sized,
    {
        Id::new_v4(self.bytes::<16>())
    }
}

impl<E: Entropy + ?Sized> Entropy for &mut E {
    fn fill(&mut self, out: &mut [u8]) {
        (**self).fill(out)
    }
}

/// A deterministic generator for tests and known-answer vectors:
/// SHA256(seed ‖ counter) blocks. Never use it for real keys.
#[derive(Debug, Clone)]
pub struct SeededEntropy {
    seed: [u8; 32],
    counter: u64,
}

impl SeededEntropy {
    pub fn new(seed: u64) -> Self {
        let mut s = [0u8; 32];
        s[..8].copy_from_slice(&seed.to_be_bytes());
        SeededEntropy {
            seed: s,
            counter: 0,
        }
    }
}

impl Entropy for SeededEntropy {
    fn fill(&mut self, out: &mut [u8]) {
        use sha2::{Digest, Sha256};
        for chunk in out.chunks_mut(32) {
            let block = Sha256::new()
                .chain_update(self.seed)
                .chain_update(self.counter.to_be_bytes())
                .finalize();
            self.counter += 1;
            chunk.copy_from_slice(&block[..chunk.len()]);
        }
    }
}
