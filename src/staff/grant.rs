//! Scopes as types. A merchant use case that changes the catalog takes a `&Staff<Catalog>`; the
//! only way to get one is `grant`, which the web layer calls after checking the credential's
//! scopes. So a route cannot reach a use case without its check.

use std::marker::PhantomData;

use super::ScopeName;

/// A scope as a type.
pub trait Scope: Send + Sync + 'static {
    const NAME: ScopeName;
}

macro_rules! scopes {
    ($($ty:ident => $name:ident),*) => {$(
        #[doc = concat!("The `", stringify!($name), "` scope.")]
        #[derive(Clone, Copy, Debug)]
        pub struct $ty;
        impl Scope for $ty {
            const NAME: ScopeName = ScopeName::$name;
        }
    )*};
}
scopes!(Catalog => Catalog, Orders => Orders, Stock => Stock, Admin => Admin);

/// Proof that the caller is staff allowed scope `S`.
#[derive(Debug)]
pub struct Staff<S: Scope> {
    actor: String,
    _scope: PhantomData<S>,
}

impl<S: Scope> Clone for Staff<S> {
    fn clone(&self) -> Self {
        Staff {
            actor: self.actor.clone(),
            _scope: PhantomData,
        }
    }
}

impl<S: Scope> Staff<S> {
    /// `token:<id>` or `admin:<username>`, as the audit log and stock ledger record it.
    pub fn actor(&self) -> &str {
        &self.actor
    }
}

/// Only for code that has checked the caller's scopes (the web extractor, the CLI, tests).
pub fn grant<S: Scope>(actor: impl Into<String>, scopes: super::Scopes) -> Option<Staff<S>> {
    scopes.allows(S::NAME).then(|| Staff {
        actor: actor.into(),
        _scope: PhantomData,
    })
}
