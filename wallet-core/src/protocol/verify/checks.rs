//! The checks of §7.1 to §7.4 and §7.6, each from the message, the relay's
//! answers and what the wallet expects.

use crate::descriptor::{ABSOLUTE_MAX_LINES, Descriptor};
use crate::keyshare;
use crate::message::TransferMessage;
use crate::receipt::CoinStatus;
use crate::types::Id;
use crate::wire::BatchState;

use super::{Check, CheckId, VerifyInput};

const NO_MESSAGE: &str =
    "Not checked: the transfer message could not be read, so there is nothing to compare.";

/// §7.1: the message decrypts, is version 1 and names this wallet.
pub(super) fn message_checks(input: &VerifyInput<'_>, checks: &mut Vec<Check>) {
    let msg = input.message.as_ref().ok();
    checks.push(match input.message {
        Ok(m) if m.version == 1 => {
            Check::pass(CheckId::Decrypts, "The transfer message decrypted with this wallet's key and is a version 1 message.")
        }
        Ok(m) => Check::fail(
            CheckId::Decrypts,
            format!("The transfer message has version {}; this wallet only understands version 1. Do not accept it; ask the sender to update.", m.version),
        ),
        Err(e) => Check::fail(
            CheckId::Decrypts,
            format!("The transfer message could not be read: {e} Nothing can be verified; do not accept this transfer."),
        ),
    });

    checks.push(match msg {
        None => Check::not_run(CheckId::NamesThisWallet, NO_MESSAGE),
        Some(m) => Check::verdict(
            CheckId::NamesThisWallet,
            m.recipient_user_pubkey == input.my_user_pubkey && m.recipient_auth_pubkey == input.my_auth_pubkey,
            "The message names this wallet's receiving address (its user key and auth key).",
            "The message names a different receiving address than the one this wallet expects: it was not meant for this address. Do not accept it.",
        ),
    });
}

