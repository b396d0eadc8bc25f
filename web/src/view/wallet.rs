//! The open wallet: its balance and the tab bar; each tab is drawn in its
//! own file.

use crate::app::{App, Msg, Tab};
use crate::view::money_text::balance_line;
use crate::view::sats;
use wallet_core::wallet::Record;
use yew::prelude::*;

impl App {
    pub(crate) fn wallet_view(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let Some(host) = &self.host else {
            return html! {};
        };
        let tabs = TABS.map(|tab| (tab, tab_label(tab)));
        let current = self.tab;
        let wallet = host.wallet.borrow();
        let split = wallet.balance_split();
        let active_swaps = wallet
            .records
            .values()
            .filter(|record| matches!(record, Record::Swap(_)) && !record.is_final())
            .count();
        html! {
            <>
                <section class="balance-card">
                    <div class="label">{"Balance"}</div>
                    <div class="balance" data-testid="balance" data-sats={wallet.balance().to_string()}>{sats(wallet.balance())}</div>
                    <div class="balance-split" data-testid="balance-split" data-available={split.available.to_string()} data-locked={split.in_swaps.to_string()}>{balance_line(&split)}</div>
                    <div class="muted">{format!("{} coin{} · demo coins", wallet.coins.len(), if wallet.coins.len() == 1 { "" } else { "s" })}</div>
                </section>
                <nav class="tabs" role="tablist" aria-label="Wallet" onkeydown={link.batch_callback(move |e: KeyboardEvent| {
                    // Arrow keys, Home and End move between the tabs (the
                    // ARIA tabs pattern; the focus follows after the render).
                    let next = tab_key(current, &e.key())?;
                    e.prevent_default();
                    Some(Msg::Tab(next))
                })}>
                    { for tabs.iter().map(|(tab, label)| {
                        let tab = *tab;
                        let selected = self.tab == tab;
                        let text = if tab == Tab::Swap && active_swaps > 0 { format!("{label} ({active_swaps})") } else { label.to_string() };
                        let id = format!("tab-{}", label.to_ascii_lowercase());
                        html! {
                            <button type="button" role="tab" class={classes!("tab", selected.then_some("active"))}
                                id={id.clone()} data-testid={id} aria-selected={selected.to_string()} aria-controls="tabpanel"
                                tabindex={if selected { "0" } else { "-1" }}
                                onclick={link.callback(move |_| Msg::Tab(tab))}>{text}</button>
                        }
                    }) }
                </nav>
                <div class="panel" role="tabpanel" id="tabpanel" aria-labelledby={format!("tab-{}", tab_name(self.tab))}>
                { match self.tab {
                    Tab::Coins => self.coins_tab(ctx, &wallet),
                    Tab::Receive => self.receive_tab(ctx, &wallet),
                    Tab::Send => self.send_tab(ctx, &wallet),
                    Tab::Swap => self.swap_tab(ctx, &wallet),
                    Tab::History => self.history_tab(ctx, &wallet),
                    Tab::Settings => self.settings_tab(ctx, &wallet),
                } }
                </div>
            </>
        }
    }
}

/// The tabs, in the bar's order.
const TABS: [Tab; 6] = [
    Tab::Coins,
    Tab::Receive,
    Tab::Send,
    Tab::Swap,
    Tab::History,
    Tab::Settings,
];

fn tab_label(tab: Tab) -> &'static str {
    match tab {
        Tab::Coins => "Coins",
        Tab::Receive => "Receive",
        Tab::Send => "Send",
        Tab::Swap => "Swap",
        Tab::History => "History",
        Tab::Settings => "Settings",
    }
}

/// The tab's name in its element id and test id (`tab-coins`).
fn tab_name(tab: Tab) -> String {
    tab_label(tab).to_ascii_lowercase()
}

/// The tab a key press on the tab bar selects: the next or previous one
/// (wrapping round), the first or the last; `None` for any other key.
pub fn tab_key(current: Tab, key: &str) -> Option<Tab> {
    let index = TABS.iter().position(|tab| *tab == current)?;
    let last = TABS.len() - 1;
    let next = match key {
        "ArrowRight" => (index + 1) % TABS.len(),
        "ArrowLeft" => (index + last) % TABS.len(),
        "Home" => 0,
        "End" => last,
        _ => return None,
    };
    Some(TABS[next])
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn arrow_keys_home_and_end_move_between_tabs() {
        assert!(tab_key(Tab::Coins, "ArrowRight") == Some(Tab::Receive));
        assert!(tab_key(Tab::Settings, "ArrowRight") == Some(Tab::Coins));
        assert!(tab_key(Tab::Coins, "ArrowLeft") == Some(Tab::Settings));
        assert!(tab_key(Tab::Swap, "ArrowLeft") == Some(Tab::Send));
        assert!(tab_key(Tab::Swap, "Home") == Some(Tab::Coins));
        assert!(tab_key(Tab::Swap, "End") == Some(Tab::Settings));
        assert!(tab_key(Tab::Swap, "Enter").is_none());
        assert!(tab_key(Tab::Swap, "a").is_none());
    }
}
