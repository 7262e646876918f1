//! Surrogate keys and purge styles. Rules only, no I/O.

/// How the caches are told.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Style {
    /// `PURGE /` with `xkey-purge: KEYS` (Varnish with the xkey vmod; the shipped VCL).
    Xkey,
    /// `BAN /` with `xkey-ban: KEYS` (plain Varnish: the VCL bans objects whose keys match).
    Ban,
}

/// `[cache]`: where purges go.
#[derive(Clone, Debug)]
pub struct CacheConfig {
    pub purge_urls: Vec<String>,
    pub style: Style,
}

/// Most SKUs named one by one in a purge; a larger change purges every catalog page.
pub const MOST_NAMED: usize = 200;

/// The keys of the answer at `path`: which purges drop it. `None` for what caches never keep.
pub fn keys_for_path(path: &str) -> Option<String> {
    let key = if let Some(sku) = path.strip_prefix("/p/") {
        format!("p-{sku}")
    } else if let Some(slug) = path.strip_prefix("/c/") {
        format!("c-{}", slug.trim_end_matches('/').to_lowercase())
    } else if path == "/" {
        "home".to_owned()
    } else if path == "/search" || path.starts_with("/api/v1/search") || path.starts_with("/api/v1/suggest") {
        "search".to_owned()
    } else if let Some(sku) = path.strip_prefix("/api/v1/products/") {
        format!("p-{sku}")
    } else if path == "/api/v1/products" || path.starts_with("/api/v1/vehicles") {
        "search".to_owned()
    } else {
        return None;
    };
    Some(format!("{key} catalog"))
}

/// The keys to purge when these products changed (their categories given as slugs, each with
/// its parents): their pages, the listings that show them, the home page and searches. An empty
/// list of SKUs means "too many to name": every catalog page.
pub fn purge_keys(skus: &[(String, Option<String>)]) -> Vec<String> {
    if skus.is_empty() {
        return vec!["catalog".to_owned()];
    }
    let mut keys: Vec<String> = vec!["home".into(), "search".into()];
    for (sku, category) in skus {
        keys.push(format!("p-{sku}"));
        if let Some(slug) = category {
            let parts: Vec<&str> = slug.split('/').collect();
            for depth in 1..=parts.len() {
                keys.push(format!("c-{}", parts[..depth].join("/")));
            }
        }
    }
    keys.sort();
    keys.dedup();
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_product_change_purges_its_page_its_categories_and_the_listings_that_show_it() {
        let keys = purge_keys(&[("BP-1".into(), Some("brakes/pads".into())), ("X".into(), None)]);
        assert_eq!(keys, ["c-brakes", "c-brakes/pads", "home", "p-BP-1", "p-X", "search"]);
        assert_eq!(purge_keys(&[]), ["catalog"]);
        assert_eq!(keys_for_path("/p/BP-1").as_deref(), Some("p-BP-1 catalog"));
        assert_eq!(
            keys_for_path("/c/Brakes/Pads/").as_deref(),
            Some("c-brakes/pads catalog")
        );
        assert_eq!(keys_for_path("/cart"), None);
    }
}
