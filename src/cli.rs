//! The command line: clap definitions and one short function per subcommand.

use std::fs::File;
use std::io::{BufReader, BufWriter, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use crate::app::Application;
use crate::catalog::import::Format;
use crate::catalog::ops::{self as catalog, ImportReport};
use crate::catalog::{export, generator};
use crate::config::{Config, ConfigArgs, ServeArgs};
use crate::store::Store;
use crate::telemetry;

/// `println!` for the command's answers (see `say`).
macro_rules! say {
    ($($arg:tt)*) => { say(format_args!($($arg)*)) };
}

/// Prints a line of the command's answer. A reader that has gone away (`storefront verify |
/// head -1`) is not a failure: the command carries on and ends with its own status, where
/// `println!` would panic.
fn say(line: std::fmt::Arguments<'_>) {
    if let Err(e) = writeln!(std::io::stdout().lock(), "{line}")
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        let _ = writeln!(std::io::stderr(), "storefront: could not write to standard output: {e}");
    }
}

/// One binary, a whole online store.
#[derive(Parser, Debug)]
#[command(name = "storefront", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub serve: ServeArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the store (the default command).
    Serve,
    /// A throwaway store: a temporary data dir, the demo catalog (or generated products), a free port.
    Demo {
        /// Generate this many products instead of loading the demo catalog.
        #[arg(long)]
        products: Option<u64>,
        /// Seed for generated products.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Upsert a catalog from JSON Lines (.jsonl) or CSV (.csv); `-` reads JSON Lines from stdin.
    Import {
        file: PathBuf,
        /// Override the format guessed from the file name.
        #[arg(long, value_enum)]
        format: Option<FormatArg>,
    },
    /// Write the whole catalog with stock as JSON Lines (the import format).
    Export {
        /// Write here instead of stdout.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Rebuild the search index from the store (offline; `serve` also rebuilds a stale index).
    Reindex,
    /// Write a consistent copy of the store into directory DEST, while the server runs (it is
    /// asked over its control socket) or offline.
    Backup { dest: PathBuf },
    /// Restore a backup directory (or store file) into an empty data dir.
    Restore { src: PathBuf },
    /// Merchant API tokens.
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Check a stopped data dir: page checksums, every SKU's ledger against its stock, orders,
    /// and the search index against the store. Exit status 0 only when all is well.
    Verify,
    /// Generate a deterministic synthetic catalog in the import format.
    Gen {
        #[arg(long)]
        products: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Write here instead of stdout.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Rehearse a spike: virtual shoppers browse, search, fill carts and check out with the test
    /// card against a copy of the store (an online backup served on a private port, never the
    /// live shop) or a URL; writes a report (HTML and JSON) with throughput, latency per step,
    /// what saturated first and an oversell check.
    Rehearse {
        /// Rehearse against this running store instead of a copy of the data dir (it takes real
        /// orders: a staging copy, never the live shop).
        #[arg(long, value_name = "URL")]
        url: Option<String>,
        /// spike, flash-sale, or a TOML file with `name`, `flash_sale` and `[steps]` weights.
        #[arg(long, default_value = "spike")]
        profile: String,
        /// How long: 60s, 2m.
        #[arg(long, default_value = "60s")]
        duration: String,
        /// Shoppers at once, each going on until the end.
        #[arg(long, default_value_t = 64, conflicts_with = "rate")]
        users: usize,
        /// Shoppers arriving per second instead, each for a few steps.
        #[arg(long)]
        rate: Option<f64>,
        /// Write report.html and report.json here.
        #[arg(long, value_name = "DIR")]
        report: Option<PathBuf>,
        /// A merchant token (catalog scope) for the flash sale when rehearsing against --url.
        #[arg(long, env = "STOREFRONT_REHEARSE_TOKEN", hide_env_values = true)]
        token: Option<String>,
    },
    /// Ask a running store whether it is ready (`GET /readyz`): exit status 0 when it answers
    /// 200. For container health checks, where no curl is at hand.
    Health {
        /// The store's address [default: http://{bind}].
        #[arg(long, value_name = "URL")]
        url: Option<String>,
    },
    /// Show configuration.
    Config {
        /// Print a commented sample config file.
        #[arg(long)]
        example: bool,
    },
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum FormatArg {
    Jsonl,
    Csv,
}

/// Exit status when an import kept the good lines but rejected others.
pub const EXIT_REJECTED: u8 = 2;

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    // The store holds password hashes and customers' addresses: whatever this process creates
    // (data dir, store, index, photos, backups, the control socket) is for its own user alone.
    #[cfg(unix)]
    // SAFETY: umask(2) only sets the process's file-creation mask; it cannot fail.
    unsafe {
        libc::umask(0o077);
    }
    let command = cli.command.unwrap_or(Command::Serve);
    let config = Config::load(&cli.config, &cli.serve)?;
    telemetry::init(&config.log);
    match command {
        Command::Serve => serve(config),
        Command::Demo { products, seed } => demo(
            config,
            products,
            seed,
            cli.serve.bind.as_deref().unwrap_or("127.0.0.1:0"),
        ),
        Command::Import { file, format } => import(&config, &file, format),
        Command::Export { output } => export_catalog(&config, output.as_deref()),
        Command::Reindex => reindex(&config),
        Command::Backup { dest } => backup(&config, &dest),
        Command::Restore { src } => restore(&config, &src),
        Command::Verify => verify(&config),
        Command::Token { action } => token(&config, action),
        Command::Gen { products, seed, output } => generate(products, seed, output.as_deref()),
        Command::Config { example } => show_config(&config, example),
        Command::Health { url } => health(&config, url),
        Command::Rehearse {
            url,
            profile,
            duration,
            users,
            rate,
            report,
            token,
        } => {
            let toml = std::path::Path::new(&profile)
                .is_file()
                .then(|| std::fs::read_to_string(&profile))
                .transpose()?;
            let opts = crate::rehearse::Options {
                url,
                data_dir: config.data_dir.clone(),
                store: config.store.clone(),
                profile: crate::rehearse::model::Profile::parse(&profile, toml.as_deref())
                    .map_err(|e| anyhow::anyhow!(e))?,
                duration: crate::rehearse::parse_duration(&duration).map_err(|e| anyhow::anyhow!(e))?,
                users,
                rate,
                token,
            };
            rehearse(opts, report.as_deref())
        }
    }
}

fn rehearse(opts: crate::rehearse::Options, dir: Option<&Path>) -> anyhow::Result<ExitCode> {
    let report = block_on(crate::rehearse::rehearse(opts, |line| eprintln!("{line}")))?;
    say!(
        "{:.0} requests/s, {:.1} orders/s, {} failed answers, stock {}",
        report.requests_per_second,
        report.orders_per_second,
        report.failed,
        if report.oversold { "DOES NOT ADD UP" } else { "adds up" }
    );
    for (step, f) in &report.steps {
        say!(
            "  {:<15} {:>7} requests  p50 {:>7.1}  p95 {:>7.1}  p99 {:>7.1} ms",
            step.as_str(),
            f.requests,
            f.p50_ms,
            f.p95_ms,
            f.p99_ms
        );
    }
    for f in &report.findings {
        say!(
            "* {}
  {}",
            f.what,
            f.advice
        );
    }
    if let Some(dir) = dir {
        crate::rehearse::write_report(&report, dir)?;
        say!("report: {}", dir.join("report.html").display());
    }
    Ok(if report.failed > 0 || report.oversold {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn health(config: &Config, url: Option<String>) -> anyhow::Result<ExitCode> {
    let base = url.unwrap_or_else(|| format!("http://{}", config.bind));
    let url = format!("{}/readyz", base.trim_end_matches('/'));
    block_on(async move {
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(5))
            .build()?;
        match client.get(&url).send().await {
            Ok(res) if res.status().is_success() => {
                say!("ready: {url}");
                Ok(ExitCode::SUCCESS)
            }
            Ok(res) => {
                let status = res.status();
                let body = res.text().await.unwrap_or_default();
                say!("not ready ({status}): {}", body.trim());
                Ok(ExitCode::FAILURE)
            }
            Err(e) => {
                say!("no answer from {url}: {e}");
                Ok(ExitCode::FAILURE)
            }
        }
    })
}

#[derive(clap::Subcommand, Debug)]
pub enum TokenAction {
    /// Create a token and print it alone on stdout (it is stored hashed and shown only now).
    Create {
        /// Comma-separated: catalog, orders, stock, admin.
        #[arg(long)]
        scope: String,
        #[arg(long, default_value = "created with storefront token create")]
        label: String,
    },
}

/// Runs `future` on a fresh multi-threaded runtime, which is shut down before returning.
fn block_on<T>(future: impl std::future::Future<Output = anyhow::Result<T>>) -> anyhow::Result<T> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let result = runtime.block_on(future);
    drop(runtime);
    result
}

fn serve(config: Config) -> anyhow::Result<ExitCode> {
    block_on(async {
        let data_dir = config.data_dir.clone();
        let app = Application::build(config).await?;
        let stop = crate::app::shutdown_signal();
        say!(
            "storefront serving http://{} (data dir {})",
            app.state().config.bind_display(app.port()),
            data_dir.display()
        );
        print_first_start(&app);
        app.run_until(stop).await?;
        Ok(ExitCode::SUCCESS)
    })
}

fn demo(mut config: Config, products: Option<u64>, seed: u64, bind: &str) -> anyhow::Result<ExitCode> {
    let dir = tempfile::Builder::new()
        .prefix("storefront-demo-")
        .tempdir()
        .context("cannot create a temporary data dir")?;
    config.data_dir = dir.path().to_owned();
    config.bind = crate::config::parse_bind(bind)?;
    config.demo = products.is_none();
    config.payments.test_cards.get_or_insert(true);
    if let Some(n) = products {
        let store = Store::open(&config.data_dir, &config.store)?;
        let report = import_generated(&store, n, seed)?;
        say!("generated {} products (seed {seed})", report.accepted());
    }
    block_on(async {
        let app = Application::build(config).await?;
        let stop = crate::app::shutdown_signal();
        say!("demo store at http://{}", app.state().config.bind_display(app.port()));
        let _ = writeln!(
            std::io::stdout(),
            "data dir {} is deleted when you stop the demo (Ctrl-C)",
            dir.path().display()
        );
        print_first_start(&app);
        app.run_until(stop).await
    })?;
    drop(dir);
    Ok(ExitCode::SUCCESS)
}

/// The file the first start's credentials are saved in, for a server whose output goes to a log
/// (the journal, a file) rather than a person.
pub const FIRST_START_FILE: &str = "first-start.txt";

/// The credentials made at first start, shown this once (only hashes are stored). To a terminal
/// they are printed; otherwise they go to a file only this user can read, and the output names
/// the file, so no log keeps a password or a token.
fn print_first_start(app: &Application) {
    use std::io::IsTerminal;
    let Some(first) = app.first_start() else { return };
    let url = format!("http://{}", app.state().config.bind_display(app.port()));
    let lines = format!(
        "back office: {url}/admin  login: {}  one-time password: {}\nadmin API token (shown once): {}\n",
        first.username, first.password, first.token
    );
    if std::io::stdout().is_terminal() {
        say!("{}", lines.trim_end());
        return;
    }
    let path = app.state().config.data_dir.join(FIRST_START_FILE);
    match std::fs::write(&path, &lines) {
        Ok(()) => say!(
            "back office: {url}/admin  login: {}; its one-time password and an admin API token are in {} (readable only by this user; delete it after signing in)",
            first.username,
            path.display()
        ),
        Err(e) => {
            tracing::error!(error = %e, path = %path.display(), "cannot save the first start's credentials; printing them instead");
            say!("{}", lines.trim_end());
        }
    }
}

/// Streams `gen` output through a pipe into the importer, so no catalog is held in memory.
fn import_generated(store: &Store, products: u64, seed: u64) -> anyhow::Result<ImportReport> {
    let (reader, mut writer) = std::io::pipe()?;
    let producer = std::thread::spawn(move || generator::generate(products, seed, &mut BufWriter::new(&mut writer)));
    let bar = progress_bar(products, "generating");
    let report = catalog::import(store, BufReader::new(reader), Format::JsonLines, "gen", &mut |r| {
        bar.set_position(r.accepted() + r.rejected.len() as u64)
    })?;
    bar.finish_and_clear();
    producer
        .join()
        .map_err(|_| anyhow::anyhow!("the generator panicked"))??;
    Ok(report)
}

fn import(config: &Config, file: &Path, format: Option<FormatArg>) -> anyhow::Result<ExitCode> {
    let format = match format {
        Some(FormatArg::Csv) => Format::Csv,
        Some(FormatArg::Jsonl) => Format::JsonLines,
        None => Format::from_path(file),
    };
    let store = Store::open(&config.data_dir, &config.store)?;
    let started = Instant::now();
    let (source, size): (Box<dyn Read + Send>, Option<u64>) = if file == Path::new("-") {
        (Box::new(std::io::stdin()), None)
    } else {
        let f = File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
        let size = f.metadata().ok().map(|m| m.len());
        (Box::new(f), size)
    };
    let counter = CountingReader::new(source);
    let read = counter.count.clone();
    let bar = progress_bar(size.unwrap_or(0), "importing");
    bar.set_style(byte_style());
    let report = catalog::import(
        &store,
        BufReader::with_capacity(1 << 20, counter),
        format,
        "import",
        &mut |_| bar.set_position(read.load(std::sync::atomic::Ordering::Relaxed)),
    )?;
    bar.finish_and_clear();
    print_report(&report, started.elapsed().as_secs_f64());
    Ok(if report.rejected.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_REJECTED)
    })
}

fn print_report(report: &ImportReport, secs: f64) {
    let rate = report.accepted() as f64 / secs.max(1e-9);
    say!(
        "imported {} products ({} created, {} updated, {} unchanged) in {secs:.2} s ({rate:.0}/s); {} rejected",
        report.accepted(),
        report.created,
        report.updated,
        report.unchanged,
        report.rejected.len()
    );
    let stderr = std::io::stderr();
    let mut err = stderr.lock();
    for rejected in &report.rejected {
        let _ = writeln!(err, "line {}: {}", rejected.line, rejected.message);
    }
}

fn reindex(config: &Config) -> anyhow::Result<ExitCode> {
    let store = Store::open(&config.data_dir, &config.store)?;
    let started = Instant::now();
    let total = store.read()?.product_count()?;
    let bar = progress_bar(total, "indexing");
    let index = crate::search::SearchIndex::open_without_rebuild(&config.data_dir)?;
    let count = index.rebuild(&store, &mut |n| bar.set_position(n))?;
    bar.finish_and_clear();
    say!("indexed {count} products in {:.2} s", started.elapsed().as_secs_f64());
    Ok(ExitCode::SUCCESS)
}

fn backup(config: &Config, dest: &Path) -> anyhow::Result<ExitCode> {
    use crate::maintenance::backup::{Made, backup_file};
    let (how, r) = match crate::maintenance::backup::backup(&config.data_dir, &config.store, dest)? {
        Made::ByServer(r) => ("by the running server", r),
        Made::Offline(r) => ("offline", r),
    };
    say!(
        "backed up {} products and {} orders ({} bytes) to {} {how} in {} ms",
        r.products,
        r.orders,
        r.bytes,
        backup_file(dest).display(),
        r.millis
    );
    Ok(ExitCode::SUCCESS)
}

fn restore(config: &Config, src: &Path) -> anyhow::Result<ExitCode> {
    let (products, orders) = crate::maintenance::backup::restore(src, &config.data_dir, &config.store)?;
    say!(
        "restored {products} products and {orders} orders into {}; the search index is rebuilt at the next start",
        config.data_dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn token(config: &Config, action: TokenAction) -> anyhow::Result<ExitCode> {
    let TokenAction::Create { scope, label } = action;
    let scopes = crate::staff::Scopes::parse(&scope).map_err(|e| anyhow::anyhow!(e))?;
    let token = crate::maintenance::backup::create_token(&config.data_dir, &config.store, scopes, &label)?;
    say!("{token}");
    Ok(ExitCode::SUCCESS)
}

fn verify(config: &Config) -> anyhow::Result<ExitCode> {
    let verdict = crate::maintenance::verify::verify(&config.data_dir, &config.store)?;
    for fact in &verdict.facts {
        say!("ok: {fact}");
    }
    for problem in &verdict.problems {
        say!("PROBLEM: {problem}");
    }
    if verdict.ok() {
        say!("verdict: {} is sound", config.data_dir.display());
        Ok(ExitCode::SUCCESS)
    } else {
        say!("verdict: {} problem(s) found", verdict.problems.len());
        Ok(ExitCode::from(1))
    }
}

fn export_catalog(config: &Config, output: Option<&Path>) -> anyhow::Result<ExitCode> {
    let store = Store::open(&config.data_dir, &config.store)?;
    let mut out: Box<dyn Write> = match output {
        Some(path) => Box::new(File::create(path).with_context(|| format!("cannot create {}", path.display()))?),
        None => Box::new(std::io::stdout().lock()),
    };
    let count = export::export(&store, &mut BufWriter::with_capacity(1 << 20, &mut out))?;
    if output.is_some() {
        say!("exported {count} products");
    }
    Ok(ExitCode::SUCCESS)
}

fn generate(products: u64, seed: u64, output: Option<&Path>) -> anyhow::Result<ExitCode> {
    let mut out: Box<dyn Write> = match output {
        Some(path) => Box::new(File::create(path).with_context(|| format!("cannot create {}", path.display()))?),
        None => Box::new(std::io::stdout().lock()),
    };
    match generator::generate(products, seed, &mut BufWriter::with_capacity(1 << 20, &mut out)) {
        Ok(_) => Ok(ExitCode::SUCCESS),
        // A closed pipe (`storefront gen | head`) is a normal way to stop.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(e) => Err(e.into()),
    }
}

fn show_config(config: &Config, example: bool) -> anyhow::Result<ExitCode> {
    if example {
        say!("{}", crate::config::EXAMPLE.trim_end_matches('\n'));
    } else {
        say!("{config:#?}");
    }
    Ok(ExitCode::SUCCESS)
}

fn progress_bar(len: u64, message: &'static str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len).with_message(message);
    bar.set_style(
        ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len} ({per_sec}, {eta} left)")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar
}

fn byte_style() -> ProgressStyle {
    ProgressStyle::with_template("{msg:>10} [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

/// Counts bytes read so the progress bar can follow a file import.
struct CountingReader<R> {
    inner: R,
    count: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl<R> CountingReader<R> {
    fn new(inner: R) -> Self {
        CountingReader {
            inner,
            count: Default::default(),
        }
    }
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}
