//! Configuration in two stages: raw `Settings` (TOML file, then `STOREFRONT_*` env vars and
//! flags, each overriding the one before), validated into a `Config` with final types and defaults.
//! Nothing outside this file reads the environment.

mod outside;
mod payments;

use payments::PaymentsSettings;
pub use payments::{PaymentsConfig, StripeConfig};

pub use outside::{FeedConfig, MailConfig};

use std::net::{SocketAddr, ToSocketAddrs};
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use serde::Deserialize;

use crate::cart::Rules;
use crate::store::{StoreOptions, WriterOptions};

/// Flags shared by every command that touches a data dir; each also reads `STOREFRONT_*`.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct ConfigArgs {
    /// TOML config file (see `storefront config --example`).
    #[arg(long, env = "STOREFRONT_CONFIG", global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Where the store and search index live [default: ./storefront-data].
    #[arg(long, env = "STOREFRONT_DATA_DIR", global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Log format: human or json [default: human].
    #[arg(long, env = "STOREFRONT_LOG_FORMAT", global = true, value_name = "FORMAT")]
    pub log_format: Option<LogFormat>,
    /// Log filter in tracing's env-filter syntax [default: info].
    #[arg(long, env = "STOREFRONT_LOG", global = true, value_name = "FILTER")]
    pub log: Option<String>,
    /// redb page cache in MiB [default: 64].
    #[arg(long, env = "STOREFRONT_CACHE_MB", global = true, value_name = "MIB")]
    pub cache_mb: Option<u64>,
}

/// Flags of the commands that serve HTTP.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "STOREFRONT_BIND", global = true, value_name = "ADDR")]
    pub bind: Option<String>,
    /// Do not seed an empty data dir with the demo catalog.
    #[arg(long, env = "STOREFRONT_NO_DEMO", global = true)]
    pub no_demo: bool,
    /// HTTP worker threads [default: number of cores].
    #[arg(long, env = "STOREFRONT_WORKERS", global = true, value_name = "N")]
    pub workers: Option<usize>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Human,
    Json,
}

