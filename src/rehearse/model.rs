//! A spike rehearsal's rules, without I/O: the profiles (which steps a virtual shopper takes, how
//! often), what is recorded of each request, and what the figures say saturated first.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One thing a shopper does; each is timed on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Browse,
    Search,
    Vehicle,
    Cart,
    Checkout,
}

impl Step {
    pub const ALL: [Step; 5] = [Step::Browse, Step::Search, Step::Vehicle, Step::Cart, Step::Checkout];

    pub fn as_str(self) -> &'static str {
        match self {
            Step::Browse => "browse",
            Step::Search => "search",
            Step::Vehicle => "vehicle picker",
            Step::Cart => "cart",
            Step::Checkout => "checkout",
        }
    }
}

/// Which steps, how often, and whether a flash sale runs.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub name: String,
    /// Relative weight of each step.
    pub steps: BTreeMap<Step, u32>,
    /// Creates a flash sale on the best-stocked item and sends most carts to it.
    #[serde(default)]
    pub flash_sale: bool,
}

impl Profile {
    /// A seasonal rush: mostly browsing and search, a tenth of the steps carts and checkouts.
    pub fn spike() -> Profile {
        Profile {
            name: "spike".into(),
            steps: BTreeMap::from([
                (Step::Browse, 45),
                (Step::Search, 30),
                (Step::Vehicle, 10),
                (Step::Cart, 10),
                (Step::Checkout, 5),
            ]),
            flash_sale: false,
        }
    }

    /// A flash sale's first minutes: everyone goes for one item, and checkouts pile up.
    pub fn flash_sale() -> Profile {
        Profile {
            name: "flash-sale".into(),
            steps: BTreeMap::from([
                (Step::Browse, 25),
                (Step::Search, 10),
                (Step::Vehicle, 0),
                (Step::Cart, 35),
                (Step::Checkout, 30),
            ]),
            flash_sale: true,
        }
    }

    /// `spike`, `flash-sale`, or a TOML file: `name`, `flash_sale` and a `[steps]` table of
    /// weights (`browse`, `search`, `vehicle`, `cart`, `checkout`).
    pub fn parse(name_or_toml: &str, toml_text: Option<&str>) -> Result<Profile, String> {
        match (name_or_toml, toml_text) {
            ("spike", _) => Ok(Profile::spike()),
            ("flash-sale", _) => Ok(Profile::flash_sale()),
            (_, Some(text)) => {
                let p: Profile = toml::from_str(text).map_err(|e| format!("profile: {e}"))?;
                if p.steps.values().sum::<u32>() == 0 {
                    return Err("profile: every step weighs 0".into());
                }
                Ok(p)
            }
            (other, None) => Err(format!("no profile {other:?}: spike, flash-sale, or a TOML file")),
        }
    }

    /// The step for a uniform draw `roll` in 0..total weight.
    pub fn pick(&self, roll: u32) -> Step {
        let mut left = roll % self.steps.values().sum::<u32>().max(1);
        for (step, weight) in &self.steps {
            if left < *weight {
                return *step;
            }
            left -= weight;
        }
        Step::Browse
    }

    pub fn total_weight(&self) -> u32 {
        self.steps.values().sum()
    }
}

/// Latencies and answers of one step.
#[derive(Clone, Debug, Default, Serialize)]
pub struct StepFigures {
    pub requests: u64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Answers by HTTP status (0: no answer).
    pub statuses: BTreeMap<u16, u64>,
}

/// The `p`-quantile of sorted `values` (0 when there are none).
pub fn quantile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

impl StepFigures {
    pub fn from_samples(mut latencies_ms: Vec<f64>, statuses: BTreeMap<u16, u64>) -> StepFigures {
        latencies_ms.sort_by(f64::total_cmp);
        StepFigures {
            requests: latencies_ms.len() as u64,
            p50_ms: quantile(&latencies_ms, 0.50),
            p95_ms: quantile(&latencies_ms, 0.95),
            p99_ms: quantile(&latencies_ms, 0.99),
            max_ms: latencies_ms.last().copied().unwrap_or(0.0),
            statuses,
        }
    }

    /// Answers that are the store's failure: 5xx other than the waiting room's 503, and none.
    pub fn errors(&self) -> u64 {
        self.statuses
            .iter()
            .filter(|(s, _)| **s == 0 || (**s >= 500 && **s != 503))
            .map(|(_, n)| n)
            .sum()
    }
}

