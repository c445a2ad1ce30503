//! The suite-wide log audit: each test process writes what the service logs (at INFO, as in
//! production) to `$OTP_TEST_LOG_DIR/suite-<pid>.log`, and every secret the tests handled —
//! codes read from messages, tokens, peppers, full destinations — to `secrets-<pid>.txt`.
//! `scripts/scan_logs.py` then fails the suite if any log line holds any of them.
//! Without `OTP_TEST_LOG_DIR` both are off.

use std::fs::File;
use std::io::Write;
use std::sync::{Mutex, OnceLock};

fn dir() -> Option<std::path::PathBuf> {
    std::env::var_os("OTP_TEST_LOG_DIR").map(Into::into)
}

fn open(prefix: &str) -> Option<File> {
    let dir = dir()?;
    std::fs::create_dir_all(&dir).ok()?;
    File::create(dir.join(format!("{prefix}-{}.txt", std::process::id()))).ok()
}

/// Sends this process's logs to its audit file (once; later calls do nothing).
pub fn start() {
    static STARTED: OnceLock<()> = OnceLock::new();
    STARTED.get_or_init(|| {
        let Some(file) = open("suite") else { return };
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::INFO)
            .with_ansi(false)
            .with_writer(Mutex::new(file))
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
    });
}

/// Records `value` as something no log line may contain.
pub fn secret(value: &str) {
    static FILE: OnceLock<Option<Mutex<File>>> = OnceLock::new();
    let file = FILE.get_or_init(|| open("secrets").map(Mutex::new));
    if let Some(file) = file {
        let _ = writeln!(file.lock().unwrap(), "{value}");
    }
}
