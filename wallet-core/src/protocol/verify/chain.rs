//! §7.5, the chain: every signature (the message's `transfer_sig` and the
//! chain's) checked in one batch, the structural walk over the entries, and
//! the receipts the wallet already holds compared with the relay's.

use crate::receipt::{CoinStatus, EquivocationProof, Receipt};
use crate::signing;
use crate::types::{Hash32, XOnly};
use crate::wire::StatechainInfo;

use super::batch::{self, SigItem};
use super::{Check, CheckId, VerifyInput, chain_prefix_hashes};

/// What a signature in the batch stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SigRole {
    /// The message's `transfer_sig`.
    Message,
    /// Entry k's relay receipt.
    Receipt(usize),
    /// Entry k's `transfer_sig` by the previous owner.
    ChainTransfer(usize),
}

/// How many chain problems a detail lists before summarising the rest.
const SHOWN_PROBLEMS: usize = 3;

/// The outcome of the one batch verification of every signature.
pub(super) struct Signatures {
    /// The message's `transfer_sig` verified (or was not in the batch).
    pub(super) message_sig_ok: bool,
    /// Chain problems, structural and cryptographic, by entry index.
    pub(super) chain_problems: Vec<(usize, String)>,
    /// [`chain_prefix_hashes`] of the chain.
    pub(super) prefix_hashes: Vec<Hash32>,
    /// How many signatures were in the batch.
    pub(super) checked: u32,
}

/// Builds the batch (the message's `transfer_sig`, and every chain
/// signature not covered by a verified prefix), verifies it, and sorts any
/// failure to the check it concerns.
pub(super) fn check_signatures(input: &VerifyInput<'_>) -> Signatures {
    let info = input.info;
    let msg = input.message.as_ref().ok();
    let mut items: Vec<SigItem> = Vec::with_capacity(2 * info.chain.len() + 1);
    let mut roles: Vec<SigRole> = Vec::with_capacity(2 * info.chain.len() + 1);
    let next_seq = info.seq.checked_add(1);
    if let (Some(m), Some(seq)) = (msg, next_seq)
        && m.seq == seq
    {
        let s = signing::transfer(
            &info.statechain_id,
            seq,
            &input.my_user_pubkey,
            &input.my_auth_pubkey,
            m.batch_id.as_ref(),
        );
        items.push(SigItem::over_string(
            info.owner_auth_pubkey,
            &s,
            m.transfer_sig,
        ));
        roles.push(SigRole::Message);
    }

    let hashes = chain_prefix_hashes(
        &info.statechain_id,
        &info.aggregated_pubkey,
        info.amount,
        &input.relay_pubkey,
        &info.chain,
    );
    // Entries 0..skip had their signatures verified before.
    let skip = input
        .verified
        .and_then(|c| c.get(&info.statechain_id))
        .filter(|p| p.relay_pubkey == input.relay_pubkey && p.statechain_id == info.statechain_id)
        .and_then(|p| {
            let i = usize::try_from(p.seq).ok()?;
            (hashes.get(i) == Some(&p.prefix_hash)).then_some(i + 1)
        })
        .unwrap_or(0);
    let mut problems = chain_structure(info, input.relay_pubkey, skip, &mut items, &mut roles);

    let bad = batch::invalid_signatures(&items);
    let signatures_checked = items.len() as u32;
    let mut message_sig_ok = true;
    for &i in &bad {
        match roles.get(i) {
            Some(SigRole::Message) => message_sig_ok = false,
            Some(SigRole::Receipt(k)) => problems.push((
                *k,
                format!("entry {k}: the relay's receipt signature does not verify under the relay's key"),
            )),
            Some(SigRole::ChainTransfer(k)) => problems.push((
                *k,
                format!("entry {k}: the transfer signature does not verify under the previous owner's key"),
            )),
            None => {}
        }
    }
    // Two runs already in entry order (structure, then signatures): an
    // insertion sort merges them without one more standard sort in the
    // web wallet.
    crate::util::sort_small_by_key(&mut problems, |(k, _)| *k);
    Signatures {
        message_sig_ok,
        chain_problems: problems,
        prefix_hashes: hashes,
        checked: signatures_checked,
    }
}

/// §7.5: the chain, from the problems found.
pub(super) fn chain_check(n: usize, problems: &[(usize, String)]) -> Check {
    if problems.is_empty() {
        Check::pass(
            CheckId::ChainValid,
            format!(
                "The coin's history of {n} {} is intact: every owner handed the coin on with a valid signature and the relay signed a receipt for each step.",
                if n == 1 { "owner" } else { "owners" }
            ),
        )
    } else {
        let mut shown: Vec<String> = problems
            .iter()
            .take(SHOWN_PROBLEMS)
            .map(|(_, p)| p.clone())
            .collect();
        if problems.len() > SHOWN_PROBLEMS {
            shown.push(format!("and {} more", problems.len() - SHOWN_PROBLEMS));
        }
        Check::fail(
            CheckId::ChainValid,
            format!(
                "The coin's ownership history does not verify ({}). The coin's past cannot be trusted; do not accept it.",
                shown.join("; ")
            ),
        )
    }
}

