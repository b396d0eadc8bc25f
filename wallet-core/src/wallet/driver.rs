//! Performs the state machines' actions against a relay: builds and signs
//! requests with the wallet's keys and the injected randomness, sends them
//! through the [`Transport`], and turns the answers into [`Event`]s. It does
//! no I/O of its own; the host chooses the transport, the clock and the
//! storage, and persists the wallet before calling [`Executor::perform`].

use crate::address::Address;
use crate::client::{MAX_MESSAGE_PAGES, RelayClient, Transport, relay_code};
use crate::descriptor::{BatchJoin, Descriptor};
use crate::entropy::Entropy;
use crate::error::{Error, ErrorCode};
use crate::keys::{AddressKeys, WalletKeys};
use crate::keyshare;
use crate::machine::{Action, Event, OwnedCoin};
use crate::message::TransferMessage;
use crate::receipt::Receipt;
use crate::signing;
use crate::types::{Id, Scalar, XOnly};
use crate::verify::{self, VerifyInput};
use crate::wallet::Wallet;
use crate::wire::{BatchCoinRequest, ReceiverRequest, SenderRequest, UpdateMsgRequest};

/// Descriptors longer than this are joined by hash first (§6.3).
pub const SHORT_JOIN_LINES: usize = 16;

/// Everything an action needs besides the action itself.
pub struct Executor<'a, T, R> {
    pub relay: &'a RelayClient<T>,
    pub keys: &'a WalletKeys,
    pub rng: R,
    pub relay_pubkey: XOnly,
    /// Seconds to long-poll (`wait`) for messages and batch changes.
    pub wait: Option<u64>,
}

/// What performing an action produced.
#[derive(Debug)]
pub enum Outcome {
    /// Feed these events to the record, in order.
    Events(Vec<Event>),
    /// The relay could not be reached (or answered nonsense): keep the
    /// record as it is and perform the action again later.
    Retry(Error),
}

/// A relay refusal becomes an event for the record; a transient failure
/// (no answer, overload, rate limit, the relay's own trouble) is retried.
fn refusal(coin: Option<Id>, e: Error) -> Outcome {
    match relay_code(&e) {
        Some(ErrorCode::RateLimited | ErrorCode::Internal | ErrorCode::Unavailable) | None => {
            Outcome::Retry(e)
        }
        Some(code) => Outcome::Events(vec![Event::Refused { coin, code }]),
    }
}

