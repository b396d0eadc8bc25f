//! Per-client limits: who the client is (the TCP peer, or what a trusted
//! proxy says in `X-Forwarded-For`), its key for every limit (IPv4 address,
//! IPv6 /64), the request-rate table (fixed capacity, least recently seen
//! evicted in O(1)) and the count of long-polls a client holds.
//!
//! Every structure here is bounded: the rate table by [`RATE_TABLE_CAPACITY`],
//! the long-poll counts by the long-polls in progress (an entry is removed
//! when its count returns to zero).

use crate::error::ApiError;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Nothing here panics while holding a lock; if something did, the
    // counters are still meaningful, so go on rather than propagate it.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// `429 rate_limited` (§8) with `Retry-After: retry_after_secs`.
pub fn too_many(message: &str, retry_after_secs: u32) -> Response {
    ApiError::RateLimited(message.to_string(), retry_after_secs).into_response()
}

// ----- the client -----

/// What every per-client limit is keyed by: an IPv4 address, or an IPv6
/// address's /64 (one customer's network is usually a whole /64, so a
/// client could otherwise pick a fresh address per request). IPv4-mapped
/// IPv6 addresses (`::ffff:a.b.c.d`) are their IPv4 address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientKey(IpAddr);

impl ClientKey {
    pub fn of(ip: IpAddr) -> ClientKey {
        match ip.to_canonical() {
            IpAddr::V4(a) => ClientKey(IpAddr::V4(a)),
            IpAddr::V6(a) => ClientKey(IpAddr::V6(Ipv6Addr::from(
                u128::from(a) & !(u128::MAX >> 64),
            ))),
        }
    }
}

impl fmt::Display for ClientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            IpAddr::V4(a) => write!(f, "{a}"),
            IpAddr::V6(a) => write!(f, "{a}/64"),
        }
    }
}

/// The client of one request, as the guard decided it: put in the
/// request's extensions for the handlers (long-poll counts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Client {
    pub ip: IpAddr,
    pub key: ClientKey,
}

/// An IP network, `ADDRESS/PREFIX` (a bare address is a network of one).
/// Bits past the prefix are ignored (`10.1.2.3/8` is `10.0.0.0/8`). An
/// IPv4-mapped IPv6 network (`::ffff:10.0.0.0/104`) is the IPv4 one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

const CIDR_HELP: &str = "like 10.0.0.0/8, 192.168.1.7 or 2001:db8::/32";

impl FromStr for Cidr {
    type Err = String;

    fn from_str(s: &str) -> Result<Cidr, String> {
        let text = s.trim();
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("{text:?} is not an IP network ({CIDR_HELP})"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => match p.parse::<u8>() {
                Ok(n) if n <= max && !p.starts_with('+') => n,
                _ => {
                    return Err(format!(
                        "{text:?} has prefix length {p:?}; it must be 0 to {max} ({CIDR_HELP})"
                    ));
                }
            },
        };
        Ok(Cidr::new(addr, prefix))
    }
}

impl Cidr {
    fn new(addr: IpAddr, prefix: u8) -> Cidr {
        if let IpAddr::V6(a) = addr
            && let Some(v4) = a.to_ipv4_mapped()
            && prefix >= 96
        {
            return Cidr::new(IpAddr::V4(v4), prefix - 96);
        }
        match addr {
            IpAddr::V4(a) => Cidr {
                addr: IpAddr::V4(Ipv4Addr::from(u32::from(a) & mask32(prefix))),
                prefix,
            },
            IpAddr::V6(a) => Cidr {
                addr: IpAddr::V6(Ipv6Addr::from(u128::from(a) & mask128(prefix))),
                prefix,
            },
        }
    }

    /// Whether `ip` (canonical: an IPv4-mapped address is its IPv4 one) is in it.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(a)) => {
                u32::from(a) & mask32(self.prefix) == u32::from(net)
            }
            (IpAddr::V6(net), IpAddr::V6(a)) => {
                u128::from(a) & mask128(self.prefix) == u128::from(net)
            }
            _ => false,
        }
    }
}

