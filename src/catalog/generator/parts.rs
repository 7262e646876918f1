//! Auto parts: part types with believable titles, brands, attributes, part numbers in real makers'
//! styles, and year-range fitments over the vehicle table.

use rand::Rng;
use serde_json::{Map, Value, json};

use super::vehicles::{MAKES, Make};
use super::{pick, price, stock, weighted};

struct PartType {
    code: &'static str,
    category: &'static str,
    noun: &'static str,
    lines: &'static [&'static str],
    brands: &'static [&'static str],
    price: (u32, u32),
    positioned: bool,
    universal: bool,
}

const fn t(
    code: &'static str,
    category: &'static str,
    noun: &'static str,
    lines: &'static [&'static str],
    brands: &'static [&'static str],
    price: (u32, u32),
    positioned: bool,
) -> PartType {
    PartType {
        code,
        category,
        noun,
        lines,
        brands,
        price,
        positioned,
        universal: false,
    }
}

const BRAKE_BRANDS: &[&str] = &[
    "StopTech",
    "Bosch",
    "Wagner",
    "Raybestos",
    "Akebono",
    "ACDelco",
    "Power Stop",
    "Brembo",
    "Centric",
];
const FILTER_BRANDS: &[&str] = &[
    "Fram",
    "Bosch",
    "K&N",
    "Mann-Filter",
    "Wix",
    "Purolator",
    "ACDelco",
    "Motorcraft",
];
const IGNITION_BRANDS: &[&str] = &["NGK", "Denso", "Bosch", "Champion", "ACDelco", "Motorcraft"];
const CHASSIS_BRANDS: &[&str] = &["Moog", "Monroe", "KYB", "Bilstein", "Mevotech", "Dorman", "ACDelco"];
const COOLING_BRANDS: &[&str] = &["Gates", "Dorman", "Denso", "Spectra Premium", "Stant", "ACDelco"];
const ELECTRIC_BRANDS: &[&str] = &["Denso", "Bosch", "ACDelco", "Duralast", "Remy", "Motorcraft"];

