//! `/cart` and its forms: add, update, remove, promo. Every change answers 303 back to the cart
//! (post/redirect/get), or shows the cart again with the reason when it was refused.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::chrome;
use crate::cart::{self, Cart, CartError, CartLine};
use crate::domain::Sku;
use crate::shop::Failed;
use crate::state::AppState;
use crate::store::TxError;
use crate::web::views::cart::Notice;
use crate::web::visitor::{Visitor, cart_cookie};
use crate::web::{AppError, PageError, blocking, views};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/cart").route(crate::web::read().to(show)))
        .service(web::resource("/cart/add").route(web::post().to(add)))
        .service(web::resource("/cart/update").route(web::post().to(update)))
        .service(web::resource("/cart/remove").route(web::post().to(remove)))
        .service(web::resource("/cart/promo").route(web::post().to(promo)));
}

#[derive(Deserialize)]
pub struct LineForm {
    sku: String,
    #[serde(default)]
    cart_token: String,
    #[serde(default)]
    quantity: Option<String>,
}

impl LineForm {
    /// A missing quantity means one; anything unreadable is refused like a bad number.
    fn quantity(&self, default: u32) -> Result<u32, CartError> {
        match self.quantity.as_deref().map(str::trim) {
            None | Some("") => Ok(default),
            Some(q) => q.parse().map_err(|_| CartError::BadQuantity),
        }
    }
}

#[derive(Deserialize)]
pub struct PromoForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    cart_token: String,
}

#[derive(Deserialize)]
pub struct ShowQuery {
    added: Option<String>,
}

async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<ShowQuery>,
) -> Result<HttpResponse, PageError> {
    let notice = query.added.as_ref().map(|sku| Notice {
        text: format!("Added {sku} to your cart."),
        error: false,
    });
    render(&req, &state, notice, actix_web::http::StatusCode::OK).await
}

/// The cart page, with a notice; also how a refused change is answered.
async fn render(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    notice: Option<Notice>,
    status: actix_web::http::StatusCode,
) -> Result<HttpResponse, PageError> {
    let visitor = Visitor::of(req);
    let current = match &visitor.cart {
        Some(id) => match state.shop.view_cart(id.clone(), None, None).await {
            Ok(found) => Some(found),
            Err(Failed::Refused(CartError::NotFound)) => None,
            Err(e) => return Err(AppError::from(e).into()),
        },
        None => None,
    };
    let shared = state.clone();
    let markup = blocking(move || {
        let chrome = chrome(&shared, &shared.store.read()?, &visitor)?;
        Ok(views::cart::cart(&chrome, current.as_ref(), notice.as_ref()))
    })
    .await?;
    Ok(HttpResponse::build(status)
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .content_type("text/html; charset=utf-8")
        .body(markup.into_string()))
}

async fn add(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<LineForm>,
) -> Result<HttpResponse, PageError> {
    cart_form_check(&req, &form.cart_token)?;
    let quantity = match form.quantity(1) {
        Ok(q) => q,
        Err(e) => return refused(&req, &state, e).await,
    };
    let sku = match Sku::parse(&form.sku) {
        Ok(sku) => sku,
        Err(_) => return refused(&req, &state, CartError::UnknownSku(form.sku.clone())).await,
    };
    let existing = Visitor::of(&req).cart;
    let added = sku.to_string();
    let bundles = crate::web::api::carts::bundles_offered(&req, &state);
    let outcome = state
        .shop
        .change_cart(move |tx, rules, clock| {
            cart::ops::check_offered(tx, &sku, bundles)?;
            if let Some(id) = existing.as_deref() {
                match cart::ops::add(tx, rules, id, &sku, quantity, clock) {
                    Err(TxError::Refused(CartError::NotFound)) => {}
                    other => return other,
                }
            }
            cart::ops::create(tx, rules, &[CartLine { sku, quantity }], clock)
        })
        .await;
    match outcome {
        Ok(cart) => Ok(back_to_cart(&state, &cart, Some(&added))),
        Err(e) => refused_change(&req, &state, e).await,
    }
}