/// §7.2 and §7.3: the relay's view of the coin and its pending transfer
/// agree with the message.
pub(super) fn coin_checks(input: &VerifyInput<'_>, checks: &mut Vec<Check>) {
    let info = input.info;
    let msg = input.message.as_ref().ok();
    let pending = info.pending.as_ref();
    checks.push(match msg {
        None => Check::not_run(CheckId::CoinExists, NO_MESSAGE),
        Some(m) => Check::verdict(
            CheckId::CoinExists,
            info.statechain_id == m.statechain_id,
            format!("The relay knows coin {}.", m.statechain_id),
            format!(
                "The relay's information is about coin {}, but the message is about coin {}: the coin cannot be checked. Do not accept it.",
                info.statechain_id, m.statechain_id
            ),
        ),
    });
    checks.push(Check::verdict(
        CheckId::NotWithdrawn,
        info.status == CoinStatus::Owned,
        "The relay shows the coin as still in circulation (not withdrawn).",
        "The relay shows this coin as withdrawn: it can no longer be transferred, so receiving it would give you nothing.",
    ));
    checks.push(match msg {
        None => Check::not_run(CheckId::AmountMatches, NO_MESSAGE),
        Some(m) => Check::verdict(
            CheckId::AmountMatches,
            info.amount == m.amount,
            format!("The coin's amount at the relay, {} sat, is the amount the message states.", info.amount),
            format!(
                "The message says the coin holds {} sat but the relay says {} sat. Do not accept it: you would not get what you were promised.",
                m.amount, info.amount
            ),
        ),
    });
    checks.push(match msg {
        None => Check::not_run(CheckId::AggregatedKeyMatches, NO_MESSAGE),
        Some(m) => Check::verdict(
            CheckId::AggregatedKeyMatches,
            info.aggregated_pubkey == m.aggregated_pubkey,
            "The coin's public key at the relay is the one the message states.",
            "The coin's public key at the relay differs from the one in the message: the message describes another coin. Do not accept it.",
        ),
    });

    // §7.2: the pending transfer.
    checks.push(match pending {
        None => Check::fail(
            CheckId::PendingToMe,
            "The relay shows no transfer waiting on this coin: the sender has not registered it, or replaced it. Wait, or ask the sender.",
        ),
        Some(p) => Check::verdict(
            CheckId::PendingToMe,
            p.new_user_auth_key == input.my_auth_pubkey && p.new_user_pubkey == input.my_user_pubkey,
            "The relay has a transfer of this coin registered to this wallet's receiving address.",
            "The relay has this coin's transfer registered to a different address: the sender is sending it elsewhere. Do not proceed.",
        ),
    });
    checks.push(match (msg, pending) {
        (None, _) => Check::not_run(CheckId::BatchMatches, NO_MESSAGE),
        (Some(_), None) => Check::not_run(CheckId::BatchMatches, "Not checked: the relay shows no pending transfer on this coin."),
        (Some(m), Some(p)) => Check::verdict(
            CheckId::BatchMatches,
            p.batch_id == m.batch_id,
            match m.batch_id {
                Some(b) => format!("The relay registered this transfer in swap {b}, as the message says."),
                None => "The relay registered this transfer on its own, not in a swap, as the message says.".to_string(),
            },
            format!(
                "The message places this transfer in {} but the relay has it in {}. Do not proceed: the transfer would not complete as described.",
                describe_batch(m.batch_id.as_ref()),
                describe_batch(p.batch_id.as_ref())
            ),
        ),
    });

    // §7.2: O1 = P − S1.
    let o1 = keyshare::owner_user_pubkey(&info.aggregated_pubkey, &info.server_pubkey);
    checks.push(match (msg, o1) {
        (None, _) => Check::not_run(CheckId::SenderKeyMatches, NO_MESSAGE),
        (Some(_), None) => Check::fail(
            CheckId::SenderKeyMatches,
            "The relay's key share cancels the coin's key (P − S1 is no key at all): the relay's data is inconsistent. Do not accept it.",
        ),
        (Some(m), Some(o1)) => Check::verdict(
            CheckId::SenderKeyMatches,
            o1 == m.sender_user_pubkey && o1 == info.owner_user_pubkey,
            "The sender's key in the message is the coin's current owner key (P − S1) at the relay.",
            "The sender's key in the message is not the coin's current owner key at the relay: the sender does not own this coin. Do not accept it.",
        ),
    });

    // §7.3: t1·G = O1 + X1.
    checks.push(match (msg, pending, o1) {
        (None, _, _) => Check::not_run(CheckId::T1Matches, NO_MESSAGE),
        (Some(_), None, _) => Check::not_run(CheckId::T1Matches, "Not checked: the relay shows no pending transfer, so there is no X1 to check t1 against."),
        (Some(_), Some(_), None) => Check::not_run(CheckId::T1Matches, "Not checked: the owner key O1 cannot be derived from the relay's data."),
        (Some(m), Some(p), Some(o1)) => Check::verdict(
            CheckId::T1Matches,
            keyshare::t1_matches(&m.t1, &o1, &p.x1_pub),
            "The key-update value t1 matches the owner's key and the relay's X1 (t1·G = O1 + X1), so the relay can hand the coin's key share over to you.",
            "The key-update value t1 does not match (t1·G ≠ O1 + X1): the relay would refuse to hand the coin over. Do not proceed; the sender must send a new message.",
        ),
    });
}

/// §7.4: `transfer_sig` by the current owner, for `seq` = current + 1.
pub(super) fn transfer_sig_check(input: &VerifyInput<'_>, message_sig_ok: bool) -> Check {
    let msg = input.message.as_ref().ok();
    let next_seq = input.info.seq.checked_add(1);
    match (msg, next_seq) {
        (None, _) => Check::not_run(CheckId::TransferSigValid, NO_MESSAGE),
        (Some(_), None) => Check::fail(
            CheckId::TransferSigValid,
            "The relay reports a sequence number that cannot grow: its data is invalid. Do not accept this transfer.",
        ),
        (Some(m), Some(seq)) if m.seq != seq => Check::fail(
            CheckId::TransferSigValid,
            format!(
                "The message is for ownership number {} but the relay's next number is {seq}: it is stale or replayed. Do not accept it; the sender must send it again.",
                m.seq
            ),
        ),
        (Some(_), Some(seq)) => Check::verdict(
            CheckId::TransferSigValid,
            message_sig_ok,
            format!(
                "The coin's current owner signed this transfer to you, as ownership number {seq}."
            ),
            "The transfer signature does not verify under the coin's current owner key: the owner did not authorise this transfer to you. Do not accept it.",
        ),
    }
}

fn describe_batch(b: Option<&Id>) -> String {
    match b {
        Some(b) => format!("swap {b}"),
        None => "no swap".to_string(),
    }
}

