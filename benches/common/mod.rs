//! What the benches that drive the release binary share: a generated catalog imported into a
//! data dir, and a server started on it.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_storefront");

/// `storefront gen --products N --seed 7` imported into `dir/data`; returns (data dir, catalog).
pub fn generated_store(dir: &Path, products: u64) -> (PathBuf, PathBuf) {
    let (data, catalog) = (dir.join("data"), dir.join("catalog.jsonl"));
    let run = |args: &[&str]| {
        let status = Command::new(BIN)
            .args(args)
            .env("STOREFRONT_LOG", "warn")
            .status()
            .unwrap();
        assert!(status.success(), "{args:?}");
    };
    let count = products.to_string();
    run(&[
        "gen",
        "--products",
        &count,
        "--seed",
        "7",
        "-o",
        catalog.to_str().unwrap(),
    ]);
    run(&[
        "--data-dir",
        data.to_str().unwrap(),
        "import",
        catalog.to_str().unwrap(),
    ]);
    (data, catalog)
}

/// `storefront serve` (2 workers) with `config` on `data`, on a free port; (process, address).
pub fn serve(config: &Path, data: &Path) -> (Child, String) {
    let mut child = Command::new(BIN)
        .args([
            "--config",
            config.to_str().unwrap(),
            "--data-dir",
            data.to_str().unwrap(),
        ])
        .args(["serve", "--no-demo", "--bind", "127.0.0.1:0", "--workers", "2"])
        .env("STOREFRONT_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    // Keep reading, so the server never writes into a closed pipe.
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    let addr = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .to_owned();
    (child, addr)
}