/// One second of the run.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Second {
    pub requests: u64,
    pub errors: u64,
    pub orders: u64,
    pub p99_ms: f64,
}

/// The server's figures the findings read, from `/metrics` before and after.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ServerFigures {
    pub cpu_seconds: f64,
    pub writer_commit_seconds: f64,
    pub writes_refused: f64,
    pub rate_limited: f64,
    pub page_cache_hits: f64,
    pub page_cache_requests: f64,
    pub waiting_room_admitted: f64,
}

impl ServerFigures {
    pub fn since(&self, before: &ServerFigures) -> ServerFigures {
        ServerFigures {
            cpu_seconds: self.cpu_seconds - before.cpu_seconds,
            writer_commit_seconds: self.writer_commit_seconds - before.writer_commit_seconds,
            writes_refused: self.writes_refused - before.writes_refused,
            rate_limited: self.rate_limited - before.rate_limited,
            page_cache_hits: self.page_cache_hits - before.page_cache_hits,
            page_cache_requests: self.page_cache_requests - before.page_cache_requests,
            waiting_room_admitted: self.waiting_room_admitted - before.waiting_room_admitted,
        }
    }

    /// Reads the figures from Prometheus text.
    pub fn parse(metrics: &str) -> ServerFigures {
        let sum = |name: &str, label: Option<&str>| -> f64 {
            metrics
                .lines()
                .filter(|l| !l.starts_with('#'))
                .filter(|l| l.starts_with(name) && l[name.len()..].starts_with(['{', ' ']))
                .filter(|l| label.is_none_or(|x| l.contains(x)))
                .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
                .sum()
        };
        ServerFigures {
            cpu_seconds: sum("process_cpu_seconds_total", None),
            writer_commit_seconds: sum("storefront_store_commit_duration_seconds_sum", None),
            writes_refused: sum("storefront_store_writes_refused_total", None),
            rate_limited: sum("storefront_rate_limited_total", None),
            page_cache_hits: sum("storefront_page_cache_requests_total", Some("outcome=\"hit\"")),
            page_cache_requests: sum("storefront_page_cache_requests_total", None),
            waiting_room_admitted: sum("storefront_waiting_room_admitted_total", None),
        }
    }
}

/// What the run says, and what to change.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Finding {
    pub what: String,
    pub advice: String,
}

/// What saturated first, judged from the server's figures over `seconds` on `cores` cores, and
/// the client's view of each step.
pub fn findings(server: &ServerFigures, seconds: f64, cores: f64, steps: &BTreeMap<Step, StepFigures>) -> Vec<Finding> {
    let mut out = Vec::new();
    let cpu = server.cpu_seconds / seconds.max(0.001) / cores.max(1.0);
    let writer = server.writer_commit_seconds / seconds.max(0.001);
    let checkout = steps.get(&Step::Checkout);
    if writer >= 0.8 {
        let orders_s = checkout.map_or(0.0, |c| *c.statuses.get(&201).unwrap_or(&0) as f64 / seconds.max(0.001));
        out.push(Finding {
            what: format!("the store writer was busy {:.0} % of the time: checkout is at its ceiling (about {orders_s:.0} orders/s here)", writer * 100.0),
            advice: format!(
                "turn the waiting room on for the sale ([waiting_room] mode = \"on\" or \"auto\") with admit_per_second near {:.0}, so admitted shoppers check out fast and the rest wait in line instead of timing out",
                (orders_s * 0.8).max(1.0)
            ),
        });
    }
    if cpu >= 0.85 {
        let hit = server.page_cache_hits / server.page_cache_requests.max(1.0);
        out.push(Finding {
            what: format!("the CPU was {:.0} % busy (page cache hit ratio {:.0} %)", cpu * 100.0, hit * 100.0),
            advice: "put a cache in front for browsing (Varnish or a CDN with the shipped VCL and [cache] purge_urls), and give the server more cores ([http] workers follows them)".into(),
        });
    }
    if server.writes_refused > 0.0 {
        out.push(Finding {
            what: format!(
                "{} writes were refused with 503 because the writer's queue was full",
                server.writes_refused
            ),
            advice: "raise [checkout] queue_bound only if the disk keeps up; the waiting room is the better valve"
                .into(),
        });
    }
    if server.rate_limited > 0.0 {
        out.push(Finding {
            what: format!("{} requests hit the per-client rate limits", server.rate_limited),
            advice: "real shoppers come from many addresses; when rehearsing from one host, or behind a proxy, see [limits] (behind_proxy, api_per_minute)".into(),
        });
    }
    for (step, f) in steps {
        if f.errors() > 0 {
            out.push(Finding {
                what: format!("{}: {} failed answers (5xx or none)", step.as_str(), f.errors()),
                advice: "read the server's log for these; a store that fails under load is the first thing to fix"
                    .into(),
            });
        }
    }
    if out.is_empty() {
        out.push(Finding {
            what: format!(
                "nothing saturated: CPU {:.0} %, writer busy {:.0} %, no failed answers",
                cpu * 100.0,
                writer * 100.0
            ),
            advice: "raise --users or --rate to find the ceiling".into(),
        });
    }
    out
}

