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
    let t: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '_')
        .collect();
    match t.parse::<u64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(UiError::BadAmount),
    }
}

impl App {
    pub(super) fn deposit(&mut self, ctx: &Context<Self>) -> bool {
        let Some(h) = self.host.clone() else {
            return false;
        };
        let text = input(&self.refs.amount);
        let amount = match text.trim() {
            "" => Ok(DEMO_DEFAULT),
            t => parse_amount(t),
        };
        let amount = match amount {
            Ok(a) => a,
            Err(e) => {
                self.fail(e);
                return true;
            }
        };
        self.busy = Some("Asking the relay for demo coins…".into());
        send(ctx, async move {
            Msg::Done(
                h.deposit(amount)
                    .await
                    .map(|_| format!("{} of demo coins arrived.", sats(amount))),
            )
        });
        true
    }

    pub(super) fn new_address(&mut self, ctx: &Context<Self>) -> bool {
        if let Some(h) = self.host.clone() {
            send(ctx, async move { Msg::Address(h.new_address().await) });
        }
        true
    }

    pub(super) fn address_made(&mut self, r: Result<String, UiError>) -> bool {
        match r {
            Ok(a) => self.last_address = Some(a),
            Err(e) => self.fail(e),
        }
        true
    }

    pub(super) fn send_coin(&mut self, ctx: &Context<Self>) -> bool {
        let Some(h) = self.host.clone() else {
            return false;
        };
        let to = input(&self.refs.address).trim().to_string();
        let coin = match Id::parse(&input(&self.refs.send_coin)) {
            Ok(c) => c,
            Err(_) => {
                self.fail(UiError::NoCoinChosen);
                return true;
            }
        };
        self.busy = Some("Sending…".into());
        let addr_ref = self.refs.address.clone();
        send(ctx, async move {
            let r = h.send(&coin, &to).await;
            if r.is_ok() {
                clear(&addr_ref);
            }
            Msg::Done(r.map(|_| {
                "The coin is on its way; it leaves the wallet once the relay has the transfer."
                    .to_string()
            }))
        });
        true
    }
}
