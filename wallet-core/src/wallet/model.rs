//! The wallet model: owned coins, addresses by derivation index, the
//! transfer and swap records, and history with receipts.
//!
//! Every change goes through [`Wallet::apply`], which runs a record's pure
//! step and then applies its effect on the coin list in the same value, so
//! a host that persists the whole `Wallet` after each call never stores a
//! record and a coin list that disagree. Secrets are not in here: the
//! phrase is kept apart, encrypted by [`crate::vault`].

use crate::address::{Address, Network};
use crate::error::Error;
use crate::invite::{Invite, JoinAnswer, Offer, SwapTerms};
use crate::keys::WalletKeys;
use crate::machine::receive::{self, Receive, ReceivePhase};
use crate::machine::send::{self, Send, SendPhase};
use crate::machine::swap::{self, GetState, GiveState, Swap};
use crate::machine::{Action, Event, OwnedCoin, StepCtx};
use crate::receipt::{EquivocationProof, Receipt};
use crate::sorted_map::SortedMap;
use crate::types::{Id, XOnly};
use crate::verify::VerifiedPrefixCache;
use serde::{Deserialize, Serialize};

crate::tagged::stored_enum! {
    /// A transfer or swap in progress (or finished, for the record).
    #[derive(Debug, Clone, PartialEq, Serialize)]
    #[serde(tag = "kind", rename_all = "snake_case")]
    #[allow(clippy::large_enum_variant)] // few records per wallet; the swap is already boxed
    pub enum Record {
        Send(Send),
        Receive(Receive),
        Swap(Box<Swap>),
    }
    twin RecordTwin = "Record", tag "kind"
}

impl Record {
    pub fn is_final(&self) -> bool {
        match self {
            Record::Send(s) => s.is_final(),
            Record::Receive(r) => r.is_final(),
            Record::Swap(s) => s.phase.is_final(),
        }
    }

