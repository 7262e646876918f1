//! Feature flags, without I/O: a flag is on or off, and when on may be rolled out to a percentage
//! of visitors, each in a bucket of their own that stays the same from visit to visit.

/// Bundles can be bought (their pages and cart lines).
pub const BUNDLES: &str = "bundles";
/// The waiting room's `auto` mode may open the line by itself when checkout is over capacity.
pub const WAITING_ROOM_AUTO: &str = "waiting_room_auto";
/// Running flash sales show their banner and countdown on product, listing and cart pages.
pub const FLASH_SALE_BANNER: &str = "flash_sale_banner";

/// The flags this build knows, with what each does; each is on for everyone until the merchant
/// changes it.
pub const BUILT_IN: [(&str, &str); 3] = [
    (BUNDLES, "Bundles can be bought"),
    (
        WAITING_ROOM_AUTO,
        "The waiting room opens by itself when checkout is over capacity (mode auto)",
    ),
    (FLASH_SALE_BANNER, "Flash sales show a banner with a countdown"),
];

#[derive(Clone, Debug, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct Flag {
    pub name: String,
    pub enabled: bool,
    /// Share of visitors it is on for, 0 to 100, when enabled.
    pub percent: u8,
    pub description: String,
    pub updated_ms: u64,
    pub updated_by: String,
}

/// Which side of a flag a visitor saw.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Variant {
    On,
    Off,
}

impl Variant {
    pub fn as_str(self) -> &'static str {
        match self {
            Variant::On => "on",
            Variant::Off => "off",
        }
    }

    pub fn code(self) -> u8 {
        match self {
            Variant::On => 1,
            Variant::Off => 0,
        }
    }

    pub fn from_code(code: u8) -> Variant {
        if code == 1 { Variant::On } else { Variant::Off }
    }
}

impl Flag {
    /// A built-in flag as it stands before anyone changes it: on for everyone.
    pub fn default_for(name: &str, description: &str) -> Flag {
        Flag {
            name: name.to_owned(),
            enabled: true,
            percent: 100,
            description: description.to_owned(),
            updated_ms: 0,
            updated_by: String::new(),
        }
    }

    /// On or off for a visitor with `bucket_id` (a long-lived random cookie), or for someone
    /// without one (a shared page, an API client): on only when rolled out to everyone.
    pub fn variant_for(&self, bucket_id: Option<&str>) -> Variant {
        let on = self.enabled
            && match self.percent {
                100.. => true,
                0 => false,
                percent => bucket_id.is_some_and(|id| bucket(&self.name, id) < percent),
            };
        if on { Variant::On } else { Variant::Off }
    }

    /// Rolled out to some visitors but not all: pages then differ between visitors.
    pub fn is_partial(&self) -> bool {
        self.enabled && (1..100).contains(&self.percent)
    }
}

/// A visitor's bucket for a flag, 0 to 99: the same visitor lands in the same bucket each time,
/// and different flags split visitors independently.
pub fn bucket(flag: &str, bucket_id: &str) -> u8 {
    let hash = xxhash_rust::xxh3::xxh3_64(format!("{flag}\0{bucket_id}").as_bytes());
    (hash % 100) as u8
}

/// Checks a flag name: 1 to 40 of a-z, 0-9, `_` and `-`.
pub fn check_name(name: &str) -> Result<(), String> {
    let ok = (1..=40).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    ok.then_some(())
        .ok_or_else(|| format!("a flag name is 1 to 40 of a-z, 0-9, _ and -; got {name:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flag(enabled: bool, percent: u8) -> Flag {
        Flag {
            percent,
            enabled,
            ..Flag::default_for("new_checkout", "")
        }
    }

    #[test]
    fn a_visitor_stays_in_the_same_bucket_and_a_rollout_takes_about_its_share() {
        let f = flag(true, 30);
        let ids: Vec<String> = (0..10_000).map(|i| format!("visitor-{i}")).collect();
        let on = ids.iter().filter(|id| f.variant_for(Some(id)) == Variant::On).count();
        assert!((2_700..3_300).contains(&on), "{on} of 10,000 at 30 %");
        for id in ids.iter().take(100) {
            assert_eq!(f.variant_for(Some(id)), f.variant_for(Some(id)));
        }
        // Raising the share keeps everyone who was in: buckets below 30 are below 60.
        let wider = flag(true, 60);
        assert!(
            ids.iter()
                .all(|id| f.variant_for(Some(id)) == Variant::Off || wider.variant_for(Some(id)) == Variant::On)
        );
    }

    #[test]
    fn off_is_off_for_everyone_and_a_visitor_without_a_bucket_sees_only_full_rollouts() {
        assert_eq!(flag(false, 100).variant_for(Some("v")), Variant::Off);
        assert_eq!(flag(true, 100).variant_for(None), Variant::On);
        assert_eq!(flag(true, 99).variant_for(None), Variant::Off);
        assert_eq!(flag(true, 0).variant_for(Some("v")), Variant::Off);
        assert!(flag(true, 50).is_partial() && !flag(true, 100).is_partial() && !flag(false, 50).is_partial());
    }

    #[test]
    fn flag_names_are_short_and_plain() {
        assert!(check_name("new_checkout-2").is_ok());
        assert!(check_name("").is_err() && check_name("Bad Name").is_err() && check_name(&"x".repeat(41)).is_err());
    }
}
