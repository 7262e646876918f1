//! Who is calling the back office, checked by type: a handler that changes the catalog takes a
//! `Staff<Catalog>`, which only this extractor can make, and only for a credential whose scopes
//! allow it. Forgetting the check means not having the value the use case needs.
//!
//! Credentials: `Authorization: Bearer sf_…` (API tokens) or the back-office session cookie.
//! No credential, or a bad one: 401. A good one without the scope: 403.

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, web};

use super::{ApiError, AppError, ErrorCode, blocking};
use crate::app::AppState;
use crate::domain::now_ms;
use crate::staff::{Scope, Staff, grant, ops};

/// The session cookie's name. `__Host-` pins it to this host and path `/` (and needs Secure).
pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure { "__Host-sid" } else { "sid" }
}

impl<S: Scope> FromRequest for Staff<S> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let bearer = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(|v| v.strip_prefix("Bearer ").unwrap_or("").to_owned());
        let secure = state.as_ref().is_some_and(|s| s.config.http.secure_cookies);
        let cookie = req.cookie(session_cookie_name(secure)).map(|c| c.value().to_owned());
        Box::pin(async move {
            let state = state.ok_or_else(|| AppError::new(ErrorCode::Internal, "no app state"))?;
            let Some((actor, scopes)) = identify(&state, bearer, cookie).await? else {
                return Err(unauthorized());
            };
            grant::<S>(actor, scopes).ok_or_else(|| {
                AppError::new(
                    ErrorCode::Forbidden,
                    format!("this credential lacks the {} scope", S::NAME.as_str()),
                )
                .into()
            })
        })
    }
}

/// The caller's actor name and scopes, from a bearer token or else a session cookie.
async fn identify(
    state: &web::Data<AppState>,
    bearer: Option<String>,
    cookie: Option<String>,
) -> Result<Option<(String, crate::staff::Scopes)>, ApiError> {
    let store = state.store.clone();
    Ok(blocking(move || {
        let read = store.read()?;
        if let Some(bearer) = bearer {
            return Ok(ops::token_for(&read, &bearer)?.map(|t| (format!("token:{}", t.id), t.scopes)));
        }
        if let Some(cookie) = cookie {
            return Ok(ops::session_for(&read, &cookie, now_ms())?
                .filter(|(_, account)| !account.must_change_password)
                .map(|(_, account)| (format!("admin:{}", account.username), account.scopes)));
        }
        Ok(None)
    })
    .await?)
}

fn unauthorized() -> ApiError {
    AppError::new(
        ErrorCode::Unauthorized,
        "send Authorization: Bearer <token> (create one with `storefront token create`)",
    )
    .into()
}
