//! What the receiver verifies before unlocking (§7), as one function,
//! [`verify_incoming`], that returns a [`Report`]: every check, in a fixed
//! order, with its outcome and a sentence the wallet page shows.
//!
//! The expensive part is the chain (§7.5): about two BIP340 signatures per
//! previous owner. They are checked together with the message's
//! `transfer_sig` in one batch ([`batch`]), falling back to one-by-one checks
//! only to name a bad signature. A host that keeps the [`VerifiedPrefix`] a
//! report returns (in a [`VerifiedPrefixCache`]) lets the next verification
//! of the same coin check only the entries added since.
//!
//! Pure: the caller passes the decrypted message, the relay's answers, the
//! relay clock and what the wallet expects; nothing here does I/O.

pub mod batch;
mod chain;
mod checks;
mod prefix;
mod report;
#[cfg(test)]
mod tests;
mod warm;

pub use prefix::{VerifiedPrefix, VerifiedPrefixCache, chain_prefix_hashes};
pub use report::{Check, CheckId, Report};
pub use warm::warm_up;

use chain::{chain_check, check_equivocation, check_signatures};
use checks::{batch_checks, coin_checks, message_checks, transfer_sig_check};

use crate::error::Error;
use crate::message::TransferMessage;
use crate::receipt::Receipt;
use crate::types::{Hash32, Point, XOnly};
use crate::wire::{BatchInfo, StatechainInfo};

/// Everything [`verify_incoming`] needs.
#[derive(Debug, Clone, Copy)]
pub struct VerifyInput<'a> {
    /// The outcome of [`TransferMessage::open`] on the fetched message.
    pub message: &'a Result<TransferMessage, Error>,
    /// `/info/statechain/{id}` for the message's coin.
    pub info: &'a StatechainInfo,
    /// `/transfer/batch/{id}` when the transfer is in a batch.
    pub batch: Option<&'a BatchInfo>,
    /// This wallet's `O2` and `A2`: the address the coin should come to.
    pub my_user_pubkey: Point,
    pub my_auth_pubkey: XOnly,
    /// The descriptor hash the user agreed to, for a swap; `None` for a plain
    /// receive.
    pub agreed_descriptor_hash: Option<Hash32>,
    /// The relay's signing key (`/info/config`), which signs every receipt.
    pub relay_pubkey: XOnly,
    /// The relay's clock now (device clock plus the measured offset).
    pub relay_now: u64,
    /// Receipts the wallet already holds for this coin (from earlier
    /// ownership or verifications), to catch a relay that rewrites history.
    pub known_receipts: &'a [Receipt],
    /// Chain prefixes verified before; `None` verifies every entry.
    pub verified: Option<&'a VerifiedPrefixCache>,
}

/// Runs every check of §7 and reports each one. Never panics.
pub fn verify_incoming(input: &VerifyInput<'_>) -> Report {
    let info = input.info;
    let msg = input.message.as_ref().ok();
    let mut checks = Vec::with_capacity(CheckId::ALL.len());

    message_checks(input, &mut checks);
    coin_checks(input, &mut checks);
    let sigs = check_signatures(input);
    checks.push(transfer_sig_check(input, sigs.message_sig_ok));
    let chain_ok = sigs.chain_problems.is_empty();
    checks.push(chain_check(info.chain.len(), &sigs.chain_problems));
    let (equivocation, equivocation_check) =
        check_equivocation(info, input.relay_pubkey, input.known_receipts);
    checks.push(equivocation_check);

    // §7.6, for a transfer in a batch, or when the user agreed to one.
    let batch_id = msg
        .and_then(|m| m.batch_id)
        .or_else(|| info.pending.as_ref().and_then(|p| p.batch_id));
    let batched =
        batch_id.is_some() || input.agreed_descriptor_hash.is_some() || input.batch.is_some();
    if batched {
        batch_checks(input, batch_id, msg, &mut checks);
    }

    let verified_prefix = match (chain_ok, info.chain.last(), sigs.prefix_hashes.last()) {
        (true, Some(last), Some(hash)) => Some(VerifiedPrefix {
            statechain_id: info.statechain_id,
            relay_pubkey: input.relay_pubkey,
            seq: last.seq,
            prefix_hash: *hash,
        }),
        _ => None,
    };
    Report {
        checks,
        equivocation,
        verified_prefix,
        signatures_checked: sigs.checked,
    }
}
