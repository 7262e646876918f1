//! Hot sauces: families of one recipe in several bottle sizes, with heat and Scoville ratings.

use rand::Rng;
use serde_json::{Value, json};

use super::{pick, price, stock};

const MAKERS: &[&str] = &[
    "Ember & Ash",
    "Blue Ridge Heat",
    "Bayou Fire",
    "Sonoran Sun",
    "Cinder Cone",
    "Red Fox Provisions",
    "Hellfire Hollow",
    "Lowcountry Pepper Co.",
    "Pacific Smoke",
    "Casa Brava",
    "Old Mill Hot Sauce",
    "Kettle Creek",
];

/// (pepper, typical Scoville, heat label, category)
const PEPPERS: &[(&str, u32, &str, &str)] = &[
    ("Jalapeño", 5_000, "Mild", "Hot Sauces/Green"),
    ("Serrano", 15_000, "Medium", "Hot Sauces/Green"),
    ("Chipotle", 8_000, "Medium", "Hot Sauces/Smoky"),
    ("Cayenne", 40_000, "Hot", "Hot Sauces/Louisiana Style"),
    ("Tabasco Pepper", 40_000, "Hot", "Hot Sauces/Louisiana Style"),
    ("Habanero", 250_000, "Extra Hot", "Hot Sauces/Habanero"),
    ("Scotch Bonnet", 300_000, "Extra Hot", "Hot Sauces/Caribbean"),
    ("Ghost Pepper", 1_000_000, "Insane", "Hot Sauces/Superhot"),
    ("Carolina Reaper", 1_600_000, "Insane", "Hot Sauces/Superhot"),
    ("Poblano", 1_500, "Mild", "Hot Sauces/Smoky"),
];

const STYLES: &[&str] = &[
    "Garlic",
    "Mango",
    "Pineapple",
    "Lime",
    "Smoked",
    "Verde",
    "Honey",
    "Roasted",
    "Fermented",
    "Peach",
    "Ginger",
];
const SIZES: &[(&str, u32)] = &[("5 oz", 100), ("10 oz", 175), ("1 gal", 2600)];

/// One recipe in one to three bottle sizes sharing a variant group.
pub fn sauce_family(rng: &mut impl Rng, serial: u64) -> Vec<Value> {
    let maker = pick(rng, MAKERS);
    let &(pepper, scoville, heat, category) = pick(rng, PEPPERS);
    let style = pick(rng, STYLES);
    let title = format!("{maker} {style} {pepper} Hot Sauce");
    let group = format!("sauce-{serial}");
    let scoville = scoville / 10 * rng.random_range(5..15);
    let sizes = rng.random_range(1..=SIZES.len());
    let base: u32 = rng.random_range(6..14);
    SIZES[..sizes]
        .iter()
        .map(|&(size, factor)| {
            json!({
                "sku": format!("HS-{serial:06}-{}", size.split(' ').next().unwrap_or("x").replace('.', "")),
                "title": format!("{title}, {size}"),
                "description": format!(
                    "{style} and {pepper} peppers, slow-fermented and bottled by {maker}. {heat} heat, \
                     around {scoville} Scoville units. Great on tacos, eggs and anything off the grill."
                ),
                "brand": maker,
                "category": category,
                "price_cents": price(rng, base * factor / 100, base * factor / 100 + 3),
                "currency": "USD",
                "stock": stock(rng),
                "attributes": {"heat": heat, "scoville": scoville, "pepper": pepper, "size": size},
                "group": group,
                "options": {"size": size},
                "popularity": rng.random_range(0..50),
            })
        })
        .collect()
}
