//! Every failure the page can show, as a sentence a person can act on.
//!
//! wallet-core's errors already carry sentences (`Error`'s `Display`,
//! `ErrorCode::user_message`); this module adds the page's own failures
//! (storage, the browser) and makes sure nothing else reaches the screen.

use wallet_core::{Error, ErrorCode};

/// A failure of the page itself, not of the protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UiError {
    /// A wallet-core error (its `Display` is the sentence).
    Core(Error),
    /// IndexedDB cannot be opened at all (private window, disabled storage).
    StorageUnavailable,
    /// A read or write failed (quota, the database was deleted, …).
    StorageFailed,
    /// The browser's storage is full.
    StorageFull,
    /// Another tab drives this wallet.
    HeldElsewhere,
    /// A wallet of that name exists already.
    NameTaken,
    /// The name field is empty.
    NameMissing,
    /// The two password fields differ.
    PasswordsDiffer,
    /// A confirmation word of the new phrase was wrong.
    WordMismatch(usize),
    /// A file could not be read or is not a Lockstep backup.
    BadBackup,
    /// A number field is not a whole number in range.
    BadAmount,
    /// More demo coins than the relay's demo network gives at once.
    DemoTooLarge(u64),
    /// No coin was chosen.
    NoCoinChosen,
    /// Join pressed with no invite read (or the text edited since).
    InviteNotRead,
    /// The browser refused something (clipboard, download).
    Browser(&'static str),
    /// An imported backup's coins could not be checked with the relay (its
    /// sentence): nothing was imported.
    ResyncFailed(String),
}

impl From<Error> for UiError {
    fn from(e: Error) -> Self {
        UiError::Core(e)
    }
}

impl std::fmt::Display for UiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UiError::Core(e) => write!(f, "{e}"),
            UiError::StorageUnavailable => f.write_str(
                "This browser does not let the page store data (private windows and some privacy settings block it). The wallet needs storage to keep your coins safe: open it in a normal window.",
            ),
            UiError::StorageFailed => f.write_str(
                "The wallet could not be saved in this browser's storage. Nothing was sent; check that the browser has space and try again.",
            ),
            UiError::StorageFull => f.write_str(
                "This browser's storage for the page is full. Free some space (or export a backup) and try again.",
            ),
            UiError::HeldElsewhere => f.write_str(
                "This wallet is open in another tab or window. Only one may drive it at a time: close the other one, or take over here.",
            ),
            UiError::NameTaken => {
                f.write_str("A wallet with that name exists already in this browser. Choose another name.")
            }
            UiError::NameMissing => f.write_str("Give the wallet a name."),
            UiError::PasswordsDiffer => f.write_str("The two passwords differ. Type the same password twice."),
            UiError::WordMismatch(n) => write!(
                f,
                "Word {n} does not match the recovery phrase. Check what you wrote down."
            ),
            UiError::BadBackup => f.write_str(
                "This file is not a Lockstep wallet backup, or it is damaged.",
            ),
            UiError::BadAmount => f.write_str("Enter an amount as a whole number of satoshis, above zero."),
            UiError::DemoTooLarge(max) => write!(
                f,
                "The demo network gives at most {max} sat at a time. Enter a smaller amount."
            ),
            UiError::NoCoinChosen => f.write_str("Choose at least one coin."),
            UiError::InviteNotRead => f.write_str("Read the invite first: press Read invite and check its terms before joining."),
            UiError::Browser(what) => write!(f, "The browser refused to {what}."),
            UiError::ResyncFailed(why) => write!(
                f,
                "The backup's coins could not be checked with the relay, so nothing was imported: {why}"
            ),
        }
    }
}

/// The sentence shown for a relay error code.
pub fn code_sentence(code: ErrorCode) -> &'static str {
    code.user_message()
}

/// A sentence for any wallet-core error.
pub fn sentence(e: &Error) -> String {
    e.to_string()
}

/// Whether a text looks like something that must never be shown to a user:
/// JSON, a Rust debug dump or an empty string.
pub fn looks_raw(text: &str) -> bool {
    let t = text.trim();
    t.is_empty()
        || t.starts_with('{')
        || t.starts_with('[')
        || t.contains("Error {")
        || t.contains("code:")
        || t.contains("\"error\"")
        || t.contains("JsValue(")
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn is_sentence(s: &str) -> bool {
        let first = s.chars().next().unwrap_or(' ');
        !looks_raw(s) && first.is_uppercase() && s.trim_end().ends_with('.') && s.len() > 15
    }

    #[test]
    fn every_relay_code_has_a_sentence() {
        for code in ErrorCode::ALL {
            let s = code_sentence(code);
            assert!(is_sentence(s), "{code}: {s:?}");
            // The relay's raw message never leaks through Display.
            let e = Error::Relay {
                code,
                message: "{\"raw\": \"internal detail\"}".into(),
            };
            assert_eq!(sentence(&e), s);
        }
    }

    #[test]
    fn page_errors_are_sentences() {
        let all = [
            UiError::StorageUnavailable,
            UiError::StorageFailed,
            UiError::StorageFull,
            UiError::HeldElsewhere,
            UiError::NameTaken,
            UiError::NameMissing,
            UiError::PasswordsDiffer,
            UiError::WordMismatch(3),
            UiError::BadBackup,
            UiError::BadAmount,
            UiError::DemoTooLarge(100_000),
            UiError::NoCoinChosen,
            UiError::Browser("copy to the clipboard"),
            UiError::ResyncFailed(Error::Transport("x".into()).to_string()),
            UiError::Core(Error::WrongPassword),
            UiError::Core(Error::Transport("fetch failed: TypeError".into())),
            UiError::Core(Error::MnemonicChecksum),
        ];
        for e in all {
            assert!(is_sentence(&e.to_string()), "{e:?}: {e}");
        }
        // Transport details stay out of the sentence.
        let t = UiError::Core(Error::Transport("TypeError: Failed to fetch".into())).to_string();
        assert!(!t.contains("TypeError"), "{t}");
    }

    #[test]
    fn raw_text_is_recognised() {
        assert!(looks_raw("{\"error\":{\"code\":\"bad_request\"}}"));
        assert!(looks_raw("Relay { code: BadRequest, message: \"x\" }"));
        assert!(!looks_raw("Wrong password. Try again."));
    }
}
