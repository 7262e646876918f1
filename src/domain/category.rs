use std::borrow::Cow;
use std::fmt;

use super::collapse_spaces;

/// A category path such as `Brakes/Pads`: the names as the merchant wrote them and a URL slug
/// (`brakes/pads`) that identifies the category everywhere else.
#[derive(Clone, Debug, PartialEq, Eq, Hash, bincode::Encode, bincode::Decode)]
pub struct CategoryPath {
    names: Vec<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InvalidCategory {
    #[error("category is empty")]
    Empty,
    #[error("category is deeper than {} levels", CategoryPath::MAX_DEPTH)]
    TooDeep,
    #[error("category level {0:?} has no letters or digits")]
    NoLetters(String),
    #[error("category level {0:?} is longer than 60 characters")]
    TooLong(String),
}

impl CategoryPath {
    pub const MAX_DEPTH: usize = 6;

    /// Splits on `/`, trims each level, collapses inner whitespace and ignores empty levels.
    pub fn parse(raw: &str) -> Result<CategoryPath, InvalidCategory> {
        let names: Vec<String> = raw
            .split('/')
            .map(|s| collapse_spaces(Cow::Borrowed(s)).into_owned())
            .filter(|s| !s.is_empty())
            .collect();
        if names.is_empty() {
            return Err(InvalidCategory::Empty);
        }
        if names.len() > Self::MAX_DEPTH {
            return Err(InvalidCategory::TooDeep);
        }
        for name in &names {
            if name.len() > 60 && name.chars().count() > 60 {
                return Err(InvalidCategory::TooLong(name.clone()));
            }
            if slug_of(name).is_empty() {
                return Err(InvalidCategory::NoLetters(name.clone()));
            }
        }
        Ok(CategoryPath { names })
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub fn name(&self) -> &str {
        self.names.last().map(String::as_str).unwrap_or_default()
    }

    /// `brakes/pads`: lower-case letters, digits and dashes per level.
    pub fn slug(&self) -> String {
        self.names.iter().map(|n| slug_of(n)).collect::<Vec<_>>().join("/")
    }

    /// `Brakes`, then `Brakes/Pads`: every ancestor including itself, root first.
    pub fn ancestors(&self) -> impl Iterator<Item = CategoryPath> + '_ {
        (1..=self.names.len()).map(|n| CategoryPath {
            names: self.names[..n].to_vec(),
        })
    }

    pub fn depth(&self) -> usize {
        self.names.len()
    }
}

impl fmt::Display for CategoryPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.names.join("/"))
    }
}

/// `Brake Pads & Shoes` -> `brake-pads-shoes`.
pub fn slug_of(name: &str) -> String {
    // Most names are ASCII, where a byte at a time gives the same slug: lowercasing each
    // character through Unicode's tables was most of the cost.
    if name.is_ascii() {
        slug_from(name.bytes().map(|b| char::from(b.to_ascii_lowercase())), name.len())
    } else {
        slug_from(name.chars().flat_map(char::to_lowercase), name.len())
    }
}

fn slug_from(lowercase: impl Iterator<Item = char>, len: usize) -> String {
    let mut out = String::with_capacity(len);
    for c in lowercase {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ascii_name_gets_the_slug_unicode_lowercasing_gives() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        for _ in 0..20_000 {
            let len = rng.random_range(0..16);
            let name: String = (0..len).map(|_| char::from(rng.random_range(0u8..128))).collect();
            let by_chars = slug_from(name.chars().flat_map(char::to_lowercase), name.len());
            assert_eq!(slug_of(&name), by_chars, "{name:?}");
        }
        assert_eq!(slug_of("Škoda Octavia"), "škoda-octavia");
    }

    #[test]
    fn parse_normalizes_levels_and_builds_a_slug() {
        let c = CategoryPath::parse(" Brakes /  Pads & Shoes/").unwrap();
        assert_eq!(c.to_string(), "Brakes/Pads & Shoes");
        assert_eq!(c.slug(), "brakes/pads-shoes");
        assert_eq!(c.name(), "Pads & Shoes");
    }

    #[test]
    fn ancestors_run_from_the_root() {
        let c = CategoryPath::parse("A/B/C").unwrap();
        let slugs: Vec<_> = c.ancestors().map(|a| a.slug()).collect();
        assert_eq!(slugs, ["a", "a/b", "a/b/c"]);
    }

    #[test]
    fn parse_rejects_empty_and_symbol_only_levels() {
        assert_eq!(CategoryPath::parse(" / "), Err(InvalidCategory::Empty));
        assert!(matches!(
            CategoryPath::parse("Brakes/***"),
            Err(InvalidCategory::NoLetters(_))
        ));
        assert_eq!(CategoryPath::parse("a/b/c/d/e/f/g"), Err(InvalidCategory::TooDeep));
    }
}
