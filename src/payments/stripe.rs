//! A small client for the Stripe API calls the store makes: PaymentIntents (create and confirm,
//! read, capture, cancel, list) and refunds. Every call that changes something carries an
//! idempotency key, so a retry after a timeout or a crash never charges or refunds twice.

use std::time::Duration;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::model::{GatewayError, GatewayRefund, Intent};

#[derive(Clone)]
pub struct Stripe {
    http: reqwest::Client,
    base: String,
    secret: String,
}

/// A page of a list.
#[derive(Debug, Deserialize)]
pub struct Page<T> {
    pub data: Vec<T>,
    #[serde(default)]
    pub has_more: bool,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    decline_code: Option<String>,
}

impl Stripe {
    /// `timeout` bounds every call, connection included: no checkout waits longer on Stripe.
    pub fn new(base: &str, secret: &str, timeout: Duration) -> anyhow::Result<Stripe> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("storefront/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Stripe {
            http,
            base: base.trim_end_matches('/').to_owned(),
            secret: secret.to_owned(),
        })
    }

    /// Creates and confirms a PaymentIntent that holds `amount` (captured later).
    pub async fn hold(
        &self,
        amount: i64,
        currency: &str,
        payment_method: &str,
        checkout: &str,
        key: &str,
    ) -> Result<Intent, GatewayError> {
        let form = [
            ("amount".to_owned(), amount.to_string()),
            ("currency".to_owned(), currency.to_ascii_lowercase()),
            ("payment_method".to_owned(), payment_method.to_owned()),
            ("payment_method_types[]".to_owned(), "card".to_owned()),
            ("capture_method".to_owned(), "manual".to_owned()),
            ("confirm".to_owned(), "true".to_owned()),
            (format!("metadata[{}]", super::model::CHECKOUT_KEY), checkout.to_owned()),
        ];
        self.post("/v1/payment_intents", &form, Some(key)).await
    }

    pub async fn intent(&self, id: &str) -> Result<Intent, GatewayError> {
        self.get(&format!("/v1/payment_intents/{}", path_part(id)), &[]).await
    }

    /// Notes the order on the intent, so Stripe's dashboard shows it.
    pub async fn name_order(&self, id: &str, order: &str) -> Result<Intent, GatewayError> {
        let form = [(format!("metadata[{}]", super::model::ORDER_KEY), order.to_owned())];
        self.post(&format!("/v1/payment_intents/{}", path_part(id)), &form, None)
            .await
    }

    pub async fn capture(&self, id: &str, amount: i64) -> Result<Intent, GatewayError> {
        let form = [("amount_to_capture".to_owned(), amount.to_string())];
        let key = format!("capture-{id}");
        self.post(
            &format!("/v1/payment_intents/{}/capture", path_part(id)),
            &form,
            Some(&key),
        )
        .await
    }

    pub async fn cancel(&self, id: &str) -> Result<Intent, GatewayError> {
        let key = format!("cancel-{id}");
        let none: [(String, String); 0] = [];
        self.post(
            &format!("/v1/payment_intents/{}/cancel", path_part(id)),
            &none,
            Some(&key),
        )
        .await
    }

    /// Refunds `amount` of the intent; `key` makes a retry the same refund.
    pub async fn refund(&self, intent: &str, amount: i64, key: &str) -> Result<GatewayRefund, GatewayError> {
        let form = [
            ("payment_intent".to_owned(), intent.to_owned()),
            ("amount".to_owned(), amount.to_string()),
            ("metadata[storefront_refund]".to_owned(), key.to_owned()),
        ];
        self.post("/v1/refunds", &form, Some(key)).await
    }

    pub async fn refunds_of(&self, intent: &str) -> Result<Vec<GatewayRefund>, GatewayError> {
        let page: Page<GatewayRefund> = self
            .get("/v1/refunds", &[("payment_intent", intent), ("limit", "100")])
            .await?;
        Ok(page.data)
    }

    /// A page of intents (Stripe lists the newest first).
    pub async fn intents(&self, starting_after: Option<&str>, limit: u32) -> Result<Page<Intent>, GatewayError> {
        let limit = limit.to_string();
        let mut query = vec![("limit", limit.as_str())];
        if let Some(after) = starting_after {
            query.push(("starting_after", after));
        }
        self.get("/v1/payment_intents", &query).await
    }

    async fn get<T: DeserializeOwned>(&self, path: &str, query: &[(&str, &str)]) -> Result<T, GatewayError> {
        let request = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.secret)
            .query(query);
        answer(request.send().await).await
    }

    async fn post<T: DeserializeOwned, K: serde::Serialize, V: serde::Serialize>(
        &self,
        path: &str,
        form: &[(K, V)],
        idempotency_key: Option<&str>,
    ) -> Result<T, GatewayError> {
        let mut request = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.secret)
            .form(form);
        if let Some(key) = idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        answer(request.send().await).await
    }
}

/// Ids go into paths; anything but an id's characters is refused rather than sent.
fn path_part(id: &str) -> &str {
    if !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        id
    } else {
        "invalid"
    }
}

async fn answer<T: DeserializeOwned>(sent: Result<reqwest::Response, reqwest::Error>) -> Result<T, GatewayError> {
    let response = sent.map_err(|e| {
        GatewayError::Unavailable(if e.is_timeout() {
            "Stripe did not answer in time".into()
        } else {
            format!("cannot reach Stripe: {e}")
        })
    })?;
    let status = response.status();
    let body = response
        .bytes()
        .await
        .map_err(|e| GatewayError::Unavailable(format!("Stripe's answer broke off: {e}")))?;
    if status.is_success() {
        return serde_json::from_slice(&body)
            .map_err(|e| GatewayError::Unavailable(format!("Stripe's answer is not what was expected: {e}")));
    }
    let detail = serde_json::from_slice::<ErrorBody>(&body).ok().map(|b| b.error);
    let message = detail
        .as_ref()
        .and_then(|d| d.message.clone())
        .unwrap_or_else(|| format!("Stripe answered {status}"));
    let declined = detail
        .as_ref()
        .is_some_and(|d| d.decline_code.is_some() || d.code.as_deref() == Some("card_declined"));
    Err(match status.as_u16() {
        402 => GatewayError::Declined(message),
        _ if declined => GatewayError::Declined(message),
        429 | 500..=599 => GatewayError::Unavailable(message),
        _ => GatewayError::Rejected(message),
    })
}
