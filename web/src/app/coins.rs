//! The coins, receive and send tabs: demo deposits, receiving addresses,
//! sending a coin.

use super::{App, Msg, clear, input, send};
use crate::errors::UiError;
use crate::view::sats;
use wallet_core::Id;
use yew::prelude::*;

/// The demo deposit when its field is left empty (shown as the
/// placeholder: a `value=` would be reset on every re-render, since Yew
/// treats it as controlled, and wipe what the user typed).
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

impl App {
    pub(super) fn deposit(&mut self, ctx: &Context<Self>) -> bool {
        let Some(host) = self.host.clone() else {
            return false;
        };
        let text = input(&self.refs.amount);
        let amount = match text.trim() {
            "" => Ok(DEMO_DEFAULT),
            typed => parse_amount(typed),
        };
        let amount = match amount {
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
