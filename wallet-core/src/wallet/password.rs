//! The rule for a new password (a wallet's or a backup file's) and the
//! strength hint shown while it is typed. One place, so every form and
//! every host applies the same rule. Small on purpose: length, character
//! classes and a short list of passwords everyone tries first (no large
//! dictionary in the web wallet's bundle).

use crate::error::Error;

/// The fewest characters a new password may have.
pub const MIN_PASSWORD_LEN: usize = 10;

/// Passwords (and stems) that are guessed first, whatever their length.
/// Compared in lower case, with digits and symbols at the ends removed.
const COMMON: &[&str] = &[
    "password",
    "passw0rd",
    "123456789",
    "1234567890",
    "qwertyuiop",
    "qwerty",
    "letmein",
    "iloveyou",
    "welcome",
    "admin",
    "abc123",
    "monkey",
    "dragon",
    "football",
    "baseball",
    "sunshine",
    "princess",
    "trustno1",
    "starwars",
    "superman",
    "lockstep",
    "bitcoin",
    "satoshi",
    "wallet",
    "secret",
    "changeme",
    "azerty",
    "asdfghjkl",
    "zxcvbnm",
    "11111111",
];

/// Checks a new password against the rule: not empty, at least
/// [`MIN_PASSWORD_LEN`] characters (counted as characters, not bytes).
pub fn check_new_password(password: &str) -> Result<(), Error> {
    if password.is_empty() {
        return Err(Error::EmptyPassword);
    }
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(Error::PasswordTooShort {
            min: MIN_PASSWORD_LEN,
        });
    }
    Ok(())
}

/// How hard a password looks to guess.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Strength {
    /// Empty, under the minimum, or one of the first guesses.
    TooWeak,
    Weak,
    Fair,
    Strong,
}

impl Strength {
    /// A stable word for the page (`data-strength`, the CSS class).
    pub fn as_str(self) -> &'static str {
        match self {
            Strength::TooWeak => "too-weak",
            Strength::Weak => "weak",
            Strength::Fair => "fair",
            Strength::Strong => "strong",
        }
    }
}

/// Whether `password` is a common password, or one with digits and symbols
/// added at the ends ("Password123!").
fn is_common(password: &str) -> bool {
    // ASCII case folding is enough: every listed password is ASCII. (The
    // Unicode tables behind `to_lowercase` and `is_alphabetic` would cost
    // the web wallet about 10 KB.)
    let lower = password.to_ascii_lowercase();
    let stem = lower.trim_matches(|c: char| !c.is_ascii_alphabetic());
    COMMON
        .iter()
        .any(|c| lower == *c || (!stem.is_empty() && stem == *c))
}

/// The strength of `password`: the length beyond the minimum and the
/// kinds of characters used (lower, upper, digits, others) each add to it;
/// a repeated character or a common password caps it.
pub fn strength(password: &str) -> Strength {
    let len = password.chars().count();
    if check_new_password(password).is_err() || is_common(password) {
        return Strength::TooWeak;
    }
    // The classes by ASCII: a letter outside ASCII counts with the symbols,
    // which it is as far as a guesser's alphabet goes.
    let classes = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ]
    .iter()
    .filter(|x| **x)
    .count();
    if few_distinct(password) {
        return Strength::Weak;
    }
    let score = classes + (len - MIN_PASSWORD_LEN) / 6;
    match score {
        0..=1 => Strength::Weak,
        2..=3 => Strength::Fair,
        _ => Strength::Strong,
    }
}

/// Whether `password` uses three different characters or fewer (one pass,
/// stops at the fourth).
fn few_distinct(password: &str) -> bool {
    let mut seen: Vec<char> = Vec::with_capacity(4);
    for c in password.chars() {
        if !seen.contains(&c) {
            seen.push(c);
            if seen.len() > 3 {
                return false;
            }
        }
    }
    true
}

/// The hint shown under a new-password field while it is typed.
pub fn strength_hint(password: &str) -> String {
    let len = password.chars().count();
    if len < MIN_PASSWORD_LEN {
        return format!("Too short: {len} of at least {MIN_PASSWORD_LEN} characters.");
    }
    if is_common(password) {
        return "Too easy to guess: this is one of the passwords tried first.".to_string();
    }
    match strength(password) {
        Strength::TooWeak | Strength::Weak => {
            "Weak: make it longer, or mix upper and lower case, digits and symbols.".to_string()
        }
        Strength::Fair => "Fair: a few more words or characters make it strong.".to_string(),
        Strength::Strong => "Strong.".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_new_password_needs_the_minimum_length() {
        assert_eq!(check_new_password(""), Err(Error::EmptyPassword));
        assert_eq!(
            check_new_password("123456789"),
            Err(Error::PasswordTooShort { min: 10 })
        );
        // Characters, not bytes: nine accented letters are still too short.
        assert!(check_new_password("ééééééééé").is_err());
        assert_eq!(check_new_password("1234567890"), Ok(()));
        assert_eq!(check_new_password("correct horse battery"), Ok(()));
        let e = Error::PasswordTooShort { min: 10 };
        assert_eq!(e.code(), "password_too_short");
        assert!(e.to_string().contains("10 characters"), "{e}");
    }

    #[test]
    fn strength_grows_with_length_and_kinds_of_characters() {
        assert_eq!(strength(""), Strength::TooWeak);
        assert_eq!(strength("short"), Strength::TooWeak);
        assert_eq!(strength("abcdefghij"), Strength::Weak);
        assert_eq!(strength("abcdefghiJ1"), Strength::Fair);
        assert_eq!(strength("correct horse battery"), Strength::Fair);
        assert_eq!(strength("Correct horse battery 42"), Strength::Strong);
        assert_eq!(strength("aaaaaaaaaaaaaaaaaaaaaaaa"), Strength::Weak);
        assert!(strength("Tr0ub4dor&3xyz") > strength("troubadorxyz"));
        // Three different characters, however long, are weak; a fourth
        // lifts it.
        assert_eq!(strength("abcabcabcabcabcabcabcabc"), Strength::Weak);
        assert!(strength("abcdabcdabcdabcdabcdABCD1!") > Strength::Weak);
        // A letter outside ASCII counts as a symbol.
        assert_eq!(
            strength("correct horse ünicode"),
            strength("correct horse !nicode")
        );
        // A common password in any ASCII case, with digits and symbols at
        // its ends, is still too weak.
        assert_eq!(strength("PassWord123456!"), Strength::TooWeak);
    }

    #[test]
    fn common_passwords_are_too_weak_whatever_their_length() {
        assert_eq!(strength("1234567890"), Strength::TooWeak);
        assert_eq!(strength("Password123!"), Strength::TooWeak);
        assert_eq!(strength("QWERTYUIOP"), Strength::TooWeak);
        assert!(strength_hint("password1234").starts_with("Too easy to guess"));
    }

    #[test]
    fn the_hint_says_what_to_do() {
        assert_eq!(
            strength_hint("abc"),
            "Too short: 3 of at least 10 characters."
        );
        assert!(strength_hint("abcdefghij").starts_with("Weak"));
        assert_eq!(strength_hint("Correct horse battery 42"), "Strong.");
    }
}
