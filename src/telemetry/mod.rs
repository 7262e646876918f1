//! Logging (a tracing subscriber writing human-readable or JSON lines to stderr) and metrics
//! (Prometheus, see `metrics`).

pub mod metrics;

/// A named point where a test may have the process die (`STOREFRONT_CRASH_POINTS=name:0.01,…`:
/// abort with that probability), as a SIGKILL there would. The crash tests use it to stop the
/// server between a payment and its order, many times, at each step; without the variable it
/// costs one load of a static.
pub fn crash_point(name: &str) {
    static POINTS: std::sync::OnceLock<Vec<(String, f64)>> = std::sync::OnceLock::new();
    let points = POINTS.get_or_init(|| {
        std::env::var("STOREFRONT_CRASH_POINTS")
            .unwrap_or_default()
            .split(',')
            .filter_map(|p| {
                let (n, odds) = p.split_once(':')?;
                Some((n.trim().to_owned(), odds.trim().parse().ok()?))
            })
            .collect()
    });
    if points.is_empty() {
        return;
    }
    if let Some((_, odds)) = points.iter().find(|(n, _)| n == name)
        && rand::random::<f64>() < *odds
    {
        eprintln!("crash point {name}: aborting as told by STOREFRONT_CRASH_POINTS");
        std::process::abort();
    }
}

use std::io::Write;

use tracing_subscriber::EnvFilter;

use crate::config::{LogConfig, LogFormat};

/// Installs the global subscriber. Safe to call more than once: later calls do nothing.
pub fn init(log: &LogConfig) {
    let mut filter = EnvFilter::try_new(&log.filter).unwrap_or_else(|_| EnvFilter::new("info"));
    if log.access {
        // Asked for by name, the access log is written whatever level the rest is filtered at.
        if let Ok(access) = "storefront::access=info".parse() {
            filter = filter.add_directive(access);
        }
    }
    // tracing-subscriber reports a failed write with `eprintln!`, which panics when stderr is
    // the thing that failed: a full disk under the log file, or a log reader that went away,
    // would then kill whichever thread logged (once it was the store writer).
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .log_internal_errors(false)
        .with_writer(|| LossyStderr);
    let _ = match log.format {
        LogFormat::Human => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

/// Standard error that drops a line it cannot write, counting it, instead of failing: a log line
/// is never worth a request or a thread.
pub struct LossyStderr;

impl Write for LossyStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if std::io::stderr().lock().write_all(buf).is_err() {
            ::metrics::counter!(metrics::LOG_LINES_DROPPED).increment(1);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let _ = std::io::stderr().flush();
        Ok(())
    }
}

/// The span each HTTP request is logged in: method and route pattern, never the raw path and
/// query, which hold cart ids (bearer secrets for carts) and order tokens.
pub struct RequestSpan;

impl tracing_actix_web::RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &actix_web::dev::ServiceRequest) -> tracing::Span {
        let route = request.match_pattern().unwrap_or_else(|| "unmatched".to_owned());
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.route = %route,
            http.status_code = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
        )
    }

    fn on_request_end<B: actix_web::body::MessageBody>(
        span: tracing::Span,
        outcome: &Result<actix_web::dev::ServiceResponse<B>, actix_web::Error>,
    ) {
        tracing_actix_web::DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}
