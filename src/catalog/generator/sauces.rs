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
/// What goes in a bottle besides the pepper: a recipe's list draws three to six, so a catalog
/// holds thousands of distinct lists, as real ones do (an attribute no shopper filters by).
const INGREDIENTS: &[&str] = &[
    "vinegar",
    "water",
    "salt",
    "garlic",
    "onion",
    "carrot",
    "lime juice",
    "lemon juice",
    "mango",
    "pineapple",
    "papaya",
    "peach",
    "apricot",
    "tomato",
    "tomatillo",
    "cilantro",
    "cumin",
    "oregano",
    "black pepper",
    "mustard seed",
    "ginger",
    "turmeric",
    "honey",
    "cane sugar",
    "brown sugar",
    "molasses",
    "smoked paprika",
    "soy sauce",
    "fish sauce",
    "sesame oil",
    "rice vinegar",
    "apple cider vinegar",
    "allspice",
    "thyme",
    "bay leaf",
    "coriander",
    "celery seed",
    "xanthan gum",
    "citric acid",
    "roasted red pepper",
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
    let ingredients = ingredients(rng, pepper);
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
                "attributes": {"heat": heat, "scoville": scoville, "pepper": pepper, "size": size, "ingredients": ingredients},
                "group": group,
                "options": {"size": size},
                "popularity": rng.random_range(0..50),
            })
        })
        .collect()
}

/// `"habanero peppers, vinegar, mango, salt"`: the pepper, then three to six others in recipe order.
fn ingredients(rng: &mut impl Rng, pepper: &str) -> String {
    let mut list = vec![format!("{} peppers", pepper.to_lowercase())];
    let count = rng.random_range(3..=6);
    while list.len() <= count {
        let next = (*pick(rng, INGREDIENTS)).to_owned();
        if !list.contains(&next) {
            list.push(next);
        }
    }
    // An attribute value holds at most 100 characters.
    while list.join(", ").len() > 100 {
        list.pop();
    }
    list.join(", ")
}
