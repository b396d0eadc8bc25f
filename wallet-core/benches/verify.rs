//! Receiver verification (§7) with a 100-entry chain, BIP340 batch versus
//! one-by-one verification, and the transfer message's encryption.
//!
//! `cargo bench -p wallet-core --bench verify` (native only; the browser
//! figure comes from the `hundred_entry_chain_timing` wasm test).

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_main!(native::benches);

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use criterion::{BenchmarkId, Criterion, criterion_group};
    use std::hint::black_box;
    use wallet_core::descriptor::{BatchTransfer, Descriptor};
    use wallet_core::keys::{AddressKeys, AuthKey, Mnemonic, WalletKeys};
    use wallet_core::keyshare;
    use wallet_core::message::TransferMessage;
    use wallet_core::receipt::{CoinStatus, ReceiptBody};
    use wallet_core::signing;
    use wallet_core::verify::batch::{self, SigItem};
    use wallet_core::verify::{VerifiedPrefixCache, VerifyInput, verify_incoming};
    use wallet_core::wire::{
        BatchInfo, BatchMember, BatchState, ChainEntry, PendingInfo, StatechainInfo,
    };
    use wallet_core::{Error, Hash32, Id, Scalar};

    const T0: u64 = 1_700_000_000;

    fn scalar(v: u64) -> Scalar {
        Scalar::parse(&format!("{v:064x}")).expect("scalar")
    }

    fn wallet(n: u64) -> AddressKeys {
        let mut entropy = [0u8; 16];
        entropy[..8].copy_from_slice(&n.to_le_bytes());
        WalletKeys::from_mnemonic(&Mnemonic::from_entropy(entropy))
            .address(0)
            .expect("address")
    }

    /// A coin that went through `owners` wallets (each its own mnemonic),
    /// with the relay's key updates, receipts and the owners' transfer
    /// signatures, now sent in a swap to the receiver's wallet.
    struct Incoming {
        relay: AuthKey,
        receiver: AddressKeys,
        info: StatechainInfo,
        message: Result<TransferMessage, Error>,
        batch: BatchInfo,
        agreed: Hash32,
    }

    fn incoming(owners: usize) -> Incoming {
        let relay = AuthKey::from_scalar(&scalar(0x5eed));
        let coin = Id::new_v4([7; 16]);
        let amount = 250_000;
        let w: Vec<AddressKeys> = (0..owners as u64).map(wallet).collect();
        let receiver = wallet(1 << 32);
        let mut s = scalar(0x0123_4567_89ab_cdef);
        let p = keyshare::aggregate(&w[0].user_pubkey(), &s.public()).expect("P");
        let mut chain = Vec::with_capacity(owners);
        for k in 0..owners {
            let batch_id = (k % 3 == 1).then(|| Id::new_v4([k as u8; 16]));
            let transfer_sig = (k > 0).then(|| {
                let x1 = scalar(77 + k as u64);
                let t1 = keyshare::t1(&w[k - 1].user, &x1).expect("t1");
                let t2 = keyshare::t2(&t1, &w[k].user).expect("t2");
                s = keyshare::server_update(&s, &t2, &x1, &w[k].user_pubkey(), &p).expect("update");
                let text = signing::transfer(
                    &coin,
                    k as u64,
                    &w[k].user_pubkey(),
                    &w[k].auth_pubkey(),
                    batch_id.as_ref(),
                );
                w[k - 1].auth.sign(&text, [k as u8; 32])
            });
            let receipt = ReceiptBody {
                statechain_id: coin,
                seq: k as u64,
                owner_user_pubkey: w[k].user_pubkey(),
                owner_auth_pubkey: w[k].auth_pubkey(),
                server_pubkey: s.public(),
                aggregated_pubkey: p,
                amount,
                batch_id,
                status: CoinStatus::Owned,
                time: T0 + 60 * k as u64,
            }
            .sign(&relay, [!(k as u8); 32]);
            chain.push(ChainEntry {
                seq: k as u64,
                owner_user_pubkey: w[k].user_pubkey(),
                owner_auth_pubkey: w[k].auth_pubkey(),
                batch_id,
                transfer_sig,
                receipt,
            });
        }
        let sender = &w[owners - 1];
        let batch_id = Id::new_v4([0xbb; 16]);
        let x1 = scalar(0xfeed);
        let seq = owners as u64;
        let text = signing::transfer(
            &coin,
            seq,
            &receiver.user_pubkey(),
            &receiver.auth_pubkey(),
            Some(&batch_id),
        );
        let message = TransferMessage {
            version: 1,
            statechain_id: coin,
            amount,
            aggregated_pubkey: p,
            sender_user_pubkey: sender.user_pubkey(),
            recipient_user_pubkey: receiver.user_pubkey(),
            recipient_auth_pubkey: receiver.auth_pubkey(),
            batch_id: Some(batch_id),
            seq,
            t1: keyshare::t1(&sender.user, &x1).expect("t1"),
            transfer_sig: sender.auth.sign(&text, [1; 32]),
        };
        let info = StatechainInfo {
            statechain_id: coin,
            amount,
            aggregated_pubkey: p,
            server_pubkey: s.public(),
            owner_user_pubkey: sender.user_pubkey(),
            owner_auth_pubkey: sender.auth_pubkey(),
            seq: seq - 1,
            status: CoinStatus::Owned,
            chain,
            pending: Some(PendingInfo {
                new_user_pubkey: receiver.user_pubkey(),
                new_user_auth_key: receiver.auth_pubkey(),
                x1_pub: x1.public(),
                batch_id: Some(batch_id),
                locked: true,
                has_msg: true,
            }),
        };
        let d = Descriptor::new(
            batch_id,
            vec![
                BatchTransfer {
                    statechain_id: coin,
                    new_user_auth_key: receiver.auth_pubkey(),
                    amount,
                },
                BatchTransfer {
                    statechain_id: Id::new_v4([8; 16]),
                    new_user_auth_key: sender.auth_pubkey(),
                    amount: 100_000,
                },
            ],
            1000,
        )
        .expect("descriptor");
        let batch = BatchInfo {
            batch_id,
            descriptor_hash: d.hash(),
            transfers: d.transfers().to_vec(),
            state: BatchState::Open,
            batch_time: T0 + 10_000,
            deadline: T0 + 10_120,
            server_time: T0 + 10_010,
            version: 2,
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
        Incoming {
            relay,
            receiver,
            info,
            message: Ok(message),
            batch,
            agreed: d.hash(),
        }
    }

    impl Incoming {
        fn input<'a>(&'a self, cache: Option<&'a VerifiedPrefixCache>) -> VerifyInput<'a> {
            VerifyInput {
                message: &self.message,
                info: &self.info,
                batch: Some(&self.batch),
                my_user_pubkey: self.receiver.user_pubkey(),
                my_auth_pubkey: self.receiver.auth_pubkey(),
                agreed_descriptor_hash: Some(self.agreed),
                relay_pubkey: self.relay.public(),
                relay_now: T0 + 10_011,
                known_receipts: &[],
                verified: cache,
            }
        }

        /// The signatures verify_incoming checks: the chain's and the message's.
        fn sig_items(&self) -> Vec<SigItem> {
            let chain = &self.info.chain;
            let mut items = Vec::new();
            for (k, e) in chain.iter().enumerate() {
                items.push(SigItem::over_string(
                    self.relay.public(),
                    &e.receipt.signing_string(),
                    e.receipt.sig,
                ));
                if let (Some(sig), Some(prev)) =
                    (e.transfer_sig, k.checked_sub(1).map(|i| &chain[i]))
                {
                    let text = signing::transfer(
                        &self.info.statechain_id,
                        e.seq,
                        &e.owner_user_pubkey,
                        &e.owner_auth_pubkey,
                        e.batch_id.as_ref(),
                    );
                    items.push(SigItem::over_string(prev.owner_auth_pubkey, &text, sig));
                }
            }
            let m = self.message.as_ref().expect("message");
            let text = signing::transfer(
                &m.statechain_id,
                m.seq,
                &m.recipient_user_pubkey,
                &m.recipient_auth_pubkey,
                m.batch_id.as_ref(),
            );
            items.push(SigItem::over_string(
                self.info.owner_auth_pubkey,
                &text,
                m.transfer_sig,
            ));
            items
        }
    }

    fn verification(c: &mut Criterion) {
        let inc = incoming(100);
        let report = verify_incoming(&inc.input(None));
        assert!(report.all_passed(), "{:#?}", report.failures());
        let mut cache = VerifiedPrefixCache::new();
        cache.remember_report(&report);

        let mut g = c.benchmark_group("verify_incoming");
        g.bench_function("100_entry_chain", |b| {
            b.iter(|| verify_incoming(black_box(&inc.input(None))))
        });
        g.bench_function("100_entry_chain_prefix_cached", |b| {
            b.iter(|| verify_incoming(black_box(&inc.input(Some(&cache)))))
        });
        g.finish();

        let items = inc.sig_items();
        assert_eq!(items.len(), 200);
        assert!(batch::verify_batch(&items));
        let mut g = c.benchmark_group("bip340_200_chain_signatures");
        g.bench_function("batch", |b| {
            b.iter(|| batch::verify_batch(black_box(&items)))
        });
        g.bench_function("individual", |b| {
            b.iter(|| batch::verify_each(black_box(&items)).is_empty())
        });
        // A corrupted signature: the batch fails, then one-by-one names it.
        let mut bad = items.clone();
        bad[150].msg[0] ^= 1;
        g.bench_function("batch_one_bad_with_fallback", |b| {
            b.iter(|| batch::invalid_signatures(black_box(&bad)))
        });
        g.finish();

        // Batch size scaling with all keys distinct (no folding).
        let mut g = c.benchmark_group("bip340_distinct_keys");
        for n in [16usize, 64, 200] {
            let distinct: Vec<SigItem> = (0..n)
                .map(|i| {
                    let k = AuthKey::from_scalar(&scalar(10_000 + i as u64));
                    let text = format!("message {i}");
                    SigItem::over_string(k.public(), &text, k.sign(&text, [i as u8; 32]))
                })
                .collect();
            g.bench_with_input(BenchmarkId::new("batch", n), &distinct, |b, d| {
                b.iter(|| batch::verify_batch(d))
            });
            g.bench_with_input(BenchmarkId::new("individual", n), &distinct, |b, d| {
                b.iter(|| batch::verify_each(d).is_empty())
            });
        }
        g.finish();
    }

    fn message(c: &mut Criterion) {
        let inc = incoming(2);
        let m = inc.message.as_ref().expect("message").clone();
        let o2_pub = inc.receiver.user_pubkey();
        let e = scalar(0xe0e0);
        let wire = m.seal(&o2_pub, &e, [7; 12]);
        assert_eq!(
            TransferMessage::open(&inc.receiver.user, &wire).as_ref(),
            Ok(&m)
        );
        let mut g = c.benchmark_group("transfer_message");
        g.bench_function("encrypt", |b| {
            b.iter(|| black_box(&m).seal(&o2_pub, &e, [7; 12]))
        });
        g.bench_function("decrypt", |b| {
            b.iter(|| TransferMessage::open(&inc.receiver.user, black_box(&wire)))
        });
        g.finish();
    }

    criterion_group!(benches, verification, message);
}
