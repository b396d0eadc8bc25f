//! The wallet's secret (its recovery phrase) at rest, and backup files.
//!
//! The phrase is sealed with the password (wallet-core's vault: Argon2id +
//! ChaCha20-Poly1305) and stored apart from the wallet state. A backup file
//! seals phrase, state and settings together under the password, so the
//! file on its own reveals nothing.

use crate::errors::UiError;
use wallet_core::backup::{BackupFile, BackupPlain};
use wallet_core::entropy::Entropy;
use wallet_core::keys::Mnemonic;
use wallet_core::vault::{KdfParams, Vault};
use wallet_core::wallet::Wallet;

/// Seals a phrase under `password` with fresh salt and nonce.
pub fn seal_phrase(
    phrase: &Mnemonic,
    password: &str,
    params: KdfParams,
    rng: &mut impl Entropy,
) -> Result<String, UiError> {
    let v = Vault::seal(
        phrase.phrase().as_bytes(),
        password,
        params,
        rng.bytes(),
        rng.bytes(),
    )?;
    Ok(v.to_text())
}

/// Opens a sealed phrase; a wrong password is `WrongPassword`.
pub fn open_phrase(vault_text: &str, password: &str) -> Result<Mnemonic, UiError> {
    let v = Vault::from_text(vault_text)?;
    let bytes = v.open(password)?;
    let text = String::from_utf8(bytes)
        .map_err(|_| wallet_core::Error::CorruptWalletFile("the phrase is not text"))?;
    Ok(Mnemonic::parse(&text)?)
}

/// What a backup holds once opened.
#[derive(Debug, Clone)]
pub struct Restored {
    pub name: String,
    pub phrase: Mnemonic,
    pub wallet: Wallet,
    pub manual_confirm: bool,
}

/// A backup file's text for this wallet, sealed under `password`.
pub fn export_backup(
    phrase: &Mnemonic,
    wallet: &Wallet,
    manual_confirm: bool,
    password: &str,
    params: KdfParams,
    rng: &mut impl Entropy,
) -> Result<String, UiError> {
    let plain = BackupPlain {
        phrase: phrase.phrase(),
        wallet: wallet.clone(),
        manual_confirm,
    };
    let text = serde_json::to_vec(&plain).map_err(|_| UiError::StorageFailed)?;
    let vault = Vault::seal(&text, password, params, rng.bytes(), rng.bytes())?;
    let file = BackupFile::new(&wallet.name, vault);
    serde_json::to_string_pretty(&file).map_err(|_| UiError::StorageFailed)
}

/// Reads a backup file's envelope (no password needed).
pub fn parse_backup(text: &str) -> Result<BackupFile, UiError> {
    let f: BackupFile = serde_json::from_slice(text.as_bytes()).map_err(|_| UiError::BadBackup)?;
    if !f.is_supported() {
        return Err(UiError::BadBackup);
    }
    Ok(f)
}

/// Opens a backup file with its password.
pub fn open_backup(file: &BackupFile, password: &str) -> Result<Restored, UiError> {
    let bytes = file.vault.open(password)?;
    let plain: BackupPlain = serde_json::from_slice(&bytes).map_err(|_| UiError::BadBackup)?;
    Ok(Restored {
        name: file.name.clone(),
        phrase: Mnemonic::parse(&plain.phrase)?,
        wallet: plain.wallet,
        manual_confirm: plain.manual_confirm,
    })
}

/// Three distinct word positions (1-based, sorted) to ask back.
pub fn confirm_positions(rng: &mut impl Entropy) -> [usize; 3] {
    let mut picked: Vec<usize> = Vec::new();
    while picked.len() < 3 {
        let p = 1 + (rng.bytes::<1>()[0] as usize % 12);
        if !picked.contains(&p) {
            picked.push(p);
        }
    }
    wallet_core::util::sort_small(&mut picked);
    [picked[0], picked[1], picked[2]]
}

/// Checks the words typed for `positions` against the phrase.
pub fn check_words(
    phrase: &Mnemonic,
    positions: &[usize],
    typed: &[String],
) -> Result<(), UiError> {
    let words = phrase.words();
    for (p, t) in positions.iter().zip(typed) {
        if words.get(p - 1).copied() != Some(t.trim().to_ascii_lowercase().as_str()) {
            return Err(UiError::WordMismatch(*p));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use wallet_core::address::Network;
    use wallet_core::entropy::SeededEntropy;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const CHEAP: KdfParams = KdfParams {
        m_cost: 64,
        t_cost: 1,
        p_cost: 1,
    };

    #[test]
    fn phrase_round_trip_and_wrong_password() {
        let mut rng = SeededEntropy::new(1);
        let m = Mnemonic::from_entropy(rng.bytes());
        let sealed = seal_phrase(&m, "pw", CHEAP, &mut rng).unwrap();
        assert!(!sealed.contains(m.words()[0]));
        assert_eq!(open_phrase(&sealed, "pw").unwrap(), m);
        assert_eq!(
            open_phrase(&sealed, "nope").unwrap_err(),
            UiError::Core(wallet_core::Error::WrongPassword)
        );
        assert!(matches!(
            seal_phrase(&m, "", CHEAP, &mut rng),
            Err(UiError::Core(wallet_core::Error::EmptyPassword))
        ));
    }

    #[test]
    fn backup_round_trip() {
        let mut rng = SeededEntropy::new(2);
        let m = Mnemonic::from_entropy(rng.bytes());
        let w = Wallet::new("alice", Network::Demo);
        let text = export_backup(&m, &w, true, "secret", CHEAP, &mut rng).unwrap();
        assert!(!text.contains(m.words()[1]), "the phrase is encrypted");
        let f = parse_backup(&text).unwrap();
        assert_eq!(f.name, "alice");
        let r = open_backup(&f, "secret").unwrap();
        assert_eq!(r.phrase, m);
        assert_eq!(r.wallet, w);
        assert!(r.manual_confirm);
        assert!(open_backup(&f, "wrong").is_err());
        assert_eq!(parse_backup("{}").unwrap_err(), UiError::BadBackup);
        assert_eq!(parse_backup("not json").unwrap_err(), UiError::BadBackup);
    }

    #[test]
    fn confirmation_words() {
        let mut rng = SeededEntropy::new(3);
        for _ in 0..20 {
            let p = confirm_positions(&mut rng);
            assert!(p[0] < p[1] && p[1] < p[2] && p[0] >= 1 && p[2] <= 12);
        }
        let m = Mnemonic::from_entropy([0x7f; 16]);
        // legal winner thank year wave sausage worth useful legal winner thank yellow
        let ok = ["winner".to_string(), " Sausage ".into(), "yellow".into()];
        assert!(check_words(&m, &[2, 6, 12], &ok).is_ok());
        let bad = ["winner".to_string(), "sausage".into(), "legal".into()];
        assert_eq!(
            check_words(&m, &[2, 6, 12], &bad),
            Err(UiError::WordMismatch(12))
        );
    }
}
