//! A realistic vehicle table for the generator: makes, their trims, and models with production
//! years and engines. Weights skew fitments toward popular vehicles, as real catalogs are.

pub struct Make {
    pub name: &'static str,
    pub trims: &'static [&'static str],
    pub models: &'static [Model],
    /// Relative share of parts that fit this make.
    pub weight: u32,
}

pub struct Model {
    pub name: &'static str,
    pub from: u16,
    pub to: u16,
    pub engines: &'static [&'static str],
}

const fn m(name: &'static str, from: u16, to: u16, engines: &'static [&'static str]) -> Model {
    Model {
        name,
        from,
        to,
        engines,
    }
}

const I4T: &[&str] = &["1.5L L4 Turbo", "2.0L L4 Turbo"];
const V6: &[&str] = &["3.5L V6", "3.0L V6"];
const SMALL: &[&str] = &["1.5L L4", "1.6L L4"];
const TRUCK: &[&str] = &["3.6L V6", "5.3L V8", "6.2L V8"];
const DIESEL: &[&str] = &["6.7L L6 Diesel", "6.6L V8 Diesel"];
const BOXER: &[&str] = &["2.0L H4", "2.5L H4", "2.4L H4 Turbo"];
const EURO: &[&str] = &["2.0L L4 Turbo", "3.0L L6 Turbo"];

pub static MAKES: &[Make] = &[
    Make {
        name: "Acura",
        weight: 3,
        trims: &["Base", "Technology", "A-Spec", "Advance"],
        models: &[
            m("TSX", 2004, 2014, &["2.4L L4", "3.5L V6"]),
            m("TL", 1999, 2014, V6),
            m("MDX", 2001, 2024, V6),
            m("RDX", 2007, 2024, &["2.3L L4 Turbo", "3.5L V6", "2.0L L4 Turbo"]),
            m("ILX", 2013, 2022, &["2.0L L4", "2.4L L4"]),
            m("Integra", 1990, 2024, &["1.8L L4", "1.5L L4 Turbo"]),
            m("TLX", 2015, 2024, &["2.4L L4", "3.5L V6", "2.0L L4 Turbo"]),
        ],
    },
    Make {
        name: "Audi",
        weight: 3,
        trims: &["Premium", "Premium Plus", "Prestige", "S line"],
        models: &[
            m("A3", 2006, 2024, EURO),
            m("A4", 1996, 2024, &["1.8L L4 Turbo", "2.0L L4 Turbo", "3.2L V6"]),
            m("A6", 1998, 2024, &["3.0L V6", "2.0L L4 Turbo", "3.0L V6 Turbo"]),
            m("Q5", 2009, 2024, EURO),
            m("Q7", 2007, 2024, &["3.6L V6", "3.0L V6 Turbo"]),
            m("TT", 2000, 2023, &["1.8L L4 Turbo", "2.0L L4 Turbo"]),
        ],
    },
    Make {
        name: "BMW",
        weight: 4,
        trims: &["Base", "xDrive", "M Sport", "Luxury"],
        models: &[
            m("328i", 1996, 2016, &["2.8L L6", "3.0L L6", "2.0L L4 Turbo"]),
            m("330i", 2001, 2024, &["3.0L L6", "2.0L L4 Turbo"]),
            m("528i", 1997, 2016, &["2.8L L6", "3.0L L6", "2.0L L4 Turbo"]),
            m("X3", 2004, 2024, EURO),
            m("X5", 2000, 2024, &["3.0L L6", "4.4L V8", "3.0L L6 Turbo"]),
            m("M3", 1995, 2024, &["3.2L L6", "4.0L V8", "3.0L L6 Turbo"]),
            m("X1", 2013, 2024, &["2.0L L4 Turbo"]),
        ],
    },
    Make {
        name: "Buick",
        weight: 3,
        trims: &["Preferred", "Essence", "Avenir", "Sport Touring"],
        models: &[
            m("LaCrosse", 2005, 2019, &["3.6L V6", "2.4L L4"]),
            m("Enclave", 2008, 2024, &["3.6L V6"]),
            m("Regal", 1997, 2020, &["2.0L L4 Turbo", "2.4L L4", "3.8L V6"]),
            m("Encore", 2013, 2024, &["1.4L L4 Turbo"]),
            m("Century", 1997, 2005, &["3.1L V6"]),
            m("LeSabre", 1995, 2005, &["3.8L V6"]),
        ],
    },
    Make {
        name: "Cadillac",
        weight: 2,
        trims: &["Luxury", "Premium Luxury", "Sport", "Platinum"],
        models: &[
            m("CTS", 2003, 2019, &["3.6L V6", "2.0L L4 Turbo", "6.2L V8"]),
            m("Escalade", 1999, 2024, &["6.2L V8", "5.3L V8"]),
            m("SRX", 2004, 2016, &["3.6L V6", "2.8L V6 Turbo"]),
            m("XT5", 2017, 2024, &["3.6L V6", "2.0L L4 Turbo"]),
            m("DTS", 2006, 2011, &["4.6L V8"]),
        ],
    },
    Make {
        name: "Chevrolet",
        weight: 12,
        trims: &["LS", "LT", "LTZ", "Premier", "RS", "Z71"],
        models: &[
            m("Silverado 1500", 1999, 2024, TRUCK),
            m(
                "Silverado 2500 HD",
                2001,
                2024,
                &["6.0L V8", "6.6L V8 Diesel", "6.6L V8"],
            ),
            m("Malibu", 1997, 2024, &["2.4L L4", "1.5L L4 Turbo", "3.5L V6"]),
            m("Impala", 2000, 2020, &["3.4L V6", "3.5L V6", "3.6L V6"]),
            m("Equinox", 2005, 2024, &["2.4L L4", "3.6L V6", "1.5L L4 Turbo"]),
            m("Tahoe", 1995, 2024, &["5.3L V8", "6.2L V8"]),
            m("Suburban 1500", 2000, 2024, &["5.3L V8", "6.2L V8"]),
            m("Cruze", 2011, 2019, &["1.4L L4 Turbo", "1.8L L4"]),
            m("Camaro", 1993, 2024, &["3.6L V6", "6.2L V8", "2.0L L4 Turbo"]),
            m("Colorado", 2004, 2024, &["2.5L L4", "3.6L V6", "2.8L L4 Diesel"]),
            m("Traverse", 2009, 2024, &["3.6L V6"]),
            m("Trailblazer", 2002, 2024, &["4.2L L6", "1.3L L3 Turbo"]),
            m("Corvette", 1997, 2024, &["5.7L V8", "6.2L V8", "7.0L V8"]),
            m("Cobalt", 2005, 2010, &["2.2L L4", "2.4L L4"]),
        ],
    },
    Make {
        name: "Chrysler",
        weight: 3,
        trims: &["Touring", "Limited", "S", "Pinnacle"],
        models: &[
            m("300", 2005, 2023, &["3.6L V6", "5.7L V8", "2.7L V6"]),
            m("Town & Country", 1996, 2016, &["3.3L V6", "3.8L V6", "3.6L V6"]),
            m("Pacifica", 2017, 2024, &["3.6L V6"]),
            m("Sebring", 1996, 2010, &["2.4L L4", "2.7L V6"]),
            m("200", 2011, 2017, &["2.4L L4", "3.6L V6"]),
        ],
    },
    Make {
        name: "Dodge",
        weight: 6,
        trims: &["SE", "SXT", "GT", "R/T", "Scat Pack"],
        models: &[
            m("Charger", 2006, 2023, &["3.6L V6", "5.7L V8", "6.4L V8"]),
            m("Challenger", 2008, 2023, &["3.6L V6", "5.7L V8", "6.4L V8"]),
            m("Durango", 1998, 2024, &["3.6L V6", "5.7L V8", "4.7L V8"]),
            m("Grand Caravan", 1996, 2020, &["3.3L V6", "3.8L V6", "3.6L V6"]),
            m("Journey", 2009, 2020, &["2.4L L4", "3.5L V6", "3.6L V6"]),
            m("Dakota", 1997, 2011, &["3.7L V6", "4.7L V8"]),
            m("Neon", 1995, 2005, &["2.0L L4"]),
        ],
    },
    Make {
        name: "Ford",
        weight: 13,
        trims: &["XL", "XLT", "Lariat", "SE", "SEL", "Titanium", "Limited"],
        models: &[
            m(
                "F-150",
                1997,
                2024,
                &["3.5L V6 Turbo", "5.0L V8", "2.7L V6 Turbo", "5.4L V8", "4.6L V8"],
            ),
            m(
                "F-250 Super Duty",
                1999,
                2024,
                &["6.2L V8", "6.7L V8 Diesel", "6.0L V8 Diesel", "5.4L V8"],
            ),
            m(
                "Escape",
                2001,
                2024,
                &["2.5L L4", "1.5L L3 Turbo", "2.0L L4 Turbo", "3.0L V6"],
            ),
            m(
                "Explorer",
                1995,
                2024,
                &["4.0L V6", "3.5L V6", "2.3L L4 Turbo", "4.6L V8"],
            ),
            m("Focus", 2000, 2018, &["2.0L L4", "1.0L L3 Turbo"]),
            m(
                "Fusion",
                2006,
                2020,
                &["2.5L L4", "1.5L L4 Turbo", "3.0L V6", "2.0L L4 Turbo"],
            ),
            m(
                "Mustang",
                1994,
                2024,
                &["3.7L V6", "5.0L V8", "2.3L L4 Turbo", "4.6L V8"],
            ),
            m("Edge", 2007, 2024, &["3.5L V6", "2.0L L4 Turbo", "2.7L V6 Turbo"]),
            m("Ranger", 1995, 2024, &["2.3L L4", "4.0L V6", "2.3L L4 Turbo"]),
            m("Expedition", 1997, 2024, &["5.4L V8", "3.5L V6 Turbo"]),
            m("Taurus", 1996, 2019, &["3.0L V6", "3.5L V6"]),
            m("Transit-250", 2015, 2024, &["3.7L V6", "3.5L V6 Turbo"]),
            m("Crown Victoria", 1998, 2011, &["4.6L V8"]),
        ],
    },
    Make {
        name: "GMC",
        weight: 5,
        trims: &["SLE", "SLT", "Denali", "AT4"],
        models: &[
            m("Sierra 1500", 1999, 2024, TRUCK),
            m("Sierra 2500 HD", 2001, 2024, &["6.0L V8", "6.6L V8 Diesel"]),
            m("Yukon", 1995, 2024, &["5.3L V8", "6.2L V8"]),
            m("Acadia", 2007, 2024, &["3.6L V6", "2.5L L4"]),
            m("Terrain", 2010, 2024, &["2.4L L4", "3.6L V6", "1.5L L4 Turbo"]),
            m("Canyon", 2004, 2024, &["2.5L L4", "3.6L V6"]),
        ],
    },
    Make {
        name: "Honda",
        weight: 12,
        trims: &["DX", "LX", "EX", "EX-L", "Si", "Sport", "Touring"],
        models: &[
            m(
                "Civic",
                1992,
                2024,
                &["1.6L L4", "1.7L L4", "1.8L L4", "2.0L L4", "1.5L L4 Turbo"],
            ),
            m(
                "Accord",
                1990,
                2024,
                &["2.2L L4", "2.3L L4", "2.4L L4", "3.0L V6", "3.5L V6", "1.5L L4 Turbo"],
            ),
            m("CR-V", 1997, 2024, &["2.0L L4", "2.4L L4", "1.5L L4 Turbo"]),
            m("Pilot", 2003, 2024, &["3.5L V6"]),
            m("Odyssey", 1995, 2024, &["3.5L V6"]),
            m("Fit", 2007, 2020, &["1.5L L4"]),
            m("HR-V", 2016, 2024, &["1.8L L4", "2.0L L4"]),
            m("Ridgeline", 2006, 2024, &["3.5L V6"]),
            m("Element", 2003, 2011, &["2.4L L4"]),
            m("Insight", 2000, 2022, &["1.3L L4", "1.5L L4"]),
        ],
    },
    Make {
        name: "Hyundai",
        weight: 6,
        trims: &["SE", "GLS", "SEL", "Limited", "N Line"],
        models: &[
            m("Elantra", 1996, 2024, &["2.0L L4", "1.8L L4", "1.6L L4 Turbo"]),
            m("Sonata", 1999, 2024, &["2.4L L4", "2.0L L4 Turbo", "3.3L V6"]),
            m("Santa Fe", 2001, 2024, &["2.4L L4", "3.3L V6", "2.5L L4 Turbo"]),
            m("Tucson", 2005, 2024, &["2.0L L4", "2.4L L4", "2.5L L4"]),
            m("Accent", 1995, 2022, SMALL),
            m("Kona", 2018, 2024, &["2.0L L4", "1.6L L4 Turbo"]),
        ],
    },
    Make {
        name: "Infiniti",
        weight: 2,
        trims: &["Base", "Journey", "Sport", "Luxe"],
        models: &[
            m("G35", 2003, 2008, &["3.5L V6"]),
            m("G37", 2008, 2013, &["3.7L V6"]),
            m("Q50", 2014, 2024, &["3.7L V6", "3.0L V6 Turbo", "2.0L L4 Turbo"]),
            m("QX60", 2014, 2024, &["3.5L V6"]),
            m("QX80", 2014, 2024, &["5.6L V8"]),
        ],
    },
    Make {
        name: "Jeep",
        weight: 7,
        trims: &["Sport", "Latitude", "Limited", "Trailhawk", "Rubicon", "Sahara"],
        models: &[
            m(
                "Wrangler",
                1997,
                2024,
                &["4.0L L6", "3.8L V6", "3.6L V6", "2.0L L4 Turbo"],
            ),
            m(
                "Grand Cherokee",
                1993,
                2024,
                &["4.0L L6", "4.7L V8", "3.6L V6", "5.7L V8"],
            ),
            m("Cherokee", 1995, 2023, &["4.0L L6", "2.4L L4", "3.2L V6"]),
            m("Liberty", 2002, 2012, &["3.7L V6"]),
            m("Compass", 2007, 2024, &["2.0L L4", "2.4L L4"]),
            m("Gladiator", 2020, 2024, &["3.6L V6"]),
            m("Renegade", 2015, 2023, &["2.4L L4", "1.4L L4 Turbo"]),
        ],
    },
    Make {
        name: "Kia",
        weight: 5,
        trims: &["LX", "EX", "S", "SX", "GT-Line"],
        models: &[
            m("Optima", 2001, 2020, &["2.4L L4", "2.0L L4 Turbo"]),
            m("Sorento", 2003, 2024, &["3.5L V6", "2.4L L4", "3.3L V6"]),
            m("Soul", 2010, 2024, &["1.6L L4", "2.0L L4"]),
            m("Forte", 2010, 2024, &["2.0L L4", "1.8L L4"]),
            m("Sportage", 1995, 2024, &["2.4L L4", "2.0L L4 Turbo"]),
            m("Telluride", 2020, 2024, &["3.8L V6"]),
        ],
    },
    Make {
        name: "Land Rover",
        weight: 1,
        trims: &["SE", "HSE", "Autobiography"],
        models: &[
            m("Range Rover", 1995, 2024, &["4.4L V8", "5.0L V8", "3.0L V6"]),
            m("Discovery", 1995, 2024, &["4.0L V8", "3.0L V6"]),
            m("LR4", 2010, 2016, &["5.0L V8", "3.0L V6"]),
        ],
    },
    Make {
        name: "Lexus",
        weight: 4,
        trims: &["Base", "F Sport", "Luxury"],
        models: &[
            m("RX350", 2007, 2024, &["3.5L V6"]),
            m("ES350", 2007, 2024, &["3.5L V6"]),
            m("IS250", 2006, 2015, &["2.5L V6"]),
            m("GX460", 2010, 2023, &["4.6L V8"]),
            m("LS460", 2007, 2017, &["4.6L V8"]),
            m("NX300", 2018, 2021, &["2.0L L4 Turbo"]),
        ],
    },
    Make {
        name: "Lincoln",
        weight: 2,
        trims: &["Base", "Reserve", "Select", "Black Label"],
        models: &[
            m("Navigator", 1998, 2024, &["5.4L V8", "3.5L V6 Turbo"]),
            m("MKZ", 2007, 2020, &["3.5L V6", "2.0L L4 Turbo"]),
            m("Town Car", 1998, 2011, &["4.6L V8"]),
            m("MKX", 2007, 2018, &["3.5L V6", "3.7L V6"]),
        ],
    },
    Make {
        name: "Mazda",
        weight: 4,
        trims: &["i", "s", "Sport", "Touring", "Grand Touring"],
        models: &[
            m("Mazda3", 2004, 2024, &["2.0L L4", "2.5L L4"]),
            m("Mazda6", 2003, 2021, &["2.3L L4", "2.5L L4", "3.0L V6"]),
            m("CX-5", 2013, 2024, &["2.0L L4", "2.5L L4", "2.5L L4 Turbo"]),
            m("CX-9", 2007, 2023, &["3.5L V6", "3.7L V6", "2.5L L4 Turbo"]),
            m("MX-5 Miata", 1990, 2024, &["1.6L L4", "1.8L L4", "2.0L L4"]),
            m("Tribute", 2001, 2011, &["2.0L L4", "3.0L V6"]),
        ],
    },
    Make {
        name: "Mercedes-Benz",
        weight: 3,
        trims: &["Base", "4MATIC", "AMG Line"],
        models: &[
            m("C300", 2008, 2024, &["3.0L V6", "2.0L L4 Turbo"]),
            m("E350", 2006, 2017, &["3.5L V6"]),
            m("ML350", 2006, 2015, &["3.5L V6"]),
            m("GLC300", 2016, 2024, &["2.0L L4 Turbo"]),
            m("Sprinter 2500", 2007, 2024, &["3.0L V6 Diesel", "2.1L L4 Diesel"]),
        ],
    },
    Make {
        name: "Mercury",
        weight: 1,
        trims: &["GS", "LS", "Premier"],
        models: &[
            m("Grand Marquis", 1995, 2011, &["4.6L V8"]),
            m("Mountaineer", 1997, 2010, &["4.0L V6", "4.6L V8"]),
            m("Milan", 2006, 2011, &["2.3L L4", "3.0L V6"]),
        ],
    },
    Make {
        name: "Mini",
        weight: 1,
        trims: &["Base", "S", "John Cooper Works"],
        models: &[
            m(
                "Cooper",
                2002,
                2024,
                &["1.6L L4", "1.6L L4 Turbo", "1.5L L3 Turbo", "2.0L L4 Turbo"],
            ),
            m("Countryman", 2011, 2024, &["1.6L L4", "2.0L L4 Turbo"]),
        ],
    },
    Make {
        name: "Mitsubishi",
        weight: 2,
        trims: &["ES", "SE", "GT", "SEL"],
        models: &[
            m("Outlander", 2003, 2024, &["2.4L L4", "3.0L V6", "2.5L L4"]),
            m("Lancer", 2002, 2017, &["2.0L L4", "2.4L L4"]),
            m("Galant", 1994, 2012, &["2.4L L4", "3.8L V6"]),
            m("Mirage", 1997, 2024, &["1.2L L3", "1.8L L4"]),
        ],
    },
    Make {
        name: "Nissan",
        weight: 8,
        trims: &["S", "SV", "SL", "SR", "Platinum", "Pro-4X"],
        models: &[
            m("Altima", 1993, 2024, &["2.5L L4", "3.5L V6", "2.0L L4 Turbo"]),
            m("Sentra", 1995, 2024, &["1.8L L4", "2.0L L4", "2.5L L4"]),
            m("Rogue", 2008, 2024, &["2.5L L4", "1.5L L3 Turbo"]),
            m("Frontier", 1998, 2024, &["2.5L L4", "4.0L V6", "3.8L V6"]),
            m("Pathfinder", 1996, 2024, &["3.5L V6", "4.0L V6"]),
            m("Titan", 2004, 2024, &["5.6L V8"]),
            m("Maxima", 1995, 2023, &["3.5L V6"]),
            m("Murano", 2003, 2024, &["3.5L V6"]),
            m("Versa", 2007, 2024, SMALL),
        ],
    },
    Make {
        name: "Pontiac",
        weight: 2,
        trims: &["Base", "SE", "GT", "GXP"],
        models: &[
            m("Grand Prix", 1997, 2008, &["3.8L V6", "5.3L V8"]),
            m("G6", 2005, 2010, &["2.4L L4", "3.5L V6"]),
            m("Vibe", 2003, 2010, &["1.8L L4", "2.4L L4"]),
            m("Firebird", 1993, 2002, &["3.8L V6", "5.7L V8"]),
        ],
    },
    Make {
        name: "Porsche",
        weight: 1,
        trims: &["Base", "S", "GTS"],
        models: &[
            m("911", 1999, 2024, &["3.6L H6", "3.8L H6", "3.0L H6 Turbo"]),
            m("Cayenne", 2003, 2024, &["3.6L V6", "4.8L V8", "3.0L V6 Turbo"]),
            m("Macan", 2015, 2024, &["2.0L L4 Turbo", "3.0L V6 Turbo"]),
        ],
    },
    Make {
        name: "Ram",
        weight: 6,
        trims: &["Tradesman", "Big Horn", "Laramie", "Rebel", "Limited"],
        models: &[
            m("1500", 2011, 2024, &["3.6L V6", "5.7L V8", "3.0L V6 Diesel"]),
            m("2500", 2011, 2024, &["6.4L V8", "6.7L L6 Diesel"]),
            m("ProMaster 2500", 2014, 2024, &["3.6L V6"]),
            m("3500", 2011, 2024, DIESEL),
        ],
    },
    Make {
        name: "Saturn",
        weight: 1,
        trims: &["Base", "XE", "XR"],
        models: &[
            m("Ion", 2003, 2007, &["2.2L L4", "2.4L L4"]),
            m("Vue", 2002, 2010, &["2.2L L4", "3.5L V6"]),
            m("Aura", 2007, 2009, &["2.4L L4", "3.6L V6"]),
        ],
    },
    Make {
        name: "Subaru",
        weight: 5,
        trims: &["Base", "Premium", "Limited", "Touring", "Sport"],
        models: &[
            m("Outback", 1995, 2024, BOXER),
            m("Forester", 1998, 2024, BOXER),
            m("Impreza", 1993, 2024, BOXER),
            m("Legacy", 1990, 2024, BOXER),
            m("WRX", 2002, 2024, &["2.0L H4 Turbo", "2.5L H4 Turbo", "2.4L H4 Turbo"]),
            m("Crosstrek", 2013, 2024, &["2.0L H4", "2.5L H4"]),
            m("Ascent", 2019, 2024, &["2.4L H4 Turbo"]),
        ],
    },
    Make {
        name: "Toyota",
        weight: 13,
        trims: &["CE", "LE", "SE", "XLE", "XSE", "Limited", "TRD Off-Road", "SR5"],
        models: &[
            m(
                "Camry",
                1992,
                2024,
                &["2.2L L4", "2.4L L4", "2.5L L4", "3.0L V6", "3.5L V6"],
            ),
            m("Corolla", 1993, 2024, &["1.8L L4", "2.0L L4"]),
            m("RAV4", 1996, 2024, &["2.0L L4", "2.4L L4", "2.5L L4", "3.5L V6"]),
            m("Tacoma", 1995, 2024, &["2.7L L4", "3.4L V6", "4.0L V6", "3.5L V6"]),
            m(
                "Tundra",
                2000,
                2024,
                &["4.7L V8", "5.7L V8", "4.6L V8", "3.5L V6 Turbo"],
            ),
            m("Highlander", 2001, 2024, &["2.4L L4", "3.5L V6", "2.7L L4"]),
            m("4Runner", 1996, 2024, &["3.4L V6", "4.0L V6", "4.7L V8"]),
            m("Sienna", 1998, 2024, &["3.0L V6", "3.3L V6", "3.5L V6"]),
            m("Prius", 2001, 2024, &["1.5L L4", "1.8L L4"]),
            m("Sequoia", 2001, 2024, &["4.7L V8", "5.7L V8"]),
            m("Avalon", 1995, 2022, &["3.0L V6", "3.5L V6"]),
            m("Yaris", 2007, 2020, SMALL),
        ],
    },
    Make {
        name: "Volkswagen",
        weight: 4,
        trims: &["S", "SE", "SEL", "GLI", "TDI"],
        models: &[
            m(
                "Jetta",
                1993,
                2024,
                &["2.0L L4", "2.5L L5", "1.8L L4 Turbo", "1.4L L4 Turbo", "1.9L L4 Diesel"],
            ),
            m("Passat", 1995, 2022, &["1.8L L4 Turbo", "2.0L L4 Turbo", "3.6L V6"]),
            m("Golf", 1993, 2024, &["2.0L L4", "1.8L L4 Turbo", "2.5L L5"]),
            m("Tiguan", 2009, 2024, I4T),
            m("Atlas", 2018, 2024, &["3.6L V6", "2.0L L4 Turbo"]),
            m("Beetle", 1998, 2019, &["2.0L L4", "1.8L L4 Turbo", "2.5L L5"]),
        ],
    },
    Make {
        name: "Volvo",
        weight: 2,
        trims: &["Base", "Momentum", "Inscription", "R-Design"],
        models: &[
            m("XC90", 2003, 2024, &["2.5L L5 Turbo", "3.2L L6", "2.0L L4 Turbo"]),
            m("S60", 2001, 2024, &["2.5L L5 Turbo", "2.0L L4 Turbo"]),
            m("XC60", 2010, 2024, &["3.2L L6", "2.0L L4 Turbo"]),
            m("V70", 1998, 2010, &["2.4L L5", "2.5L L5 Turbo"]),
        ],
    },
    Make {
        name: "Genesis",
        weight: 1,
        trims: &["Standard", "Advanced", "Prestige"],
        models: &[
            m("G70", 2019, 2024, &["2.0L L4 Turbo", "3.3L V6 Turbo"]),
            m("G80", 2017, 2024, &["3.8L V6", "3.3L V6 Turbo", "2.5L L4 Turbo"]),
            m("GV80", 2021, 2024, &["2.5L L4 Turbo", "3.5L V6 Turbo"]),
        ],
    },
    Make {
        name: "Scion",
        weight: 1,
        trims: &["Base", "Release Series"],
        models: &[
            m("tC", 2005, 2016, &["2.4L L4", "2.5L L4"]),
            m("xB", 2004, 2015, &["1.5L L4", "2.4L L4"]),
            m("FR-S", 2013, 2016, &["2.0L H4"]),
        ],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_tens_of_makes_and_hundreds_of_models_with_sane_years() {
        let models: usize = MAKES.iter().map(|m| m.models.len()).sum();
        assert!(MAKES.len() >= 30, "{} makes", MAKES.len());
        assert!(models >= 180, "{models} models");
        for make in MAKES {
            for model in make.models {
                assert!(
                    model.from <= model.to && !model.engines.is_empty(),
                    "{} {}",
                    make.name,
                    model.name
                );
            }
        }
    }
}
