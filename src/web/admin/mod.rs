//! The back office in HTML, usable without JavaScript. This module holds what every page shares
//! (the signed-in staff member, the page frame, routes); each area is a submodule: `session`
//! (sign-in, password), `orders` (dashboard, orders, slips), `products`, `stock`, `catalog`
//! (import, export), `people` (tokens, staff, audit log), `outside` (jobs, mail, webhooks,
//! supplier feeds) and `reports`. Every form carries the session's CSRF token; sign-in
//! carries a token tied to a short-lived cookie. Sign-in attempts are rate limited per client and
//! password checks run on the blocking pool behind a semaphore, so a login flood cannot starve
//! shoppers.

use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use maud::{DOCTYPE, Markup, html};
use serde::Deserialize;

use super::staff_auth::session_cookie_name;
use super::{AppError, ErrorCode, PageError, blocking};
use crate::domain::{format_day, format_utc, now_ms, random_token};
use crate::merchant;
use crate::orders::{Order, Shipment, Status};
use crate::staff::{Account, Orders, Session, Staff, grant, ops, secrets};
use crate::state::AppState;
use crate::web::assets;

pub(crate) mod catalog;
mod flags;
mod orders;
mod outside;
mod people;
pub mod products;
mod reports;
mod sales;
mod session;
mod stock;
mod waiting_room;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/admin").route(crate::web::read().to(orders::dashboard)))
        .service(
            web::resource("/admin/login")
                .route(crate::web::read().to(session::login_form))
                .route(web::post().to(session::login)),
        )
        .service(web::resource("/admin/logout").route(web::post().to(session::logout)))
        .service(
            web::resource("/admin/password")
                .route(crate::web::read().to(session::password_form))
                .route(web::post().to(session::change_password)),
        )
        .service(web::resource("/admin/orders").route(crate::web::read().to(orders::orders)))
        .service(web::resource("/admin/orders/{number}").route(crate::web::read().to(orders::order)))
        .service(web::resource("/admin/orders/{number}/transition").route(web::post().to(orders::transition)))
        .service(web::resource("/admin/orders/{number}/refund").route(web::post().to(orders::refund)))
        .service(
            web::resource("/admin/orders/{number}/{paper:slip|invoice}").route(crate::web::read().to(orders::paper)),
        )
        .service(web::resource("/admin/stock").route(crate::web::read().to(stock::stock)))
        .service(web::resource("/admin/stock/adjust").route(web::post().to(stock::adjust_stock)))
        .service(web::resource("/admin/stock/threshold").route(web::post().to(stock::set_threshold)))
        .service(web::resource("/admin/audit").route(crate::web::read().to(people::audit)))
        .service(web::resource("/admin/jobs").route(crate::web::read().to(outside::jobs)))
        .service(web::resource("/admin/jobs/{id}/{action:retry|discard}").route(web::post().to(outside::job_action)))
        .service(web::resource("/admin/mail").route(crate::web::read().to(outside::mails)))
        .service(web::resource("/admin/mail/{id}").route(crate::web::read().to(outside::mail)))
        .service(
            web::resource("/admin/webhooks")
                .route(crate::web::read().to(outside::webhooks))
                .route(web::post().to(outside::add_webhook)),
        )
        .service(web::resource("/admin/webhooks/delete").route(web::post().to(outside::delete_webhook)))
        .service(
            web::resource("/admin/tokens")
                .route(crate::web::read().to(people::tokens))
                .route(web::post().to(people::create_token)),
        )
        .service(web::resource("/admin/tokens/revoke").route(web::post().to(people::revoke_token)))
        .service(
            web::resource("/admin/staff")
                .route(crate::web::read().to(people::staff_list))
                .route(web::post().to(people::create_account)),
        )
        .service(web::resource("/admin/staff/{username}").route(web::post().to(people::change_account)))
        .service(
            web::resource("/admin/import")
                .app_data(web::FormConfig::default().limit(IMPORT_FORM_LIMIT))
                .route(crate::web::read().to(catalog::import_form))
                .route(web::post().to(catalog::import)),
        )
        .service(web::resource("/admin/import/file").route(web::post().to(catalog::import_file)))
        .service(web::resource("/admin/import/sample.csv").route(crate::web::read().to(catalog::sample_csv)))
        .service(web::resource("/admin/export").route(crate::web::read().to(catalog::export)))
        .service(
            web::resource("/admin/sales")
                .route(crate::web::read().to(sales::sales))
                .route(web::post().to(sales::create)),
        )
        .service(web::resource("/admin/sales/{id}/end").route(web::post().to(sales::end)))
        .service(
            web::resource("/admin/flags")
                .route(crate::web::read().to(flags::flags))
                .route(web::post().to(flags::add)),
        )
        .service(web::resource("/admin/flags/{name}").route(web::post().to(flags::change)))
        .service(
            web::resource("/admin/waiting-room")
                .route(crate::web::read().to(waiting_room::show))
                .route(web::post().to(waiting_room::save)),
        )
        .service(web::resource("/admin/reports").route(crate::web::read().to(reports::reports)))
        .service(web::resource("/admin/reports.csv").route(crate::web::read().to(reports::reports_csv)));
}

/// A pasted catalog may be larger than ordinary forms; big files go through the API or CLI.
const IMPORT_FORM_LIMIT: usize = 8 << 20;

/// A signed-in staff member on a page; without a session the page redirects to sign-in.
pub struct SignedIn {
    pub session: Session,
    pub account: Account,
    /// The session cookie's value (the session's id).
    pub cookie: String,
}