fn mask32(prefix: u8) -> u32 {
    u32::MAX
        .checked_shl(32 - u32::from(prefix.min(32)))
        .unwrap_or(0)
}

fn mask128(prefix: u8) -> u128 {
    u128::MAX
        .checked_shl(128 - u32::from(prefix.min(128)))
        .unwrap_or(0)
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// Most `X-Forwarded-For` entries looked at, from the right: more proxies
/// than this in front of the relay is a misconfiguration, and the walk
/// stays cheap whatever the header holds.
const MAX_FORWARDED_HOPS: usize = 16;

/// The proxies believed about `X-Forwarded-For` (`--trusted-proxies`).
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<Cidr>);

impl TrustedProxies {
    pub fn new(cidrs: Vec<Cidr>) -> TrustedProxies {
        TrustedProxies(cidrs)
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|c| c.contains(ip))
    }

    /// The client's address. A TCP peer that is not a trusted proxy is the
    /// client, whatever it sends. A trusted one is asked: `X-Forwarded-For`
    /// is read from the right (each proxy appends the address it got the
    /// request from), skipping addresses that are trusted proxies
    /// themselves; the first one that is not is the client (nginx's
    /// `real_ip_recursive on`). If every address is trusted, the left-most
    /// is the client; a malformed entry (or more than
    /// [`MAX_FORWARDED_HOPS`]) stops the walk and the last address reached
    /// is the client: whatever is left of it was written by someone no
    /// trusted proxy vouches for. Several header lines are one list, in order.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = peer.to_canonical();
        if !self.trusts(client) {
            return client;
        }
        let entries = headers
            .get_all("x-forwarded-for")
            .iter()
            .rev()
            .flat_map(|line| match line.to_str() {
                Ok(text) => Box::new(text.rsplit(',').map(Some)) as Box<dyn Iterator<Item = _>>,
                Err(_) => Box::new(std::iter::once(None)),
            })
            .take(MAX_FORWARDED_HOPS);
        for entry in entries {
            let Some(ip) = entry.and_then(forwarded_ip) else {
                break;
            };
            client = ip;
            if !self.trusts(ip) {
                break;
            }
        }
        client
    }
}

/// One `X-Forwarded-For` entry: an address, possibly with a port
/// (`1.2.3.4:80`, `[2001:db8::1]:80`), as some proxies write it.
fn forwarded_ip(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .map(|ip| ip.to_canonical())
}

// ----- request rate -----

/// Clients remembered by the rate limiter. An entry costs about 110
/// bytes (a 56-byte node in the list, and a 24-byte key and slot in the
/// hash map at its load factor), so a full table is about 7 MB. The least
/// recently seen client is forgotten first: it is the one whose bucket is
/// most likely full again (a bucket refills in 2 s), and a forgotten client
/// comes back with a full bucket, as after any idle spell. Only with more
/// than this many clients active within seconds is one forgotten before
/// its bucket refilled, and then it gets a fresh burst: an attacker with
/// that many addresses (a /48 holds 65 536 /64s) has a burst per address
/// anyway.
pub const RATE_TABLE_CAPACITY: usize = 65_536;

/// Bytes of request body that cost one more token, on top of the request's
/// own: a maximal join (1000 lines, about 150 KiB; each line's key is a
/// point to check, about 9 ms of CPU for the whole) costs about 38
/// requests, a maximal message (64 KiB, 128 KiB as hex) about 33, so a
/// client at the rate limit (50 a second) makes the relay parse, and
/// store, at most about 200 KiB a second. Ordinary requests are far below
/// 4 KiB and cost one; a wallet joins a large batch by its hash.
pub const BYTES_PER_TOKEN: usize = 4 * 1024;

/// The tokens a body of `len` bytes costs beyond its request's one.
pub fn body_tokens(len: usize) -> f64 {
    (len / BYTES_PER_TOKEN) as f64
}

