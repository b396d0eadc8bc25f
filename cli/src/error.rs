//! Failures as sentences with a documented exit code (README, "CLI").

use std::fmt;
use wallet_core::{Error, ErrorCode};

/// The process exit codes. Stable: scripts depend on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Ok = 0,
    /// Something unexpected (an I/O failure, a bug).
    Failure = 1,
    /// A bad command line or invalid input (coin, address, invite, amount).
    Usage = 2,
    /// Wrong password, or no password could be read.
    Password = 3,
    /// The relay could not be reached (or answered with its own trouble).
    Unreachable = 4,
    /// The relay refused a request.
    Refused = 5,
    /// A check on an incoming coin or a receipt failed.
    Verification = 6,
    /// The swap backed out: every coin went back to its sender.
    BackedOut = 7,
    /// Another lockstep process holds this wallet.
    Busy = 8,
    /// The wallet file: missing, already there, damaged or not writable.
    Storage = 9,
    /// Interrupted (ctrl-c, SIGTERM) before the swap finished.
    Interrupted = 10,
}

impl Exit {
    pub fn code(self) -> u8 {
        self as u8
    }
}

/// A failure the user reads: a sentence, a stable machine code and an exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    pub exit: Exit,
    pub code: &'static str,
    pub message: String,
}

impl CliError {
    pub fn new(exit: Exit, code: &'static str, message: impl Into<String>) -> CliError {
        CliError {
            exit,
            code,
            message: message.into(),
        }
    }
    pub fn usage(message: impl Into<String>) -> CliError {
        CliError::new(Exit::Usage, "usage", message)
    }
    pub fn storage(message: impl Into<String>) -> CliError {
        CliError::new(Exit::Storage, "storage", message)
    }
    pub fn io(what: &str, e: &std::io::Error) -> CliError {
        CliError::new(Exit::Failure, "io", format!("{what}: {e}."))
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The exit code for a wallet-core error.
pub fn exit_for(e: &Error) -> Exit {
    match e {
        Error::WrongPassword | Error::EmptyPassword => Exit::Password,
        Error::Transport(_) => Exit::Unreachable,
        Error::Relay { code, .. } => match code {
            ErrorCode::RateLimited | ErrorCode::Internal | ErrorCode::Unavailable => {
                Exit::Unreachable
            }
            _ => Exit::Refused,
        },
        Error::CorruptWalletFile(_) | Error::CannotSeal(_) | Error::NotEnoughMemory => {
            Exit::Storage
        }
        Error::KeyUpdateInvalid | Error::BadSignature => Exit::Verification,
        _ => Exit::Usage,
    }
}

impl From<Error> for CliError {
    fn from(e: Error) -> CliError {
        let message = match &e {
            // The relay's own sentence says more than the generic one.
            Error::Relay { code, message } if !message.is_empty() => {
                format!("{} (relay: {message})", code.user_message())
            }
            Error::Transport(detail) => format!("{e} ({detail})"),
            _ => e.to_string(),
        };
        CliError {
            exit: exit_for(&e),
            code: e.code(),
            message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wallet_core_errors_map_to_documented_codes() {
        assert_eq!(CliError::from(Error::WrongPassword).exit, Exit::Password);
        assert_eq!(
            CliError::from(Error::Transport("refused".into())).exit,
            Exit::Unreachable
        );
        let refused = Error::Relay {
            code: ErrorCode::BatchCompleted,
            message: "x".into(),
        };
        assert_eq!(CliError::from(refused).exit, Exit::Refused);
        let busy = Error::Relay {
            code: ErrorCode::RateLimited,
            message: String::new(),
        };
        assert_eq!(CliError::from(busy).exit, Exit::Unreachable);
        let bad = CliError::from(Error::InvalidInvite("bad checksum"));
        assert_eq!(bad.exit, Exit::Usage);
        assert_eq!(bad.code, "invalid_invite");
        assert!(bad.message.starts_with("This swap code is not valid"));
    }
}
