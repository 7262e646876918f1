use std::fmt;

/// An ISO 4217 currency code: three ASCII upper-case letters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, bincode::Encode, bincode::Decode)]
pub struct Currency([u8; 3]);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("currency {0:?} is not a three-letter code such as USD or EUR")]
pub struct InvalidCurrency(pub String);

impl Currency {
    pub const USD: Currency = Currency(*b"USD");

    pub fn parse(raw: &str) -> Result<Currency, InvalidCurrency> {
        let up = raw.trim().to_ascii_uppercase();
        match up.as_bytes() {
            [a, b, c] if [a, b, c].iter().all(|x| x.is_ascii_uppercase()) => Ok(Currency([*a, *b, *c])),
            _ => Err(InvalidCurrency(raw.to_owned())),
        }
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII letters are ever stored, see `parse`.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// The symbol shown before an amount, or `None` to show the code after it.
    fn symbol(&self) -> Option<&'static str> {
        match &self.0 {
            b"USD" | b"CAD" | b"AUD" | b"NZD" => Some("$"),
            b"EUR" => Some("€"),
            b"GBP" => Some("£"),
            b"JPY" => Some("¥"),
            _ => None,
        }
    }

    /// Digits after the decimal point in this currency's minor unit.
    fn exponent(&self) -> u32 {
        match &self.0 {
            b"JPY" | b"KRW" | b"ISK" | b"CLP" | b"VND" => 0,
            b"BHD" | b"KWD" | b"OMR" | b"JOD" | b"TND" => 3,
            _ => 2,
        }
    }
}

impl Default for Currency {
    fn default() -> Self {
        Currency::USD
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An amount in the currency's minor unit (cents for USD). Never a float.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, bincode::Encode, bincode::Decode)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MoneyError {
    #[error("cannot combine amounts in different currencies")]
    CurrencyMismatch,
    #[error("amount is too large")]
    Overflow,
}

impl Money {
    pub fn new(minor: i64, currency: Currency) -> Money {
        Money { minor, currency }
    }

    pub fn minor(&self) -> i64 {
        self.minor
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }

    pub fn checked_add(self, rhs: Money) -> Result<Money, MoneyError> {
        if self.currency != rhs.currency {
            return Err(MoneyError::CurrencyMismatch);
        }
        let minor = self.minor.checked_add(rhs.minor).ok_or(MoneyError::Overflow)?;
        Ok(Money { minor, ..self })
    }

    /// An amount as a person types it (`12`, `12.5`, `$1,234.50`) in `currency`; `None` when it
    /// is not a plain non-negative amount with at most the currency's decimals.
    pub fn parse_typed(text: &str, currency: Currency) -> Option<Money> {
        let cleaned: String = text
            .trim()
            .trim_start_matches(currency.symbol().unwrap_or(""))
            .chars()
            .filter(|c| *c != ',')
            .collect();
        let (whole, frac) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
        let exp = currency.exponent() as usize;
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || whole.len() > 12 || !digits(whole) || frac.len() > exp || !digits(frac) {
            return None;
        }
        let unit = 10i64.pow(exp as u32);
        let frac_minor = if frac.is_empty() {
            0
        } else {
            frac.parse::<i64>().ok()? * 10i64.pow((exp - frac.len()) as u32)
        };
        Some(Money::new(whole.parse::<i64>().ok()? * unit + frac_minor, currency))
    }

    /// `1234.50`: the amount as a plain decimal, as schema.org's `price` wants it.
    pub fn decimal(&self) -> String {
        let (sign, number) = self.digits(false);
        format!("{sign}{number}")
    }

    /// The sign and the unsigned amount with its currency's minor digits, thousands grouped or
    /// not.
    fn digits(&self, grouped: bool) -> (&'static str, String) {
        let exp = self.currency.exponent();
        let unit = 10u64.pow(exp);
        let abs = self.minor.unsigned_abs();
        let (whole, frac) = (abs / unit, abs % unit);
        let sign = if self.minor < 0 { "-" } else { "" };
        let whole = if grouped {
            group_thousands(whole)
        } else {
            whole.to_string()
        };
        let number = if exp == 0 {
            whole
        } else {
            format!("{whole}.{frac:0width$}", width = exp as usize)
        };
        (sign, number)
    }

    pub fn checked_mul(self, qty: u32) -> Result<Money, MoneyError> {
        let minor = self.minor.checked_mul(i64::from(qty)).ok_or(MoneyError::Overflow)?;
        Ok(Money { minor, ..self })
    }
}

/// `$1,234.50`, `€3.99`, `1,200 JPY`-style display for pages; the API always uses minor units.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (sign, number) = self.digits(true);
        match self.currency.symbol() {
            Some(sym) => write!(f, "{sign}{sym}{number}"),
            None => write!(f, "{sign}{number} {}", self.currency),
        }
    }
}

/// `1234567` -> `1,234,567`.
pub fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_decimal_has_the_currency_minor_digits() {
        assert_eq!(Money::new(5799, Currency::USD).decimal(), "57.99");
        assert_eq!(Money::new(5, Currency::USD).decimal(), "0.05");
        assert_eq!(Money::new(1200, Currency::parse("JPY").unwrap()).decimal(), "1200");
        assert_eq!(Money::new(1234, Currency::parse("KWD").unwrap()).decimal(), "1.234");
    }

    #[test]
    fn typed_amounts_read_in_the_currency_minor_unit() {
        let usd = Currency::USD;
        assert_eq!(Money::parse_typed("12", usd), Some(Money::new(1200, usd)));
        assert_eq!(Money::parse_typed(" $1,234.5 ", usd), Some(Money::new(123_450, usd)));
        assert_eq!(Money::parse_typed("0.07", usd), Some(Money::new(7, usd)));
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(Money::parse_typed("1200", jpy), Some(Money::new(1200, jpy)));
        for bad in ["", "-1", "1.234", "abc", "1.2.3", ".5"] {
            assert_eq!(Money::parse_typed(bad, usd), None, "{bad}");
        }
        assert_eq!(Money::parse_typed("1.5", jpy), None);
    }

    fn usd(minor: i64) -> Money {
        Money::new(minor, Currency::USD)
    }

    #[test]
    fn display_groups_thousands_and_pads_cents() {
        assert_eq!(usd(123_450).to_string(), "$1,234.50");
        assert_eq!(usd(5).to_string(), "$0.05");
        assert_eq!(usd(-199).to_string(), "-$1.99");
        assert_eq!(Money::new(1200, Currency::parse("jpy").unwrap()).to_string(), "¥1,200");
        assert_eq!(
            Money::new(1999, Currency::parse("SEK").unwrap()).to_string(),
            "19.99 SEK"
        );
    }

    #[test]
    fn arithmetic_is_checked() {
        assert_eq!(usd(1).checked_add(usd(2)), Ok(usd(3)));
        assert_eq!(usd(i64::MAX).checked_add(usd(1)), Err(MoneyError::Overflow));
        let eur = Money::new(1, Currency::parse("EUR").unwrap());
        assert_eq!(usd(1).checked_add(eur), Err(MoneyError::CurrencyMismatch));
        assert_eq!(usd(250).checked_mul(3), Ok(usd(750)));
    }

    #[test]
    fn currency_parse_accepts_codes_only() {
        assert_eq!(Currency::parse(" usd ").unwrap(), Currency::USD);
        assert!(Currency::parse("US").is_err());
        assert!(Currency::parse("U$D").is_err());
    }
}