/// Per-client token buckets: `rate` per second, bursts of twice that, in
/// a table of fixed capacity.
pub struct RateLimiter {
    rate: f64,
    burst: f64,
    table: Mutex<Lru>,
}

impl RateLimiter {
    pub fn new(rate: u32) -> Self {
        RateLimiter::with_capacity(rate, RATE_TABLE_CAPACITY)
    }

    pub fn with_capacity(rate: u32, capacity: usize) -> Self {
        RateLimiter {
            rate: f64::from(rate),
            burst: 2.0 * f64::from(rate),
            table: Mutex::new(Lru::new(capacity)),
        }
    }

    /// Takes a token from `key`'s bucket, if it has one.
    pub fn allow(&self, key: ClientKey) -> bool {
        self.allow_at(key, Instant::now())
    }

    pub fn allow_at(&self, key: ClientKey, now: Instant) -> bool {
        self.charge_at(key, 1.0, now)
    }

    /// Takes `tokens` from `key`'s bucket if it holds that many; takes
    /// nothing otherwise. A large body costs more than one request
    /// ([`body_tokens`]): what a client makes the relay parse is bounded
    /// per client, not only how often it asks.
    pub fn charge(&self, key: ClientKey, tokens: f64) -> bool {
        self.charge_at(key, tokens, Instant::now())
    }