static TYPES: &[PartType] = &[
    t(
        "BRK",
        "Brakes/Brake Pads",
        "Brake Pad Set",
        &[
            "Ceramic",
            "Semi-Metallic",
            "Low-Dust Ceramic",
            "Performance",
            "Severe Duty",
        ],
        BRAKE_BRANDS,
        (25, 110),
        true,
    ),
    t(
        "ROT",
        "Brakes/Rotors",
        "Disc Brake Rotor",
        &["Vented", "Drilled and Slotted", "Coated", "Premium"],
        BRAKE_BRANDS,
        (35, 180),
        true,
    ),
    t(
        "CAL",
        "Brakes/Calipers",
        "Disc Brake Caliper",
        &["Remanufactured", "Loaded", "New"],
        BRAKE_BRANDS,
        (45, 220),
        true,
    ),
    t(
        "SHO",
        "Brakes/Brake Shoes",
        "Drum Brake Shoe Set",
        &["Bonded", "Riveted"],
        BRAKE_BRANDS,
        (20, 70),
        false,
    ),
    t(
        "OIL",
        "Filters/Oil Filters",
        "Engine Oil Filter",
        &["Extra Guard", "Synthetic Endurance", "Premium", "High Mileage"],
        FILTER_BRANDS,
        (5, 25),
        false,
    ),
    t(
        "AIR",
        "Filters/Air Filters",
        "Engine Air Filter",
        &["High-Flow", "Washable", "Premium", "Standard"],
        FILTER_BRANDS,
        (12, 70),
        false,
    ),
    t(
        "CAB",
        "Filters/Cabin Air Filters",
        "Cabin Air Filter",
        &["Activated Carbon", "Particulate", "HEPA-Grade"],
        FILTER_BRANDS,
        (12, 45),
        false,
    ),
    t(
        "FUE",
        "Filters/Fuel Filters",
        "Fuel Filter",
        &["In-Line", "Cartridge"],
        FILTER_BRANDS,
        (10, 60),
        false,
    ),
    t(
        "SPK",
        "Ignition/Spark Plugs",
        "Spark Plug",
        &[
            "Iridium IX",
            "Laser Platinum",
            "Double Platinum",
            "Copper Core",
            "Iridium Power",
        ],
        IGNITION_BRANDS,
        (4, 28),
        false,
    ),
    t(
        "COI",
        "Ignition/Ignition Coils",
        "Ignition Coil",
        &["OE Replacement", "Performance", "Premium"],
        IGNITION_BRANDS,
        (30, 120),
        false,
    ),
    t(
        "STR",
        "Suspension/Shocks & Struts",
        "Strut Assembly",
        &["Quick-Strut", "Gas-a-Just", "Excel-G", "Heavy Duty"],
        CHASSIS_BRANDS,
        (60, 300),
        true,
    ),
    t(
        "SHK",
        "Suspension/Shocks & Struts",
        "Shock Absorber",
        &["Gas Charged", "Monotube", "Twin-Tube"],
        CHASSIS_BRANDS,
        (30, 160),
        true,
    ),
    t(
        "ARM",
        "Suspension/Control Arms",
        "Control Arm and Ball Joint Assembly",
        &["Lower", "Upper", "Problem Solver"],
        CHASSIS_BRANDS,
        (35, 190),
        true,
    ),
    t(
        "BJT",
        "Suspension/Ball Joints",
        "Ball Joint",
        &["Greasable", "Sealed", "Problem Solver"],
        CHASSIS_BRANDS,
        (18, 90),
        true,
    ),
    t(
        "TIE",
        "Steering/Tie Rod Ends",
        "Tie Rod End",
        &["Outer", "Inner"],
        CHASSIS_BRANDS,
        (15, 70),
        true,
    ),
    t(
        "RAD",
        "Cooling/Radiators",
        "Radiator",
        &["Aluminum Core", "OE Replacement"],
        COOLING_BRANDS,
        (90, 400),
        false,
    ),
    t(
        "WPM",
        "Cooling/Water Pumps",
        "Water Pump",
        &["OE Replacement", "With Gasket", "Heavy Duty"],
        COOLING_BRANDS,
        (30, 180),
        false,
    ),
    t(
        "THM",
        "Cooling/Thermostats",
        "Engine Coolant Thermostat",
        &["With Housing", "OE Temperature"],
        COOLING_BRANDS,
        (10, 60),
        false,
    ),
    t(
        "ALT",
        "Electrical/Alternators",
        "Alternator",
        &["Remanufactured", "New", "High Output"],
        ELECTRIC_BRANDS,
        (120, 450),
        false,
    ),
    t(
        "STA",
        "Electrical/Starters",
        "Starter Motor",
        &["Remanufactured", "New"],
        ELECTRIC_BRANDS,
        (90, 350),
        false,
    ),
    t(
        "BAT",
        "Electrical/Batteries",
        "Automotive Battery",
        &["AGM", "Flooded", "Platinum AGM"],
        ELECTRIC_BRANDS,
        (110, 320),
        false,
    ),
    t(
        "O2S",
        "Exhaust/Oxygen Sensors",
        "Oxygen Sensor",
        &["Upstream", "Downstream", "Air/Fuel Ratio"],
        ELECTRIC_BRANDS,
        (25, 140),
        false,
    ),
    t(
        "BLT",
        "Belts & Hoses/Serpentine Belts",
        "Serpentine Belt",
        &["Micro-V", "EPDM", "Premium"],
        COOLING_BRANDS,
        (15, 70),
        false,
    ),
    t(
        "TBK",
        "Belts & Hoses/Timing Belt Kits",
        "Timing Belt Kit with Water Pump",
        &["Complete", "PowerGrip"],
        COOLING_BRANDS,
        (90, 380),
        false,
    ),
    t(
        "HLB",
        "Lighting/Headlight Bulbs",
        "Headlight Bulb",
        &["Halogen", "XtraVision", "SilverStar Ultra", "LED"],
        &["Sylvania", "Philips", "GE", "Wagner Lighting"],
        (9, 80),
        false,
    ),
    t(
        "WIP",
        "Wipers/Wiper Blades",
        "Wiper Blade",
        &["Beam", "Hybrid", "Conventional", "Winter"],
        &["Bosch", "Rain-X", "Trico", "Michelin", "Valeo"],
        (9, 40),
        false,
    ),
];