    pub fn outstanding(&self) -> Vec<Action> {
        match self {
            Record::Send(s) => s.outstanding(),
            Record::Receive(r) => r.outstanding(),
            Record::Swap(s) => s.outstanding(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HistoryKind {
    Deposit,
    Sent,
    Received,
    SwapGave,
    SwapGot,
    Recovered,
}

/// One line of history; `receipt` is the relay's signed word for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub time: u64,
    pub kind: HistoryKind,
    pub statechain_id: Id,
    pub amount: u64,
    pub batch_id: Option<Id>,
    pub counterparty: Option<String>,
    pub receipt: Option<Receipt>,
}

/// An address handed out for receiving.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressEntry {
    pub index: u32,
    pub address: String,
    pub auth_pubkey: XOnly,
    pub created_at: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Wallet {
    pub name: String,
    pub network: Network,
    /// The relay this wallet's coins live on (its x-only key).
    pub relay_pubkey: Option<XOnly>,
    pub next_index: u32,
    pub addresses: Vec<AddressEntry>,
    /// Coins this wallet owns now (some may be locked in a record).
    pub coins: SortedMap<Id, OwnedCoin>,
    pub records: SortedMap<String, Record>,
    pub history: Vec<HistoryEntry>,
    /// Every relay receipt seen, by coin and `seq`, to detect equivocation.
    pub receipts: SortedMap<String, Receipt>,
    pub equivocations: Vec<EquivocationProof>,
    /// Chain prefixes already verified, so a coin seen again is re-checked
    /// only from where it grew.
    #[serde(default)]
    pub verified: VerifiedPrefixCache,
    /// Invites this wallet created and nobody has answered yet, by batch id.
    #[serde(default)]
    pub invites: SortedMap<Id, PendingInvite>,
    /// Coins the relay showed had moved on when this wallet's state was
    /// checked against it (an imported backup older than the coins):
    /// kept to say what happened to them, never spendable.
    #[serde(default)]
    pub gone: SortedMap<Id, crate::wallet::resync::GoneCoin>,
}

/// An invite waiting for its join answer; its coins are reserved meanwhile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingInvite {
    pub code: String,
    pub receive_index: u32,
    pub created_at: u64,
}

/// [`Wallet::locked`]: coin → the id of the record that has it at stake. A
/// short list rather than a map (one tree type less in the web wallet).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LockedCoins(Vec<(Id, String)>);

impl LockedCoins {
    pub fn get(&self, coin: &Id) -> Option<&String> {
        self.0.iter().find(|(c, _)| c == coin).map(|(_, rid)| rid)
    }
    pub fn contains_key(&self, coin: &Id) -> bool {
        self.get(coin).is_some()
    }
    /// Later records win, as with a map insert.
    fn insert(&mut self, coin: Id, rid: &str) {
        match self.0.iter_mut().find(|(c, _)| *c == coin) {
            Some((_, r)) => *r = rid.to_string(),
            None => self.0.push((coin, rid.to_string())),
        }
    }
}

fn receipt_key(id: &Id, seq: u64) -> String {
    format!("{id}:{seq}")
}

impl Wallet {
    pub fn new(name: &str, network: Network) -> Wallet {
        Wallet {
            name: name.to_string(),
            network,
            relay_pubkey: None,
            next_index: 0,
            addresses: Vec::new(),
            coins: SortedMap::new(),
            records: SortedMap::new(),
            history: Vec::new(),
            receipts: SortedMap::new(),
            equivocations: Vec::new(),
            verified: VerifiedPrefixCache::default(),
            invites: SortedMap::new(),
            gone: SortedMap::new(),
        }
    }

    /// Takes the next unused address index.
    pub fn take_index(&mut self) -> u32 {
        let i = self.next_index;
        self.next_index += 1;
        i
    }

    /// A fresh receiving address, remembered so incoming messages are polled for it.
    pub fn new_address(&mut self, keys: &WalletKeys, now: u64) -> Result<Address, Error> {
        let index = self.next_index;
        let address = self.address_at(keys, index)?;
        self.take_index();
        self.addresses.push(AddressEntry {
            index,
            address: address.encode(),
            auth_pubkey: address.auth_pubkey,
            created_at: now,
        });
        Ok(address)
    }

    pub fn balance(&self) -> u64 {
        self.coins.values().map(|c| c.amount).sum()
    }

    /// Coins some unfinished record has at stake, with that record's id.
    pub fn locked(&self) -> LockedCoins {
        let mut out = LockedCoins(Vec::new());
        for (rid, r) in &self.records {
            match r {
                Record::Send(s) if !s.is_final() => {
                    out.insert(s.coin.statechain_id, rid);
                }
                Record::Swap(s) if !s.phase.is_final() => {
                    for c in s.locked_coins() {
                        out.insert(c.statechain_id, rid);
                    }
                }
                _ => {}
            }
        }
        out
    }

    /// Coins offered in an unanswered invite.
    fn reserved(&self) -> Vec<Id> {
        self.invites
            .values()
            .filter_map(|p| Invite::decode(&p.code, self.network).ok())
            .flat_map(|i| {
                i.gives()
                    .iter()
                    .map(|o| o.statechain_id)
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// Coins free to send or swap.
    pub fn available(&self) -> Vec<&OwnedCoin> {
        let locked = self.locked();
        let reserved = self.reserved();
        self.coins
            .values()
            .filter(|c| {
                !locked.contains_key(&c.statechain_id) && !reserved.contains(&c.statechain_id)
            })
            .collect()
    }

    fn require_available(&self, id: &Id) -> Result<OwnedCoin, Error> {
        let coin = self
            .coins
            .get(id)
            .ok_or_else(|| Error::UnknownCoin(id.to_string()))?;
        if self.locked().contains_key(id) {
            return Err(Error::PhaseConflict(
                "this coin is already in a transfer or swap",
            ));
        }
        Ok(coin.clone())
    }

    fn offers(&self, coins: &[Id], allow_reserved: bool) -> Result<Vec<Offer>, Error> {
        let reserved = self.reserved();
        coins
            .iter()
            .map(|id| {
                let c = self.require_available(id)?;
                if !allow_reserved && reserved.contains(id) {
                    return Err(Error::PhaseConflict(
                        "this coin is offered in another invite",
                    ));
                }
                Ok(Offer {
                    statechain_id: c.statechain_id,
                    amount: c.amount,
                })
            })
            .collect()
    }

    /// Creates a swap invite giving `coins` for at least `want`; the coins
    /// are reserved until the invite is answered or cancelled.
    pub fn create_invite(
        &mut self,
        keys: &WalletKeys,
        coins: &[Id],
        want: u64,
        batch_id: Id,
        expires_at: u64,
        now: u64,
    ) -> Result<Invite, Error> {
        let gives = self.offers(coins, false)?;
        let index = self.next_index;
        let receive = self.address_at(keys, index)?;
        let invite = Invite::new(self.network, batch_id, gives, want, receive, expires_at)?;
        self.take_index();
        self.invites.insert(
            batch_id,
            PendingInvite {
                code: invite.encode(),
                receive_index: index,
                created_at: now,
            },
        );
        Ok(invite)
    }

    /// Forgets an unanswered invite and frees its coins.
    pub fn cancel_invite(&mut self, batch_id: &Id) -> Result<(), Error> {
        self.invites
            .remove(batch_id)
            .map(|_| ())
            .ok_or_else(|| Error::UnknownRecord(batch_id.to_string()))
    }

    /// Whether this wallet made `invite`: it is still waiting for an answer
    /// here, or it offers a coin this wallet holds. Such an invite is for
    /// the other person to join, never this wallet.
    pub fn is_own_invite(&self, invite: &Invite) -> bool {
        self.invites.contains_key(&invite.batch_id())
            || invite
                .gives()
                .iter()
                .any(|offer| self.coins.contains_key(&offer.statechain_id))
    }

    /// Joins someone's invite with `coins`: returns the join answer to send
    /// back, and starts this wallet's side of the swap at once.
    pub fn join_invite(
        &mut self,
        keys: &WalletKeys,
        invite_code: &str,
        coins: &[Id],
        manual_confirm: bool,
        max_batch_size: usize,
        now: u64,
    ) -> Result<(JoinAnswer, String, Vec<Action>), Error> {
        let invite = Invite::decode(invite_code, self.network)?;
        if self.is_own_invite(&invite) {
            return Err(Error::OwnInvite);
        }
        let gives = self.offers(coins, false)?;
        let index = self.next_index;
        let receive = self.address_at(keys, index)?;
        let answer = JoinAnswer::new(&invite, gives, receive)?;
        let terms = SwapTerms::agree(&invite, &answer, max_batch_size)?;
        let mine: Vec<(Id, Address)> = answer
            .gives()
            .iter()
            .map(|o| (o.statechain_id, terms.creator_receive()))
            .collect();
        let (rid, actions) = self.start_swap(
            terms.descriptor().clone(),
            mine,
            index,
            &receive.auth_pubkey,
            manual_confirm,
            now,
        )?;
        self.take_index();
        if let Some(Record::Swap(swap)) = self.records.get_mut(&rid) {
            swap.answer = Some(answer.encode());
        }
        Ok((answer, rid, actions))
    }

    /// The creator's side: accepts the join answer to one of its invites and
    /// starts the swap.
    pub fn accept_answer(
        &mut self,
        answer_code: &str,
        manual_confirm: bool,
        max_batch_size: usize,
        now: u64,
    ) -> Result<(String, Vec<Action>), Error> {
        let answer = JoinAnswer::decode(answer_code, self.network)?;
        let pending = self
            .invites
            .get(&answer.batch_id())
            .cloned()
            .ok_or(Error::InvalidInvite(
                "it answers an invite this wallet did not create, or one already used",
            ))?;
        let invite = Invite::decode(&pending.code, self.network)?;
        let terms = SwapTerms::agree(&invite, &answer, max_batch_size)?;
        let mine: Vec<(Id, Address)> = invite
            .gives()
            .iter()
            .map(|o| (o.statechain_id, terms.joiner_receive()))
            .collect();
        let receive_auth = invite.receive().auth_pubkey;
        self.invites.remove(&answer.batch_id());
        match self.start_swap(
            terms.descriptor().clone(),
            mine,
            pending.receive_index,
            &receive_auth,
            manual_confirm,
            now,
        ) {
            Ok(ok) => Ok(ok),
            Err(e) => {
                self.invites.insert(answer.batch_id(), pending);
                Err(e)
            }
        }
    }

    fn address_at(&self, keys: &WalletKeys, index: u32) -> Result<Address, Error> {
        let k = keys.address(index)?;
        Ok(Address {
            network: self.network,
            user_pubkey: k.user_pubkey(),
            auth_pubkey: k.auth_pubkey(),
        })
    }

    /// Records a relay receipt; a conflicting one becomes an equivocation proof.
    pub fn note_receipt(&mut self, receipt: &Receipt) {
        let key = receipt_key(&receipt.statechain_id, receipt.seq);
        if let (Some(relay), Some(old)) = (self.relay_pubkey, self.receipts.get(&key))
            && let Some(p) = EquivocationProof::detect(&relay, old, receipt)
        {
            if !self.equivocations.contains(&p) {
                self.equivocations.push(p);
            }
            return;
        }
        if !self.receipts.contains_key(&key) {
            self.receipts.insert(key, receipt.clone());
        }
    }

    pub fn known_receipts(&self, id: &Id) -> Vec<Receipt> {
        let prefix = format!("{id}:");
        self.receipts
            .range_from(&prefix)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(_, r)| r.clone())
            .collect()
    }

    /// A coin the relay credited at `deposit/init`.
    pub fn add_deposit(&mut self, coin: OwnedCoin, receipt: Receipt, now: u64) {
        self.note_receipt(&receipt);
        self.history.push(HistoryEntry {
            time: now,
            kind: HistoryKind::Deposit,
            statechain_id: coin.statechain_id,
            amount: coin.amount,
            batch_id: None,
            counterparty: None,
            receipt: Some(receipt),
        });
        self.coins.insert(coin.statechain_id, coin);
    }

    /// Starts a plain send; returns the record id and its first actions.
    pub fn start_send(
        &mut self,
        coin: &Id,
        to: Address,
        now: u64,
    ) -> Result<(String, Vec<Action>), Error> {
        if to.network != self.network {
            return Err(Error::WrongNetwork {
                expected: self.network.name().into(),
                found: to.network.name().into(),
            });
        }
        let c = self.require_available(coin)?;
        let rid = send_rid(coin, c.seq);
        let rec = Send::new(c, to, now);
        let actions = rec.outstanding();
        self.records.insert(rid.clone(), Record::Send(rec));
        Ok((rid, actions))
    }

    /// Starts a swap on agreed terms; `gives` are this wallet's coins and
    /// their recipients. Returns the record id (`swap:{batch_id}`).
    pub fn start_swap(
        &mut self,
        descriptor: crate::descriptor::Descriptor,
        gives: Vec<(Id, Address)>,
        receive_index: u32,
        receive_auth: &XOnly,
        manual_confirm: bool,
        now: u64,
    ) -> Result<(String, Vec<Action>), Error> {
        let rid = swap_rid(&descriptor.batch_id());
        if self.records.contains_key(&rid) {
            return Err(Error::PhaseConflict("this swap is already in the wallet"));
        }
        let mut lines = Vec::new();
        for (id, to) in gives {
            let c = self.require_available(&id)?;
            match descriptor.line(&id) {
                Some(l) if l.new_user_auth_key == to.auth_pubkey && l.amount == c.amount => {}
                _ => {
                    return Err(Error::PhaseConflict(
                        "a coin given does not match the agreed swap terms",
                    ));
                }
            }
            lines.push((c, to));
        }
        let swap = Swap::new(
            descriptor,
            lines,
            receive_index,
            receive_auth,
            manual_confirm,
            now,
        );
        let actions = swap.outstanding();
        self.records
            .insert(rid.clone(), Record::Swap(Box::new(swap)));
        Ok((rid, actions))
    }

    /// Adds a checked incoming plain transfer; returns its record id.
    pub fn start_receive(&mut self, rec: Receive) -> (String, Vec<Action>) {
        let rid = receive_rid(&rec.statechain_id, rec.index);
        let actions = rec.outstanding();
        if !self.records.contains_key(&rid) {
            self.records.insert(rid.clone(), Record::Receive(rec));
        }
        (rid, actions)
    }

    /// Feeds `event` to record `rid` at relay time `now` and applies the
    /// outcome to the coin list and history. Persist the wallet, then run
    /// the returned actions.
    pub fn apply(&mut self, rid: &str, event: Event, now: u64) -> Result<Vec<Action>, Error> {
        let old = self
            .records
            .get(rid)
            .cloned()
            .ok_or_else(|| Error::UnknownRecord(rid.to_string()))?;
        match &event {
            Event::Received { receipt, .. } | Event::Reclaimed { receipt, .. } => {
                self.note_receipt(receipt)
            }
            Event::Checked { report, .. } => {
                self.verified.remember_report(report);
                if let Some(p) = &report.equivocation
                    && !self.equivocations.contains(p)
                {
                    self.equivocations.push(p.clone());
                }
            }
            _ => {}
        }
        let mut next_index = self.next_index;
        let mut ctx = StepCtx {
            now,
            next_index: &mut next_index,
        };
        let (new, actions) = match old.clone() {
            Record::Send(s) => {
                let (s, a) = send::step(s, event, &mut ctx);
                (Record::Send(s), a)
            }
            Record::Receive(r) => {
                let (r, a) = receive::step(r, event, &mut ctx);
                (Record::Receive(r), a)
            }
            Record::Swap(s) => {
                let (s, a) = swap::step(*s, event, &mut ctx);
                (Record::Swap(Box::new(s)), a)
            }
        };
        self.next_index = next_index;
        self.effects(&old, &new, now);
        self.records.insert(rid.to_string(), new);
        Ok(actions)
    }

    /// Coin-list and history effects of one transition. Each fires exactly
    /// once because phases and line states only move forward.
    fn effects(&mut self, old: &Record, new: &Record, now: u64) {
        match (old, new) {
            (Record::Send(a), Record::Send(b))
                if a.phase != SendPhase::Sent && b.phase == SendPhase::Sent =>
            {
                self.coins.remove(&b.coin.statechain_id);
                self.push_history(
                    now,
                    HistoryKind::Sent,
                    &b.coin,
                    None,
                    Some(b.to.encode()),
                    None,
                );
            }
            (Record::Receive(a), Record::Receive(b)) => {
                if let (ReceivePhase::Receiving { .. }, ReceivePhase::Received { coin, receipt }) =
                    (&a.phase, &b.phase)
                {
                    self.coins.insert(coin.statechain_id, coin.clone());
                    self.push_history(
                        now,
                        HistoryKind::Received,
                        coin,
                        None,
                        None,
                        Some(receipt.clone()),
                    );
                }
            }
            (Record::Swap(a), Record::Swap(b)) => {
                for (ga, gb) in a.gives.iter().zip(&b.gives) {
                    match (&ga.state, &gb.state) {
                        (x, GiveState::Transferred) if *x != GiveState::Transferred => {
                            self.coins.remove(&gb.coin.statechain_id);
                            self.push_history(
                                now,
                                HistoryKind::SwapGave,
                                &gb.coin,
                                Some(b.batch_id),
                                Some(gb.to.encode()),
                                None,
                            );
                        }
                        (GiveState::Reclaiming { .. }, GiveState::Reclaimed { coin }) => {
                            self.coins.insert(coin.statechain_id, coin.clone());
                            // Same index: the coin never left, nothing to record.
                            if coin.index != gb.coin.index {
                                self.push_history(
                                    now,
                                    HistoryKind::Recovered,
                                    coin,
                                    Some(b.batch_id),
                                    None,
                                    None,
                                );
                            }
                        }
                        _ => {}
                    }
                }
                for (ga, gb) in a.gets.iter().zip(&b.gets) {
                    if let (s, GetState::Received { coin, receipt }) = (&ga.state, &gb.state)
                        && !matches!(s, GetState::Received { .. })
                    {
                        self.coins.insert(coin.statechain_id, coin.clone());
                        self.push_history(
                            now,
                            HistoryKind::SwapGot,
                            coin,
                            Some(b.batch_id),
                            None,
                            Some(receipt.clone()),
                        );
                    }
                }
            }
            _ => {}
        }
    }

    fn push_history(
        &mut self,
        now: u64,
        kind: HistoryKind,
        coin: &OwnedCoin,
        batch_id: Option<Id>,
        counterparty: Option<String>,
        receipt: Option<Receipt>,
    ) {
        self.history.push(HistoryEntry {
            time: now,
            kind,
            statechain_id: coin.statechain_id,
            amount: coin.amount,
            batch_id,
            counterparty,
            receipt,
        });
    }

    /// Every unfinished record and the actions it needs now (host start-up).
    pub fn resume_all(&mut self, now: u64) -> Vec<(String, Vec<Action>)> {
        let ids: Vec<String> = self
            .records
            .iter()
            .filter(|(_, r)| !r.is_final())
            .map(|(k, _)| k.clone())
            .collect();
        ids.into_iter()
            .filter_map(|rid| self.apply(&rid, Event::Resume, now).ok().map(|a| (rid, a)))
            .collect()
    }
}

// ----- record ids -----

/// The record id of sending coin `coin` from its ownership `seq`.
pub fn send_rid(coin: &Id, seq: u64) -> String {
    format!("send:{coin}:{seq}")
}

/// The record id of a swap: its batch.
pub fn swap_rid(batch: &Id) -> String {
    format!("swap:{batch}")
}

/// The record id of receiving `coin` at address `index`.
pub fn receive_rid(coin: &Id, index: u32) -> String {
    format!("receive:{coin}:{index}")
}

/// The coin and address index of a receive's record id.
pub fn parse_receive_rid(rid: &str) -> Option<(Id, u32)> {
    let (coin, index) = rid.strip_prefix("receive:")?.split_once(':')?;
    Some((Id::parse(coin).ok()?, index.parse().ok()?))
}

#[cfg(test)]
mod own_invite_tests {
    //! A wallet never joins an invite it made (issue 10 §1).
    use super::*;
    use crate::entropy::{Entropy, SeededEntropy};
    use crate::keys::Mnemonic;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const NOW: u64 = 1_800_000_000;

    fn coin(rng: &mut SeededEntropy, amount: u64) -> OwnedCoin {
        OwnedCoin {
            statechain_id: rng.uuid_v4(),
            amount,
            aggregated_pubkey: rng.scalar().public(),
            seq: 0,
            index: 0,
        }
    }

    fn wallet_with(coins: &[&OwnedCoin]) -> Wallet {
        let mut wallet = Wallet::new("w", Network::Demo);
        for c in coins {
            wallet.coins.insert(c.statechain_id, (*c).clone());
        }
        wallet
    }

    #[test]
    fn a_wallet_refuses_to_join_its_own_invite() {
        let mut rng = SeededEntropy::new(7);
        let keys = WalletKeys::from_mnemonic(&Mnemonic::from_entropy([3; 16]));
        let (give, other) = (coin(&mut rng, 10_000), coin(&mut rng, 8_000));
        let mut me = wallet_with(&[&give, &other]);
        let invite = me
            .create_invite(
                &keys,
                &[give.statechain_id],
                7_000,
                rng.uuid_v4(),
                NOW + 600,
                NOW,
            )
            .unwrap();
        assert!(me.is_own_invite(&invite));
        let joined = me.join_invite(
            &keys,
            &invite.encode(),
            &[other.statechain_id],
            false,
            1000,
            NOW,
        );
        assert_eq!(joined.err(), Some(Error::OwnInvite));
        assert_eq!(Error::OwnInvite.code(), "own_invite");
        assert!(
            Error::OwnInvite
                .to_string()
                .starts_with("This is your own invite")
        );
        // Once the pending invite is forgotten, its coin still gives it away.
        me.invites.clear();
        assert!(me.is_own_invite(&invite));

        // Someone else's wallet may join it.
        let theirs = coin(&mut rng, 8_000);
        let mut them = wallet_with(&[&theirs]);
        assert!(!them.is_own_invite(&invite));
        let their_keys = WalletKeys::from_mnemonic(&Mnemonic::from_entropy([4; 16]));
        assert!(
            them.join_invite(
                &their_keys,
                &invite.encode(),
                &[theirs.statechain_id],
                false,
                1000,
                NOW
            )
            .is_ok()
        );
    }

    #[test]
    fn the_joiners_swap_keeps_its_answer_until_it_commits_or_backs_out() {
        // Issue 10 §2: a reload must not lose the answer (the coins would
        // stay locked until the deadline), so the record carries it.
        let mut rng = SeededEntropy::new(9);
        let keys = WalletKeys::from_mnemonic(&Mnemonic::from_entropy([3; 16]));
        let give = coin(&mut rng, 10_000);
        let mut me = wallet_with(&[&give]);
        let invite = me
            .create_invite(
                &keys,
                &[give.statechain_id],
                7_000,
                rng.uuid_v4(),
                NOW + 600,
                NOW,
            )
            .unwrap();
        let theirs = coin(&mut rng, 8_000);
        let mut them = wallet_with(&[&theirs]);
        let their_keys = WalletKeys::from_mnemonic(&Mnemonic::from_entropy([4; 16]));
        let (answer, rid, _) = them
            .join_invite(
                &their_keys,
                &invite.encode(),
                &[theirs.statechain_id],
                false,
                1000,
                NOW,
            )
            .unwrap();
        let stored: Wallet = serde_json::from_str(&serde_json::to_string(&them).unwrap()).unwrap();
        let Some(Record::Swap(swap)) = stored.records.get(&rid) else {
            panic!("the swap record")
        };
        assert_eq!(swap.answer_to_share(), Some(answer.encode().as_str()));
        assert!(swap.waits_on_user());
        // The creator's side carries none.
        let (mine, _) = me
            .accept_answer(&answer.encode(), false, 1000, NOW)
            .unwrap();
        let Some(Record::Swap(swap)) = me.records.get(&mine) else {
            panic!("the creator's swap record")
        };
        assert_eq!(swap.answer, None);
        assert!(!swap.waits_on_user());
    }
}
