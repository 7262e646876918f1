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
use crate::domain::now_ms;
use crate::staff::{Scope, Staff, grant, ops};
use crate::state::AppState;

/// The session cookie's name. `__Host-` pins it to this host and path `/` (and needs Secure).
pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure { "__Host-sid" } else { "sid" }
}

/// Who a merchant API request is from, found once by `credentials_first` and kept in the
/// request's extensions for the `Staff<S>` extractor.
#[derive(Clone)]
struct Identified(String, crate::staff::Scopes);

/// Checks the credential of a merchant API request before anything reads its body: without a
/// valid one the answer is 401 whatever the body holds (actix would otherwise read and judge the
/// body first, answering a stranger 422 with details of the expected shape).
pub async fn credentials_first(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    use actix_web::HttpMessage;
    let (bearer, cookie, state) = credentials_of(req.request());
    let Some(state) = state else {
        return Ok(req.error_response(ApiError(AppError::new(ErrorCode::Internal, "no app state"))));
    };
    match identify(&state, bearer, cookie).await {
        Ok(Some((actor, scopes))) => {
            req.extensions_mut().insert(Identified(actor, scopes));
            next.call(req)
                .await
                .map(actix_web::dev::ServiceResponse::map_into_boxed_body)
        }
        Ok(None) => Ok(req.error_response(unauthorized())),
        Err(e) => Ok(req.error_response(e)),
    }
}

/// The bearer token, the session cookie and the app state of a request.
fn credentials_of(req: &HttpRequest) -> (Option<String>, Option<String>, Option<web::Data<AppState>>) {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let bearer = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.strip_prefix("Bearer ").unwrap_or("").to_owned());
    let secure = state.as_ref().is_some_and(|s| s.config.http.secure_cookies);
    let cookie = req.cookie(session_cookie_name(secure)).map(|c| c.value().to_owned());
    (bearer, cookie, state)
}

impl<S: Scope> FromRequest for Staff<S> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        use actix_web::HttpMessage;
        let known = req.extensions().get::<Identified>().cloned();
        let (bearer, cookie, state) = credentials_of(req);
        Box::pin(async move {
            let found = match known {
                Some(Identified(actor, scopes)) => Some((actor, scopes)),
                None => {
                    let state = state.ok_or_else(|| AppError::new(ErrorCode::Internal, "no app state"))?;
                    identify(&state, bearer, cookie).await?
                }
            };
            let Some((actor, scopes)) = found else {
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
