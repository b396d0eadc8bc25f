//! Errors as data: one enum for wallet-core's boundary, one for the wire.
//!
//! [`Error`] is what wallet-core's functions return; every variant has a
//! stable [`Error::code`] and a sentence a user can act on (`Display`).
//! [`ErrorCode`] is the protocol's error code set (§8), shared by the relay
//! (which maps its failures onto it) and every client (which explains it).

use serde::{Deserialize, Serialize};
use std::fmt;

/// A wallet-core failure. Bad input never panics; it lands here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    InvalidHex(&'static str),
    InvalidLength {
        expected: usize,
        found: usize,
    },
    InvalidPoint,
    InvalidScalar,
    InvalidXOnlyKey,
    InvalidSignatureEncoding,
    InvalidUuid,
    InvalidJson(String),
    UnknownMnemonicWord {
        position: usize,
        word: String,
    },
    MnemonicWordCount(usize),
    MnemonicChecksum,
    AddressChecksum,
    AddressFormat(&'static str),
    WrongNetwork {
        expected: String,
        found: String,
    },
    DecryptionFailed,
    UnsupportedMessageVersion(u64),
    WrongPassword,
    CorruptWalletFile(&'static str),
    EmptyDescriptor,
    DuplicateCoin(String),
    DescriptorTooLarge {
        max: usize,
        found: usize,
    },
    InvalidInvite(&'static str),
    InvalidAmount(&'static str),
    KeyUpdateInvalid,
    BadSignature,
    Relay {
        code: ErrorCode,
        message: String,
    },
    Transport(String),
    UnknownCoin(String),
    UnknownRecord(String),
    PhaseConflict(&'static str),
    EmptyPassword,
    CannotSeal(&'static str),
    NotEnoughMemory,
    InvalidSwap(&'static str),
    OwnInvite,
    /// A new password shorter than the rule's minimum.
    PasswordTooShort {
        min: usize,
    },
}

impl Error {
    /// A stable, machine-readable code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidHex(_) => "invalid_hex",
            Error::InvalidLength { .. } => "invalid_length",
            Error::InvalidPoint => "invalid_point",
            Error::InvalidScalar => "invalid_scalar",
            Error::InvalidXOnlyKey => "invalid_xonly_key",
            Error::InvalidSignatureEncoding => "invalid_signature_encoding",
            Error::InvalidUuid => "invalid_uuid",
            Error::InvalidJson(_) => "invalid_json",
            Error::UnknownMnemonicWord { .. } => "unknown_mnemonic_word",
            Error::MnemonicWordCount(_) => "mnemonic_word_count",
            Error::MnemonicChecksum => "mnemonic_checksum",
            Error::AddressChecksum => "address_checksum",
            Error::AddressFormat(_) => "address_format",
            Error::WrongNetwork { .. } => "wrong_network",
            Error::DecryptionFailed => "decryption_failed",
            Error::UnsupportedMessageVersion(_) => "unsupported_message_version",
            Error::WrongPassword => "wrong_password",
            Error::CorruptWalletFile(_) => "corrupt_wallet_file",
            Error::EmptyDescriptor => "empty_descriptor",
            Error::DuplicateCoin(_) => "duplicate_coin",
            Error::DescriptorTooLarge { .. } => "descriptor_too_large",
            Error::InvalidInvite(_) => "invalid_invite",
            Error::InvalidAmount(_) => "invalid_amount",
            Error::KeyUpdateInvalid => "key_update_invalid",
            Error::BadSignature => "bad_signature",
            Error::Relay { code, .. } => code.as_str(),
            Error::Transport(_) => "relay_unreachable",
            Error::UnknownCoin(_) => "unknown_coin",
            Error::UnknownRecord(_) => "unknown_record",
            Error::PhaseConflict(_) => "phase_conflict",
            Error::EmptyPassword => "empty_password",
            Error::CannotSeal(_) => "cannot_seal",
            Error::NotEnoughMemory => "not_enough_memory",
            Error::InvalidSwap(_) => "invalid_swap",
            Error::OwnInvite => "own_invite",
            Error::PasswordTooShort { .. } => "password_too_short",
        }
    }

    /// Whether the wire protocol would call this a malformed request (400).
    pub fn is_bad_request(&self) -> bool {
        !matches!(
            self,
            Error::Relay { .. }
                | Error::Transport(_)
                | Error::KeyUpdateInvalid
                | Error::BadSignature
        )
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidHex(why) => write!(f, "Invalid hex text: {why}."),
            Error::InvalidLength { expected, found } => {
                write!(
                    f,
                    "Wrong length: expected {expected} characters, found {found}."
                )
            }
            Error::InvalidPoint => write!(
                f,
                "Not a valid compressed public key (33 bytes, prefix 02 or 03, on secp256k1)."
            ),
            Error::InvalidScalar => write!(f, "Not a valid scalar (must be between 1 and n-1)."),
            Error::InvalidXOnlyKey => write!(
                f,
                "Not a valid x-only public key (32 bytes, a point on secp256k1)."
            ),
            Error::InvalidSignatureEncoding => {
                write!(f, "Not a valid BIP340 signature encoding (64 bytes).")
            }
            Error::InvalidUuid => write!(f, "Not a canonical lowercase hyphenated UUID."),
            Error::InvalidJson(why) => write!(f, "Malformed JSON: {why}"),
            Error::UnknownMnemonicWord { position, word } => write!(
                f,
                "Word {position} (\"{word}\") is not in the BIP39 English word list: check its spelling."
            ),
            Error::MnemonicWordCount(n) => {
                write!(f, "A recovery phrase has 12 words; this one has {n}.")
            }
            Error::MnemonicChecksum => write!(
                f,
                "The words are valid but the phrase's checksum does not match: a word is wrong or out of order."
            ),
            Error::AddressChecksum => {
                write!(
                    f,
                    "The address checksum does not match: it was mistyped or cut short."
                )
            }
            Error::AddressFormat(why) => write!(f, "Not a Lockstep address: {why}."),
            Error::WrongNetwork { expected, found } => write!(
                f,
                "This address is for the {found} network, but this wallet uses {expected}."
            ),
            Error::DecryptionFailed => write!(
                f,
                "The transfer message could not be decrypted with this wallet's key; it was not meant for this address or was altered."
            ),
            Error::UnsupportedMessageVersion(v) => {
                write!(
                    f,
                    "The transfer message has version {v}; only version 1 is supported."
                )
            }
            Error::WrongPassword => write!(f, "Wrong password. Try again."),
            Error::CorruptWalletFile(why) => {
                write!(
                    f,
                    "The wallet data is damaged or not a Lockstep wallet ({why})."
                )
            }
            Error::EmptyDescriptor => write!(f, "A batch needs at least one transfer."),
            Error::DuplicateCoin(id) => write!(f, "Coin {id} appears twice in the batch."),
            Error::DescriptorTooLarge { max, found } => {
                write!(
                    f,
                    "A batch holds at most {max} transfers; this one has {found}."
                )
            }
            Error::InvalidInvite(why) => write!(f, "This swap code is not valid: {why}."),
            Error::InvalidAmount(why) => write!(f, "Invalid amount: {why}."),
            Error::KeyUpdateInvalid => write!(
                f,
                "The key update does not reproduce the coin's public key."
            ),
            Error::BadSignature => write!(f, "A signature does not verify."),
            Error::Relay { code, .. } => write!(f, "{}", code.user_message()),
            Error::Transport(_) => write!(
                f,
                "The relay cannot be reached. Check your connection; the wallet retries by itself."
            ),
            Error::UnknownCoin(id) => write!(f, "This wallet holds no coin {id}."),
            Error::UnknownRecord(id) => {
                write!(f, "There is no transfer or swap {id} in this wallet.")
            }
            Error::PhaseConflict(why) => write!(f, "Not possible now: {why}."),
            Error::EmptyPassword => write!(
                f,
                "Choose a password: the wallet is encrypted with it on this device and cannot be opened without it."
            ),
            Error::CannotSeal(why) => write!(f, "The wallet could not be encrypted: {why}."),
            Error::NotEnoughMemory => write!(
                f,
                "This device ran out of memory while deriving the wallet key. Close other tabs or apps and try again."
            ),
            Error::InvalidSwap(why) => write!(f, "This swap cannot be set up: {why}."),
            Error::OwnInvite => write!(
                f,
                "This is your own invite: send it to the other person, who joins it; then paste their answer under your invite."
            ),
            Error::PasswordTooShort { min } => write!(
                f,
                "Choose a longer password: at least {min} characters (a few words are easy to remember)."
            ),
        }
    }
}

impl std::error::Error for Error {}

/// The protocol's error codes (§8). The relay answers with exactly these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadRequest,
    BadSignature,
    StaleRequest,
    NotFound,
    ReplayedRequest,
    BatchLocked,
    BatchCompleted,
    BatchExpired,
    BatchAborted,
    DescriptorMismatch,
    NotInDescriptor,
    AmountMismatch,
    CoinLocked,
    NoPendingTransfer,
    NoMessage,
    KeyUpdateInvalid,
    Withdrawn,
    PayloadTooLarge,
    RateLimited,
    /// Not a §8 code: the relay's own failure (storage), never the input's.
    Internal,
    /// Not a §8 code: the relay is overloaded or out of time; retry.
    Unavailable,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 21] = [
        ErrorCode::BadRequest,
        ErrorCode::BadSignature,
        ErrorCode::StaleRequest,
        ErrorCode::NotFound,
        ErrorCode::ReplayedRequest,
        ErrorCode::BatchLocked,
        ErrorCode::BatchCompleted,
        ErrorCode::BatchExpired,
        ErrorCode::BatchAborted,
        ErrorCode::DescriptorMismatch,
        ErrorCode::NotInDescriptor,
        ErrorCode::AmountMismatch,
        ErrorCode::CoinLocked,
        ErrorCode::NoPendingTransfer,
        ErrorCode::NoMessage,
        ErrorCode::KeyUpdateInvalid,
        ErrorCode::Withdrawn,
        ErrorCode::PayloadTooLarge,
        ErrorCode::RateLimited,
        ErrorCode::Internal,
        ErrorCode::Unavailable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::BadSignature => "bad_signature",
            ErrorCode::StaleRequest => "stale_request",
            ErrorCode::NotFound => "not_found",
            ErrorCode::ReplayedRequest => "replayed_request",
            ErrorCode::BatchLocked => "batch_locked",
            ErrorCode::BatchCompleted => "batch_completed",
            ErrorCode::BatchExpired => "batch_expired",
            ErrorCode::BatchAborted => "batch_aborted",
            ErrorCode::DescriptorMismatch => "descriptor_mismatch",
            ErrorCode::NotInDescriptor => "not_in_descriptor",
            ErrorCode::AmountMismatch => "amount_mismatch",
            ErrorCode::CoinLocked => "coin_locked",
            ErrorCode::NoPendingTransfer => "no_pending_transfer",
            ErrorCode::NoMessage => "no_message",
            ErrorCode::KeyUpdateInvalid => "key_update_invalid",
            ErrorCode::Withdrawn => "withdrawn",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Internal => "internal",
            ErrorCode::Unavailable => "unavailable",
        }
    }

    pub fn from_str_code(code: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.into_iter().find(|c| c.as_str() == code)
    }

    /// The HTTP status the relay answers with (§8).
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::BadRequest => 400,
            ErrorCode::BadSignature | ErrorCode::StaleRequest => 401,
            ErrorCode::NotFound => 404,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::RateLimited => 429,
            ErrorCode::Internal => 500,
            ErrorCode::Unavailable => 503,
            _ => 409,
        }
    }

    /// A sentence for the wallet's user: what happened and what to do.
    pub fn user_message(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => {
                "The relay rejected a malformed request. Update the wallet; if it persists, report it."
            }
            ErrorCode::BadSignature => {
                "The relay did not accept this wallet's signature for that coin. The coin may belong to another key now."
            }
            ErrorCode::StaleRequest => {
                "The request was too old when it reached the relay. Check that your device's clock is roughly right; the wallet retries."
            }
            ErrorCode::NotFound => {
                "The relay does not know that coin or swap. Check the code you pasted."
            }
            ErrorCode::ReplayedRequest => {
                "That exact request was already used once; the wallet signs a fresh one and retries."
            }
            ErrorCode::BatchLocked => {
                "This coin is locked in a swap that is still running. Wait for it to finish or abort it."
            }
            ErrorCode::BatchCompleted => {
                "This swap has already completed; its coins have moved to their new owners."
            }
            ErrorCode::BatchExpired => {
                "This swap passed its deadline without completing. Your coins come back to you automatically."
            }
            ErrorCode::BatchAborted => {
                "This swap was aborted. Your coins come back to you automatically."
            }
            ErrorCode::DescriptorMismatch => {
                "The other side's swap terms differ from yours. Do not continue; create a new invite."
            }
            ErrorCode::NotInDescriptor => {
                "This coin or recipient is not part of the agreed swap terms."
            }
            ErrorCode::AmountMismatch => "The coin's amount differs from the agreed swap terms.",
            ErrorCode::CoinLocked => {
                "The swap has not completed yet; the coin can be received once every party has unlocked."
            }
            ErrorCode::NoPendingTransfer => {
                "There is no transfer waiting for this wallet on that coin."
            }
            ErrorCode::NoMessage => {
                "The sender has not uploaded the transfer message yet. The wallet keeps waiting."
            }
            ErrorCode::KeyUpdateInvalid => {
                "The relay could not complete the key update with the data sent. Nothing changed; the transfer can be retried."
            }
            ErrorCode::Withdrawn => "This coin has been withdrawn and can no longer move.",
            ErrorCode::PayloadTooLarge => "The request is too large for the relay.",
            ErrorCode::RateLimited => {
                "The relay is asking this wallet to slow down; it retries shortly."
            }
            ErrorCode::Internal => {
                "The relay had a problem of its own. Nothing changed; the wallet retries."
            }
            ErrorCode::Unavailable => "The relay is busy right now; the wallet retries shortly.",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
