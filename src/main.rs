use std::process::ExitCode;

use clap::Parser;
use storefront::cli::{self, Cli};

// Import and serving allocate many small strings from several threads; glibc's arenas contend.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    match cli::run(Cli::parse()) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("storefront: {err:#}");
            ExitCode::FAILURE
        }
    }
}
