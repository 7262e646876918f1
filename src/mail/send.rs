//! Handing mail to an SMTP server with lettre, or, without one, only to the outbox.

use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::Rendered;

/// Where mail goes.
#[derive(Clone)]
pub enum Mailer {
    /// No `smtp_url`: every mail is kept in the outbox the back office shows.
    Outbox,
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        from: Mailbox,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("the address {0:?} is not a mail address")]
    BadAddress(String),
    #[error("the mail server: {0}")]
    Smtp(String),
    #[error("the mail cannot be built: {0}")]
    Build(String),
}

impl MailError {
    /// A refusal that no retry will change (a malformed address, or the server's 5xx for it).
    pub fn is_permanent(&self) -> bool {
        match self {
            MailError::BadAddress(_) | MailError::Build(_) => true,
            MailError::Smtp(_) => false,
        }
    }
}

/// How long one SMTP conversation may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);

impl Mailer {
    /// `smtp://host:port` (STARTTLS when the server offers it), `smtps://host` (TLS), with
    /// `user:pass@` if the relay needs it; `None`: the outbox only.
    /// Needs a tokio runtime (the connection pool runs on it).
    pub fn new(smtp_url: Option<&str>, from: &str) -> anyhow::Result<Mailer> {
        let Some(url) = smtp_url else {
            return Ok(Mailer::Outbox);
        };
        let (builder, from) = Mailer::parse(url, from)?;
        Ok(Mailer::Smtp {
            transport: builder.timeout(Some(SMTP_TIMEOUT)).build(),
            from,
        })
    }

    /// Checks the settings without connecting (for the config, before any runtime).
    pub fn check(smtp_url: Option<&str>, from: &str) -> anyhow::Result<()> {
        match smtp_url {
            Some(url) => Mailer::parse(url, from).map(drop),
            None => Ok(()),
        }
    }

    fn parse(url: &str, from: &str) -> anyhow::Result<(lettre::transport::smtp::AsyncSmtpTransportBuilder, Mailbox)> {
        let from: Mailbox = from
            .parse()
            .map_err(|e| anyhow::anyhow!("mail from {from:?} is not a mail address: {e}"))?;
        let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(&opportunistic(url))
            .map_err(|e| anyhow::anyhow!("mail smtp_url {}: {e}", redact(url)))?;
        Ok((builder, from))
    }

    pub fn is_outbox(&self) -> bool {
        matches!(self, Mailer::Outbox)
    }

    /// Sends one mail (multipart: text and HTML) with the given `Message-ID`.
    pub async fn send(&self, to: &str, mail: &Rendered, message_id: &str) -> Result<(), MailError> {
        let Mailer::Smtp { transport, from } = self else {
            return Ok(());
        };
        let to: Mailbox = to.parse().map_err(|_| MailError::BadAddress(to.to_owned()))?;
        let message = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .message_id(Some(message_id.to_owned()))
            .multipart(MultiPart::alternative_plain_html(mail.text.clone(), mail.html.clone()))
            .map_err(|e| MailError::Build(e.to_string()))?;
        transport.send(message).await.map(drop).map_err(|e| {
            if e.is_permanent() {
                MailError::BadAddress(e.to_string())
            } else {
                MailError::Smtp(e.to_string())
            }
        })
    }
}

/// lettre's `smtp://` never upgrades the connection; `tls=opportunistic` makes it use STARTTLS
/// whenever the server offers it, as the contract promises.
fn opportunistic(url: &str) -> String {
    if url.starts_with("smtp://") && !url.contains("tls=") {
        let joiner = if url.contains('?') { '&' } else { '?' };
        format!("{url}{joiner}tls=opportunistic")
    } else {
        url.to_owned()
    }
}

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => format!("{}://…@{}", &url[..scheme], &url[at + 1..]),
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn plain_smtp_upgrades_when_offered_and_passwords_stay_out_of_messages() {
        assert_eq!(
            opportunistic("smtp://127.0.0.1:2525"),
            "smtp://127.0.0.1:2525?tls=opportunistic"
        );
        assert_eq!(opportunistic("smtp://h?tls=required"), "smtp://h?tls=required");
        assert_eq!(opportunistic("smtps://h"), "smtps://h");
        assert_eq!(
            redact("smtps://user:secret@mail.example.com:465"),
            "smtps://…@mail.example.com:465"
        );
        assert!(Mailer::new(Some("smtp://127.0.0.1:2525"), "Shop <orders@example.com>").is_ok());
        assert!(Mailer::new(Some("smtp://127.0.0.1:2525"), "not an address").is_err());
    }
}
