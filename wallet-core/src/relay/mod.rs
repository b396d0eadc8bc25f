//! The relay's side of the protocol, pure (PROTOCOL §4–§6, §8): the rules
//! over the rows one request touches, each endpoint's orchestration over a
//! storage transaction, and an in-memory relay for tests. The `relay`
//! crate adds storage, HTTP, a clock and randomness.

pub mod rows;
pub mod rules;
pub mod serve;
#[cfg(any(test, feature = "testkit"))]
pub mod sim;
