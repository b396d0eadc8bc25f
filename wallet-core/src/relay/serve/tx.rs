//! The storage transaction the endpoint logic runs in: [`Tx`], and
//! [`SyncTx`] for stores whose calls never wait.

use super::StoreResult;
use crate::descriptor::BatchTransfer;
use crate::rows::{Batch, Coin, Member};
use crate::types::{Id, Scalar, Sig, XOnly};
use crate::wire::{ChainEntry, MessageEntry};
use std::future::{Future, ready};

/// One storage transaction. Reads of the coin and batch rows lock them
/// until the transaction ends (`FOR UPDATE` semantics). Each call touches
/// O(1) rows, except the listings that only the GET endpoints use.
pub trait Tx {
    /// The clock every process sharing this store decides with, read in
    /// this transaction (PostgreSQL: the server's clock), or `None` when
    /// the store has one process and the process's clock decides (SQLite,
    /// the sim).
    fn shared_now(&mut self) -> impl Future<Output = StoreResult<Option<u64>>> + Send;

    fn coin(&mut self, id: &Id) -> impl Future<Output = StoreResult<Option<Coin>>> + Send;
    fn insert_coin(&mut self, coin: &Coin) -> impl Future<Output = StoreResult<()>> + Send;
    fn put_coin(&mut self, coin: &Coin) -> impl Future<Output = StoreResult<()>> + Send;

    fn batch(&mut self, id: &Id) -> impl Future<Output = StoreResult<Option<Batch>>> + Send;
    /// Creates the batch row and one member row per descriptor line (not
    /// joined, not locked). Fails (retryably) if the batch already exists.
    fn insert_batch(
        &mut self,
        batch: &Batch,
        lines: &[BatchTransfer],
    ) -> impl Future<Output = StoreResult<()>> + Send;
    fn put_batch(&mut self, batch: &Batch) -> impl Future<Output = StoreResult<()>> + Send;

    /// The coin's descriptor line in the batch, with its member row;
    /// `None` when it is not a line. Locks the row like [`Tx::member`].
    fn line(
        &mut self,
        batch: &Id,
        coin: &Id,
    ) -> impl Future<Output = StoreResult<Option<(BatchTransfer, Member)>>> + Send;

