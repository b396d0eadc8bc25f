//! A coin with a real history, as a receiver sees it: the relay's view of
//! the coin ([`StatechainInfo`] with every chain entry signed as the relay
//! and the owners sign them), the transfer message to the receiver, and for
//! a swap the relay's batch and the descriptor hash agreed to. Used by the
//! §7 verification tests and by wallet-core's verification benchmark (the
//! 100-entry chain).

use crate::descriptor::{BatchTransfer, Descriptor};
use crate::error::Error;
use crate::keys::{AddressKeys, AuthKey, WalletKeys};
use crate::keyshare;
use crate::message::TransferMessage;
use crate::receipt::{CoinStatus, Receipt, ReceiptBody};
use crate::signing;
use crate::types::{Hash32, Id, Point, Scalar, XOnly};
use crate::verify::{Report, VerifyInput, verify_incoming};
use crate::wire::{BatchInfo, BatchMember, BatchState, ChainEntry, PendingInfo, StatechainInfo};
use serde::{Deserialize, Serialize};

/// The relay's clock when the coin's history starts.
pub const T0: u64 = 1_700_000_000;

/// The scalar `v` (a small, fixed key for tests).
///
/// # Panics
/// If `v` is zero.
pub fn scalar(v: u64) -> Scalar {
    Scalar::parse(&format!("{v:064x}")).unwrap_or_else(|e| panic!("scalar {v}: {e}"))
}

/// The id whose 16 bytes are all `n` (version bits set).
pub fn id(n: u8) -> Id {
    Id::new_v4([n; 16])
}

/// A coin with `entries` owners before the sender's transfer to
/// `receiver`, built the way the relay builds it (real key shares,
/// signatures and receipts), plus the message, batch and expectations of
/// the receiver. Every field may be altered to make a check fail.
#[derive(Clone)]
pub struct Incoming {
    /// The relay's signing key.
    pub relay: AuthKey,
    pub info: StatechainInfo,
    pub message: Result<TransferMessage, Error>,
    pub batch: Option<BatchInfo>,
    pub agreed: Option<Hash32>,
    /// The receiving wallet's address (a real wallet's address 3).
    pub receiver: AddressKeys,
    /// The owners' auth keys, entry by entry.
    pub owner_auth: Vec<AuthKey>,
    /// Receipts the receiver already holds.
    pub known: Vec<Receipt>,
    /// The relay's clock at verification.
    pub now: u64,
}

impl Incoming {
    /// `entries` owners (1 or more) before the sender, the last of them
    /// the sender; a swap transfer when `batched`, else a plain one.
    pub fn new(entries: usize, batched: bool) -> Self {
        let relay = AuthKey::from_scalar(&scalar(0x5eed));
        let coin = id(7);
        let amount = 50_000;
        // The receiver: a real wallet's address 3 (from a seed: PBKDF2
        // would only slow the browser run down).
        let wallet = WalletKeys::from_seed(&[9; 64]);
        let me = wallet.address(3).expect("address 3");
        // Owners 0..entries: user key o_k, auth key a_k.
        let o: Vec<Scalar> = (0..entries).map(|k| scalar(1_000 + k as u64)).collect();
        let a: Vec<AuthKey> = (0..entries)
            .map(|k| AuthKey::from_scalar(&scalar(9_000 + k as u64)))
            .collect();
        let mut s = scalar(0x5eed_0000_0000);
        let p = keyshare::aggregate(&o[0].public(), &s.public()).expect("P");
        let batch_of = |k: usize| (k % 4 == 2).then(|| id(100 + k as u8));
        let mut chain = Vec::with_capacity(entries);
        for k in 0..entries {
            let transfer_sig = if k == 0 {
                None
            } else {
                // The relay's key update, as in §5.
                let x1 = scalar(500 + k as u64);
                let t1 = keyshare::t1(&o[k - 1], &x1).expect("t1");
                let t2 = keyshare::t2(&t1, &o[k]).expect("t2");
                s = keyshare::server_update(&s, &t2, &x1, &o[k].public(), &p).expect("key update");
                let text = signing::transfer(
                    &coin,
                    k as u64,
                    &o[k].public(),
                    &a[k].public(),
                    batch_of(k).as_ref(),
                );
                Some(a[k - 1].sign(&text, [k as u8; 32]))
            };
            let receipt = ReceiptBody {
                statechain_id: coin,
                seq: k as u64,
                owner_user_pubkey: o[k].public(),
                owner_auth_pubkey: a[k].public(),
                server_pubkey: s.public(),
                aggregated_pubkey: p,
                amount,
                batch_id: batch_of(k),
                status: CoinStatus::Owned,
                time: T0 + k as u64,
            }
            .sign(&relay, [k as u8 ^ 0xff; 32]);
            chain.push(ChainEntry {
                seq: k as u64,
                owner_user_pubkey: o[k].public(),
                owner_auth_pubkey: a[k].public(),
                batch_id: batch_of(k),
                transfer_sig,
                receipt,
            });
        }
        let last = entries - 1;
        let batch_id = batched.then(|| id(200));
        let x1 = scalar(424_242);
        let seq = entries as u64;
        let text = signing::transfer(
            &coin,
            seq,
            &me.user_pubkey(),
            &me.auth_pubkey(),
            batch_id.as_ref(),
        );
        let message = TransferMessage {
            version: 1,
            statechain_id: coin,
            amount,
            aggregated_pubkey: p,
            sender_user_pubkey: o[last].public(),
            recipient_user_pubkey: me.user_pubkey(),
            recipient_auth_pubkey: me.auth_pubkey(),
            batch_id,
            seq,
            t1: keyshare::t1(&o[last], &x1).expect("t1"),
            transfer_sig: a[last].sign(&text, [3; 32]),
        };
        let info = StatechainInfo {
            statechain_id: coin,
            amount,
            aggregated_pubkey: p,
            server_pubkey: s.public(),
            owner_user_pubkey: o[last].public(),
            owner_auth_pubkey: a[last].public(),
            seq: last as u64,
            status: CoinStatus::Owned,
            chain,
            pending: Some(PendingInfo {
                new_user_pubkey: me.user_pubkey(),
                new_user_auth_key: me.auth_pubkey(),
                x1_pub: x1.public(),
                batch_id,
                locked: batched,
                has_msg: true,
            }),
        };
        let (batch, agreed) = match batch_id {
            None => (None, None),
            Some(b) => {
                let other = AuthKey::from_scalar(&scalar(31_337)).public();
                let transfers = vec![
                    BatchTransfer {
                        statechain_id: coin,
                        new_user_auth_key: me.auth_pubkey(),
                        amount,
                    },
                    BatchTransfer {
                        statechain_id: id(8),
                        new_user_auth_key: other,
                        amount: 20_000,
                    },
                ];
                let d = Descriptor::new(b, transfers, 1000).expect("descriptor");
                let info = BatchInfo {
                    batch_id: b,
                    descriptor_hash: d.hash(),
                    transfers: d.transfers().to_vec(),
                    state: BatchState::Open,
                    batch_time: T0 + 1_000,
                    deadline: T0 + 1_120,
                    server_time: T0 + 1_010,
                    version: 3,
                    members: d
                        .transfers()
                        .iter()
                        .map(|t| BatchMember {
                            statechain_id: t.statechain_id,
                            joined: true,
                            locked: true,
                        })
                        .collect(),
                };
                (Some(info), Some(d.hash()))
            }
        };
        Incoming {
            relay,
            info,
            message: Ok(message),
            batch,
            agreed,
            receiver: me,
            owner_auth: a,
            known: Vec::new(),
            now: T0 + 1_010,
        }
    }