static UNIVERSAL: &[PartType] = &[
    PartType {
        code: "FLD",
        category: "Fluids & Chemicals/Washer Fluid",
        noun: "Windshield Washer Fluid, 1 gal",
        lines: &["All-Season", "De-Icer", "Bug Wash"],
        brands: &["Rain-X", "Prestone", "Camco"],
        price: (4, 12),
        positioned: false,
        universal: true,
    },
    PartType {
        code: "CLN",
        category: "Fluids & Chemicals/Brake Cleaner",
        noun: "Brake Parts Cleaner, 14 oz",
        lines: &["Non-Chlorinated", "Chlorinated"],
        brands: &["CRC", "Gunk", "Berryman"],
        price: (5, 14),
        positioned: false,
        universal: true,
    },
    PartType {
        code: "TOL",
        category: "Tools/Hand Tools",
        noun: "Socket Set",
        lines: &["Metric", "SAE", "Impact", "Deep Well"],
        brands: &["GearWrench", "Tekton", "Craftsman"],
        price: (25, 180),
        positioned: false,
        universal: true,
    },
    PartType {
        code: "JAK",
        category: "Tools/Lifting",
        noun: "Floor Jack",
        lines: &["Low Profile 2-Ton", "3-Ton Steel", "Aluminum Racing"],
        brands: &["Arcan", "Pittsburgh", "Daytona"],
        price: (60, 320),
        positioned: false,
        universal: true,
    },
];

const POSITIONS: &[&str] = &["Front", "Rear"];

/// One auto part line.
pub fn part(rng: &mut impl Rng, serial: u64) -> Value {
    let universal = rng.random_bool(0.06);
    let kind = if universal {
        pick(rng, UNIVERSAL)
    } else {
        pick(rng, TYPES)
    };
    let brand = pick(rng, kind.brands);
    let line = pick(rng, kind.lines);
    let position = kind.positioned.then(|| *pick(rng, POSITIONS));
    let title = match position {
        Some(pos) => format!("{brand} {line} {pos} {}", kind.noun),
        None => format!("{brand} {line} {}", kind.noun),
    };
    let own = brand_number(rng, brand);
    let fitments = if kind.universal { Vec::new() } else { fitments(rng) };
    let makes: Vec<&str> = fitments.iter().filter_map(|f| f["make"].as_str()).collect();
    let mut numbers = vec![own.clone()];
    for _ in 0..rng.random_range(1..4) {
        let other = *pick(rng, kind.brands);
        numbers.push(brand_number(rng, other));
    }
    if let Some(make) = makes.first() {
        numbers.push(oem_number(rng, make));
    }
    if rng.random_bool(0.2) {
        numbers.push(format!("{own}-S"));
    }
    let mut attributes = Map::new();
    attributes.insert("product_line".into(), json!(line));
    if let Some(pos) = position {
        attributes.insert("position".into(), json!(pos));
    }
    attributes.insert("warranty_years".into(), json!(pick(rng, &[1, 2, 3, 5])));
    // A measured figure: nearly every part has its own, as in a real catalog.
    attributes.insert(
        "dimensions".into(),
        json!(format!(
            "{} x {} x {} mm",
            rng.random_range(20..400),
            rng.random_range(10..300),
            rng.random_range(5..120)
        )),
    );
    let description = format!(
        "{brand} {line} {} built to meet or exceed the original equipment. Direct-fit replacement{}; \
         check the fitment table for your vehicle before ordering.",
        kind.noun.to_lowercase(),
        position
            .map(|p| format!(" for the {} axle", p.to_lowercase()))
            .unwrap_or_default(),
    );
    json!({
        "sku": format!("{}-{serial:07}", kind.code),
        "title": title,
        "description": description,
        "brand": brand,
        "category": kind.category,
        "price_cents": price(rng, kind.price.0, kind.price.1),
        "currency": "USD",
        "stock": stock(rng),
        "part_numbers": numbers,
        "attributes": attributes,
        "fitments": fitments,
        "universal": kind.universal,
        "popularity": rng.random_range(0..100),
    })
}

