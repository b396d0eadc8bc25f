//! Small helpers, shared with the web wallet.

/// Sorts `v`, stably, by insertion: quadratic, so only for lists that are
/// short by construction (a few dozen items, never sized by someone else's
/// input). The standard library's sort compiles to about 3.5 KB of wasm for
/// each element type and order, this to a few hundred bytes.
pub fn sort_small<T: Ord>(v: &mut [T]) {
    sort_small_by(v, |a, b| a > b);
}

/// [`sort_small`] by a key (stable).
pub fn sort_small_by_key<T, K: Ord>(v: &mut [T], key: impl Fn(&T) -> K) {
    sort_small_by(v, |a, b| key(a) > key(b));
}

/// Insertion sort; `after(a, b)` says that `a` goes after `b`. Stable:
/// equal items keep their order.
fn sort_small_by<T>(v: &mut [T], after: impl Fn(&T, &T) -> bool) {
    for i in 1..v.len() {
        let mut j = i;
        while j > 0 && after(&v[j - 1], &v[j]) {
            v.swap(j - 1, j);
            j -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn sorts_like_the_standard_stable_sort() {
        let mut state = 7u64;
        for len in [0usize, 1, 2, 3, 10, 100, 300] {
            let items: Vec<(u8, usize)> = (0..len)
                .map(|i| {
                    state = state
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    ((state >> 60) as u8, i)
                })
                .collect();
            let mut ours = items.clone();
            sort_small_by_key(&mut ours, |&(k, _)| k);
            let mut std_sorted = items.clone();
            std_sorted.sort_by_key(|&(k, _)| k);
            assert_eq!(ours, std_sorted, "stable by key, {len} items");
            let mut ours = items.clone();
            sort_small(&mut ours);
            let mut std_sorted = items;
            std_sorted.sort();
            assert_eq!(ours, std_sorted);
        }
        let mut words = vec!["states", "leases", "wallets", "leases"];
        sort_small(&mut words);
        assert_eq!(words, ["leases", "leases", "states", "wallets"]);
    }
}