impl FromRequest for SignedIn {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let secure = state.as_ref().is_some_and(|s| s.config.http.secure_cookies);
        let cookie = req.cookie(session_cookie_name(secure)).map(|c| c.value().to_owned());
        let path = req.uri().to_string();
        Box::pin(async move {
            let to_login = || {
                let next = serde_urlencoded::to_string([("next", path.as_str())]).unwrap_or_default();
                actix_web::error::InternalError::from_response(
                    "sign in first",
                    see_other(&format!("/admin/login?{next}")),
                )
                .into()
            };
            let (Some(state), Some(cookie)) = (state, cookie) else {
                return Err(to_login());
            };
            let store = state.store.clone();
            let id = cookie.clone();
            let now = now_ms();
            let found = blocking(move || Ok(ops::session_for(&store.read()?, &id, now)?))
                .await
                .map_err(PageError)?;
            let Some((session, account)) = found else {
                return Err(to_login());
            };
            if ops::session_needs_touch(&session, now) {
                // Idle expiry counts from the last use; a failed refresh only shortens it.
                let id = cookie.clone();
                if let Err(e) = state.writer.run(move |tx| ops::touch_session(tx, &id, now)).await {
                    tracing::warn!(error = %e, "could not record a session's use");
                }
            }
            if account.must_change_password && !path.starts_with("/admin/password") {
                return Err(actix_web::error::InternalError::from_response(
                    "change the first password",
                    see_other("/admin/password"),
                )
                .into());
            }
            Ok(SignedIn {
                session,
                account,
                cookie,
            })
        })
    }
}

impl SignedIn {
    fn actor(&self) -> String {
        format!("admin:{}", self.account.username)
    }

    /// The typed proof for a use case, or a 403 page when the account lacks the scope.
    pub(super) fn may<S: crate::staff::Scope>(&self) -> Result<Staff<S>, PageError> {
        grant::<S>(self.actor(), self.account.scopes).ok_or_else(|| {
            PageError(AppError::new(
                ErrorCode::Forbidden,
                format!("your account lacks the {} scope", S::NAME.as_str()),
            ))
        })
    }

    pub(super) fn check_csrf(&self, token: &str) -> Result<(), PageError> {
        if crate::staff::secrets::constant_time_eq(token.as_bytes(), self.session.csrf.as_bytes()) {
            Ok(())
        } else {
            Err(PageError(AppError::new(
                ErrorCode::Forbidden,
                "this form has expired; go back, reload the page and try again",
            )))
        }
    }
}

/// A path segment or query value, percent-encoded (SKUs may hold `&`, `+`, `=`, `#`, `/`).
pub(super) fn encode_path(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A redirect; a location that cannot be a header value (control characters) goes to the
/// dashboard instead of failing the response.
pub(super) fn see_other(location: &str) -> HttpResponse {
    let location = header::HeaderValue::from_str(location).unwrap_or(header::HeaderValue::from_static("/admin"));
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

pub(super) fn page(title: &str, who: Option<&SignedIn>, body: Markup) -> HttpResponse {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex";
                title { (title) " · Back office" }
                link rel="stylesheet" href=(assets::url("css/shop.css"));
                link rel="icon" type="image/svg+xml" href=(assets::url("img/favicon.svg"));
            }
            body.admin {
                header.site-header {
                    div.wrap.header-row {
                        a.brand href="/admin" { "Back office" }
                        @if let Some(who) = who {
                            nav.admin-nav aria-label="Back office" {
                                a href="/admin" { "Dashboard" }
                                a href="/admin/orders" { "Orders" }
                                a href="/admin/products" { "Products" }
                                a href="/admin/stock" { "Stock" }
                                a href="/admin/sales" { "Flash sales" }
                                a href="/admin/waiting-room" { "Waiting room" }
                                a href="/admin/flags" { "Flags" }
                                a href="/admin/reports" { "Reports" }
                                a href="/admin/import" { "Import / export" }
                                a href="/admin/tokens" { "API tokens" }
                                a href="/admin/audit" { "Audit log" }
                                a href="/admin/jobs" { "Jobs" }
                                a href="/admin/mail" { "Mail" }
                                a href="/admin/webhooks" { "Webhooks" }
                                a href="/admin/staff" { "Staff" }
                                a href="/" { "Shop" }
                            }
                            form method="post" action="/admin/logout" .inline-form {
                                input type="hidden" name="csrf" value=(who.session.csrf);
                                span.muted { (who.account.username) " " }
                                button.button.secondary type="submit" { "Sign out" }
                            }
                        }
                    }
                }
                main #main .wrap { (body) }
            }
        }
    };
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .content_type("text/html; charset=utf-8")
        .body(markup.into_string())
}

fn status(mut res: HttpResponse, code: u16) -> HttpResponse {
    *res.status_mut() = actix_web::http::StatusCode::from_u16(code).unwrap_or(actix_web::http::StatusCode::OK);
    res
}

/// A urlencoded form with repeated fields (a group of `scope` checkboxes), which
/// `serde_urlencoded` cannot map to a struct.
struct RepeatedForm(Vec<(String, String)>);

impl RepeatedForm {
    fn parse(body: &str) -> Result<RepeatedForm, PageError> {
        serde_urlencoded::from_str(body).map(RepeatedForm).map_err(|e| {
            PageError(AppError::new(
                ErrorCode::BadRequest,
                format!("the form could not be read: {e}"),
            ))
        })
    }

    fn field(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    fn scopes(&self) -> Result<crate::staff::Scopes, PageError> {
        let names: Vec<&str> = self
            .0
            .iter()
            .filter(|(k, _)| k == "scope")
            .map(|(_, v)| v.as_str())
            .collect();
        crate::staff::Scopes::parse(&names.join(",")).map_err(|e| PageError(AppError::new(ErrorCode::InvalidInput, e)))
    }
}
