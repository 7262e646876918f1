//! Vehicle words in a query: "oil filter civic", "2009 civic brake pads", "f150 wipers". When a
//! query finds nothing as typed, the words that name a make, a model (of a make the catalog
//! fits) or a model year are read as a vehicle and the rest as the words to search for. Rules
//! only, no I/O: the catalog's makes and models come in as `Known`.

use std::collections::BTreeMap;

/// The vehicle a shopper typed, as far as they typed it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct SpokenVehicle {
    pub year: Option<u16>,
    /// Display spellings, as the catalog has them.
    pub make: Option<String>,
    pub model: Option<String>,
}

impl SpokenVehicle {
    /// "2009 Honda Civic".
    pub fn describe(&self) -> String {
        [self.year.map(|y| y.to_string()), self.make.clone(), self.model.clone()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The makes and models the catalog fits, by their squashed spelling (`f150` for "F-150").
#[derive(Clone, Debug, Default)]
pub struct Known {
    pub makes: BTreeMap<String, String>,
    /// Squashed model -> (make, model) display spellings; a name some makes share lists each.
    pub models: BTreeMap<String, Vec<(String, String)>>,
    pub years: std::collections::BTreeSet<u16>,
}

/// Lower-case letters and digits only: how a shopper's "f150" meets the catalog's "F-150".
pub fn squash(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The vehicle named in `q` and the words left, or `None` when it names no make or model.
pub fn find(q: &str, known: &Known) -> Option<(SpokenVehicle, String)> {
    let words: Vec<&str> = q.split_whitespace().collect();
    let mut used = vec![false; words.len()];
    let mut spoken = SpokenVehicle::default();
    // Two-word names first ("land rover", "grand cherokee"), then one word.
    for width in [2, 1] {
        for i in 0..words.len().saturating_sub(width - 1) {
            if used[i..i + width].iter().any(|u| *u) {
                continue;
            }
            let key = squash(&words[i..i + width].concat());
            if key.len() < 2 {
                continue;
            }
            if spoken.make.is_none()
                && let Some(make) = known.makes.get(&key)
            {
                spoken.make = Some(make.clone());
                used[i..i + width].iter_mut().for_each(|u| *u = true);
            } else if spoken.model.is_none()
                && let Some(candidates) = known.models.get(&key)
            {
                let fitting: Vec<&(String, String)> = candidates
                    .iter()
                    .filter(|(make, _)| spoken.make.as_ref().is_none_or(|m| m == make))
                    .collect();
                if let Some((make, model)) = fitting.first() {
                    spoken.model = Some(model.clone());
                    if fitting.len() == 1 {
                        spoken.make.get_or_insert_with(|| make.clone());
                    }
                    used[i..i + width].iter_mut().for_each(|u| *u = true);
                }
            }
        }
    }
    if spoken.make.is_none() && spoken.model.is_none() {
        return None;
    }
    for (i, word) in words.iter().enumerate() {
        if let Ok(year) = word.parse::<u16>()
            && spoken.year.is_none()
            && !used[i]
            && known.years.contains(&year)
        {
            spoken.year = Some(year);
            used[i] = true;
        }
    }
    let rest: Vec<&str> = words.iter().zip(&used).filter(|(_, u)| !**u).map(|(w, _)| *w).collect();
    Some((spoken, rest.join(" ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> Known {
        let mut k = Known::default();
        for make in ["Honda", "Ford", "Land Rover"] {
            k.makes.insert(squash(make), make.to_owned());
        }
        for (make, model) in [
            ("Honda", "Civic"),
            ("Ford", "F-150"),
            ("Ford", "Focus"),
            ("Land Rover", "Range Rover"),
        ] {
            k.models
                .entry(squash(model))
                .or_default()
                .push((make.to_owned(), model.to_owned()));
        }
        k.years.extend(2000..=2024);
        k
    }

    fn spoken(year: Option<u16>, make: &str, model: Option<&str>) -> SpokenVehicle {
        SpokenVehicle {
            year,
            make: Some(make.to_owned()),
            model: model.map(String::from),
        }
    }

    #[test]
    fn a_model_make_or_year_in_the_query_is_read_as_the_vehicle_and_the_rest_as_words() {
        let k = known();
        let cases = [
            ("oil filter civic", spoken(None, "Honda", Some("Civic")), "oil filter"),
            (
                "2009 civic brake pads",
                spoken(Some(2009), "Honda", Some("Civic")),
                "brake pads",
            ),
            ("f150 wipers", spoken(None, "Ford", Some("F-150")), "wipers"),
            ("civic 2009", spoken(Some(2009), "Honda", Some("Civic")), ""),
            ("ford brake pads", spoken(None, "Ford", None), "brake pads"),
            (
                "range rover air filter",
                spoken(None, "Land Rover", Some("Range Rover")),
                "air filter",
            ),
        ];
        for (q, vehicle, rest) in cases {
            assert_eq!(find(q, &k), Some((vehicle, rest.to_owned())), "{q}");
        }
        assert_eq!(find("brake pads", &k), None);
        assert_eq!(find("2009 brake pads", &k), None, "a year alone is no vehicle");
        assert_eq!(
            find("1999 civic", &k),
            Some((spoken(None, "Honda", Some("Civic")), "1999".to_owned())),
            "a year the catalog has no fitment for stays a word"
        );
    }
}
