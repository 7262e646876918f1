//! The back office in HTML, usable without JavaScript: sign in, dashboard, orders (list, detail,
//! status changes), and password change. Every form carries the session's CSRF token; sign-in
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
use crate::app::AppState;
use crate::domain::{format_day, format_utc, now_ms, random_token};
use crate::merchant;
use crate::orders::{Order, Shipment, Status};
use crate::staff::{Account, Orders, Session, Staff, grant, ops, secrets};
use crate::web::assets;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/admin").route(crate::web::read().to(dashboard)))
        .service(
            web::resource("/admin/login")
                .route(crate::web::read().to(login_form))
                .route(web::post().to(login)),
        )
        .service(web::resource("/admin/logout").route(web::post().to(logout)))
        .service(
            web::resource("/admin/password")
                .route(crate::web::read().to(password_form))
                .route(web::post().to(change_password)),
        )
        .service(web::resource("/admin/orders").route(crate::web::read().to(orders)))
        .service(web::resource("/admin/orders/{number}").route(crate::web::read().to(order)))
        .service(web::resource("/admin/orders/{number}/transition").route(web::post().to(transition)))
        .service(web::resource("/admin/orders/{number}/{paper:slip|invoice}").route(crate::web::read().to(paper)))
        .service(web::resource("/admin/stock").route(crate::web::read().to(stock)))
        .service(web::resource("/admin/stock/adjust").route(web::post().to(adjust_stock)))
        .service(web::resource("/admin/audit").route(crate::web::read().to(audit)))
        .service(
            web::resource("/admin/tokens")
                .route(crate::web::read().to(tokens))
                .route(web::post().to(create_token)),
        )
        .service(web::resource("/admin/tokens/revoke").route(web::post().to(revoke_token)))
        .service(
            web::resource("/admin/staff")
                .route(crate::web::read().to(staff_list))
                .route(web::post().to(create_account)),
        )
        .service(
            web::resource("/admin/import")
                .app_data(web::FormConfig::default().limit(IMPORT_FORM_LIMIT))
                .route(crate::web::read().to(import_form))
                .route(web::post().to(import)),
        )
        .service(web::resource("/admin/import/file").route(web::post().to(import_file)))
        .service(web::resource("/admin/export").route(crate::web::read().to(export)))
        .service(web::resource("/admin/reports").route(crate::web::read().to(reports)))
        .service(web::resource("/admin/reports.csv").route(crate::web::read().to(reports_csv)));
}

/// A pasted catalog may be larger than ordinary forms; big files go through the API or CLI.
const IMPORT_FORM_LIMIT: usize = 8 << 20;

/// A signed-in staff member on a page; without a session the page redirects to sign-in.
pub struct SignedIn {
    pub session: Session,
    pub account: Account,
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
            let found = blocking(move || Ok(ops::session_for(&store.read()?, &cookie, now_ms())?))
                .await
                .map_err(PageError)?;
            let Some((session, account)) = found else {
                return Err(to_login());
            };
            if account.must_change_password && !path.starts_with("/admin/password") {
                return Err(actix_web::error::InternalError::from_response(
                    "change the first password",
                    see_other("/admin/password"),
                )
                .into());
            }
            Ok(SignedIn { session, account })
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
        if crate::web::sales::constant_time_eq(token.as_bytes(), self.session.csrf.as_bytes()) {
            Ok(())
        } else {
            Err(PageError(AppError::new(
                ErrorCode::Forbidden,
                "this form has expired; go back, reload the page and try again",
            )))
        }
    }
}

pub(super) fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_owned()))
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
                                a href="/admin/reports" { "Reports" }
                                a href="/admin/import" { "Import / export" }
                                a href="/admin/tokens" { "API tokens" }
                                a href="/admin/audit" { "Audit log" }
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

#[derive(Deserialize)]
struct LoginQuery {
    next: Option<String>,
    failed: Option<String>,
}

const LOGIN_CSRF_COOKIE: &str = "login_csrf";

async fn login_form(req: HttpRequest, q: web::Query<LoginQuery>) -> HttpResponse {
    let token = random_token(16);
    let next = safe_next(q.next.as_deref());
    let body = html! {
        section.login {
            h1 { "Sign in" }
            @if q.failed.is_some() { p.notice.error role="alert" { "That username and password do not match." } }
            form method="post" action="/admin/login" {
                input type="hidden" name="csrf" value=(token);
                input type="hidden" name="next" value=(next);
                div.field { label for="username" { "Username" } input #username name="username" autocomplete="username" required; }
                div.field { label for="password" { "Password" } input #password name="password" type="password" autocomplete="current-password" required; }
                button.button type="submit" { "Sign in" }
            }
        }
    };
    let mut res = page("Sign in", None, body);
    let secure = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|s| s.config.http.secure_cookies);
    let cookie = Cookie::build(LOGIN_CSRF_COOKIE, token)
        .path("/admin/login")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Strict)
        .max_age(actix_web::cookie::time::Duration::minutes(30))
        .finish();
    let _ = res.add_cookie(&cookie);
    res
}

/// Only local paths under /admin, so the sign-in page cannot bounce people to another site.
fn safe_next(next: Option<&str>) -> String {
    next.filter(|n| n.starts_with("/admin") && !n.starts_with("//") && !n.contains('\\'))
        .unwrap_or("/admin")
        .to_owned()
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    csrf: String,
    next: Option<String>,
}

/// Two password checks at a time at most: each costs ~25 ms of a core.
fn hashing_permits() -> &'static tokio::sync::Semaphore {
    static PERMITS: OnceLock<tokio::sync::Semaphore> = OnceLock::new();
    PERMITS.get_or_init(|| tokio::sync::Semaphore::new(2))
}