impl<T: Transport, R: Entropy> Executor<'_, T, R> {
    fn address_keys(&self, index: u32) -> Result<AddressKeys, Error> {
        self.keys.address(index)
    }

    /// Performs one action at relay time `now`. `wallet` is read, never
    /// changed: its receipts (equivocation detection) and verified
    /// prefixes; what the relay answered comes back as events.
    pub async fn perform(&mut self, action: &Action, now: u64, wallet: &Wallet) -> Outcome {
        match self.try_perform(action, now, wallet).await {
            Ok(o) => o,
            Err(e) => Outcome::Retry(e),
        }
    }

    async fn try_perform(
        &mut self,
        action: &Action,
        now: u64,
        wallet: &Wallet,
    ) -> Result<Outcome, Error> {
        Ok(match action {
            Action::Register {
                coin,
                to,
                batch,
                by_hash,
            } => match self.register(coin, to, batch.as_ref(), *by_hash, now).await {
                Ok(x1) => Outcome::Events(vec![Event::Registered {
                    coin: coin.statechain_id,
                    x1,
                }]),
                Err(e) => refusal(Some(coin.statechain_id), e),
            },
            Action::Upload {
                coin,
                to,
                batch_id,
                x1,
            } => {
                let owner = self.address_keys(coin.index)?;
                match self.upload(coin, &owner, to, *batch_id, x1, now).await {
                    Ok(_) => Outcome::Events(vec![Event::Uploaded {
                        coin: coin.statechain_id,
                    }]),
                    Err(e) => refusal(Some(coin.statechain_id), e),
                }
            }
            Action::FetchIncoming {
                index,
                expect,
                batch,
            } => {
                let only: Vec<Id> = expect.iter().map(|e| e.statechain_id).collect();
                let checked = self
                    .check_messages(*index, now, wallet, batch.as_ref(), |id| only.contains(id))
                    .await?;
                Outcome::Events(
                    checked
                        .into_iter()
                        .map(|(msg, report)| Event::Checked {
                            coin: msg.statechain_id,
                            msg: Box::new(msg),
                            report,
                        })
                        .collect(),
                )
            }
            Action::Unlock {
                coin,
                batch_id,
                index,
            } => {
                let me = self.address_keys(*index)?;
                let req = BatchCoinRequest::unlock(*coin, *batch_id, &me, now, self.rng.bytes());
                match self.relay.unlock(&req).await {
                    Ok(status) => Outcome::Events(vec![Event::Unlocked {
                        coin: *coin,
                        status,
                    }]),
                    Err(e) => refusal(Some(*coin), e),
                }
            }
            Action::WatchBatch { batch_id, since } => {
                let wait = if *since == 0 { None } else { self.wait };
                match self.relay.batch(batch_id, wait, Some(*since)).await {
                    Ok(info) => Outcome::Events(vec![Event::BatchSeen {
                        status: info.status(),
                    }]),
                    Err(e) => refusal(None, e),
                }
            }
            Action::Receive { coin, index, msg } => {
                let me = self.address_keys(*index)?;
                match self.receive(msg, &me, now).await {
                    Ok(receipt) => Outcome::Events(vec![Event::Received {
                        coin: *coin,
                        receipt,
                    }]),
                    Err(e) => refusal(Some(*coin), e),
                }
            }
            Action::Abort {
                coin,
                batch_id,
                index,
            } => {
                let me = self.address_keys(*index)?;
                let req = BatchCoinRequest::abort(*coin, *batch_id, &me, now, self.rng.bytes());
                match self.relay.abort(&req).await {
                    Ok(status) => Outcome::Events(vec![Event::BatchSeen { status }]),
                    Err(e) => refusal(None, e),
                }
            }
            Action::Reclaim { coin, to_index } => {
                match self.reclaim(coin, *to_index, wallet.network, now).await {
                    Ok((new_coin, receipt)) => Outcome::Events(vec![Event::Reclaimed {
                        coin: coin.statechain_id,
                        new_coin,
                        receipt,
                    }]),
                    Err(e) => refusal(Some(coin.statechain_id), e),
                }
            }
            // Timers are the host's: it delivers Event::Timer at tag.at.
            Action::ArmTimer { .. } => Outcome::Events(vec![]),
        })
    }

    /// Every message waiting at address `index` for a coin `wanted`
    /// accepts, opened and checked (§7) — as a plain transfer, or against
    /// `batch` (its id and the descriptor hash the user agreed to). Messages
    /// this key cannot open are not for this wallet and are skipped. With
    /// `wait`, long-polls until a message exists.
    async fn check_messages(
        &mut self,
        index: u32,
        now: u64,
        wallet: &Wallet,
        batch: Option<&(Id, crate::types::Hash32)>,
        wanted: impl Fn(&Id) -> bool,
    ) -> Result<Vec<(TransferMessage, verify::Report)>, Error> {
        let me = self.address_keys(index)?;
        let msgs = self
            .relay
            .all_messages(&me.auth_pubkey(), self.wait, MAX_MESSAGE_PAGES)
            .await?;
        let batch_info = match batch {
            Some((id, _)) => Some(self.relay.batch(id, None, None).await?),
            None => None,
        };
        let mut out = Vec::new();
        for m in msgs.iter().filter(|m| wanted(&m.statechain_id)) {
            // A message this key cannot open is not for us; skip it.
            let Ok(msg) = TransferMessage::open(&me.user, &m.enc_msg.0) else {
                continue;
            };
            if msg.statechain_id != m.statechain_id {
                continue;
            }
            let info = self.relay.statechain(&m.statechain_id).await?;
            let known = wallet.known_receipts(&m.statechain_id);
            let opened = Ok(msg.clone());
            let report = verify::verify_incoming(&VerifyInput {
                message: &opened,
                info: &info,
                batch: batch_info.as_ref(),
                my_user_pubkey: me.user_pubkey(),
                my_auth_pubkey: me.auth_pubkey(),
                agreed_descriptor_hash: batch.map(|(_, h)| *h),
                relay_pubkey: self.relay_pubkey,
                relay_now: now,
                known_receipts: &known,
                verified: Some(&wallet.verified),
            });
            out.push((msg, report));
        }
        Ok(out)
    }

    /// Plain incoming transfers: every message at address `index` except
    /// for the coins in `skip` (ones the host already has a record for),
    /// opened and checked (§7). Feed each to
    /// [`crate::machine::receive::Receive::new`] and
    /// [`Wallet::start_receive`].
    pub async fn check_incoming(
        &mut self,
        index: u32,
        now: u64,
        wallet: &Wallet,
        skip: &[Id],
    ) -> Result<Vec<(TransferMessage, verify::Report)>, Error> {
        self.check_messages(index, now, wallet, None, |id| !skip.contains(id))
            .await
    }

    /// `/transfer/sender`. A join names the batch by its hash (§6.3) when
    /// the record knows the batch exists, or when the descriptor is large
    /// enough that sending its lines costs more than one extra round trip
    /// would; a short join to a batch that does not exist yet (`not_found`)
    /// is sent again with the lines.
    async fn register(
        &mut self,
        coin: &OwnedCoin,
        to: &Address,
        batch: Option<&Descriptor>,
        by_hash: bool,
        now: u64,
    ) -> Result<Scalar, Error> {
        let owner = self.address_keys(coin.index)?;
        if let Some(d) = batch.filter(|d| by_hash || d.len() > SHORT_JOIN_LINES) {
            let short = BatchJoin::Short {
                batch_id: d.batch_id(),
                descriptor_hash: d.hash(),
            };
            let req = SenderRequest::signed_join(
                coin.statechain_id,
                &owner,
                to,
                Some(&short),
                now,
                self.rng.bytes(),
            );
            match self.relay.sender(&req).await {
                Err(e) if relay_code(&e) == Some(ErrorCode::NotFound) => {}
                r => return r.map(|r| r.x1),
            }
        }
        let req =
            SenderRequest::signed(coin.statechain_id, &owner, to, batch, now, self.rng.bytes());
        self.relay.sender(&req).await.map(|r| r.x1)
    }

    async fn upload(
        &mut self,
        coin: &OwnedCoin,
        owner: &AddressKeys,
        to: &Address,
        batch_id: Option<Id>,
        x1: &Scalar,
        now: u64,
    ) -> Result<TransferMessage, Error> {
        let seq = coin.seq + 1;
        let transfer_sig = owner.auth.sign(
            &signing::transfer(
                &coin.statechain_id,
                seq,
                &to.user_pubkey,
                &to.auth_pubkey,
                batch_id.as_ref(),
            ),
            self.rng.bytes(),
        );
        let msg = TransferMessage {
            version: 1,
            statechain_id: coin.statechain_id,
            amount: coin.amount,
            aggregated_pubkey: coin.aggregated_pubkey,
            sender_user_pubkey: owner.user_pubkey(),
            recipient_user_pubkey: to.user_pubkey,
            recipient_auth_pubkey: to.auth_pubkey,
            batch_id,
            seq,
            t1: keyshare::t1(&owner.user, x1)?,
            transfer_sig,
        };
        let e = self.rng.scalar();
        let enc = msg.seal(&to.user_pubkey, &e, self.rng.bytes());
        let req = UpdateMsgRequest::signed(coin.statechain_id, owner, enc, now, self.rng.bytes());
        self.relay.update_msg(&req).await?;
        Ok(msg)
    }

    /// `/transfer/receiver`, then the checks of §5 step 6: `O2 + S2 = P` and
    /// a receipt signed by the relay naming this wallet's keys.
    async fn receive(
        &mut self,
        msg: &TransferMessage,
        me: &AddressKeys,
        now: u64,
    ) -> Result<Receipt, Error> {
        let t2 = keyshare::t2(&msg.t1, &me.user)?;
        let req = ReceiverRequest::signed(
            msg.statechain_id,
            t2,
            msg.transfer_sig,
            me,
            now,
            self.rng.bytes(),
        );
        let r = self.relay.receiver(&req).await?;
        let p_ok =
            keyshare::aggregate(&me.user_pubkey(), &r.server_pubkey) == Some(msg.aggregated_pubkey);
        let receipt_ok = r.receipt.verify(&self.relay_pubkey)
            && r.receipt.owner_auth_pubkey == me.auth_pubkey()
            && r.receipt.owner_user_pubkey == me.user_pubkey()
            && r.receipt.statechain_id == msg.statechain_id;
        if !(p_ok && receipt_ok) {
            return Err(Error::Relay {
                code: ErrorCode::KeyUpdateInvalid,
                message:
                    "the relay's answer does not reproduce the coin's key or its receipt is invalid"
                        .into(),
            });
        }
        Ok(r.receipt)
    }

    async fn reclaim(
        &mut self,
        coin: &OwnedCoin,
        to_index: u32,
        network: crate::address::Network,
        now: u64,
    ) -> Result<(OwnedCoin, Receipt), Error> {
        let old = self.address_keys(coin.index)?;
        let new = self.address_keys(to_index)?;
        let info = self.relay.statechain(&coin.statechain_id).await?;
        let last_receipt = || {
            info.chain
                .last()
                .map(|e| e.receipt.clone())
                .ok_or_else(|| Error::Transport("the relay sent an empty chain".into()))
        };
        if info.owner_auth_pubkey == new.auth_pubkey() {
            // Finished before a crash: report it again.
            let done = OwnedCoin {
                seq: info.seq,
                index: to_index,
                ..coin.clone()
            };
            return Ok((done, last_receipt()?));
        }
        if info.owner_auth_pubkey != old.auth_pubkey() {
            return Err(Error::Relay {
                code: ErrorCode::BatchCompleted,
                message: "the coin has a new owner: the batch committed".into(),
            });
        }
        if info.pending.is_none() {
            // Never registered: nothing was revealed, the coin stays as it is.
            return Ok((coin.clone(), last_receipt()?));
        }
        let to = Address {
            network,
            user_pubkey: new.user_pubkey(),
            auth_pubkey: new.auth_pubkey(),
        };
        let req = SenderRequest::signed(coin.statechain_id, &old, &to, None, now, self.rng.bytes());
        let x1 = self.relay.sender(&req).await?.x1;
        let owned = OwnedCoin {
            seq: info.seq,
            ..coin.clone()
        };
        let msg = self.upload(&owned, &old, &to, None, &x1, now).await?;
        let receipt = self.receive(&msg, &new, now).await?;
        Ok((
            OwnedCoin {
                seq: receipt.seq,
                index: to_index,
                ..coin.clone()
            },
            receipt,
        ))
    }
}