/// The TOML file: every field optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub data_dir: Option<PathBuf>,
    pub bind: Option<String>,
    pub demo: Option<bool>,
    #[serde(default)]
    pub log: LogSettings,
    #[serde(default)]
    pub http: HttpSettings,
    #[serde(default)]
    pub store: StoreSettings,
    #[serde(default)]
    pub shop: ShopSettings,
    #[serde(default)]
    pub checkout: CheckoutSettings,
    pub backup: Option<BackupSettings>,
    #[serde(default)]
    pub limits: LimitsSettings,
    #[serde(default)]
    pub payments: PaymentsSettings,
    pub shipping: Option<Vec<crate::cart::rules::ShippingSettings>>,
    pub tax: Option<Vec<crate::cart::rules::TaxSettings>>,
    pub promo: Option<Vec<crate::cart::rules::PromoSettings>>,
    #[serde(default)]
    pub mail: outside::MailSettings,
    #[serde(default)]
    pub jobs: outside::JobsSettings,
    #[serde(default)]
    pub webhooks: Vec<outside::WebhookSettings>,
    #[serde(default)]
    pub supplier_feeds: Vec<outside::FeedSettings>,
    #[serde(default)]
    pub cache: CacheSettings,
    #[serde(default)]
    pub waiting_room: WaitingRoomSettings,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaitingRoomSettings {
    pub mode: Option<crate::waiting_room::model::Mode>,
    pub scope: Option<crate::waiting_room::model::Scope>,
    pub admit_per_second: Option<u32>,
    pub pass_minutes: Option<u32>,
    pub capacity: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheSettings {
    pub purge_urls: Option<Vec<String>>,
    pub style: Option<crate::purge::Style>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsSettings {
    pub enabled: Option<bool>,
    pub behind_proxy: Option<bool>,
    pub login_per_minute: Option<u32>,
    pub login_burst: Option<u32>,
    pub checkout_per_minute: Option<u32>,
    pub checkout_burst: Option<u32>,
    pub api_per_minute: Option<u32>,
    pub api_burst: Option<u32>,
    pub connections_per_address: Option<usize>,
    pub login_failures_per_account: Option<u32>,
    pub login_lockout_minutes: Option<u64>,
}

/// Whose `X-Forwarded-For` names the client (`limits.behind_proxy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProxyTrust {
    /// `false`: no proxy; every peer is a client.
    Never,
    /// Unset: a peer on loopback is a proxy on the same host (nginx, Caddy, Varnish), so its
    /// header names the client and the per-address connection cap does not apply to it; remote
    /// peers are clients. Right for a direct deployment and a same-host proxy alike.
    Loopback,
    /// `true`: every peer is a proxy (one on another host, a load balancer).
    Any,
}

impl ProxyTrust {
    /// Whether `peer`'s forwarding headers are believed.
    pub fn trusts(self, peer: std::net::IpAddr) -> bool {
        match self {
            ProxyTrust::Never => false,
            ProxyTrust::Loopback => peer.is_loopback(),
            ProxyTrust::Any => true,
        }
    }
}

/// Per-client rate limits.
#[derive(Clone, Debug)]
pub struct LimitsConfig {
    pub enabled: bool,
    /// Whose `X-Forwarded-For` names the client.
    pub behind_proxy: ProxyTrust,
    pub login_per_minute: u32,
    pub login_burst: u32,
    pub checkout_per_minute: u32,
    pub checkout_burst: u32,
    pub api_per_minute: u32,
    pub api_burst: u32,
    /// Most connections one client address may hold open; 0 is no cap. Not applied behind a
    /// proxy, where every client shares the proxy's address.
    pub connections_per_address: usize,
    /// Failed sign-ins one account may take, from any address, before it is locked...
    pub login_failures_per_account: u32,
    /// ...for this long, counted from its first failure (API tokens keep working meanwhile).
    pub login_lockout: Duration,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupSettings {
    pub dir: PathBuf,
    pub every_hours: Option<u64>,
    pub keep: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckoutSettings {
    pub cart_ttl_hours: Option<u64>,
    pub group_commit: Option<bool>,
    pub max_batch: Option<usize>,
    pub queue_bound: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub format: Option<LogFormat>,
    pub filter: Option<String>,
    pub access: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSettings {
    pub workers: Option<usize>,
    pub page_max_age_secs: Option<u64>,
    pub shutdown_timeout_secs: Option<u64>,
    pub request_timeout_secs: Option<u64>,
    pub metrics_token: Option<String>,
    pub secure_cookies: Option<bool>,
    pub keep_alive_secs: Option<u64>,
    pub max_connections: Option<usize>,
    pub page_cache_mb: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreSettings {
    pub cache_mb: Option<u64>,
    pub quick_repair: Option<bool>,
    pub min_free_disk_mb: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShopSettings {
    pub name: Option<String>,
    pub tagline: Option<String>,
    pub low_stock: Option<u64>,
    /// The shop's public address, for links in mail (`https://shop.example.com`).
    pub url: Option<String>,
}

/// Validated configuration.
#[derive(Clone, Debug)]
pub struct Config {
    pub data_dir: PathBuf,
    pub bind: SocketAddr,
    pub demo: bool,
    pub log: LogConfig,
    pub http: HttpConfig,
    pub store: StoreOptions,
    pub shop: ShopConfig,
    pub checkout: CheckoutConfig,
    pub rules: Rules,
    /// Scheduled backups, when configured.
    pub backup: Option<BackupSchedule>,
    pub limits: LimitsConfig,
    pub payments: PaymentsConfig,
    pub mail: outside::MailConfig,
    pub jobs: crate::jobs::RunnerOptions,
    pub webhooks: Vec<crate::webhooks::Endpoint>,
    pub supplier_feeds: Vec<outside::FeedConfig>,
    /// Caches in front to purge, when configured.
    pub cache: Option<crate::purge::CacheConfig>,
    /// The waiting room as configured (the back office's last change, when there is one, wins).
    pub waiting_room: crate::waiting_room::model::Settings,
}

#[derive(Clone, Debug)]
pub struct BackupSchedule {
    pub dir: PathBuf,
    pub every: Duration,
    /// The newest this many backups are kept.
    pub keep: usize,
}

#[derive(Clone, Debug)]
pub struct CheckoutConfig {
    /// Carts untouched this long are deleted.
    pub cart_ttl: Duration,
    pub writer: WriterOptions,
}

#[derive(Clone, Debug)]
pub struct LogConfig {
    pub format: LogFormat,
    pub filter: String,
    /// One line per request (target `storefront::access`), secrets in query strings masked.
    pub access: bool,
}

#[derive(Clone, Debug)]
pub struct HttpConfig {
    pub workers: NonZeroUsize,
    /// How long browsers and shared caches may reuse a catalog page without asking again.
    pub page_max_age: Duration,
    /// Memory for rendered catalog pages kept in the process (`0` turns the cache off).
    pub page_cache_bytes: u64,
    /// How long in-flight requests get to finish at shutdown.
    pub shutdown_timeout: Duration,
    /// The most a request may take to arrive (body included) and be answered; then 408.
    pub request_timeout: Duration,
    /// Lets a remote scraper read `/metrics` with `Authorization: Bearer …`; without it only
    /// loopback clients may.
    pub metrics_token: Option<String>,
    /// The shop is served over HTTPS (by a proxy): cookies get `Secure` (and the session cookie
    /// the `__Host-` prefix).
    pub secure_cookies: bool,
    /// Idle time a kept-alive connection may wait for its next request (`0` turns keep-alive
    /// off). actix does not time out the headers of a second request on a connection; the
    /// connection watchdog (`web::connections`) hangs up on those.
    pub keep_alive: actix_web::http::KeepAlive,
    /// Connections per worker before new ones wait.
    pub max_connections: usize,
}

#[derive(Clone, Debug)]
pub struct ShopConfig {
    pub name: String,
    pub tagline: String,
    /// The back office flags SKUs at or below this many units, unless a SKU has its own threshold.
    pub low_stock: u64,
    /// Links in mail start with this, without a trailing slash; `None`: the address the server
    /// listens on (see `Config::public_url`).
    pub url: Option<String>,
}

pub const DEFAULT_DATA_DIR: &str = "./storefront-data";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

/// A commented sample config, printed by `storefront config --example`.
pub const EXAMPLE: &str = include_str!("../storefront.example.toml");

/// Sections whose settings `STOREFRONT_<SECTION>_<KEY>` overrides, nested ones dotted; the
/// longest that prefixes a variable's name wins.
const ENV_SECTIONS: &[&str] = &[
    "shop",
    "http",
    "store",
    "limits",
    "log",
    "checkout",
    "payments",
    "payments.stripe",
    "backup",
    "mail",
    "jobs",
    "cache",
    "waiting_room",
];

/// Variables that belong to command-line flags (clap reads them), not to the file's sections.
const FLAG_VARIABLES: &[&str] = &[
    "CONFIG",
    "DATA_DIR",
    "BIND",
    "LOG",
    "LOG_FORMAT",
    "CACHE_MB",
    "NO_DEMO",
    "WORKERS",
];

impl Settings {
    pub fn from_file(path: &Path) -> anyhow::Result<Settings> {
        let table = Settings::read_table(path)?;
        Settings::from_table(table).with_context(|| format!("config file {} is not valid", path.display()))
    }

    fn read_table(path: &Path) -> anyhow::Result<toml::Table> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("cannot read config file {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("config file {} is not valid", path.display()))
    }

    fn from_table(table: toml::Table) -> anyhow::Result<Settings> {
        Ok(Settings::deserialize(toml::Value::Table(table))?)
    }

    /// The file named by `--config`/`STOREFRONT_CONFIG`, if any, with `STOREFRONT_<SECTION>_<KEY>`
    /// variables over it (`STOREFRONT_LIMITS_ENABLED=false`), so secrets need not sit in a file.
    pub fn load(args: &ConfigArgs) -> anyhow::Result<Settings> {
        let mut table = match &args.config {
            Some(path) => Settings::read_table(path)?,
            None => toml::Table::new(),
        };
        let overridden = overlay_env(&mut table, std::env::vars());
        Settings::from_table(table).with_context(|| match &args.config {
            Some(path) => format!(
                "config file {} (with {overridden:?} from the environment) is not valid",
                path.display()
            ),
            None => format!("the settings {overridden:?} from the environment are not valid"),
        })
    }
}

/// Sets `key` in the (dotted) `section` of `table`, making the section if need be; false when
/// the file has something other than a table there.
fn insert_at(table: &mut toml::Table, section: &str, key: &str, value: toml::Value) -> bool {
    let (first, rest) = section.split_once('.').map_or((section, None), |(a, b)| (a, Some(b)));
    let entry = table
        .entry(first.to_owned())
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    let toml::Value::Table(inner) = entry else { return false };
    match rest {
        Some(rest) => insert_at(inner, rest, key, value),
        None => {
            inner.insert(key.to_owned(), value);
            true
        }
    }
}

/// Puts each `STOREFRONT_<SECTION>_<KEY>` variable into `table` as `[section] key`, its value
/// read as TOML (`true`, `25`, `["a"]`) or else as a string; returns the dotted keys set.
pub fn overlay_env(table: &mut toml::Table, vars: impl Iterator<Item = (String, String)>) -> Vec<String> {
    let mut set = Vec::new();
    for (name, raw) in vars {
        let Some(rest) = name.strip_prefix("STOREFRONT_") else {
            continue;
        };
        if FLAG_VARIABLES.contains(&rest) {
            continue;
        }
        let lower = rest.to_ascii_lowercase();
        let section = ENV_SECTIONS
            .iter()
            .filter(|s| lower.starts_with(&format!("{}_", s.replace('.', "_"))))
            .max_by_key(|s| s.len());
        let Some(section) = section else { continue };
        let key = &lower[section.len() + 1..];
        let value = toml::from_str::<toml::Table>(&format!("v = {raw}"))
            .ok()
            .and_then(|mut t| t.remove("v"))
            .unwrap_or_else(|| toml::Value::String(raw.clone()));
        if insert_at(table, section, key, value) {
            set.push(format!("{section}.{key}"));
        }
    }
    set
}

impl Config {
    /// Merges file settings with flags and env (which win) and validates the result.
    pub fn from_parts(settings: Settings, args: &ConfigArgs, serve: &ServeArgs) -> anyhow::Result<Config> {
        let bind_text = serve
            .bind
            .clone()
            .or(settings.bind)
            .unwrap_or_else(|| DEFAULT_BIND.to_owned());
        let workers = serve
            .workers
            .or(settings.http.workers)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, NonZeroUsize::get));
        let cache_mb = args.cache_mb.or(settings.store.cache_mb).unwrap_or(64);
        if !(4..=65_536).contains(&cache_mb) {
            bail!("store cache_mb must be between 4 and 65536, got {cache_mb}");
        }
        let checkout = checkout_config(&settings.checkout)?;
        let rules = Rules::from_settings(settings.shipping, settings.tax, settings.promo)?;
        let backup = settings
            .backup
            .map(|b| -> anyhow::Result<BackupSchedule> {
                let hours = b.every_hours.unwrap_or(24);
                let keep = b.keep.unwrap_or(7);
                if !(1..=24 * 365).contains(&hours) || keep == 0 {
                    bail!("backup every_hours must be 1 to 8760 and keep at least 1");
                }
                Ok(BackupSchedule {
                    dir: b.dir,
                    every: Duration::from_secs(hours * 3600),
                    keep,
                })
            })
            .transpose()?;
        let l = &settings.limits;
        let limits = LimitsConfig {
            enabled: l.enabled.unwrap_or(true),
            behind_proxy: match l.behind_proxy {
                None => ProxyTrust::Loopback,
                Some(false) => ProxyTrust::Never,
                Some(true) => ProxyTrust::Any,
            },
            login_per_minute: l.login_per_minute.unwrap_or(10),
            login_burst: l.login_burst.unwrap_or(10),
            checkout_per_minute: l.checkout_per_minute.unwrap_or(120),
            checkout_burst: l.checkout_burst.unwrap_or(20),
            api_per_minute: l.api_per_minute.unwrap_or(3000),
            api_burst: l.api_burst.unwrap_or(300),
            connections_per_address: l.connections_per_address.unwrap_or(128),
            login_failures_per_account: l.login_failures_per_account.unwrap_or(20).max(1),
            login_lockout: Duration::from_secs(l.login_lockout_minutes.unwrap_or(15).clamp(1, 24 * 60) * 60),
        };
        let bind = parse_bind(&bind_text)?;
        let shop_name = settings.shop.name.unwrap_or_else(|| "Redline & Ember".to_owned());
        let mail = outside::mail_config(settings.mail, &shop_name)?;
        let jobs = outside::jobs_config(&settings.jobs)?;
        let webhooks = outside::webhooks_config(settings.webhooks)?;
        let supplier_feeds = outside::feeds_config(settings.supplier_feeds)?;
        let url = settings.shop.url.map(outside::shop_url).transpose()?;
        let payments = payments::payments_config(settings.payments)?;
        let cache = cache_config(settings.cache)?;
        let waiting_room = waiting_room_config(&settings.waiting_room)?;
        Ok(Config {
            cache,
            waiting_room,
            mail,
            jobs,
            webhooks,
            supplier_feeds,
            checkout,
            rules,
            backup,
            limits,
            payments,
            data_dir: args
                .data_dir
                .clone()
                .or(settings.data_dir)
                .unwrap_or_else(|| DEFAULT_DATA_DIR.into()),
            bind,
            demo: !serve.no_demo && settings.demo.unwrap_or(true),
            log: LogConfig {
                format: args.log_format.or(settings.log.format).unwrap_or_default(),
                filter: args
                    .log
                    .clone()
                    .or(settings.log.filter)
                    .unwrap_or_else(|| "info".to_owned()),
                access: settings.log.access.unwrap_or(false),
            },
            http: HttpConfig {
                workers: NonZeroUsize::new(workers).context("workers must be at least 1")?,
                page_max_age: Duration::from_secs(settings.http.page_max_age_secs.unwrap_or(60)),
                page_cache_bytes: settings.http.page_cache_mb.unwrap_or(64).min(64 * 1024) << 20,
                shutdown_timeout: Duration::from_secs(settings.http.shutdown_timeout_secs.unwrap_or(30)),
                request_timeout: Duration::from_secs(settings.http.request_timeout_secs.unwrap_or(15).clamp(1, 3600)),
                metrics_token: settings.http.metrics_token.filter(|t| !t.is_empty()),
                secure_cookies: settings.http.secure_cookies.unwrap_or(false),
                keep_alive: match settings.http.keep_alive_secs.unwrap_or(5) {
                    0 => actix_web::http::KeepAlive::Disabled,
                    secs => actix_web::http::KeepAlive::Timeout(Duration::from_secs(secs.min(300))),
                },
                max_connections: settings.http.max_connections.unwrap_or(5_000).clamp(16, 100_000),
            },
            store: StoreOptions {
                cache_bytes: (cache_mb as usize) << 20,
                quick_repair: settings.store.quick_repair,
                min_free_bytes: settings.store.min_free_disk_mb.unwrap_or(100).saturating_mul(1 << 20),
                faults: None,
            },
            shop: ShopConfig {
                name: shop_name,
                tagline: settings
                    .shop
                    .tagline
                    .unwrap_or_else(|| "Auto parts that fit. Hot sauce that bites.".to_owned()),
                low_stock: settings.shop.low_stock.unwrap_or(crate::inventory::DEFAULT_LOW_STOCK),
                url,
            },
        })
    }

    /// Reads the file named in `args` and merges.
    pub fn load(args: &ConfigArgs, serve: &ServeArgs) -> anyhow::Result<Config> {
        Config::from_parts(Settings::load(args)?, args, serve)
    }

    /// A config for tests: the given data dir, a free port on loopback, no demo catalog, 2 workers.
    pub fn for_tests(data_dir: &Path) -> Config {
        let serve = ServeArgs {
            bind: Some("127.0.0.1:0".into()),
            no_demo: true,
            workers: Some(2),
        };
        let args = ConfigArgs {
            data_dir: Some(data_dir.to_owned()),
            ..ConfigArgs::default()
        };
        let mut config = Config::from_parts(Settings::default(), &args, &serve).expect("the test config is valid");
        // Tests that exercise the limits turn them back on with low values.
        config.limits.enabled = false;
        // Tests pay with the test cards; those about a real shop turn them off.
        config.payments.test_cards = Some(true);
        config
    }
}

fn waiting_room_config(s: &WaitingRoomSettings) -> anyhow::Result<crate::waiting_room::model::Settings> {
    let d = crate::waiting_room::model::Settings::default();
    let settings = crate::waiting_room::model::Settings {
        mode: s.mode.unwrap_or(d.mode),
        scope: s.scope.unwrap_or(d.scope),
        admit_per_second: s.admit_per_second.unwrap_or(d.admit_per_second),
        pass_minutes: s.pass_minutes.unwrap_or(d.pass_minutes),
        capacity: s.capacity.unwrap_or(d.capacity),
    };
    settings.check().map_err(|e| anyhow::anyhow!("[waiting_room] {e}"))?;
    Ok(settings)
}

fn cache_config(s: CacheSettings) -> anyhow::Result<Option<crate::purge::CacheConfig>> {
    let urls: Vec<String> = s
        .purge_urls
        .unwrap_or_default()
        .into_iter()
        .filter(|u| !u.trim().is_empty())
        .collect();
    for url in &urls {
        if !url.starts_with("http://") && !url.starts_with("https://") {
            anyhow::bail!("[cache] purge_urls: {url:?} is not an http(s) URL");
        }
    }
    Ok((!urls.is_empty()).then(|| crate::purge::CacheConfig {
        purge_urls: urls,
        style: s.style.unwrap_or(crate::purge::Style::Xkey),
    }))
}

fn checkout_config(s: &CheckoutSettings) -> anyhow::Result<CheckoutConfig> {
    let hours = s.cart_ttl_hours.unwrap_or(72);
    if !(1..=24 * 365).contains(&hours) {
        bail!("checkout cart_ttl_hours must be between 1 and 8760, got {hours}");
    }
    let defaults = WriterOptions::default();
    let max_batch = if s.group_commit.unwrap_or(true) {
        s.max_batch.unwrap_or(defaults.max_batch)
    } else {
        1
    };
    let queue_bound = s.queue_bound.unwrap_or(defaults.queue_bound);
    if !(1..=65_536).contains(&max_batch) || !(1..=1_000_000).contains(&queue_bound) {
        bail!("checkout max_batch must be 1 to 65536 and queue_bound 1 to 1000000");
    }
    Ok(CheckoutConfig {
        cart_ttl: Duration::from_secs(hours * 3600),
        writer: WriterOptions { queue_bound, max_batch },
    })
}

impl Config {
    /// `127.0.0.1:8080` with the port actually bound (which differs when 0 was asked for).
    pub fn bind_display(&self, port: u16) -> String {
        std::net::SocketAddr::new(self.bind.ip(), port).to_string()
    }

    /// The shop's address for links in mail: `shop.url`, else where it listens.
    pub fn public_url(&self, port: u16) -> String {
        self.shop.url.clone().unwrap_or_else(|| {
            let ip = if self.bind.ip().is_unspecified() {
                "127.0.0.1".parse().expect("an address")
            } else {
                self.bind.ip()
            };
            format!("http://{}", std::net::SocketAddr::new(ip, port))
        })
    }
}

pub fn parse_bind(text: &str) -> anyhow::Result<SocketAddr> {
    text.to_socket_addrs()
        .with_context(|| format!("bind address {text:?} is not HOST:PORT"))?
        .next()
        .with_context(|| format!("bind address {text:?} resolves to nothing"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_config_parses_and_validates() {
        let settings: Settings = toml::from_str(EXAMPLE).expect("example parses");
        let config = Config::from_parts(settings, &ConfigArgs::default(), &ServeArgs::default()).unwrap();
        assert_eq!(config.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(
            config.rules,
            crate::cart::Rules::default(),
            "the example spells out the default rules"
        );
        assert_eq!(config.checkout.writer.max_batch, 512);
    }

    #[test]
    fn flags_override_the_file_and_defaults_fill_the_rest() {
        let settings: Settings = toml::from_str("bind = \"0.0.0.0:9000\"\ndata_dir = \"/srv/shop\"\n").unwrap();
        let serve = ServeArgs {
            bind: Some("127.0.0.1:7000".into()),
            ..ServeArgs::default()
        };
        let config = Config::from_parts(settings, &ConfigArgs::default(), &serve).unwrap();
        assert_eq!(config.bind.port(), 7000);
        assert_eq!(config.data_dir, PathBuf::from("/srv/shop"));
        assert!(config.demo);
        assert_eq!(config.http.page_max_age, Duration::from_secs(60));
    }

    #[test]
    fn typos_in_the_file_are_reported() {
        assert!(toml::from_str::<Settings>("bnid = \"x\"").is_err());
        assert!(
            Config::from_parts(
                Settings::default(),
                &ConfigArgs {
                    cache_mb: Some(1),
                    ..Default::default()
                },
                &ServeArgs::default()
            )
            .is_err()
        );
    }
}