/// The structural chain checks (all entries) and the signature items of
/// entries `skip..` (the earlier ones were verified before). Returns the
/// problems found, with the entry index they concern.
fn chain_structure(
    info: &StatechainInfo,
    relay: XOnly,
    skip: usize,
    items: &mut Vec<SigItem>,
    roles: &mut Vec<SigRole>,
) -> Vec<(usize, String)> {
    let mut problems: Vec<(usize, String)> = Vec::new();
    let chain = &info.chain;
    if chain.is_empty() {
        problems.push((
            0,
            "the relay shows no history at all, not even the deposit".to_string(),
        ));
        return problems;
    }
    let p = info.aggregated_pubkey.to_projective();
    let last_index = chain.len() - 1;
    for (k, e) in chain.iter().enumerate() {
        let r = &e.receipt;
        if e.seq != k as u64 {
            problems.push((k, format!("entry {k} has number {} instead of {k}: the history has a gap or is out of order", e.seq)));
        }
        let receipt_matches = r.statechain_id == info.statechain_id
            && r.seq == e.seq
            && r.owner_user_pubkey == e.owner_user_pubkey
            && r.owner_auth_pubkey == e.owner_auth_pubkey
            && r.batch_id == e.batch_id;
        if !receipt_matches {
            problems.push((k, format!("entry {k}: the relay's receipt describes a different coin, number or owner than the entry")));
        }
        if r.aggregated_pubkey != info.aggregated_pubkey || r.amount != info.amount {
            problems.push((
                k,
                format!("entry {k}: the receipt states a different coin key or amount"),
            ));
        }
        if r.owner_user_pubkey.to_projective() + r.server_pubkey.to_projective() != p {
            problems.push((k, format!("entry {k}: the owner's and the relay's key shares do not add up to the coin's key")));
        }
        if k == 0 {
            if e.transfer_sig.is_some() || r.status != CoinStatus::Owned {
                problems.push((0, "entry 0 is not a deposit".to_string()));
            }
        } else {
            let prev = &chain[k - 1];
            match (r.status, &e.transfer_sig) {
                (CoinStatus::Owned, Some(sig)) => {
                    if k >= skip {
                        let s = signing::transfer(
                            &info.statechain_id,
                            e.seq,
                            &e.owner_user_pubkey,
                            &e.owner_auth_pubkey,
                            e.batch_id.as_ref(),
                        );
                        items.push(SigItem::over_string(prev.owner_auth_pubkey, &s, *sig));
                        roles.push(SigRole::ChainTransfer(k));
                    }
                }
                (CoinStatus::Owned, None) => {
                    problems.push((
                        k,
                        format!("entry {k} has no signature by the previous owner"),
                    ));
                }
                (CoinStatus::Withdrawn, None) => {
                    let same_owner = e.owner_user_pubkey == prev.owner_user_pubkey
                        && e.owner_auth_pubkey == prev.owner_auth_pubkey
                        && e.batch_id.is_none();
                    if k != last_index || !same_owner {
                        problems.push((
                            k,
                            format!("entry {k}: a withdrawal that is not the owner's last step"),
                        ));
                    }
                }
                (CoinStatus::Withdrawn, Some(_)) => {
                    problems.push((
                        k,
                        format!("entry {k}: a withdrawal that claims to be a transfer"),
                    ));
                }
            }
        }
        if k >= skip {
            items.push(SigItem::over_string(relay, &r.signing_string(), r.sig));
            roles.push(SigRole::Receipt(k));
        }
    }
    let last = &chain[last_index];
    let current = last.seq == info.seq
        && last.owner_user_pubkey == info.owner_user_pubkey
        && last.owner_auth_pubkey == info.owner_auth_pubkey
        && last.receipt.server_pubkey == info.server_pubkey
        && last.receipt.status == info.status;
    if !current {
        problems.push((
            last_index,
            "the last entry is not the coin's current owner and number as the relay reports them"
                .to_string(),
        ));
    }
    problems
}

/// §7.5: a chain receipt that conflicts with one the wallet holds.
pub(super) fn check_equivocation(
    info: &StatechainInfo,
    relay: XOnly,
    known: &[Receipt],
) -> (Option<EquivocationProof>, Check) {
    let mut rolled_back: Option<u64> = None;
    for k in known
        .iter()
        .filter(|r| r.statechain_id == info.statechain_id)
    {
        let in_chain = usize::try_from(k.seq)
            .ok()
            .and_then(|i| info.chain.get(i))
            .map(|e| &e.receipt);
        match in_chain {
            Some(c) if c.seq == k.seq => {
                if c.body() != k.body()
                    && let Some(proof) = EquivocationProof::detect(&relay, k, c)
                {
                    let detail = format!(
                        "The relay signed two different receipts for step {} of this coin: the one this wallet holds and the one it shows now. The relay is misbehaving; export the proof and do not accept this coin.",
                        k.seq
                    );
                    return (Some(proof), Check::fail(CheckId::NoEquivocation, detail));
                }
            }
            // A gap or misnumbering is a chain problem, reported there.
            Some(_) => {}
            None => {
                if k.seq > info.seq && k.verify(&relay) {
                    rolled_back = Some(rolled_back.map_or(k.seq, |s| s.max(k.seq)));
                }
            }
        }
    }
    let check = match rolled_back {
        Some(seq) => Check::fail(
            CheckId::NoEquivocation,
            format!(
                "The relay once signed step {seq} of this coin, but now shows its history ending at step {}: it has rewritten the coin's history. Do not accept this coin.",
                info.seq
            ),
        ),
        None if known.iter().any(|r| r.statechain_id == info.statechain_id) => Check::pass(
            CheckId::NoEquivocation,
            "The relay's receipts agree with every receipt this wallet already holds for this coin.",
        ),
        None => Check::pass(
            CheckId::NoEquivocation,
            "This wallet holds no earlier receipts for this coin, so there is nothing the relay could contradict.",
        ),
    };
    (None, check)
}