    pub fn charge_at(&self, key: ClientKey, tokens: f64, now: Instant) -> bool {
        if self.rate <= 0.0 || tokens <= 0.0 {
            return true;
        }
        let mut table = lock(&self.table);
        let fresh = Bucket {
            tokens: self.burst,
            last: now,
        };
        let Some(bucket) = table.touch(key, fresh) else {
            return true;
        };
        let elapsed = now.saturating_duration_since(bucket.last).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.rate).min(self.burst);
        bucket.last = now;
        if bucket.tokens >= tokens {
            bucket.tokens -= tokens;
            true
        } else {
            false
        }
    }

    /// Clients in the table now.
    pub fn len(&self) -> usize {
        lock(&self.table).map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Clients forgotten to make room, since the start.
    pub fn evictions(&self) -> u64 {
        lock(&self.table).evictions
    }

    /// The remembered clients, most recently seen first (for tests).
    pub fn keys_by_recency(&self) -> Vec<ClientKey> {
        let table = lock(&self.table);
        let mut out = Vec::with_capacity(table.map.len());
        let mut at = table.head;
        while let Some(node) = table.nodes.get(at as usize) {
            out.push(node.key);
            at = node.next;
        }
        out
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

const NIL: u32 = u32::MAX;

struct Node {
    key: ClientKey,
    bucket: Bucket,
    /// Towards the most recently seen.
    prev: u32,
    /// Towards the least recently seen.
    next: u32,
}

/// A fixed-capacity map with least-recently-used eviction: a hash map from
/// key to slot, and the slots in a doubly linked list by index, most
/// recently used at `head`. Every operation touches O(1) slots: a hit
/// moves one node to the front, a miss at capacity reuses the tail's slot.
struct Lru {
    map: HashMap<ClientKey, u32>,
    nodes: Vec<Node>,
    head: u32,
    tail: u32,
    capacity: usize,
    evictions: u64,
}

impl Lru {
    fn new(capacity: usize) -> Lru {
        Lru {
            map: HashMap::new(),
            nodes: Vec::new(),
            head: NIL,
            tail: NIL,
            // Slots are u32 indices, NIL excluded.
            capacity: capacity.clamp(1, NIL as usize),
            evictions: 0,
        }
    }

    /// `key`'s entry, made the most recently used; inserted with `fresh`
    /// when absent (evicting the least recently used one when full).
    fn touch(&mut self, key: ClientKey, fresh: Bucket) -> Option<&mut Bucket> {
        let at = match self.map.get(&key) {
            Some(&at) => {
                self.unlink(at);
                at
            }
            None if self.nodes.len() < self.capacity => {
                let at = self.nodes.len() as u32;
                self.nodes.push(Node {
                    key,
                    bucket: fresh,
                    prev: NIL,
                    next: NIL,
                });
                self.map.insert(key, at);
                at
            }
            None => {
                let at = self.tail;
                self.unlink(at);
                if let Some(old) = self.nodes.get_mut(at as usize) {
                    self.map.remove(&old.key);
                    old.key = key;
                    old.bucket = fresh;
                }
                self.map.insert(key, at);
                self.evictions += 1;
                at
            }
        };
        self.push_front(at);
        // Always a slot: `at` came from the map, the push or the tail.
        self.nodes.get_mut(at as usize).map(|n| &mut n.bucket)
    }

    fn unlink(&mut self, at: u32) {
        let Some(node) = self.nodes.get(at as usize) else {
            return;
        };
        let (prev, next) = (node.prev, node.next);
        match self.nodes.get_mut(prev as usize) {
            Some(p) => p.next = next,
            None => self.head = next,
        }
        match self.nodes.get_mut(next as usize) {
            Some(n) => n.prev = prev,
            None => self.tail = prev,
        }
    }

    fn push_front(&mut self, at: u32) {
        let old_head = self.head;
        if let Some(node) = self.nodes.get_mut(at as usize) {
            node.prev = NIL;
            node.next = old_head;
        }
        match self.nodes.get_mut(old_head as usize) {
            Some(h) => h.prev = at,
            None => self.tail = at,
        }
        self.head = at;
    }
}

// ----- long-polls held -----

/// How many long-polls each client holds, at most `max` each. An entry
/// exists only while its client holds one, so the map is as large as the
/// long-polls in progress (themselves bounded by `--max-concurrency`).
pub struct WaitCounts {
    max: u32,
    held: Arc<Mutex<HashMap<ClientKey, u32>>>,
}

/// One long-poll's place in its client's count, given back when dropped
/// (the answer, the client going away, the timeout, shutdown).
pub struct WaitSlot {
    key: ClientKey,
    held: Arc<Mutex<HashMap<ClientKey, u32>>>,
}

impl WaitCounts {
    pub fn new(max: u32) -> WaitCounts {
        WaitCounts {
            max,
            held: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// A slot for one more long-poll of `key`, unless it holds `max` already.
    pub fn acquire(&self, key: ClientKey) -> Option<WaitSlot> {
        let mut held = lock(&self.held);
        let n = held.entry(key).or_insert(0);
        if *n >= self.max {
            if *n == 0 {
                held.remove(&key);
            }
            return None;
        }
        *n += 1;
        Some(WaitSlot {
            key,
            held: self.held.clone(),
        })
    }

    /// Long-polls `key` holds now.
    pub fn held(&self, key: ClientKey) -> u32 {
        lock(&self.held).get(&key).copied().unwrap_or(0)
    }

    /// Clients holding at least one long-poll.
    pub fn clients(&self) -> usize {
        lock(&self.held).len()
    }
}

impl Drop for WaitSlot {
    fn drop(&mut self) {
        let mut held = lock(&self.held);
        if let Some(n) = held.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                held.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn key(s: &str) -> ClientKey {
        ClientKey::of(ip(s))
    }

    #[test]
    fn ipv6_clients_are_their_64_and_mapped_ipv4_is_ipv4() {
        assert_eq!(key("2001:db8:1:2:aaaa::1"), key("2001:db8:1:2:ffff:1:2:3"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("::ffff:192.0.2.7"), key("192.0.2.7"));
        assert_ne!(key("192.0.2.7"), key("192.0.2.8"));
        assert_eq!(key("2001:db8:1:2::9").to_string(), "2001:db8:1:2::/64");
    }

    #[test]
    fn one_64_shares_a_bucket_and_another_does_not() {
        let l = RateLimiter::new(1);
        let now = Instant::now();
        assert!(l.allow_at(key("2001:db8:0:1::1"), now));
        assert!(l.allow_at(key("2001:db8:0:1::2"), now));
        assert!(
            !l.allow_at(key("2001:db8:0:1:ffff::3"), now),
            "burst of 2 spent"
        );
        assert!(l.allow_at(key("2001:db8:0:2::1"), now), "another /64");
        assert!(l.allow_at(key("2001:db8:0:1::1"), now + Duration::from_secs(1)));
    }

    #[test]
    fn the_table_never_exceeds_its_capacity() {
        let l = RateLimiter::new(50);
        let now = Instant::now();
        for n in 0..200_000u32 {
            assert!(l.allow_at(ClientKey::of(IpAddr::V4(Ipv4Addr::from(n))), now));
            assert!(l.len() <= RATE_TABLE_CAPACITY);
        }
        assert_eq!(l.len(), RATE_TABLE_CAPACITY);
        assert_eq!(l.evictions(), 200_000 - RATE_TABLE_CAPACITY as u64);
        // The survivors are exactly the most recent clients, in order.
        let keys = l.keys_by_recency();
        assert_eq!(keys.len(), RATE_TABLE_CAPACITY);
        assert!(
            keys.iter()
                .enumerate()
                .all(|(i, k)| *k == ClientKey::of(IpAddr::V4(Ipv4Addr::from(199_999 - i as u32))))
        );
    }

    #[test]
    fn eviction_forgets_exactly_the_least_recently_seen() {
        // By construction each miss at capacity unlinks the tail and reuses
        // its slot: one node, one map removal. Seen from outside: the
        // storage never grows past the capacity, and the one forgotten is
        // the least recently seen, wherever it sits in the table.
        let l = RateLimiter::with_capacity(1, 4);
        let now = Instant::now();
        let k = |n: u8| ClientKey::of(IpAddr::V4(Ipv4Addr::new(10, 0, 0, n)));
        for n in 1..=4 {
            l.allow_at(k(n), now);
        }
        l.allow_at(k(1), now); // 1 is now the most recent; 2 the least.
        l.allow_at(k(5), now);
        assert_eq!(l.keys_by_recency(), vec![k(5), k(1), k(4), k(3)]);
        assert_eq!(l.evictions(), 1);
        l.allow_at(k(3), now);
        l.allow_at(k(6), now);
        assert_eq!(l.keys_by_recency(), vec![k(6), k(3), k(5), k(1)]);
        assert_eq!(lock(&l.table).nodes.len(), 4);
        // A remembered client keeps its spent bucket; a forgotten one
        // comes back with a full one.
        assert!(l.allow_at(k(6), now));
        assert!(!l.allow_at(k(6), now));
        for n in 7..=10 {
            l.allow_at(k(n), now);
        }
        assert!(l.allow_at(k(6), now), "forgotten, refilled");
    }

    #[test]
    fn entries_are_as_small_as_the_capacity_comment_says() {
        assert!(std::mem::size_of::<Node>() <= 56);
        assert!(std::mem::size_of::<(ClientKey, u32)>() <= 24);
    }

    #[test]
    fn capacity_one_and_rate_zero() {
        let l = RateLimiter::with_capacity(1, 1);
        let now = Instant::now();
        assert!(l.allow_at(key("10.0.0.1"), now));
        assert!(l.allow_at(key("10.0.0.2"), now));
        assert_eq!(l.len(), 1);
        let off = RateLimiter::new(0);
        assert!((0..1000).all(|_| off.allow_at(key("10.0.0.1"), now)));
        assert!(off.is_empty());
    }

    #[test]
    fn cidrs_parse_or_say_why_not() {
        let c: Cidr = "10.1.2.3/8".parse().unwrap();
        assert_eq!(c.to_string(), "10.0.0.0/8");
        assert!(c.contains(ip("10.200.0.1")) && !c.contains(ip("11.0.0.1")));
        assert!(c.contains(ip("::ffff:10.0.0.1")));
        let one: Cidr = " 127.0.0.1 ".parse().unwrap();
        assert!(one.contains(ip("127.0.0.1")) && !one.contains(ip("127.0.0.2")));
        let v6: Cidr = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains(ip("2001:db8:ffff::1")) && !v6.contains(ip("2001:db9::1")));
        assert!(!v6.contains(ip("10.0.0.1")));
        let mapped: Cidr = "::ffff:192.168.0.0/112".parse().unwrap();
        assert_eq!(mapped.to_string(), "192.168.0.0/16");
        let all: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("1.2.3.4")) && !all.contains(ip("::1")));
        let all6: Cidr = "::/0".parse().unwrap();
        assert!(all6.contains(ip("2001:db8::1")));
        for bad in [
            "",
            "10.0.0.0/33",
            "::/129",
            "10.0.0/8",
            "10.0.0.0/",
            "10.0.0.0/+8",
            "x/8",
            "10.0.0.0/8/8",
        ] {
            let e = bad.parse::<Cidr>().unwrap_err();
            assert!(e.contains("like 10.0.0.0/8"), "{bad}: {e}");
        }
    }

    fn xff(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(
                "x-forwarded-for",
                axum::http::HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_peers() {
        let none = TrustedProxies::default();
        let peer = ip("203.0.113.9");
        assert_eq!(none.client_ip(peer, &xff(&["1.1.1.1"])), peer);
        let t = TrustedProxies::new(vec!["10.0.0.0/8".parse().unwrap(), "::1".parse().unwrap()]);
        assert_eq!(
            t.client_ip(peer, &xff(&["1.1.1.1"])),
            peer,
            "untrusted peer"
        );
        let proxy = ip("10.0.0.2");
        assert_eq!(t.client_ip(proxy, &HeaderMap::new()), proxy, "no header");
        assert_eq!(t.client_ip(proxy, &xff(&["1.1.1.1"])), ip("1.1.1.1"));
        // Right-most untrusted: what the client wrote itself is ignored.
        assert_eq!(
            t.client_ip(proxy, &xff(&["6.6.6.6, 1.1.1.1"])),
            ip("1.1.1.1")
        );
        // Trusted hops are skipped, across header lines, ports allowed.
        assert_eq!(
            t.client_ip(
                ip("::1"),
                &xff(&["6.6.6.6, 2.2.2.2:5555", "10.9.9.9 , [::1]:80"])
            ),
            ip("2.2.2.2")
        );
        // All trusted: the left-most.
        assert_eq!(
            t.client_ip(proxy, &xff(&["10.0.0.7,10.0.0.8"])),
            ip("10.0.0.7")
        );
        // A malformed entry stops the walk at the last address reached.
        assert_eq!(
            t.client_ip(proxy, &xff(&["1.1.1.1, junk, 10.0.0.8"])),
            ip("10.0.0.8")
        );
        assert_eq!(t.client_ip(proxy, &xff(&["1.1.1.1, "])), proxy);
        // IPv4-mapped peers and entries are IPv4.
        assert_eq!(
            t.client_ip(ip("::ffff:10.0.0.2"), &xff(&["::ffff:1.1.1.1"])),
            ip("1.1.1.1")
        );
        // A long chain of trusted hops stops after MAX_FORWARDED_HOPS.
        let long = vec!["10.0.0.1"; 100].join(",");
        assert_eq!(
            t.client_ip(proxy, &xff(&[&format!("1.1.1.1,{long}")])),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn wait_counts_are_per_client_and_forgotten_at_zero() {
        let w = WaitCounts::new(2);
        let (a, b) = (key("192.0.2.1"), key("2001:db8::1"));
        let s1 = w.acquire(a).unwrap();
        let s2 = w.acquire(a).unwrap();
        assert!(w.acquire(a).is_none());
        let s3 = w.acquire(b).unwrap();
        assert_eq!((w.held(a), w.held(b), w.clients()), (2, 1, 2));
        drop(s1);
        let s4 = w.acquire(a).unwrap();
        drop((s2, s3, s4));
        assert_eq!(w.clients(), 0);
        let none = WaitCounts::new(0);
        assert!(none.acquire(a).is_none());
        assert_eq!(none.clients(), 0);
    }
}