    /// The input of [`verify_incoming`], with no verified prefix.
    pub fn input(&self) -> VerifyInput<'_> {
        VerifyInput {
            message: &self.message,
            info: &self.info,
            batch: self.batch.as_ref(),
            my_user_pubkey: self.receiver.user_pubkey(),
            my_auth_pubkey: self.receiver.auth_pubkey(),
            agreed_descriptor_hash: self.agreed,
            relay_pubkey: self.relay.public(),
            relay_now: self.now,
            known_receipts: &self.known,
            verified: None,
        }
    }

    pub fn verify(&self) -> Report {
        verify_incoming(&self.input())
    }

    /// The transfer message, to alter.
    ///
    /// # Panics
    /// If the message was replaced by an error.
    pub fn msg(&mut self) -> &mut TransferMessage {
        self.message
            .as_mut()
            .unwrap_or_else(|e| panic!("no message: {e}"))
    }

    /// A receipt the relay signed for `seq` of this coin, owned by `owner`.
    pub fn relay_receipt(&self, seq: u64, owner: u64) -> Receipt {
        let mut body = self.info.chain[0].receipt.body();
        body.seq = seq;
        body.owner_auth_pubkey = AuthKey::from_scalar(&scalar(owner)).public();
        body.sign(&self.relay, [0x42; 32])
    }

    /// What the receiver holds when it verifies, without the keys that made
    /// it: JSON that a test can load without computing anything.
    ///
    /// # Panics
    /// If the message was replaced by an error.
    pub fn freeze(&self) -> Frozen {
        Frozen {
            info: self.info.clone(),
            message: self
                .message
                .clone()
                .unwrap_or_else(|e| panic!("no message: {e}")),
            batch: self.batch.clone(),
            agreed: self.agreed,
            user_pubkey: self.receiver.user_pubkey(),
            auth_pubkey: self.receiver.auth_pubkey(),
            relay_pubkey: self.relay.public(),
            known: self.known.clone(),
            now: self.now,
        }
    }
}

/// An [`Incoming`] as data (`Incoming::freeze`). The first verification in
/// a fresh browser page is timed on one of these, loaded from JSON: building
/// an [`Incoming`] signs every entry, which would already run (and let the
/// engine optimise) the very code whose first run is measured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Frozen {
    pub info: StatechainInfo,
    pub message: TransferMessage,
    pub batch: Option<BatchInfo>,
    pub agreed: Option<Hash32>,
    pub user_pubkey: Point,
    pub auth_pubkey: XOnly,
    pub relay_pubkey: XOnly,
    pub known: Vec<Receipt>,
    pub now: u64,
}

impl Frozen {
    /// The input of [`verify_incoming`] for the opened message `message`
    /// (`Ok(self.message.clone())`, made by the caller outside any timing).
    pub fn input<'a>(&'a self, message: &'a Result<TransferMessage, Error>) -> VerifyInput<'a> {
        VerifyInput {
            message,
            info: &self.info,
            batch: self.batch.as_ref(),
            my_user_pubkey: self.user_pubkey,
            my_auth_pubkey: self.auth_pubkey,
            agreed_descriptor_hash: self.agreed,
            relay_pubkey: self.relay_pubkey,
            relay_now: self.now,
            known_receipts: &self.known,
            verified: None,
        }
    }
}
