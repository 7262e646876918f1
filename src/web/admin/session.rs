//! Signing in and out, and changing the password.

use super::*;

#[derive(Deserialize)]
pub(super) struct LoginQuery {
    next: Option<String>,
    failed: Option<String>,
}

pub(super) const LOGIN_CSRF_COOKIE: &str = "login_csrf";

pub(super) async fn login_form(req: HttpRequest, q: web::Query<LoginQuery>) -> HttpResponse {
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
pub(super) fn safe_next(next: Option<&str>) -> String {
    next.filter(|n| {
        n.starts_with("/admin") && !n.starts_with("//") && !n.contains('\\') && !n.chars().any(char::is_control)
    })
    .unwrap_or("/admin")
    .to_owned()
}

#[derive(Deserialize)]
pub(super) struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    csrf: String,
    next: Option<String>,
}

/// Two password checks at a time at most: each costs ~25 ms of a core.
pub(super) fn hashing_permits() -> &'static tokio::sync::Semaphore {
    static PERMITS: OnceLock<tokio::sync::Semaphore> = OnceLock::new();
    PERMITS.get_or_init(|| tokio::sync::Semaphore::new(2))
}

pub(super) async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, PageError> {
    let expected = req
        .cookie(LOGIN_CSRF_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    if expected.is_empty() || !crate::staff::secrets::constant_time_eq(expected.as_bytes(), form.csrf.as_bytes()) {
        return Err(PageError(AppError::new(
            ErrorCode::Forbidden,
            "the sign-in form has expired; reload it and try again",
        )));
    }
    let form = form.into_inner();
    let store = state.store.clone();
    let username = form.username.trim().to_owned();
    let limiters = req.app_data::<web::Data<crate::web::limits::Limiters>>().cloned();
    if let Some(Err(wait)) = limiters.as_ref().map(|l| l.begin_sign_in(&username)) {
        tracing::warn!(username = %username, "sign-in refused: too many failures for this account");
        let minutes = wait.div_ceil(60);
        return Ok(crate::web::limits::too_many_requests(
            false,
            wait,
            format!("too many failed sign-ins for this account; try again in {minutes} min"),
        ));
    }
    let name = username.clone();
    let _permit = hashing_permits()
        .acquire()
        .await
        .map_err(|_| AppError::new(ErrorCode::Unavailable, "shutting down"))?;
    let matched = blocking(move || {
        let read = store.read()?;
        let account = read.account(&name)?;
        let disabled = read.is_account_disabled(&name)?;
        // An unknown or disabled user costs the same as a wrong password, and is told the same.
        let hash = account
            .as_ref()
            .map_or(secrets::dummy_hash(), |a| a.password_hash.as_str());
        Ok(secrets::verify_password(&form.password, hash) && account.is_some() && !disabled)
    })
    .await?;
    if !matched {
        tracing::warn!(username = %username, "failed back-office sign-in");
        return Ok(see_other("/admin/login?failed=1"));
    }
    if let Some(limiters) = &limiters {
        limiters.sign_in_succeeded(&username);
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
pub(super) struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub(super) async fn logout(
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

pub(super) async fn password_form(who: SignedIn) -> HttpResponse {
    password_page(&who, None)
}

pub(super) fn password_page(who: &SignedIn, problem: Option<&str>) -> HttpResponse {
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
pub(super) struct PasswordForm {
    #[serde(default)]
    csrf: String,
    current: String,
    new: String,
    again: String,
}

pub(super) async fn change_password(
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
    let keep = who.cookie.clone();
    state
        .writer
        .run(move |tx| ops::set_password(tx, &username, hash, &actor, Some(&keep)))
        .await
        .map_err(AppError::from)?;
    Ok(see_other("/admin?notice=password-changed"))
}
