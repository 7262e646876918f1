//! Mail as the store keeps it: every mail sent, or held in the outbox when no SMTP server is set.

/// A mail, rendered. Kept so the merchant can see what went out (and, without SMTP, read it).
#[derive(Clone, Debug, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct MailRecord {
    pub id: u64,
    pub at_ms: u64,
    /// `order-confirmation`, `new-order`, …
    pub kind: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The same for every try of one job, so a mail server or client can drop a repeat.
    pub message_id: String,
    /// Handed to the SMTP server; `false`: only in the outbox (no `smtp_url`).
    pub sent: bool,
}

/// A mail's parts before sending.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}