/// Stock of each SKU the rehearsal touched, before and after, and the units it bought.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct StockCheck {
    pub sku: String,
    pub before: u64,
    pub sold: u64,
    pub after: u64,
}

impl StockCheck {
    /// Stock plus what sold equals the start: nothing sold twice, nothing lost.
    pub fn holds(&self) -> bool {
        self.after + self.sold == self.before
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profile_picks_each_step_in_proportion_to_its_weight() {
        let p = Profile::spike();
        let mut counts = BTreeMap::new();
        for roll in 0..p.total_weight() * 10 {
            *counts.entry(p.pick(roll)).or_insert(0) += 1;
        }
        assert_eq!(counts[&Step::Browse], 450);
        assert_eq!(counts[&Step::Checkout], 50);
        assert_eq!(Profile::parse("flash-sale", None).unwrap(), Profile::flash_sale());
        let own = Profile::parse(
            "mine.toml",
            Some("name = \"mine\"\n[steps]\nbrowse = 1\ncheckout = 1\n"),
        )
        .unwrap();
        assert_eq!((own.pick(0), own.pick(1)), (Step::Browse, Step::Checkout));
        assert!(Profile::parse("mine.toml", Some("name = \"x\"\n[steps]\nbrowse = 0\n")).is_err());
        assert!(Profile::parse("nope", None).is_err());
    }

    #[test]
    fn the_findings_name_the_writer_the_cpu_and_failures_and_what_to_change() {
        let mut steps = BTreeMap::new();
        steps.insert(
            Step::Checkout,
            StepFigures::from_samples(vec![1.0; 10], BTreeMap::from([(201, 9000), (500, 2)])),
        );
        let busy = ServerFigures {
            cpu_seconds: 19.0,
            writer_commit_seconds: 9.0,
            ..ServerFigures::default()
        };
        let said = findings(&busy, 10.0, 2.0, &steps);
        assert!(said[0].what.contains("writer was busy 90 %") && said[0].advice.contains("waiting room"));
        assert!(said[1].what.contains("CPU was 95 %") && said[1].advice.contains("cache in front"));
        assert!(said.iter().any(|f| f.what.contains("checkout: 2 failed")));
        let calm = findings(&ServerFigures::default(), 10.0, 2.0, &BTreeMap::new());
        assert!(calm[0].what.starts_with("nothing saturated"));
    }

    #[test]
    fn server_figures_are_read_from_prometheus_text() {
        let text = "# HELP x\nprocess_cpu_seconds_total 12.5\nstorefront_page_cache_requests_total{outcome=\"hit\"} 90\nstorefront_page_cache_requests_total{outcome=\"miss\"} 10\nstorefront_store_commit_duration_seconds_sum 3\nstorefront_store_commit_duration_seconds_count 7\n";
        let f = ServerFigures::parse(text);
        assert_eq!(
            (
                f.cpu_seconds,
                f.page_cache_hits,
                f.page_cache_requests,
                f.writer_commit_seconds
            ),
            (12.5, 90.0, 100.0, 3.0)
        );
        assert!(
            StockCheck {
                sku: "A".into(),
                before: 10,
                sold: 3,
                after: 7
            }
            .holds()
        );
        assert!(
            !StockCheck {
                sku: "A".into(),
                before: 10,
                sold: 3,
                after: 8
            }
            .holds()
        );
    }
}