    /// The coin's member row in the batch; `None` when it is not a descriptor line.
    fn member(
        &mut self,
        batch: &Id,
        coin: &Id,
    ) -> impl Future<Output = StoreResult<Option<Member>>> + Send;
    fn put_member(
        &mut self,
        batch: &Id,
        coin: &Id,
        member: Member,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    fn append_chain(
        &mut self,
        coin: &Id,
        entry: &ChainEntry,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    fn chain_entry(
        &mut self,
        coin: &Id,
        seq: u64,
    ) -> impl Future<Output = StoreResult<Option<ChainEntry>>> + Send;

    /// The next message cursor of this receiving key (1, 2, …). Uploads to
    /// one key serialise on it, so cursors become visible in their order.
    fn next_message_cursor(
        &mut self,
        auth: &XOnly,
    ) -> impl Future<Output = StoreResult<u64>> + Send;

    /// Records an accepted signature until `expires`; `false` if it was already recorded.
    fn remember_sig(
        &mut self,
        sig: &Sig,
        expires: u64,
    ) -> impl Future<Output = StoreResult<bool>> + Send;

    fn relay_key(&mut self) -> impl Future<Output = StoreResult<Option<Scalar>>> + Send;
    /// Stores the key unless one is already stored.
    fn put_relay_key(&mut self, key: &Scalar) -> impl Future<Output = StoreResult<()>> + Send;

    // ----- listings: GET endpoints only -----
    fn chain(&mut self, coin: &Id) -> impl Future<Output = StoreResult<Vec<ChainEntry>>> + Send;
    fn coins_by_owner(&mut self, auth: &XOnly)
    -> impl Future<Output = StoreResult<Vec<Id>>> + Send;
    /// Uploaded messages of pending transfers to this auth key with a
    /// cursor above `after`, in cursor order, at most `limit` of them.
    fn messages_for(
        &mut self,
        auth: &XOnly,
        after: u64,
        limit: usize,
    ) -> impl Future<Output = StoreResult<Vec<MessageEntry>>> + Send;
    /// Every descriptor line with its member state, sorted by coin id.
    fn batch_lines(
        &mut self,
        batch: &Id,
    ) -> impl Future<Output = StoreResult<Vec<(BatchTransfer, Member)>>> + Send;
}

/// A storage transaction whose every call completes at once (SQLite's, on
/// its writer thread; the sim's maps): the same calls as [`Tx`], as plain
/// functions. Every `SyncTx` is a [`Tx`] (a blanket impl) whose futures are
/// ready when first polled.
pub trait SyncTx {
    /// See [`Tx::shared_now`].
    fn shared_now_sync(&mut self) -> StoreResult<Option<u64>>;

    fn coin_sync(&mut self, id: &Id) -> StoreResult<Option<Coin>>;
    fn insert_coin_sync(&mut self, coin: &Coin) -> StoreResult<()>;
    fn put_coin_sync(&mut self, coin: &Coin) -> StoreResult<()>;

    fn batch_sync(&mut self, id: &Id) -> StoreResult<Option<Batch>>;
    /// See [`Tx::insert_batch`].
    fn insert_batch_sync(&mut self, batch: &Batch, lines: &[BatchTransfer]) -> StoreResult<()>;
    fn put_batch_sync(&mut self, batch: &Batch) -> StoreResult<()>;

    /// See [`Tx::line`].
    fn line_sync(&mut self, batch: &Id, coin: &Id) -> StoreResult<Option<(BatchTransfer, Member)>>;
    /// See [`Tx::member`].
    fn member_sync(&mut self, batch: &Id, coin: &Id) -> StoreResult<Option<Member>>;
    fn put_member_sync(&mut self, batch: &Id, coin: &Id, member: Member) -> StoreResult<()>;

    fn append_chain_sync(&mut self, coin: &Id, entry: &ChainEntry) -> StoreResult<()>;
    fn chain_entry_sync(&mut self, coin: &Id, seq: u64) -> StoreResult<Option<ChainEntry>>;

    /// See [`Tx::next_message_cursor`].
    fn next_message_cursor_sync(&mut self, auth: &XOnly) -> StoreResult<u64>;

    /// See [`Tx::remember_sig`].
    fn remember_sig_sync(&mut self, sig: &Sig, expires: u64) -> StoreResult<bool>;

    fn relay_key_sync(&mut self) -> StoreResult<Option<Scalar>>;
    /// See [`Tx::put_relay_key`].
    fn put_relay_key_sync(&mut self, key: &Scalar) -> StoreResult<()>;

    fn chain_sync(&mut self, coin: &Id) -> StoreResult<Vec<ChainEntry>>;
    fn coins_by_owner_sync(&mut self, auth: &XOnly) -> StoreResult<Vec<Id>>;
    /// See [`Tx::messages_for`].
    fn messages_for_sync(
        &mut self,
        auth: &XOnly,
        after: u64,
        limit: usize,
    ) -> StoreResult<Vec<MessageEntry>>;
    /// See [`Tx::batch_lines`].
    fn batch_lines_sync(&mut self, batch: &Id) -> StoreResult<Vec<(BatchTransfer, Member)>>;
}

impl<T: SyncTx> Tx for T {
    fn shared_now(&mut self) -> impl Future<Output = StoreResult<Option<u64>>> + Send {
        ready(self.shared_now_sync())
    }
    fn coin(&mut self, id: &Id) -> impl Future<Output = StoreResult<Option<Coin>>> + Send {
        ready(self.coin_sync(id))
    }
    fn insert_coin(&mut self, coin: &Coin) -> impl Future<Output = StoreResult<()>> + Send {
        ready(self.insert_coin_sync(coin))
    }
    fn put_coin(&mut self, coin: &Coin) -> impl Future<Output = StoreResult<()>> + Send {
        ready(self.put_coin_sync(coin))
    }
    fn batch(&mut self, id: &Id) -> impl Future<Output = StoreResult<Option<Batch>>> + Send {
        ready(self.batch_sync(id))
    }
    fn insert_batch(
        &mut self,
        batch: &Batch,
        lines: &[BatchTransfer],
    ) -> impl Future<Output = StoreResult<()>> + Send {
        ready(self.insert_batch_sync(batch, lines))
    }
    fn put_batch(&mut self, batch: &Batch) -> impl Future<Output = StoreResult<()>> + Send {
        ready(self.put_batch_sync(batch))
    }
    fn line(
        &mut self,
        batch: &Id,
        coin: &Id,
    ) -> impl Future<Output = StoreResult<Option<(BatchTransfer, Member)>>> + Send {
        ready(self.line_sync(batch, coin))
    }
    fn member(
        &mut self,
        batch: &Id,
        coin: &Id,
    ) -> impl Future<Output = StoreResult<Option<Member>>> + Send {
        ready(self.member_sync(batch, coin))
    }
    fn put_member(
        &mut self,
        batch: &Id,
        coin: &Id,
        member: Member,
    ) -> impl Future<Output = StoreResult<()>> + Send {
        ready(self.put_member_sync(batch, coin, member))
    }
    fn append_chain(
        &mut self,
        coin: &Id,
        entry: &ChainEntry,
    ) -> impl Future<Output = StoreResult<()>> + Send {
        ready(self.append_chain_sync(coin, entry))
    }
    fn chain_entry(
        &mut self,
        coin: &Id,
        seq: u64,
    ) -> impl Future<Output = StoreResult<Option<ChainEntry>>> + Send {
        ready(self.chain_entry_sync(coin, seq))
    }
    fn next_message_cursor(
        &mut self,
        auth: &XOnly,
    ) -> impl Future<Output = StoreResult<u64>> + Send {
        ready(self.next_message_cursor_sync(auth))
    }
    fn remember_sig(
        &mut self,
        sig: &Sig,
        expires: u64,
    ) -> impl Future<Output = StoreResult<bool>> + Send {
        ready(self.remember_sig_sync(sig, expires))
    }
    fn relay_key(&mut self) -> impl Future<Output = StoreResult<Option<Scalar>>> + Send {
        ready(self.relay_key_sync())
    }
    fn put_relay_key(&mut self, key: &Scalar) -> impl Future<Output = StoreResult<()>> + Send {
        ready(self.put_relay_key_sync(key))
    }
    fn chain(&mut self, coin: &Id) -> impl Future<Output = StoreResult<Vec<ChainEntry>>> + Send {
        ready(self.chain_sync(coin))
    }
    fn coins_by_owner(
        &mut self,
        auth: &XOnly,
    ) -> impl Future<Output = StoreResult<Vec<Id>>> + Send {
        ready(self.coins_by_owner_sync(auth))
    }
    fn messages_for(
        &mut self,
        auth: &XOnly,
        after: u64,
        limit: usize,
    ) -> impl Future<Output = StoreResult<Vec<MessageEntry>>> + Send {
        ready(self.messages_for_sync(auth, after, limit))
    }
    fn batch_lines(
        &mut self,
        batch: &Id,
    ) -> impl Future<Output = StoreResult<Vec<(BatchTransfer, Member)>>> + Send {
        ready(self.batch_lines_sync(batch))
    }
}
