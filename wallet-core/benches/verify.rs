//! Receiver verification (§7) with a 100-entry chain, BIP340 batch versus
//! one-by-one verification, and the transfer message's encryption.
//!
//! `cargo bench -p wallet-core --features testkit --bench verify` (native
//! only; the browser figure comes from the `hundred_entry_chain_timing` wasm
//! test). The coins are [`wallet_core::testkit::incoming`]'s, the ones the
//! verification tests check.

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_main!(native::benches);

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use criterion::{BenchmarkId, Criterion, criterion_group};
    use std::hint::black_box;
    use wallet_core::keys::AuthKey;
    use wallet_core::message::TransferMessage;
    use wallet_core::signing;
    use wallet_core::testkit::incoming::{Incoming, scalar};
    use wallet_core::verify::batch::{self, SigItem};
    use wallet_core::verify::{VerifiedPrefixCache, verify_incoming};

    /// The signatures verify_incoming checks: the chain's and the message's.
    fn sig_items(inc: &Incoming) -> Vec<SigItem> {
        let chain = &inc.info.chain;
        let mut items = Vec::new();
        for (k, e) in chain.iter().enumerate() {
            items.push(SigItem::over_string(
                inc.relay.public(),
                &e.receipt.signing_string(),
                e.receipt.sig,
            ));
            if let (Some(sig), Some(prev)) = (e.transfer_sig, k.checked_sub(1).map(|i| &chain[i])) {
                let text = signing::transfer(
                    &inc.info.statechain_id,
                    e.seq,
                    &e.owner_user_pubkey,
                    &e.owner_auth_pubkey,
                    e.batch_id.as_ref(),
                );
                items.push(SigItem::over_string(prev.owner_auth_pubkey, &text, sig));
            }
        }
        let m = inc.message.as_ref().expect("message");
        let text = signing::transfer(
            &m.statechain_id,
            m.seq,
            &m.recipient_user_pubkey,
            &m.recipient_auth_pubkey,
            m.batch_id.as_ref(),
        );
        items.push(SigItem::over_string(
            inc.info.owner_auth_pubkey,
            &text,
            m.transfer_sig,
        ));
        items
    }

    fn verification(c: &mut Criterion) {
        let inc = Incoming::new(100, true);
        let input = inc.input();
        let report = verify_incoming(&input);
        assert!(report.all_passed(), "{:#?}", report.failures());
        let mut cache = VerifiedPrefixCache::new();
        cache.remember_report(&report);
        let mut cached = inc.input();
        cached.verified = Some(&cache);

        let mut g = c.benchmark_group("verify_incoming");
        g.bench_function("100_entry_chain", |b| {
            b.iter(|| verify_incoming(black_box(&input)))
        });
        g.bench_function("100_entry_chain_prefix_cached", |b| {
            b.iter(|| verify_incoming(black_box(&cached)))
        });
        g.finish();

        let items = sig_items(&inc);
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
        let inc = Incoming::new(2, true);
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
