vcl 4.1;

# Varnish in front of storefront: catalog pages and catalog JSON are cached for the max-age the
# store sends (http.page_max_age_secs); anything personal goes straight through. storefront sees
# Varnish on loopback and takes the client from the X-Forwarded-For Varnish sets.

backend storefront {
    .host = "127.0.0.1";
    .port = "8080";
}

sub vcl_recv {
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