/// Fitment counts follow a heavy tail: most parts fit a few dozen vehicles, a few fit 200.
fn fitment_count(rng: &mut impl Rng) -> usize {
    let normal: f64 = (0..12).map(|_| rng.random::<f64>()).sum::<f64>() - 6.0;
    let n = (3.55 + 0.85 * normal).exp();
    (n.round() as usize).clamp(1, 200)
}

/// Fitments cluster on one platform: a few related makes, their models, runs of years.
fn fitments(rng: &mut impl Rng) -> Vec<Value> {
    let count = fitment_count(rng);
    let makes: Vec<&Make> = (0..rng.random_range(1..4))
        .map(|_| weighted(rng, MAKES, |m| m.weight))
        .collect();
    let mut out = Vec::with_capacity(count);
    while out.len() < count {
        let make = pick(rng, &makes);
        let model = pick(rng, make.models);
        let from = rng.random_range(model.from..=model.to);
        let to = (from + rng.random_range(0..6)).min(model.to);
        let mut f = Map::new();
        f.insert("year_from".into(), json!(from));
        f.insert("year_to".into(), json!(to));
        f.insert("make".into(), json!(make.name));
        f.insert("model".into(), json!(model.name));
        if rng.random_bool(0.3) {
            f.insert("submodel".into(), json!(pick(rng, make.trims)));
        }
        if rng.random_bool(0.3) {
            f.insert("engine".into(), json!(pick(rng, model.engines)));
        }
        out.push(Value::Object(f));
    }
    out
}

fn digits(rng: &mut impl Rng, n: usize) -> String {
    (0..n).map(|_| char::from(b'0' + rng.random_range(0..10u8))).collect()
}

fn letters(rng: &mut impl Rng, n: usize) -> String {
    (0..n).map(|_| char::from(b'A' + rng.random_range(0..26u8))).collect()
}