async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<LineForm>,
) -> Result<HttpResponse, PageError> {
    cart_form_check(&req, &form.cart_token)?;
    let quantity = match form.quantity(1) {
        Ok(q) => q,
        Err(e) => return refused(&req, &state, e).await,
    };
    let sku = match Sku::parse(&form.sku) {
        Ok(sku) => sku,
        Err(_) => return refused(&req, &state, CartError::NotInCart(form.sku.clone())).await,
    };
    change(&req, &state, move |tx, rules, clock, id| {
        cart::ops::set_quantity(tx, rules, id, &sku, quantity, clock)
    })
    .await
}

async fn remove(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<LineForm>,
) -> Result<HttpResponse, PageError> {
    cart_form_check(&req, &form.cart_token)?;
    let sku = match Sku::parse(&form.sku) {
        Ok(sku) => sku,
        Err(_) => return refused(&req, &state, CartError::NotInCart(form.sku.clone())).await,
    };
    change(&req, &state, move |tx, _, clock, id| {
        cart::ops::remove(tx, id, &sku, clock)
    })
    .await
}

async fn promo(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<PromoForm>,
) -> Result<HttpResponse, PageError> {
    cart_form_check(&req, &form.cart_token)?;
    let code = form.code.trim().to_owned();
    change(&req, &state, move |tx, rules, clock, id| {
        cart::ops::set_promo(tx, rules, id, Some(code.as_str()).filter(|c| !c.is_empty()), clock)
    })
    .await
}

/// Refuses a cart form that neither carries the cart's token nor comes, by the browser's word,
/// from this site (see `visitor::cart_form_allowed`).
fn cart_form_check(req: &HttpRequest, token: &str) -> Result<(), PageError> {
    if crate::web::visitor::cart_form_allowed(req, token) {
        return Ok(());
    }
    Err(PageError(AppError::new(
        crate::web::ErrorCode::Forbidden,
        "this cart form has expired or came from another site; reload the page and try again",
    )))
}

type Change = Box<
    dyn FnOnce(
            &mut crate::store::WriteTx<'_>,
            &cart::Rules,
            cart::Clock,
            &str,
        ) -> crate::store::TxResult<Cart, CartError>
        + Send,
>;

/// Applies a change to the visitor's existing cart.
async fn change<F>(req: &HttpRequest, state: &web::Data<AppState>, f: F) -> Result<HttpResponse, PageError>
where
    F: FnOnce(
            &mut crate::store::WriteTx<'_>,
            &cart::Rules,
            cart::Clock,
            &str,
        ) -> crate::store::TxResult<Cart, CartError>
        + Send
        + 'static,
{
    let Some(id) = Visitor::of(req).cart else {
        return refused(req, state, CartError::NotFound).await;
    };
    let f: Change = Box::new(f);
    match state
        .shop
        .change_cart(move |tx, rules, clock| f(tx, rules, clock, &id))
        .await
    {
        Ok(cart) => Ok(back_to_cart(state, &cart, None)),
        Err(e) => refused_change(req, state, e).await,
    }
}

fn back_to_cart(state: &AppState, cart: &Cart, added: Option<&str>) -> HttpResponse {
    let location = match added {
        Some(sku) => format!(
            "/cart?{}",
            serde_urlencoded::to_string([("added", sku)]).unwrap_or_default()
        ),
        None => "/cart".to_owned(),
    };
    HttpResponse::SeeOther()
        .cookie(cart_cookie(&cart.id, state.config.checkout.cart_ttl))
        .insert_header((header::LOCATION, location))
        .finish()
}

/// Shows the cart again with why the change did not happen; storage trouble is an error page.
async fn refused_change(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    e: Failed<CartError>,
) -> Result<HttpResponse, PageError> {
    match e {
        Failed::Refused(refusal) => refused(req, state, refusal).await,
        Failed::Write(e) => Err(AppError::from(e).into()),
    }
}

async fn refused(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    refusal: CartError,
) -> Result<HttpResponse, PageError> {
    let e = AppError::from(refusal);
    let status = e.code.status();
    render(
        req,
        state,
        Some(Notice {
            text: e.message,
            error: true,
        }),
        status,
    )
    .await
}
