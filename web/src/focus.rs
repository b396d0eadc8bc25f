//! Keyboard focus across screen changes. When a screen replaces another,
//! the element that had the focus (the button pressed) is gone and the
//! focus would fall back to the page's start: a keyboard or screen-reader
//! user would have to find their place again. So the new screen's heading
//! takes the focus (it is made focusable with `tabindex="-1"`). Changing
//! tab is not a new screen: the focus stays on the tab (the ARIA tabs
//! pattern), which is also how arrow keys move between tabs.

use crate::app::{Screen, Tab};
use std::mem::Discriminant;
use wasm_bindgen::JsCast;

/// What the page shows, as far as focus cares: the screen, the wallet's
/// tab, and the swap open in detail (a screen of its own).
#[derive(Clone, PartialEq)]
pub struct ScreenKey {
    screen: Discriminant<Screen>,
    tab: Tab,
    open_swap: Option<String>,
}

impl ScreenKey {
    pub fn new(screen: &Screen, tab: Tab, open_swap: Option<&str>) -> ScreenKey {
        ScreenKey {
            screen: std::mem::discriminant(screen),
            tab,
            open_swap: open_swap.map(str::to_string),
        }
    }
}

/// Where the focus goes after a render.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FocusMove {
    /// Nowhere: the same screen was redrawn.
    Stay,
    /// To the new screen's heading.
    Heading,
    /// To the selected tab: the user was on the tab bar.
    SelectedTab,
}

/// The rule: a user on the tab bar stays on it (on the tab now selected);
/// otherwise a new screen, or a swap opened or closed, takes the focus to
/// its heading. `before` is `None` on the first render.
pub fn focus_move(before: Option<&ScreenKey>, now: &ScreenKey, on_tab_bar: bool) -> FocusMove {
    let Some(before) = before else {
        return FocusMove::Heading;
    };
    if before == now {
        return FocusMove::Stay;
    }
    if on_tab_bar && before.screen == now.screen {
        return FocusMove::SelectedTab;
    }
    if before.screen != now.screen || before.open_swap != now.open_swap {
        return FocusMove::Heading;
    }
    FocusMove::Stay
}

/// The last screen drawn, to tell a new screen from a redraw.
#[derive(Default)]
pub struct Focus {
    last: Option<ScreenKey>,
}

impl Focus {
    /// After a render: moves the focus if the screen changed.
    pub fn rendered(&mut self, now: ScreenKey) {
        let Some(document) = web_sys::window().and_then(|window| window.document()) else {
            return;
        };
        let on_tab_bar = document
            .active_element()
            .and_then(|element| element.get_attribute("role"))
            .is_some_and(|role| role == "tab");
        let selector = match focus_move(self.last.as_ref(), &now, on_tab_bar) {
            FocusMove::Stay => {
                self.last = Some(now);
                return;
            }
            FocusMove::Heading => "main h1, main h2",
            FocusMove::SelectedTab => "[role=tab][aria-selected=true]",
        };
        // Not drawn yet (a screen still loading): the move waits for the
        // next render.
        let Some(element) = document
            .query_selector(selector)
            .ok()
            .flatten()
            .and_then(|element| element.dyn_into::<web_sys::HtmlElement>().ok())
        else {
            return;
        };
        self.last = Some(now);
        if !element.has_attribute("tabindex") {
            let _ = element.set_attribute("tabindex", "-1");
        }
        let _ = element.focus();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn key(screen: &Screen, tab: Tab, open_swap: Option<&str>) -> ScreenKey {
        ScreenKey::new(screen, tab, open_swap)
    }

    #[test]
    fn a_new_screen_focuses_its_heading() {
        let welcome = key(&Screen::Welcome, Tab::Coins, None);
        let create = key(&Screen::Create, Tab::Coins, None);
        assert_eq!(focus_move(None, &welcome, false), FocusMove::Heading);
        assert_eq!(
            focus_move(Some(&welcome), &create, false),
            FocusMove::Heading
        );
        let unlock = key(&Screen::Unlock("a".into()), Tab::Coins, None);
        let wallet = key(&Screen::Wallet, Tab::Coins, None);
        assert_eq!(
            focus_move(Some(&unlock), &wallet, false),
            FocusMove::Heading
        );
    }

    #[test]
    fn a_redraw_of_the_same_screen_leaves_the_focus() {
        let wallet = key(&Screen::Wallet, Tab::Swap, Some("r1"));
        assert_eq!(
            focus_move(Some(&wallet), &wallet.clone(), false),
            FocusMove::Stay
        );
        assert_eq!(
            focus_move(Some(&wallet), &wallet.clone(), true),
            FocusMove::Stay
        );
    }

    #[test]
    fn opening_or_closing_a_swap_focuses_its_heading() {
        let coins = key(&Screen::Wallet, Tab::Coins, None);
        let swap = key(&Screen::Wallet, Tab::Swap, Some("r1"));
        let list = key(&Screen::Wallet, Tab::Swap, None);
        assert_eq!(focus_move(Some(&coins), &swap, false), FocusMove::Heading);
        assert_eq!(focus_move(Some(&swap), &list, false), FocusMove::Heading);
    }

    #[test]
    fn a_tab_change_from_the_tab_bar_keeps_the_focus_on_the_tabs() {
        let coins = key(&Screen::Wallet, Tab::Coins, None);
        let send = key(&Screen::Wallet, Tab::Send, None);
        assert_eq!(
            focus_move(Some(&coins), &send, true),
            FocusMove::SelectedTab
        );
        // Closing a swap by its tab, too.
        let swap = key(&Screen::Wallet, Tab::Swap, Some("r1"));
        let list = key(&Screen::Wallet, Tab::Swap, None);
        assert_eq!(focus_move(Some(&swap), &list, true), FocusMove::SelectedTab);
        // A tab change by anything else (a message) moves nothing.
        assert_eq!(focus_move(Some(&coins), &send, false), FocusMove::Stay);
    }

    #[test]
    fn leaving_the_wallet_from_the_tab_bar_still_focuses_the_new_heading() {
        let settings = key(&Screen::Wallet, Tab::Settings, None);
        let welcome = key(&Screen::Welcome, Tab::Settings, None);
        assert_eq!(
            focus_move(Some(&settings), &welcome, true),
            FocusMove::Heading
        );
    }
}
