//! Creating a wallet: a new phrase (shown, then confirmed), a phrase
//! restored, or a backup file imported. Each ends in `create_wallet`, which
//! seals the phrase, stores the wallet and opens it.

use super::{App, Msg, Screen, Unlocked, input};
use crate::browser::{self, BrowserEntropy};
use crate::errors::UiError;
use crate::secrets;
use crate::store::{Store, WalletMeta};
use wallet_core::entropy::Entropy;
use wallet_core::keys::{Mnemonic, WalletKeys};
use wallet_core::vault::KdfParams;
use wallet_core::wallet::Wallet;
use wallet_core::wallet::password::check_new_password;
use wallet_core::wallet::resync;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// What the page says while an imported backup's coins are checked.
const CHECKING: &str = "Checking your coins with the relay…";

impl App {
    pub(super) fn create_submit(&mut self) -> bool {
        let Some((name, password)) = self.name_and_password() else {
            return true;
        };
        let phrase = Mnemonic::from_entropy(BrowserEntropy.bytes());
        self.error = None;
        self.screen = Screen::ShowPhrase {
            name,
            password,
            phrase,
        };
        true
    }

    pub(super) fn phrase_written(&mut self) -> bool {
        if let Screen::ShowPhrase {
            name,
            password,
            phrase,
        } = self.screen.clone()
        {
            self.screen = Screen::ConfirmPhrase {
                name,
                password,
                phrase,
                positions: secrets::confirm_positions(&mut BrowserEntropy),
            };
        }
        true
    }

    pub(super) fn confirm_submit(&mut self, ctx: &Context<Self>) -> bool {
        let Screen::ConfirmPhrase {
            name,
            password,
            phrase,
            positions,
        } = self.screen.clone()
        else {
            return false;
        };
        let typed: Vec<String> = self.refs.words.iter().map(input).collect();
        if let Err(e) = secrets::check_words(&phrase, &positions, &typed) {
            self.fail(e);
            return true;
        }
        self.create_from_phrase(ctx, name, password, phrase, false);
        true
    }

    pub(super) fn restore_submit(&mut self, ctx: &Context<Self>) -> bool {
        let Some((name, password)) = self.name_and_password() else {
            return true;
        };
        let phrase = match Mnemonic::parse(&input(&self.refs.phrase)) {
            Ok(phrase) => phrase,
            Err(e) => {
                self.fail(e.into());
                return true;
            }
        };
        self.create_from_phrase(ctx, name, password, phrase, true);
        true
    }

    /// The name and password typed in the create or restore form, checked:
    /// `None` once the problem is shown.
    fn name_and_password(&mut self) -> Option<(String, String)> {
        let name = input(&self.refs.name).trim().to_string();
        let (password, again) = (input(&self.refs.password), input(&self.refs.password2));
        if let Err(e) = self.check_new(&name, &password, &again) {
            self.fail(e);
            return None;
        }
        Some((name, password))
    }

    /// Seals a new or restored phrase into a new, empty wallet and opens it;
    /// `find_coins` then asks the relay which coins the phrase owns.
    fn create_from_phrase(
        &mut self,
        ctx: &Context<Self>,
        name: String,
        password: String,
        phrase: Mnemonic,
        find_coins: bool,
    ) {
        let store = self.store();
        // Unnamed: `create_wallet` names it.
        let wallet = Wallet::new("", self.network());
        self.run_blocking(
            ctx,
            "Encrypting the wallet with your password…",
            create_wallet(store, name, password, phrase, wallet, find_coins),
        );
    }

    pub(super) fn import_submit(&mut self, ctx: &Context<Self>) -> bool {
        let file = self.refs.file.cast::<HtmlInputElement>();
        let password = input(&self.refs.password);
        let name = input(&self.refs.name).trim().to_string();
        let store = self.store();
        let env = self.env.clone();
        let link = ctx.link().clone();
        self.run_blocking(ctx, "Opening the backup…", async move {
            let Some(file) = file else {
                return Msg::Done(Err(UiError::BadBackup));
            };
            let Some(text) = browser::read_file(&file).await else {
                return Msg::Done(Err(UiError::BadBackup));
            };
            let opened = secrets::parse_backup(&text)
                .and_then(|backup| secrets::open_backup(&backup, &password));
            match opened {
                Ok(mut opened) => {
                    if !name.is_empty() {
                        opened.name = name;
                    }
                    opened.wallet.name = opened.name.clone();
                    // The backup may be older than its coins: ask the relay
                    // about each before the wallet shows them, and store
                    // nothing if it cannot be asked.
                    link.send_message(Msg::Busy(Some(CHECKING.into())));
                    let keys = WalletKeys::from_mnemonic(&opened.phrase);
                    let progress = |checked: usize, of: usize| {
                        link.send_message(Msg::Busy(Some(format!(
                            "{CHECKING} ({checked} of {of})"
                        ))))
                    };
                    match resync::resync(&env.relay, &opened.wallet, &keys, progress).await {
                        Ok(gone) => {
                            let now = env.now();
                            for (id, reason) in gone {
                                opened.wallet.mark_gone(&id, reason, now);
                            }
                        }
                        Err(e) => return Msg::Done(Err(UiError::ResyncFailed(e.to_string()))),
                    }
                    create_wallet(
                        store,
                        opened.name,
                        password,
                        opened.phrase,
                        opened.wallet,
                        false,
                    )
                    .await
                }
                Err(e) => Msg::Done(Err(e)),
            }
        });
        true
    }

    fn check_new(&self, name: &str, password: &str, again: &str) -> Result<(), UiError> {
        if name.is_empty() {
            return Err(UiError::NameMissing);
        }
        if self.wallets.iter().any(|wallet| wallet.name == name) {
            return Err(UiError::NameTaken);
        }
        check_new_password(password)?;
        if password != again {
            return Err(UiError::PasswordsDiffer);
        }
        Ok(())
    }
}

/// Seals the phrase, stores the new wallet, and opens it.
async fn create_wallet(
    store: Option<Store>,
    name: String,
    password: String,
    phrase: Mnemonic,
    mut wallet: Wallet,
    find_coins: bool,
) -> Msg {
    let Some(store) = store else {
        return Msg::Done(Err(UiError::StorageUnavailable));
    };
    wallet.name = name.clone();
    let sealed =
        match secrets::seal_phrase(&phrase, &password, KdfParams::DEFAULT, &mut BrowserEntropy) {
            Ok(sealed) => sealed,
            Err(e) => return Msg::Done(Err(e)),
        };
    let meta = WalletMeta {
        name,
        created_ms: browser::now_ms(),
        manual_confirm: false,
        notify: false,
        swap: None,
    };
    if let Err(e) = store.create(&meta, &sealed, &wallet).await {
        return Msg::Done(Err(e));
    }
    Msg::Unlocked(Box::new(Unlocked {
        meta,
        keys: WalletKeys::from_mnemonic(&phrase),
        phrase,
        find_coins,
    }))
}
