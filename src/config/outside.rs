//! Settings for what the store talks to: the mail server, the job workers, webhook receivers
//! and supplier feeds.

use std::time::Duration;

use anyhow::{Context, bail};
use serde::Deserialize;

use crate::jobs::{Backoff, RunnerOptions};
use crate::webhooks::Endpoint;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    pub smtp_url: Option<String>,
    pub from: Option<String>,
    pub merchant_to: Option<String>,
}

/// Where mail goes; without `smtp_url`, to the outbox the back office shows.
#[derive(Clone, Debug, Default)]
pub struct MailConfig {
    pub smtp_url: Option<String>,
    pub from: String,
    pub merchant_to: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobsSettings {
    pub workers: Option<usize>,
    pub first_retry_seconds: Option<u64>,
    pub max_backoff_seconds: Option<u64>,
    pub max_attempts: Option<u32>,
    pub record_events: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSettings {
    pub url: String,
    pub secret: String,
    #[serde(default)]
    pub events: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedSettings {
    pub name: String,
    pub secret: Option<String>,
    pub url: Option<String>,
    pub every_minutes: Option<u64>,
}

/// A supplier's stock feed: pushed (signed with `secret`) and/or pulled from `url`.
#[derive(Clone, Debug)]
pub struct FeedConfig {
    pub name: String,
    pub secret: Option<String>,
    pub url: Option<String>,
    pub every: Duration,
}

pub fn mail_config(s: MailSettings, shop_name: &str) -> anyhow::Result<MailConfig> {
    let from = s
        .from
        .unwrap_or_else(|| format!("{} <orders@localhost>", shop_name.replace(['<', '>', '"'], "")));
    let smtp_url = s.smtp_url.filter(|u| !u.trim().is_empty());
    // Checked now, so a typo stops the start rather than every mail.
    crate::mail::Mailer::check(smtp_url.as_deref(), &from).context("the [mail] settings are not valid")?;
    if let Some(to) = &s.merchant_to {
        to.parse::<lettre::message::Mailbox>()
            .map_err(|e| anyhow::anyhow!("mail merchant_to {to:?} is not a mail address: {e}"))?;
    }
    Ok(MailConfig {
        smtp_url,
        from,
        merchant_to: s.merchant_to.filter(|t| !t.trim().is_empty()),
    })
}

pub fn jobs_config(s: &JobsSettings) -> anyhow::Result<RunnerOptions> {
    let defaults = RunnerOptions::default();
    let workers = s.workers.unwrap_or(defaults.concurrency);
    if !(1..=256).contains(&workers) {
        bail!("jobs workers must be 1 to 256, got {workers}");
    }
    let first = s
        .first_retry_seconds
        .unwrap_or(defaults.backoff.first.as_secs())
        .clamp(1, 3600);
    let max = s
        .max_backoff_seconds
        .unwrap_or(defaults.backoff.max.as_secs())
        .clamp(first, 24 * 3600);
    Ok(RunnerOptions {
        concurrency: workers,
        backoff: Backoff {
            first: Duration::from_secs(first),
            max: Duration::from_secs(max),
            max_attempts: s.max_attempts.unwrap_or(defaults.backoff.max_attempts).max(1),
        },
        record_events: s.record_events.unwrap_or(true),
        ..defaults
    })
}

pub fn webhooks_config(hooks: Vec<WebhookSettings>) -> anyhow::Result<Vec<Endpoint>> {
    hooks
        .into_iter()
        .enumerate()
        .map(|(i, h)| {
            crate::webhooks::check_endpoint(&h.url, &h.secret, &h.events)
                .map_err(|e| anyhow::anyhow!("[[webhooks]] number {}: {e}", i + 1))?;
            Ok(Endpoint {
                id: format!("config:{i}"),
                url: h.url,
                secret: h.secret,
                events: h.events,
                created_ms: 0,
            })
        })
        .collect()
}

pub fn feeds_config(feeds: Vec<FeedSettings>) -> anyhow::Result<Vec<FeedConfig>> {
    let mut out: Vec<FeedConfig> = Vec::new();
    for f in feeds {
        let valid_name = !f.name.is_empty()
            && f.name.len() <= 64
            && f.name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid_name {
            bail!(
                "supplier feed name {:?} must be 1 to 64 letters, digits, - or _",
                f.name
            );
        }
        if out.iter().any(|o| o.name == f.name) {
            bail!("supplier feed {:?} is named twice", f.name);
        }
        if f.secret.is_none() && f.url.is_none() {
            bail!(
                "supplier feed {:?} needs a secret (for pushes) or a url (to pull), or both",
                f.name
            );
        }
        if f.secret.as_ref().is_some_and(|s| s.len() < 16) {
            bail!("supplier feed {:?}: secret must be at least 16 characters", f.name);
        }
        if let Some(url) = &f.url {
            let ok = url.starts_with("file://") || url.starts_with("http://") || url.starts_with("https://");
            if !ok {
                bail!("supplier feed {:?}: url must be http://, https:// or file://", f.name);
            }
        }
        let minutes = f.every_minutes.unwrap_or(15);
        if !(1..=7 * 24 * 60).contains(&minutes) {
            bail!("supplier feed {:?}: every_minutes must be 1 to 10080", f.name);
        }
        out.push(FeedConfig {
            name: f.name,
            secret: f.secret,
            url: f.url,
            every: Duration::from_secs(minutes * 60),
        });
    }
    Ok(out)
}

/// The shop's public address, checked.
pub fn shop_url(url: String) -> anyhow::Result<String> {
    let parsed = reqwest::Url::parse(&url).with_context(|| format!("shop url {url:?} is not an absolute URL"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        bail!("shop url {url:?} must start with http:// or https://");
    }
    Ok(url.trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::super::{Config, ConfigArgs, EXAMPLE, ServeArgs, Settings, overlay_env};

    fn config_from(text: &str) -> anyhow::Result<Config> {
        let settings: Settings = toml::from_str(text)?;
        Config::from_parts(settings, &ConfigArgs::default(), &ServeArgs::default())
    }

    #[test]
    fn the_examples_commented_webhooks_and_feeds_are_valid_when_uncommented() {
        let uncommented: String = EXAMPLE
            .lines()
            .map(|l| match l.strip_prefix("# ") {
                Some(rest)
                    if [
                        "[[webhooks]]",
                        "[[supplier_feeds]]",
                        "url",
                        "secret",
                        "events",
                        "name",
                        "every_minutes",
                        "smtp_url",
                        "from",
                        "merchant_to",
                        "[payments.stripe]",
                        "publishable_key",
                        "webhook_secret",
                        "api_base",
                        "js_url",
                        "timeout_ms",
                        "test_cards",
                    ]
                    .iter()
                    .any(|k| rest.starts_with(k)) =>
                {
                    rest
                }
                _ => l,
            })
            .collect::<Vec<_>>()
            .join("\n");
        let config = config_from(&uncommented).unwrap();
        assert_eq!(config.webhooks.len(), 1);
        assert_eq!(config.webhooks[0].id, "config:0");
        assert_eq!(config.supplier_feeds[0].every.as_secs(), 15 * 60);
        assert_eq!(config.mail.merchant_to.as_deref(), Some("owner@example.com"));
        assert!(config.mail.smtp_url.is_some());
        let stripe = config.payments.stripe.expect("the Stripe section");
        assert_eq!(stripe.timeout.as_millis(), 4000);
        assert_eq!(config.payments.test_cards, Some(false));
    }

    #[test]
    fn a_bad_webhook_feed_or_mail_setting_stops_the_start_with_its_reason() {
        let bad = [
            (
                "[[webhooks]]\nurl = \"ftp://x\"\nsecret = \"0123456789abcdef\"\n",
                "http",
            ),
            ("[[webhooks]]\nurl = \"https://x.example\"\nsecret = \"short\"\n", "16"),
            (
                "[[webhooks]]\nurl = \"https://x.example\"\nsecret = \"0123456789abcdef\"\nevents = [\"order.eaten\"]\n",
                "order.eaten",
            ),
            (
                "[[supplier_feeds]]\nname = \"a b\"\nsecret = \"0123456789abcdef\"\n",
                "letters",
            ),
            ("[[supplier_feeds]]\nname = \"acme\"\n", "secret"),
            (
                "[mail]\nsmtp_url = \"smtp://h\"\nfrom = \"not an address\"\n",
                "not a mail address",
            ),
            ("[mail]\nmerchant_to = \"nobody\"\n", "merchant_to"),
        ];
        for (text, why) in bad {
            let err = format!("{:#}", config_from(text).unwrap_err());
            assert!(err.contains(why), "{text}: {err}");
        }
    }

    #[test]
    fn mail_settings_come_from_the_environment_too() {
        let mut table = toml::Table::new();
        let vars = [
            (
                "STOREFRONT_MAIL_SMTP_URL".to_owned(),
                "smtps://u:p@mail.example.com".to_owned(),
            ),
            ("STOREFRONT_JOBS_WORKERS".to_owned(), "4".to_owned()),
        ];
        overlay_env(&mut table, vars.into_iter());
        let config = config_from(&toml::to_string(&table).unwrap()).unwrap();
        assert_eq!(config.mail.smtp_url.as_deref(), Some("smtps://u:p@mail.example.com"));
        assert_eq!(config.jobs.concurrency, 4);
    }
}