async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, PageError> {
    let expected = req
        .cookie(LOGIN_CSRF_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    if expected.is_empty() || !crate::web::sales::constant_time_eq(expected.as_bytes(), form.csrf.as_bytes()) {
        return Err(PageError(AppError::new(
            ErrorCode::Forbidden,
            "the sign-in form has expired; reload it and try again",
        )));
    }
    let form = form.into_inner();
    let store = state.store.clone();
    let username = form.username.trim().to_owned();
    let name = username.clone();
    let _permit = hashing_permits()
        .acquire()
        .await
        .map_err(|_| AppError::new(ErrorCode::Unavailable, "shutting down"))?;
    let matched = blocking(move || {
        let account = store.read()?.account(&name)?;
        // An unknown user costs the same as a wrong password.
        let hash = account
            .as_ref()
            .map_or(secrets::dummy_hash(), |a| a.password_hash.as_str());
        Ok(secrets::verify_password(&form.password, hash) && account.is_some())
    })
    .await?;
    if !matched {
        tracing::warn!(username = %username, "failed back-office sign-in");
        return Ok(see_other("/admin/login?failed=1"));
    }
    let who = username.clone();
    let cookie_value = state
        .writer
        .run(move |tx| ops::start_session(tx, &who))
        .await
        .map_err(AppError::from)?;
    let secure = state.config.http.secure_cookies;
    let cookie = Cookie::build(session_cookie_name(secure), cookie_value)
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Strict)
        .finish();
    let mut res = see_other(&safe_next(form.next.as_deref()));
    let _ = res.add_cookie(&cookie);
    let mut spent = Cookie::build(LOGIN_CSRF_COOKIE, "").path("/admin/login").finish();
    spent.make_removal();
    let _ = res.add_cookie(&spent);
    Ok(res)
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn logout(
    req: HttpRequest,
    who: SignedIn,
    state: web::Data<AppState>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PageError> {
    who.check_csrf(&form.csrf)?;
    let secure = state.config.http.secure_cookies;
    if let Some(cookie) = req.cookie(session_cookie_name(secure)) {
        let value = cookie.value().to_owned();
        state
            .writer
            .run(move |tx| ops::end_session(tx, &value))
            .await
            .map_err(AppError::from)?;
    }
    let mut gone = Cookie::build(session_cookie_name(secure), "").path("/").finish();
    gone.make_removal();
    let mut res = see_other("/admin/login");
    let _ = res.add_cookie(&gone);
    Ok(res)
}

async fn password_form(who: SignedIn) -> HttpResponse {
    password_page(&who, None)
}

fn password_page(who: &SignedIn, problem: Option<&str>) -> HttpResponse {
    let body = html! {
        section.login {
            h1 { "Change your password" }
            @if who.account.must_change_password { p { "The first password was shown once at start; choose your own now." } }
            @if let Some(p) = problem { p.notice.error role="alert" { (p) } }
            form method="post" action="/admin/password" {
                input type="hidden" name="csrf" value=(who.session.csrf);
                div.field { label for="current" { "Current password" } input #current name="current" type="password" autocomplete="current-password" required; }
                div.field { label for="new" { "New password (at least 12 characters)" } input #new name="new" type="password" autocomplete="new-password" minlength="12" required; }
                div.field { label for="again" { "New password again" } input #again name="again" type="password" autocomplete="new-password" required; }
                button.button type="submit" { "Change password" }
            }
        }
    };
    page("Change password", Some(who), body)
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    csrf: String,
    current: String,
    new: String,
    again: String,
}

async fn change_password(
    who: SignedIn,
    state: web::Data<AppState>,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, PageError> {
    who.check_csrf(&form.csrf)?;
    let form = form.into_inner();
    if form.new != form.again {
        return Ok(status(password_page(&who, Some("The new passwords differ.")), 422));
    }
    if form.new.chars().count() < 12 || form.new.len() > 1024 {
        return Ok(status(password_page(&who, Some("Use 12 to 1024 characters.")), 422));
    }
    let phc = who.account.password_hash.clone();
    let _permit = hashing_permits()
        .acquire()
        .await
        .map_err(|_| AppError::new(ErrorCode::Unavailable, "shutting down"))?;
    let new = form.new.clone();
    let checked =
        blocking(move || Ok(secrets::verify_password(&form.current, &phc).then(|| secrets::hash_password(&new))))
            .await?;
    let Some(hash) = checked else {
        return Ok(status(password_page(&who, Some("The current password is wrong.")), 422));
    };
    let (username, actor) = (who.account.username.clone(), who.actor());
    state
        .writer
        .run(move |tx| ops::set_password(tx, &username, hash, &actor))
        .await
        .map_err(AppError::from)?;
    Ok(see_other("/admin"))
}

fn status(mut res: HttpResponse, code: u16) -> HttpResponse {
    *res.status_mut() = actix_web::http::StatusCode::from_u16(code).unwrap_or(actix_web::http::StatusCode::OK);
    res
}

async fn dashboard(who: SignedIn, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    let store = state.store.clone();
    let low_stock = state.config.shop.low_stock;
    let (today, recent, low, zero) = blocking(move || {
        let read = store.read()?;
        let midnight = now_ms() / 86_400_000 * 86_400_000;
        let (mut count, mut revenue, mut currency) = (0u64, 0i64, None);
        read.for_each_order(|o| {
            if o.created_ms >= midnight && !matches!(o.status, Status::Cancelled | Status::Refunded) {
                count += 1;
                revenue += o.total.minor();
                currency = Some(o.currency);
            }
            true
        })?;
        let (recent, _) = read.orders_newest_first(None, 0, 10)?;
        let low: Vec<(String, u64)> = read
            .stock_levels()?
            .into_iter()
            .filter(|(_, units)| *units <= low_stock)
            .take(20)
            .collect();
        let zero = read.zero_result_searches(10)?;
        Ok((
            (count, crate::domain::Money::new(revenue, currency.unwrap_or_default())),
            recent,
            low,
            zero,
        ))
    })
    .await?;
    let body = html! {
        h1 { "Today" }
        div.stat-row {
            div.stat { p.stat-figure { (today.0) } p { "orders today (UTC)" } }
            div.stat { p.stat-figure { (today.1) } p { "revenue today" } }
        }
        div.cart-layout {
            section { h2 { "Recent orders" } (order_table(&recent)) p { a href="/admin/orders" { "All orders" } } }
            aside {
                h2 { "Low stock" }
                @if low.is_empty() { p.muted { "Nothing at " (state.config.shop.low_stock) " units or fewer." } }
                ul { @for (sku, units) in &low { li { a href={ "/admin/stock?sku=" (sku) } { (sku) } ": " (units) " left" } } }
                h2 { "Searches that found nothing" }
                @if zero.is_empty() { p.muted { "None recorded." } }
                ul { @for (q, n) in &zero { li { "“" (q) "” × " (n) } } }
            }
        }
    };
    Ok(page("Dashboard", Some(&who), body))
}

fn order_table(orders: &[Order]) -> Markup {
    html! {
        table.order-lines {
            thead { tr { th { "Order" } th { "Placed" } th { "Customer" } th { "Status" } th { "Total" } } }
            tbody {
                @for o in orders {
                    tr {
                        td { a href={ "/admin/orders/" (o.number) } { (o.number) } }
                        td { time datetime=(format_utc(o.created_ms)) { (format_day(o.created_ms)) } }
                        td { (o.address.name) }
                        td { span class={ "status status-" (o.status) } { (o.status) } }
                        td { (o.total) }
                    }
                }
            }
        }
    }
}

#[derive(Deserialize)]
struct OrdersQuery {
    status: Option<String>,
    page: Option<u32>,
}

async fn orders(
    who: SignedIn,
    state: web::Data<AppState>,
    q: web::Query<OrdersQuery>,
) -> Result<HttpResponse, PageError> {
    who.may::<Orders>()?;
    let status = q.status.as_deref().and_then(|s| s.parse::<Status>().ok());
    let paging = crate::catalog::PageRequest::new(q.page, Some(50), 50);
    let store = state.store.clone();
    let (list, total) = blocking(move || {
        Ok(store
            .read()?
            .orders_newest_first(status, paging.offset(), paging.per_page as usize)?)
    })
    .await?;
    let body = html! {
        h1 { "Orders" }
        nav.chips aria-label="Filter by status" {
            a.chip.active[status.is_none()] href="/admin/orders" { "All" }
            @for s in Status::ALL {
                a.chip.active[status == Some(s)] href={ "/admin/orders?status=" (s) } { (s) }
            }
        }
        p.muted { (total) " orders" }
        (order_table(&list))
        (crate::web::views::components::pager(paging.page, total.div_ceil(50).max(1) as u32, |n| {
            format!("/admin/orders?page={n}{}", status.map(|s| format!("&status={s}")).unwrap_or_default())
        }))
    };
    Ok(page("Orders", Some(&who), body))
}

async fn order(
    who: SignedIn,
    state: web::Data<AppState>,
    number: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    who.may::<Orders>()?;
    let key = crate::domain::normalize_order_number(&number)
        .ok_or_else(|| PageError(AppError::new(ErrorCode::OrderNotFound, "no such order")))?;
    let store = state.store.clone();
    let order = blocking(move || Ok(store.read()?.order(&key)?))
        .await?
        .ok_or_else(|| PageError(AppError::new(ErrorCode::OrderNotFound, "no such order")))?;
    let next = order.status.next(crate::orders::transition::was_paid(&order));
    let a = &order.address;
    let body = html! {
        h1 { "Order " (order.number) }
        p { span class={ "status status-" (order.status) } { (order.status.describe()) } " · placed " (format_utc(order.created_ms)) " · " (order.email) }
        div.cart-layout {
            section {
                table.order-lines {
                    thead { tr { th { "Item" } th { "Qty" } th { "Price" } th { "Total" } } }
                    tbody { @for l in &order.lines { tr { td { (l.title) div.small { "SKU " (l.sku) } } td { (l.quantity) } td { (l.unit_price) } td { (l.line_total) } } } }
                }
                p { "Total " strong { (order.total) } " (shipping " (order.shipping) ", tax " (order.tax) ")" }
                @if let Some(v) = &order.vehicle { p { "Vehicle: " (v) } }
                h2 { "History" }
                ul { @for h in &order.history { li { (format_utc(h.at_ms)) ": " (h.to) " by " (h.actor) @if !h.note.is_empty() { " — " (h.note) } } } }
            }
            aside.summary {
                h2 { "Ship to" }
                address { (a.name) br; (a.line1) br; @if !a.line2.is_empty() { (a.line2) br; } (a.city) " " (a.region) " " (a.postal_code) br; (a.country) }
                @if let Some(s) = &order.shipment { p { (s.carrier) " " (s.tracking_number) } }
                p { a href={ "/admin/orders/" (order.number) "/slip" } { "Packing slip" } " · " a href={ "/admin/orders/" (order.number) "/invoice" } { "Invoice" } }
                h2 { "Change status" }
                @if next.is_empty() { p.muted { "This order is final." } }
                @for to in &next {
                    form method="post" action={ "/admin/orders/" (order.number) "/transition" } .transition-form {
                        input type="hidden" name="csrf" value=(who.session.csrf);
                        input type="hidden" name="to" value=(to);
                        @if *to == Status::Shipped {
                            div.field { label for="carrier" { "Carrier" } input #carrier name="carrier" required; }
                            div.field { label for="tracking" { "Tracking number" } input #tracking name="tracking_number" required; }
                        }
                        div.field { label for={ "note-" (to) } { "Note" span.muted { " (optional)" } } input id={ "note-" (to) } name="note"; }
                        button.button.block type="submit" { "Mark " (to) }
                    }
                }
            }
        }
    };
    Ok(page(&format!("Order {}", order.number), Some(&who), body))
}

#[derive(Deserialize)]
struct TransitionForm {
    #[serde(default)]
    csrf: String,
    to: String,
    carrier: Option<String>,
    tracking_number: Option<String>,
    #[serde(default)]
    note: String,
}

async fn transition(
    who: SignedIn,
    state: web::Data<AppState>,
    number: web::Path<String>,
    form: web::Form<TransitionForm>,
) -> Result<HttpResponse, PageError> {
    who.check_csrf(&form.csrf)?;
    let staff = who.may::<Orders>()?;
    let form = form.into_inner();
    let to: Status = form
        .to
        .parse()
        .map_err(|e: crate::orders::UnknownStatus| PageError(AppError::new(ErrorCode::InvalidInput, e.to_string())))?;
    let key = crate::domain::normalize_order_number(&number)
        .ok_or_else(|| PageError(AppError::new(ErrorCode::OrderNotFound, "no such order")))?;
    let shipment = match (form.carrier, form.tracking_number) {
        (Some(c), Some(t)) if !c.trim().is_empty() && !t.trim().is_empty() => Some(Shipment {
            carrier: c.trim().chars().take(100).collect(),
            tracking_number: t.trim().chars().take(100).collect(),
        }),
        _ => None,
    };
    let note: String = form.note.chars().take(500).collect();
    let target = key.clone();
    let outcome = state
        .writer
        .run(move |tx| merchant::transition_order(tx, &staff, &target, to, shipment, &note))
        .await
        .map_err(AppError::from)?;
    match outcome {
        Ok(_) => Ok(see_other(&format!("/admin/orders/{key}"))),
        Err(e) => Err(PageError(AppError::new(ErrorCode::Conflict, e.to_string()))),
    }
}

#[derive(Deserialize)]
struct StockQuery {
    sku: Option<String>,
    done: Option<String>,
}

async fn stock(
    who: SignedIn,
    state: web::Data<AppState>,
    q: web::Query<StockQuery>,
) -> Result<HttpResponse, PageError> {
    who.may::<crate::staff::Stock>()?;
    let sku = q.sku.clone().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let store = state.store.clone();
    let wanted = sku.clone();
    let low_stock = state.config.shop.low_stock;
    let (item, ledger, low) = blocking(move || {
        let read = store.read()?;
        let item = match &wanted {
            Some(sku) => read.product(sku)?.map(|p| (p.title, read.stock(sku).unwrap_or(0))),
            None => None,
        };
        let ledger = match &wanted {
            Some(sku) => read.ledger(sku)?,
            None => Vec::new(),
        };
        let low: Vec<(String, u64)> = read
            .stock_levels()?
            .into_iter()
            .filter(|(_, u)| *u <= low_stock)
            .take(50)
            .collect();
        Ok((item, ledger, low))
    })
    .await?;
    let body = html! {
        h1 { "Stock" }
        @if q.done.is_some() { p.notice.ok role="status" { "Stock updated." } }
        form method="get" action="/admin/stock" .inline-form {
            label for="sku" { "SKU" }
            input #sku name="sku" value=(sku.clone().unwrap_or_default());
            button.button.secondary type="submit" { "Show" }
        }
        @match (&sku, &item) {
            (Some(sku), Some((title, units))) => {
                h2 { (title) " (" (sku) "): " (units) " in stock" }
                form method="post" action="/admin/stock/adjust" .transition-form {
                    input type="hidden" name="csrf" value=(who.session.csrf);
                    input type="hidden" name="sku" value=(sku);
                    div.field-row {
                        div.field { label for="delta" { "Change by (e.g. 12 or -3)" } input #delta name="delta" type="number" required; }
                        div.field { label for="reason" { "Reason" } input #reason name="reason" required maxlength="200"; }
                    }
                    button.button type="submit" { "Adjust stock" }
                }
                h2 { "Ledger" }
                table.order-lines {
                    thead { tr { th { "When" } th { "Change" } th { "Balance" } th { "Reason" } th { "By" } } }
                    tbody { @for e in ledger.iter().rev().take(200) { tr { td { (format_utc(e.at_ms)) } td { (e.delta) } td { (e.balance) } td { (e.reason) } td { (e.actor) } } } }
                }
            }
            (Some(sku), None) => { p.notice.error { "No product has SKU " (sku) "." } }
            _ => {}
        }
        h2 { "Low stock (" (state.config.shop.low_stock) " or fewer)" }
        ul { @for (s, u) in &low { li { a href={ "/admin/stock?sku=" (s) } { (s) } ": " (u) } } }
    };
    Ok(page("Stock", Some(&who), body))
}

#[derive(Deserialize)]
struct AdjustForm {
    #[serde(default)]
    csrf: String,
    sku: String,
    delta: String,
    reason: String,
}

async fn adjust_stock(
    who: SignedIn,
    state: web::Data<AppState>,
    form: web::Form<AdjustForm>,
) -> Result<HttpResponse, PageError> {
    who.check_csrf(&form.csrf)?;
    let staff = who.may::<crate::staff::Stock>()?;
    let form = form.into_inner();
    let bad = |m: &str| PageError(AppError::new(ErrorCode::InvalidInput, m));
    let delta: i64 = form
        .delta
        .trim()
        .parse()
        .map_err(|_| bad("the change must be a whole number such as 12 or -3"))?;
    let reason = form.reason.trim().to_owned();
    if reason.is_empty() || reason.chars().count() > 200 {
        return Err(bad("give a reason of 1 to 200 characters"));
    }
    let sku = form.sku.trim().to_owned();
    let target = sku.clone();
    let outcome = state
        .writer
        .run(move |tx| merchant::adjust_stock(tx, &staff, &target, delta, &reason))
        .await
        .map_err(AppError::from)?;
    match outcome {
        Ok(_) => {
            let query = serde_urlencoded::to_string([("sku", sku.as_str()), ("done", "1")]).unwrap_or_default();
            Ok(see_other(&format!("/admin/stock?{query}")))
        }
        Err(e) => Err(PageError(AppError::new(ErrorCode::Conflict, e.to_string()))),
    }
}

#[derive(Deserialize)]
struct AuditQuery {
    subject: Option<String>,
}

async fn audit(
    who: SignedIn,
    state: web::Data<AppState>,
    q: web::Query<AuditQuery>,
) -> Result<HttpResponse, PageError> {
    who.may::<crate::staff::Admin>()?;
    let subject = q.subject.clone().filter(|s| !s.trim().is_empty());
    let store = state.store.clone();
    let wanted = subject.clone();
    let entries = blocking(move || Ok(store.read()?.audit_log(wanted.as_deref(), 200)?)).await?;
    let body = html! {
        h1 { "Audit log" }
        form method="get" action="/admin/audit" .inline-form {
            label for="subject" { "Subject" }
            input #subject name="subject" placeholder="product:BRK-1 or order:K7MX-3Q9D" value=(subject.unwrap_or_default());
            button.button.secondary type="submit" { "Filter" }
        }
        table.order-lines {
            thead { tr { th { "When" } th { "Who" } th { "What" } th { "Subject" } th { "Before" } th { "After" } } }
            tbody {
                @for e in &entries {
                    tr {
                        td { (format_utc(e.at_ms)) } td { (e.actor) } td { (e.action) }
                        td { a href={ "/admin/audit?subject=" (e.subject) } { (e.subject) } }
                        td.small { code { (e.before) } } td.small { code { (e.after) } }
                    }
                }
            }
        }
    };
    Ok(page("Audit log", Some(&who), body))
}

async fn tokens(who: SignedIn, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    tokens_page(&who, &state, None).await
}

async fn tokens_page(who: &SignedIn, state: &AppState, created: Option<String>) -> Result<HttpResponse, PageError> {
    who.may::<crate::staff::Admin>()?;
    let store = state.store.clone();
    let list = blocking(move || Ok(store.read()?.api_tokens()?)).await?;
    let body = html! {
        h1 { "API tokens" }
        @if let Some(token) = &created {
            div.notice.ok role="status" {
                p { "Your new token. It is shown only now; copy it into the program that will use it:" }
                p { code.token { (token) } }
            }
        }
        form method="post" action="/admin/tokens" .transition-form {
            input type="hidden" name="csrf" value=(who.session.csrf);
            fieldset {
                legend { "New token" }
                @for scope in crate::staff::ScopeName::ALL {
                    label.choice { input type="checkbox" name="scope" value=(scope.as_str()); span { (scope.as_str()) } }
                }
                div.field { label for="label" { "What it is for" } input #label name="label" maxlength="100"; }
                button.button type="submit" { "Create token" }
            }
        }
        table.order-lines {
            thead { tr { th { "Id" } th { "Scopes" } th { "For" } th { "Created" } th { "" } } }
            tbody {
                @for t in &list {
                    tr {
                        td { code { (t.id) } } td { (t.scopes) } td { (t.label) } td { (format_utc(t.created_ms)) }
                        td {
                            @if t.revoked { span.muted { "revoked" } } @else {
                                form method="post" action="/admin/tokens/revoke" {
                                    input type="hidden" name="csrf" value=(who.session.csrf);
                                    input type="hidden" name="id" value=(t.id);
                                    button.link-button type="submit" { "Revoke" }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page("API tokens", Some(who), body))
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

async fn create_token(who: SignedIn, state: web::Data<AppState>, body: String) -> Result<HttpResponse, PageError> {
    let form = RepeatedForm::parse(&body)?;
    who.check_csrf(&form.field("csrf"))?;
    let admin = who.may::<crate::staff::Admin>()?;
    let scopes = form.scopes()?;
    let label = form.field("label").chars().take(100).collect::<String>();
    let token = state
        .writer
        .run(move |tx| merchant::create_token(tx, &admin, scopes, &label))
        .await
        .map_err(AppError::from)?;
    tokens_page(&who, &state, Some(token)).await
}

#[derive(Deserialize)]
struct RevokeForm {
    #[serde(default)]
    csrf: String,
    id: String,
}

async fn revoke_token(
    who: SignedIn,
    state: web::Data<AppState>,
    form: web::Form<RevokeForm>,
) -> Result<HttpResponse, PageError> {
    who.check_csrf(&form.csrf)?;
    let admin = who.may::<crate::staff::Admin>()?;
    let id = form.id.clone();
    state
        .writer
        .run(move |tx| merchant::revoke_token(tx, &admin, &id))
        .await
        .map_err(AppError::from)?;
    Ok(see_other("/admin/tokens"))
}

async fn import_form(who: SignedIn) -> Result<HttpResponse, PageError> {
    who.may::<crate::staff::Catalog>()?;
    Ok(import_page(&who, None))
}

fn import_page(who: &SignedIn, report: Option<&crate::catalog::ops::ImportReport>) -> HttpResponse {
    let body = html! {
        h1 { "Import and export" }
        p { a.button.secondary href="/admin/export" download="catalog.jsonl" { "Download the catalog (JSON Lines)" } }
        @if let Some(r) = report {
            div.notice.ok[r.rejected.is_empty()].error[!r.rejected.is_empty()] role="status" {
                p { (r.created) " created, " (r.updated) " updated, " (r.unchanged) " unchanged, " (r.rejected.len()) " rejected." }
                @if !r.rejected.is_empty() {
                    table.order-lines {
                        thead { tr { th { "Line" } th { "Problem" } } }
                        tbody { @for x in r.rejected.iter().take(500) { tr { td { (x.line) } td { (x.message) } } } }
                    }
                }
            }
        }
        form method="post" action="/admin/import/file" enctype="multipart/form-data" .transition-form {
            input type="hidden" name="csrf" value=(who.session.csrf);
            fieldset {
                legend { "Upload a catalog file" }
                div.field {
                    label for="file" { "JSON Lines (.jsonl) or CSV (.csv), up to 64 MB" }
                    input #file type="file" name="catalog" accept=".jsonl,.json,.csv,.txt" required;
                }
                button.button type="submit" { "Import file" }
            }
        }
        form method="post" action="/admin/import" .transition-form {
            input type="hidden" name="csrf" value=(who.session.csrf);
            fieldset {
                legend { "Or paste a catalog" }
                label.choice { input type="radio" name="format" value="jsonl" checked; span { "JSON Lines" } }
                label.choice { input type="radio" name="format" value="csv"; span { "CSV" } }
                div.field { label for="catalog" { "Catalog (up to 8 MB here; larger files: the API or storefront import)" } textarea #catalog name="catalog" rows="12" required {} }
                button.button type="submit" { "Import" }
            }
        }
    };
    page("Import and export", Some(who), body)
}

#[derive(Deserialize)]
struct ImportForm {
    #[serde(default)]
    csrf: String,
    format: String,
    catalog: String,
}

async fn import(
    who: SignedIn,
    state: web::Data<AppState>,
    form: web::Form<ImportForm>,
) -> Result<HttpResponse, PageError> {
    who.check_csrf(&form.csrf)?;
    let catalog_scope = who.may::<crate::staff::Catalog>()?;
    let form = form.into_inner();
    let report = run_import(&state, &catalog_scope, form.catalog.into_bytes(), form.format == "csv").await?;
    Ok(import_page(&who, Some(&report)))
}

/// Streams the export as it is written, so a large catalog never sits in memory whole.
/// The largest catalog file the upload form takes (the same as the API).
const IMPORT_FILE_LIMIT: usize = 64 << 20;

/// `multipart/form-data` with `csrf` and a `catalog` file; CSV when the file name ends in `.csv`.
async fn import_file(
    who: SignedIn,
    state: web::Data<AppState>,
    form: actix_multipart::Multipart,
) -> Result<HttpResponse, PageError> {
    let limits = [("catalog", IMPORT_FILE_LIMIT, "the file may be at most 64 MB")];
    let mut parts = super::multipart::read(form, &limits).await?;
    who.check_csrf(&super::multipart::text(&parts, "csrf"))?;
    let catalog_scope = who.may::<crate::staff::Catalog>()?;
    let file = parts.remove("catalog").unwrap_or_default();
    let csv = file.filename.is_some_and(|f| f.to_ascii_lowercase().ends_with(".csv"));
    let report = run_import(&state, &catalog_scope, file.bytes, csv).await?;
    Ok(import_page(&who, Some(&report)))
}

/// Imports a catalog beside checkouts (in the importer's own batches) and records it in the
/// audit log.
async fn run_import(
    state: &AppState,
    who: &crate::staff::Staff<crate::staff::Catalog>,
    bytes: Vec<u8>,
    csv: bool,
) -> Result<crate::catalog::ops::ImportReport, PageError> {
    let format = if csv {
        crate::catalog::import::Format::Csv
    } else {
        crate::catalog::import::Format::JsonLines
    };
    let store = state.store.clone();
    let actor = who.actor().to_owned();
    let report = blocking(move || {
        crate::catalog::ops::import(&store, &bytes[..], format, &actor, &mut |_| {})
            .map_err(|e| AppError::new(ErrorCode::InvalidInput, e.to_string()))
    })
    .await?;
    let summary =
        serde_json::json!({"created": report.created, "updated": report.updated, "rejected": report.rejected.len()})
            .to_string();
    let actor = who.actor().to_owned();
    state
        .writer
        .run(move |tx| ops::record(tx, &actor, "catalog.import", "catalog", "", &summary))
        .await
        .map_err(AppError::from)?;
    Ok(report)
}

async fn export(who: SignedIn, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    who.may::<crate::staff::Catalog>()?;
    let (send, receive) = tokio::sync::mpsc::channel::<Result<web::Bytes, std::io::Error>>(8);
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || {
        let mut out = std::io::BufWriter::with_capacity(64 << 10, ChunkSender(send.clone()));
        if let Err(e) = crate::catalog::export::export(&store, &mut out) {
            let _ = send.blocking_send(Err(std::io::Error::other(e.to_string())));
        }
        let _ = std::io::Write::flush(&mut out);
    });
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::CONTENT_DISPOSITION, "attachment; filename=\"catalog.jsonl\""))
        .content_type("application/x-ndjson; charset=utf-8")
        .streaming(ChunkStream(receive)))
}

/// The writing end of a streamed body: each write becomes one chunk.
struct ChunkSender(tokio::sync::mpsc::Sender<Result<web::Bytes, std::io::Error>>);

impl std::io::Write for ChunkSender {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .blocking_send(Ok(web::Bytes::copy_from_slice(buf)))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the download was cancelled"))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

struct ChunkStream(tokio::sync::mpsc::Receiver<Result<web::Bytes, std::io::Error>>);

impl futures_core::Stream for ChunkStream {
    type Item = Result<web::Bytes, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Option<Self::Item>> {
        self.0.poll_recv(cx)
    }
}

#[derive(Deserialize)]
struct ReportQuery {
    from: Option<String>,
    to: Option<String>,
    by: Option<String>,
    /// For the CSV download: `periods` (the default), `products`, `stockouts` or `searches`.
    section: Option<String>,
}

impl ReportQuery {
    /// The range asked for (UTC days, `to` inclusive); by default the last 7 days by day.
    fn range(&self) -> (u64, u64, crate::reports::Bucket) {
        let today = now_ms() / 86_400_000 * 86_400_000;
        let day = |d: &Option<String>| d.as_deref().and_then(crate::domain::day_start_ms);
        let to = day(&self.to).unwrap_or(today) + 86_400_000;
        let from = day(&self.from).unwrap_or(to - 7 * 86_400_000).min(to - 86_400_000);
        let bucket = match self.by.as_deref() {
            Some("hour") => crate::reports::Bucket::Hour,
            _ => crate::reports::Bucket::Day,
        };
        (from, to, bucket)
    }
}

async fn report_for(state: &AppState, q: &ReportQuery) -> Result<crate::reports::SalesReport, PageError> {
    crate::app::flush_views(state).await;
    let (from, to, bucket) = q.range();
    let store = state.store.clone();
    Ok(blocking(move || Ok(crate::reports::sales(&store.read()?, from, to, bucket)?)).await?)
}

async fn reports(
    who: SignedIn,
    state: web::Data<AppState>,
    q: web::Query<ReportQuery>,
) -> Result<HttpResponse, PageError> {
    who.may::<crate::staff::Orders>()?;
    let report = report_for(&state, &q).await?;
    let day = |ms: u64| crate::domain::format_utc(ms)[..10].to_owned();
    let (from_day, to_day) = (day(report.from_ms), day(report.to_ms - 1));
    let by_hour = report.bucket == crate::reports::Bucket::Hour;
    let csv_query = serde_urlencoded::to_string([
        ("from", from_day.as_str()),
        ("to", to_day.as_str()),
        ("by", if by_hour { "hour" } else { "day" }),
    ])
    .unwrap_or_default();
    let body = html! {
        h1 { "Sales report" }
        form method="get" action="/admin/reports" .inline-form {
            label for="from" { "From" } input #from type="date" name="from" value=(from_day);
            label for="to" { "To" } input #to type="date" name="to" value=(to_day);
            label for="by" { "By" }
            select #by name="by" { option value="day" selected[!by_hour] { "day" } option value="hour" selected[by_hour] { "hour" } }
            button.button.secondary type="submit" { "Show" }
            span { "CSV: " }
            @for (section, label) in [("periods", "sales"), ("products", "top products"), ("stockouts", "stock-outs"), ("searches", "searches")] {
                a href={ "/admin/reports.csv?" (csv_query) "&section=" (section) } download { (label) } " "
            }
        }
        div.stat-row {
            div.stat { p.stat-figure { (report.total_orders()) } p { "orders" } }
            div.stat { p.stat-figure { (report.total_revenue()) } p { "revenue" } }
            div.stat { p.stat-figure { (report.cancelled) } p { "cancelled or refunded" } }
        }
        @let (views, carts, placed) = report.funnel();
        section.funnel aria-label="Funnel" {
            h2 { "Funnel" }
            ol.funnel-steps {
                li { strong { (views) } " product page views" }
                li { strong { (carts) } " carts created" @if views > 0 { " (" (percent(carts, views)) " of views)" } }
                li { strong { (placed) } " orders" @if carts > 0 { " (" (percent(placed, carts)) " of carts)" } }
            }
        }
        figure.chart {
            (sales_chart(&report))
            figcaption { "Revenue per " @if by_hour { "hour" } @else { "day" } " (UTC), " (from_day) " to " (to_day) }
        }
        div.cart-layout {
            section {
                h2 { "Top products" }
                table.order-lines {
                    thead { tr { th { "Product" } th { "Units" } th { "Revenue" } } }
                    tbody { @for (sku, title, units, revenue) in &report.top_products {
                        tr { td { (title) div.small { (sku) } } td { (units) } td { (crate::domain::Money::new(*revenue, report.currency)) } }
                    } }
                }
            }
            aside {
                h2 { "Stock-outs" }
                @if report.stockouts.is_empty() { p.muted { "No sale took the last unit in this period." } }
                ul { @for (sku, at) in &report.stockouts { li { a href={ "/admin/stock?sku=" (sku) } { (sku) } " at " (format_utc(*at)) } } }
                h2 { "Searches that found nothing" }
                ul { @for (q, n) in &report.zero_result_searches { li { "“" (q) "” × " (n) } } }
            }
        }
    };
    Ok(page("Sales report", Some(&who), body))
}

fn percent(part: u64, whole: u64) -> String {
    format!("{:.1} %", part as f64 * 100.0 / whole.max(1) as f64)
}

/// A bar chart as inline SVG (no script, so the strict CSP holds), with a text alternative.
fn sales_chart(report: &crate::reports::SalesReport) -> Markup {
    let (width, height, left, bottom, top) = (960.0_f64, 260.0_f64, 70.0_f64, 30.0_f64, 14.0_f64);
    let plot = height - bottom - top;
    let max = report.periods.iter().map(|p| p.revenue_minor).max().unwrap_or(0).max(1) as f64;
    let n = report.periods.len().max(1) as f64;
    let slot = (width - left) / n;
    let bar = (slot * 0.8).max(1.0);
    let summary = format!(
        "{} orders, {} in total; the best period took {}",
        report.total_orders(),
        report.total_revenue(),
        crate::domain::Money::new(max as i64, report.currency)
    );
    let label_every = (report.periods.len() / 12).max(1);
    html! {
        svg.sales-chart viewBox={ "0 0 " (width) " " (height) } role="img" aria-label=(summary) {
            @for i in 0..=4 {
                @let y = top + plot * (1.0 - f64::from(i) / 4.0);
                line x1=(left) x2=(width) y1=(y) y2=(y) .grid {}
                text x=(left - 6.0) y=(y + 4.0) text-anchor="end" .axis {
                    (crate::domain::Money::new((max * f64::from(i) / 4.0) as i64, report.currency))
                }
            }
            @for (i, p) in report.periods.iter().enumerate() {
                @let h = plot * p.revenue_minor as f64 / max;
                @let x = left + slot * i as f64 + (slot - bar) / 2.0;
                rect x=(x) y=(height - bottom - h) width=(bar) height=(h) .bar {
                    title { (format_utc(p.start_ms)) ": " (p.orders) " orders, " (crate::domain::Money::new(p.revenue_minor, report.currency)) }
                }
                @if i % label_every == 0 {
                    text x=(x + bar / 2.0) y=(height - 10.0) text-anchor="middle" .axis {
                        @if report.bucket == crate::reports::Bucket::Hour { (format_utc(p.start_ms)[11..13].to_owned()) "h" }
                        @else { (format_utc(p.start_ms)[5..10].to_owned()) }
                    }
                }
            }
        }
    }
}

async fn reports_csv(
    who: SignedIn,
    state: web::Data<AppState>,
    q: web::Query<ReportQuery>,
) -> Result<HttpResponse, PageError> {
    who.may::<crate::staff::Orders>()?;
    let report = report_for(&state, &q).await?;
    let section = q.section.as_deref().unwrap_or("periods");
    let csv = report
        .section_csv(section)
        .ok_or_else(|| PageError(AppError::new(ErrorCode::NotFound, "no such report section")))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{section}.csv\""),
        ))
        .content_type("text/csv; charset=utf-8")
        .body(csv))
}

/// A printable packing slip (no prices) or invoice, one page, no navigation.
async fn paper(
    who: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    who.may::<Orders>()?;
    let (number, kind) = path.into_inner();
    let invoice = kind == "invoice";
    let key = crate::domain::normalize_order_number(&number)
        .ok_or_else(|| PageError(AppError::new(ErrorCode::OrderNotFound, "no such order")))?;
    let store = state.store.clone();
    let order = blocking(move || Ok(store.read()?.order(&key)?))
        .await?
        .ok_or_else(|| PageError(AppError::new(ErrorCode::OrderNotFound, "no such order")))?;
    let shop = &state.config.shop;
    let a = &order.address;
    let title = if invoice { "Invoice" } else { "Packing slip" };
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { (title) " " (order.number) }
                link rel="stylesheet" href=(assets::url("css/shop.css"));
            }
            body.paper {
                header.paper-head {
                    div { p.paper-shop { (shop.name) } p.muted { (shop.tagline) } }
                    div { h1 { (title) } p { "Order " strong { (order.number) } br; (format_day(order.created_ms)) } }
                }
                section.paper-parties {
                    div { h2 { "Ship to" } address { (a.name) br; (a.line1) br; @if !a.line2.is_empty() { (a.line2) br; } (a.city) " " (a.region) " " (a.postal_code) br; (a.country) } }
                    div { h2 { "Customer" } p { (order.email) } @if let Some(v) = &order.vehicle { p { "Vehicle: " (v) } } }
                }
                table.order-lines {
                    thead { tr {
                        th { "Item" } th { "Part #" } th { "Qty" }
                        @if invoice { th { "Unit price" } th { "Total" } } @else { th { "Picked" } }
                    } }
                    tbody { @for l in &order.lines { tr {
                        td { (l.title) div.small { "SKU " (l.sku) @for (k, v) in &l.options { " · " (k) ": " (v) } } }
                        td { (l.part_number.clone().unwrap_or_default()) }
                        td { (l.quantity) }
                        @if invoice { td { (l.unit_price) } td { (l.line_total) } } @else { td { "☐" } }
                    } } }
                }
                @if invoice {
                    dl.totals.paper-totals {
                        div { dt { "Subtotal" } dd { (order.subtotal) } }
                        @if order.discount.minor() > 0 { div { dt { "Discount" } dd { "−" (order.discount) } } }
                        div { dt { "Shipping (" (order.shipping_name) ")" } dd { (order.shipping) } }
                        @if let Some(t) = &order.tax_name { div { dt { (t) } dd { (order.tax) } } }
                        div.grand { dt { "Total" } dd { (order.total) } }
                    }
                    p.small { "Payment: " @if order.payment.method == "invoice" { "on invoice, due on receipt" } @else { "paid by card" } }
                }
            }
        }
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .content_type("text/html; charset=utf-8")
        .body(markup.into_string()))
}

async fn staff_list(who: SignedIn, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    staff_page(&who, &state, None).await
}

async fn staff_page(who: &SignedIn, state: &AppState, notice: Option<Markup>) -> Result<HttpResponse, PageError> {
    who.may::<crate::staff::Admin>()?;
    let store = state.store.clone();
    let accounts = blocking(move || Ok(store.read()?.accounts()?)).await?;
    let body = html! {
        h1 { "Staff" }
        @if let Some(n) = notice { (n) }
        table.order-lines {
            thead { tr { th { "Username" } th { "Scopes" } th { "Since" } th { "" } } }
            tbody { @for a in &accounts { tr {
                td { (a.username) } td { (a.scopes) } td { (format_day(a.created_ms)) }
                td { @if a.must_change_password { span.muted { "first password not yet changed" } } }
            } } }
        }
        form method="post" action="/admin/staff" .transition-form {
            input type="hidden" name="csrf" value=(who.session.csrf);
            fieldset {
                legend { "New account" }
                div.field { label for="username" { "Username" } input #username name="username" required pattern="[a-z0-9._-]{3,40}"; }
                p.small { "Scopes: catalog (products, import), stock, orders, admin (everything, including staff and tokens)." }
                @for scope in crate::staff::ScopeName::ALL {
                    label.choice { input type="checkbox" name="scope" value=(scope.as_str()); span { (scope.as_str()) } }
                }
                button.button type="submit" { "Create account" }
            }
        }
    };
    Ok(page("Staff", Some(who), body))
}

async fn create_account(who: SignedIn, state: web::Data<AppState>, body: String) -> Result<HttpResponse, PageError> {
    let form = RepeatedForm::parse(&body)?;
    who.check_csrf(&form.field("csrf"))?;
    let admin = who.may::<crate::staff::Admin>()?;
    let scopes = form.scopes()?;
    let username = form.field("username").trim().to_ascii_lowercase();
    let password = secrets::new_password();
    let secret = password.clone();
    let hash = blocking(move || Ok(secrets::hash_password(&secret))).await?;
    let name = username.clone();
    let outcome = state
        .writer
        .run(move |tx| merchant::create_account(tx, &admin, &name, scopes, hash))
        .await
        .map_err(AppError::from)?;
    let notice = match outcome {
        Ok(()) => html! {
            div.notice.ok role="status" {
                p { "Account " strong { (username) } " created. Its first password, shown only now (it must be changed at first sign-in):" }
                p { code.token { (password) } }
            }
        },
        Err(e) => html! { p.notice.error role="alert" { (e) } },
    };
    staff_page(&who, &state, Some(notice)).await
}