/// An aftermarket number in the style its brand uses.
fn brand_number(rng: &mut impl Rng, brand: &str) -> String {
    match brand {
        "Bosch" => format!("0 986 {} {}", digits(rng, 3), digits(rng, 3)),
        "StopTech" | "Centric" => format!("{}.{}", pick(rng, &["309", "308", "105", "120"]), digits(rng, 5)),
        "Wagner" => format!("{}{}", pick(rng, &["QC", "ZD", "OEX", "TQ"]), digits(rng, 4)),
        "Raybestos" => format!("{}{}H", pick(rng, &["EHT", "PGD", "SGD"]), digits(rng, 4)),
        "Akebono" => format!("ACT{}", digits(rng, 4)),
        "ACDelco" => format!("{}{}{}", digits(rng, 2), pick(rng, &["D", "A", "R"]), digits(rng, 4)),
        "Power Stop" => format!("{}-{}", pick(rng, &["16", "17", "Z23", "Z36"]), digits(rng, 4)),
        "Brembo" => format!("P{} {}", digits(rng, 2), digits(rng, 3)),
        "Fram" => format!("{}{}", pick(rng, &["PH", "CA", "CF", "G"]), digits(rng, 4)),
        "K&N" => format!("{}-{}", pick(rng, &["33", "HP", "VF"]), digits(rng, 4)),
        "Mann-Filter" => format!(
            "{} {}/{}",
            pick(rng, &["W", "C", "CU", "HU"]),
            digits(rng, 3),
            digits(rng, 1)
        ),
        "Wix" => format!("{}", 24000 + rng.random_range(0..30000u32)),
        "Purolator" => format!("{}{}", pick(rng, &["L", "A", "C"]), digits(rng, 5)),
        "Motorcraft" => format!("{}-{}", pick(rng, &["FL", "FA", "DG", "SP"]), digits(rng, 3)),
        "NGK" => format!(
            "{}{}{}-{}",
            letters(rng, 3),
            digits(rng, 1),
            pick(rng, &["AIX", "IX", "GP"]),
            digits(rng, 2)
        ),
        "Denso" => format!("{}-{}", digits(rng, 3), digits(rng, 4)),
        "Champion" => format!("RC{}YC{}", digits(rng, 2), digits(rng, 1)),
        "Moog" => format!("{}{}", pick(rng, &["K", "ES", "RK"]), digits(rng, 5)),
        "Monroe" | "KYB" => digits(rng, 6),
        "Bilstein" => format!("24-{}", digits(rng, 6)),
        "Mevotech" => format!("{}{}", pick(rng, &["MS", "CMS", "GS"]), digits(rng, 5)),
        "Dorman" => format!("{}-{}", digits(rng, 3), digits(rng, 3)),
        "Gates" => format!("{}{}", pick(rng, &["K0", "TCKWP", "42"]), digits(rng, 4)),
        _ => format!("{}-{}", letters(rng, 2), digits(rng, 5)),
    }
}

/// An original-equipment number in the carmaker's own format.
fn oem_number(rng: &mut impl Rng, make: &str) -> String {
    match make {
        "Honda" | "Acura" => format!("{}-{}-A{}", digits(rng, 5), letters(rng, 3), digits(rng, 2)),
        "Toyota" | "Lexus" | "Scion" => format!("{}-{}", digits(rng, 5), digits(rng, 5)),
        "Ford" | "Lincoln" | "Mercury" => format!(
            "{}{}Z-{}-{}",
            digits(rng, 1),
            letters(rng, 1),
            digits(rng, 4),
            letters(rng, 1)
        ),
        "Nissan" | "Infiniti" => {
            format!("D{}-{}{}", digits(rng, 4), digits(rng, 1), letters(rng, 4))
        }
        "Hyundai" | "Kia" | "Genesis" => format!(
            "{}-{}{}{}",
            digits(rng, 5),
            digits(rng, 1),
            letters(rng, 2),
            digits(rng, 2)
        ),
        "BMW" | "Mini" => format!(
            "{} {} {} {} {}",
            digits(rng, 2),
            digits(rng, 2),
            digits(rng, 1),
            digits(rng, 3),
            digits(rng, 3)
        ),
        "Mercedes-Benz" => format!(
            "A {} {} {} {}",
            digits(rng, 3),
            digits(rng, 3),
            digits(rng, 2),
            digits(rng, 2)
        ),
        "Volkswagen" | "Audi" | "Porsche" => format!(
            "{}{} {} {} {}",
            digits(rng, 1),
            letters(rng, 1),
            digits(rng, 1),
            digits(rng, 3),
            digits(rng, 3)
        ),
        "Subaru" => format!("{}{}{}", digits(rng, 5), letters(rng, 2), digits(rng, 3)),
        "Mazda" => format!("{}-{}-{}", letters(rng, 4), digits(rng, 2), letters(rng, 3)),
        "Chrysler" | "Dodge" | "Jeep" | "Ram" => format!("{}AA", digits(rng, 8)),
        _ => digits(rng, 8),
    }
}
