//! `lockstep`: a command-line Lockstep wallet on wallet-core's state
//! machines. See README.md, "CLI", and `lockstep --help`.

mod args;
mod commands;
mod error;
mod host;
mod render;
mod store;

use clap::Parser;
use error::{CliError, Exit};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match args::Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                Exit::Usage
            } else {
                Exit::Ok
            };
            let _ = e.print();
            return ExitCode::from(code.code());
        }
    };
    let json = cli.global.json;
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("lockstep: cannot start: {e}");
            return ExitCode::from(Exit::Failure.code());
        }
    };
    let result = runtime.block_on(commands::run(cli));
    match result {
        Ok(exit) => ExitCode::from(exit.code()),
        Err(e) => {
            report(&e, json);
            ExitCode::from(e.exit.code())
        }
    }
}

fn report(e: &CliError, json: bool) {
    if json {
        println!(
            "{}",
            serde_json::json!({"error": {"code": e.code, "message": e.message, "exit": e.exit.code()}})
        );
    }
    eprintln!("lockstep: {}", e.message);
}
