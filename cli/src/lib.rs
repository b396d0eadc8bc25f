//! What the `lockstep` binary shares with other native tools: the relay
//! transport over HTTP(S) (used by the CLI, the relay's and the CLI's
//! tests, the end-to-end tests and the benchmark).

pub mod http;