/// §7.6: the batch the transfer is in against the terms the user agreed to.
pub(super) fn batch_checks(
    input: &VerifyInput<'_>,
    batch_id: Option<Id>,
    msg: Option<&TransferMessage>,
    checks: &mut Vec<Check>,
) {
    let info = input.info;
    let batch = input.batch;
    let agreed = input.agreed_descriptor_hash;

    // The terms.
    let recomputed = batch.map(|b| {
        Descriptor::new(b.batch_id, b.transfers.clone(), ABSOLUTE_MAX_LINES).map(|d| d.hash())
    });
    checks.push(match (batch_id, agreed, batch) {
        (None, Some(_), _) => Check::fail(
            CheckId::DescriptorAgreed,
            "You agreed to a swap, but this transfer is not part of any swap: the sender sent it outside the agreed terms. Do not unlock; your own coins come back to you if the swap does not complete.",
        ),
        (Some(b), None, _) => Check::fail(
            CheckId::DescriptorAgreed,
            format!("This transfer is part of swap {b}, but you have not agreed to any swap terms for it. Do not unlock it."),
        ),
        (_, _, None) => Check::not_run(
            CheckId::DescriptorAgreed,
            "Not checked: the relay's view of the swap could not be loaded. The wallet tries again.",
        ),
        (Some(id), Some(agreed), Some(b)) => {
            if b.batch_id != id {
                Check::fail(
                    CheckId::DescriptorAgreed,
                    format!("The relay answered about swap {} instead of swap {id}. Do not unlock.", b.batch_id),
                )
            } else if b.descriptor_hash != agreed {
                Check::fail(
                    CheckId::DescriptorAgreed,
                    "The relay's swap has different terms (descriptor) from the ones you agreed to: someone changed the swap. Do not unlock; abort it.",
                )
            } else if recomputed.as_ref().and_then(|r| r.as_ref().ok()) != Some(&agreed) {
                Check::fail(
                    CheckId::DescriptorAgreed,
                    "The relay's list of swap transfers does not match the descriptor hash it reports: its answer is inconsistent. Do not unlock.",
                )
            } else {
                Check::pass(CheckId::DescriptorAgreed, "The relay holds this swap with exactly the terms you agreed to.")
            }
        }
        (None, None, Some(_)) => Check::fail(
            CheckId::DescriptorAgreed,
            "A swap was given for a transfer that is not part of one. Do not unlock.",
        ),
    });

    // This coin → this wallet, with its amount.
    checks.push(match batch {
        None => Check::not_run(CheckId::InDescriptor, "Not checked: the relay's view of the swap is not available."),
        Some(b) => {
            let amount = msg.map_or(info.amount, |m| m.amount);
            let line = b.transfers.iter().find(|t| t.statechain_id == info.statechain_id);
            match line {
                None => Check::fail(
                    CheckId::InDescriptor,
                    format!("The swap's terms do not include coin {}. Do not unlock.", info.statechain_id),
                ),
                Some(t) if t.new_user_auth_key != input.my_auth_pubkey => Check::fail(
                    CheckId::InDescriptor,
                    "The swap's terms send this coin to someone else, not to this wallet. Do not unlock; abort the swap.",
                ),
                Some(t) if t.amount != amount || t.amount != info.amount => Check::fail(
                    CheckId::InDescriptor,
                    format!(
                        "The swap's terms give this coin an amount of {} sat, but the coin holds {} sat. Do not unlock.",
                        t.amount, info.amount
                    ),
                ),
                Some(t) => Check::pass(
                    CheckId::InDescriptor,
                    format!("The swap's terms send this coin, {} sat, to this wallet.", t.amount),
                ),
            }
        }
    });

    // The deadline, on the relay's clock.
    checks.push(match batch {
        None => Check::not_run(CheckId::DeadlineAhead, "Not checked: the relay's view of the swap is not available."),
        Some(b) => match b.state {
            BatchState::Committed => Check::pass(
                CheckId::DeadlineAhead,
                "The swap has already completed at the relay: this transfer can be received at any time.",
            ),
            BatchState::Aborted => Check::fail(
                CheckId::DeadlineAhead,
                "The swap was aborted: this transfer will not complete. Your own coins come back to you automatically.",
            ),
            BatchState::Expired => Check::fail(
                CheckId::DeadlineAhead,
                "The swap passed its deadline without completing. Your own coins come back to you automatically.",
            ),
            BatchState::Open if input.relay_now <= b.deadline => Check::pass(
                CheckId::DeadlineAhead,
                format!("The swap is open and its deadline is {} s away on the relay's clock.", b.deadline - input.relay_now),
            ),
            BatchState::Open => Check::fail(
                CheckId::DeadlineAhead,
                "The swap's deadline has passed on the relay's clock. It can no longer complete; your own coins come back to you automatically.",
            ),
        },
    });
}
