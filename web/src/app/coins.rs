//! The coins, receive and send tabs: demo deposits, receiving addresses,
//! sending a coin.

use super::{App, Msg, Place, clear, input, send};
use crate::errors::UiError;
use crate::view::sats;
use wallet_core::Id;
use yew::prelude::*;

/// The demo amount suggested in the field's placeholder (a `value=` would
/// be reset on every re-render, since Yew treats it as controlled, and wipe
/// what the user typed).
pub(crate) const DEMO_DEFAULT: u64 = 10_000;

pub(super) fn parse_amount(text: &str) -> Result<u64, UiError> {
    let digits: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '_')
        .collect();
    match digits.parse::<u64>() {
        Ok(amount) if amount > 0 => Ok(amount),
        _ => Err(UiError::BadAmount),
    }
}

/// The demo amount typed: a whole number above zero and at most what the
/// relay's demo network gives (`max`, when its configuration is known).
/// An empty field is an error, not a default.
pub(super) fn demo_amount(text: &str, max: Option<u64>) -> Result<u64, UiError> {
    let amount = parse_amount(text)?;
    match max {
        Some(max) if amount > max => Err(UiError::DemoTooLarge(max)),
        _ => Ok(amount),
    }
}

impl App {
    pub(super) fn deposit(&mut self, ctx: &Context<Self>) -> bool {
        let Some(host) = self.host.clone() else {
            return false;
        };
        self.acted = Some(Place::Deposit);
        let max = host.env.config.borrow().as_ref().map(|c| c.max_demo_amount);
        let amount = match demo_amount(&input(&self.refs.amount), max) {
            Ok(amount) => amount,
            Err(e) => {
                self.fail(e);
                return true;
            }
        };
        self.busy = Some("Asking the relay for demo coins…".into());
        send(ctx, async move {
            Msg::Done(
                host.deposit(amount)
                    .await
                    .map(|_| format!("{} of demo coins arrived.", sats(amount))),
            )
        });
        true
    }

    pub(super) fn new_address(&mut self, ctx: &Context<Self>) -> bool {
        if let Some(host) = self.host.clone() {
            send(ctx, async move { Msg::Address(host.new_address().await) });
        }
        true
    }

    pub(super) fn address_made(&mut self, result: Result<String, UiError>) -> bool {
        match result {
            Ok(address) => self.last_address = Some(address),
            Err(e) => self.fail(e),
        }
        true
    }

    pub(super) fn pick_send_coin(&mut self) -> bool {
        self.send_pick = Id::parse(&input(&self.refs.send_coin)).ok();
        true
    }

    pub(super) fn send_coin(&mut self, ctx: &Context<Self>) -> bool {
        let Some(host) = self.host.clone() else {
            return false;
        };
        self.acted = Some(Place::Send);
        let to = input(&self.refs.address).trim().to_string();
        let coin = match Id::parse(&input(&self.refs.send_coin)) {
            Ok(coin) => coin,
            Err(_) => {
                self.fail(UiError::NoCoinChosen);
                return true;
            }
        };
        self.busy = Some("Sending…".into());
        let address_field = self.refs.address.clone();
        send(ctx, async move {
            let result = host.send(&coin, &to).await;
            if result.is_ok() {
                clear(&address_field);
            }
            Msg::Done(result.map(|_| {
                "The coin is on its way; it leaves the wallet once the relay has the transfer."
                    .to_string()
            }))
        });
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn an_empty_demo_amount_is_an_error_not_a_default() {
        assert_eq!(demo_amount("", Some(100_000)), Err(UiError::BadAmount));
        assert_eq!(demo_amount("  ", None), Err(UiError::BadAmount));
    }

    #[test]
    fn a_demo_amount_over_the_limit_says_the_limit() {
        assert_eq!(
            demo_amount("100 001", Some(100_000)),
            Err(UiError::DemoTooLarge(100_000))
        );
        assert_eq!(demo_amount("100_000", Some(100_000)), Ok(100_000));
        assert_eq!(demo_amount("5000", None), Ok(5000));
        assert!(
            UiError::DemoTooLarge(100_000)
                .to_string()
                .contains("100000")
        );
    }
}
