//! The strength hint under a new-password field, redrawn as it is typed
//! (the rule and the hint are wallet-core's `password`).

use crate::app::{App, input};
use wallet_core::wallet::password::{strength, strength_hint};
use yew::prelude::*;

impl App {
    /// The hint for the password typed in `field` (nothing while empty).
    pub(crate) fn password_hint(&self, field: &NodeRef) -> Html {
        let typed = input(field);
        if typed.is_empty() {
            return html! {};
        }
        let level = strength(&typed).as_str();
        html! {
            <p class={classes!("password-hint", level)} data-testid="password-hint" data-strength={level} aria-live="polite">{strength_hint(&typed)}</p>
        }
    }
}
