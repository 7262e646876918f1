vcl 4.1;

# Varnish in front of storefront: catalog pages and catalog JSON are cached for the max-age the
# store sends (http.page_max_age_secs); anything personal goes straight through. storefront sees
# Varnish on loopback and takes the client from the X-Forwarded-For Varnish sets.
#
# Purges: with `[cache] purge_urls = ["http://127.0.0.1:6081"]` in the store's config, every
# change to a product's page (price, stock state, text, category) sends `PURGE /` with the
# surrogate keys it touches in `xkey-purge` (style "xkey", this file; needs the xkey vmod from
# Debian's varnish-modules) or `BAN /` with them in `xkey-ban` (style "ban", no vmod needed).
# Only the store's host may send them.

import xkey;

backend storefront {
    .host = "127.0.0.1";
    .port = "8080";
}

acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    if (req.method == "PURGE" || req.method == "BAN") {
        if (client.ip !~ purgers) {
            return (synth(403, "Forbidden"));
        }
        if (req.method == "PURGE" && req.http.xkey-purge) {
            set req.http.n-gone = xkey.purge(req.http.xkey-purge);
            return (synth(200, "Purged " + req.http.n-gone));
        }
        if (req.method == "BAN" && req.http.xkey-ban) {
            ban("obj.http.xkey ~ (^|\s)(" + regsuball(req.http.xkey-ban, "\s+", "|") + ")(\s|$)");
            return (synth(200, "Banned"));
        }
        return (synth(400, "Name the keys in xkey-purge or xkey-ban"));
    }
    # Metrics are for a scraper on the host (storefront also refuses forwarded requests for them).
    if (req.url ~ "(?i)^/+(\./)*(m|%6d)etrics") {
        return (synth(403, "Forbidden"));
    }
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    # The back office, carts, checkout and orders are personal.
    if (req.url ~ "^/(admin|cart|checkout|orders|garage)" || req.url ~ "^/api/v1/(admin|carts|checkout|orders)") {
        return (pass);
    }
    # A shopper with a cart or a saved vehicle sees "fits your …" and the mini-cart.
    if (req.http.Cookie ~ "(^|;\s*)(cart|garage|sid|__Host-sid)=") {
        return (pass);
    }
    unset req.http.Cookie;
}

sub vcl_deliver {
    # Whether this answer came from the cache, for whoever measures the hit ratio.
    if (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
    # The keys are for Varnish; a CDN in front of it reads Surrogate-Key.
    unset resp.http.xkey;
}
