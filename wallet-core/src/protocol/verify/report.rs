//! The verification report: the checks of §7 ([`CheckId`]), one check's
//! outcome ([`Check`]) and the whole [`Report`].

use crate::receipt::EquivocationProof;
use serde::{Deserialize, Serialize};

use super::VerifiedPrefix;

/// The checks of §7, in report order. The serde name is stable: the web page
/// and stored records refer to checks by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckId {
    /// §7.1: the message decrypts with `o2` and is version 1.
    Decrypts,
    /// §7.1: it names this wallet's `O2` and `A2`.
    NamesThisWallet,
    /// §7.2: the relay knows the coin the message names.
    CoinExists,
    /// §7.2: the coin has not been withdrawn.
    NotWithdrawn,
    /// §7.2: the relay's amount equals the message's.
    AmountMatches,
    /// §7.2: the relay's `P` equals the message's.
    AggregatedKeyMatches,
    /// §7.2: the relay's pending transfer goes to `O2`/`A2`.
    PendingToMe,
    /// §7.2: with the message's `batch_id`.
    BatchMatches,
    /// §7.2: `O1 = P − S1` is the message's sender key and the current owner.
    SenderKeyMatches,
    /// §7.3: `t1·G = O1 + X1`.
    T1Matches,
    /// §7.4: `transfer_sig` by the current owner, for `seq + 1`.
    TransferSigValid,
    /// §7.5: every chain entry carries valid signatures, `seq` 0, 1, 2, …
    ChainValid,
    /// §7.5: no relay receipt conflicts with one the wallet holds.
    NoEquivocation,
    /// §7.6: the relay's batch has the descriptor the user agreed to.
    DescriptorAgreed,
    /// §7.6: that descriptor sends this coin, with its amount, to this wallet.
    InDescriptor,
    /// §7.6: the batch is open and its deadline ahead (or it has committed).
    DeadlineAhead,
}

impl CheckId {
    pub const ALL: [CheckId; 16] = [
        CheckId::Decrypts,
        CheckId::NamesThisWallet,
        CheckId::CoinExists,
        CheckId::NotWithdrawn,
        CheckId::AmountMatches,
        CheckId::AggregatedKeyMatches,
        CheckId::PendingToMe,
        CheckId::BatchMatches,
        CheckId::SenderKeyMatches,
        CheckId::T1Matches,
        CheckId::TransferSigValid,
        CheckId::ChainValid,
        CheckId::NoEquivocation,
        CheckId::DescriptorAgreed,
        CheckId::InDescriptor,
        CheckId::DeadlineAhead,
    ];

    /// The serde name.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckId::Decrypts => "decrypts",
            CheckId::NamesThisWallet => "names_this_wallet",
            CheckId::CoinExists => "coin_exists",
            CheckId::NotWithdrawn => "not_withdrawn",
            CheckId::AmountMatches => "amount_matches",
            CheckId::AggregatedKeyMatches => "aggregated_key_matches",
            CheckId::PendingToMe => "pending_to_me",
            CheckId::BatchMatches => "batch_matches",
            CheckId::SenderKeyMatches => "sender_key_matches",
            CheckId::T1Matches => "t1_matches",
            CheckId::TransferSigValid => "transfer_sig_valid",
            CheckId::ChainValid => "chain_valid",
            CheckId::NoEquivocation => "no_equivocation",
            CheckId::DescriptorAgreed => "descriptor_agreed",
            CheckId::InDescriptor => "in_descriptor",
            CheckId::DeadlineAhead => "deadline_ahead",
        }
    }

    /// A short title for the check list.
    pub fn title(self) -> &'static str {
        match self {
            CheckId::Decrypts => "Message decrypts",
            CheckId::NamesThisWallet => "Addressed to this wallet",
            CheckId::CoinExists => "Coin exists",
            CheckId::NotWithdrawn => "Coin not withdrawn",
            CheckId::AmountMatches => "Amount matches",
            CheckId::AggregatedKeyMatches => "Coin key matches",
            CheckId::PendingToMe => "Transfer registered to you",
            CheckId::BatchMatches => "Same swap as the message",
            CheckId::SenderKeyMatches => "Sender is the owner",
            CheckId::T1Matches => "Key-update value is correct",
            CheckId::TransferSigValid => "Owner signed this transfer",
            CheckId::ChainValid => "Ownership history is valid",
            CheckId::NoEquivocation => "Relay history is consistent",
            CheckId::DescriptorAgreed => "Swap terms are the agreed ones",
            CheckId::InDescriptor => "Swap sends this coin to you",
            CheckId::DeadlineAhead => "Swap deadline still ahead",
        }
    }
}

impl std::fmt::Display for CheckId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One check's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    pub id: CheckId,
    pub passed: bool,
    /// `false` when the check could not be performed because something it
    /// needs is missing (the message did not decrypt, the relay shows no
    /// pending transfer, …); `passed` is then `false` too.
    pub ran: bool,
    /// What was checked and, on failure, what it means for the user.
    pub detail: String,
}

impl Check {
    pub(super) fn pass(id: CheckId, detail: impl Into<String>) -> Self {
        Check {
            id,
            passed: true,
            ran: true,
            detail: detail.into(),
        }
    }
    pub(super) fn fail(id: CheckId, detail: impl Into<String>) -> Self {
        Check {
            id,
            passed: false,
            ran: true,
            detail: detail.into(),
        }
    }
    pub(super) fn not_run(id: CheckId, detail: impl Into<String>) -> Self {
        Check {
            id,
            passed: false,
            ran: false,
            detail: detail.into(),
        }
    }
    pub(super) fn verdict(
        id: CheckId,
        ok: bool,
        pass: impl Into<String>,
        fail: impl Into<String>,
    ) -> Self {
        if ok {
            Check::pass(id, pass)
        } else {
            Check::fail(id, fail)
        }
    }
}

/// The receiver's verification report: every check of §7, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub checks: Vec<Check>,
    /// Two validly signed relay receipts for one `seq` of this coin that
    /// disagree: proof of relay misbehaviour (§7.5), for the user to export.
    pub equivocation: Option<EquivocationProof>,
    /// Set when the whole chain verified: keep it (see
    /// [`VerifiedPrefixCache::remember`]) so the next verification of this
    /// coin checks only newer entries.
    pub verified_prefix: Option<VerifiedPrefix>,
    /// How many BIP340 signatures went into this run's batch (entries a
    /// verified prefix covers are not checked again).
    pub signatures_checked: u32,
}

impl Report {
    /// Every check ran and passed (an empty report never passes).
    pub fn all_passed(&self) -> bool {
        !self.checks.is_empty()
            && self.checks.iter().all(|c| c.passed)
            && self.equivocation.is_none()
    }

    /// The checks that did not pass, in report order.
    pub fn failures(&self) -> Vec<&Check> {
        self.checks.iter().filter(|c| !c.passed).collect()
    }

    pub fn get(&self, id: CheckId) -> Option<&Check> {
        self.checks.iter().find(|c| c.id == id)
    }

    pub fn passed(&self, id: CheckId) -> bool {
        self.get(id).is_some_and(|c| c.passed)
    }
}
