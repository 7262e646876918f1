use crate::domain::Sku;

/// A shopper's cart: SKUs and quantities, plus a promo code. Prices are never stored here; they
/// are computed fresh by `pricing` every time the cart is shown or checked out.
#[derive(Clone, Debug, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct Cart {
    pub id: String,
    /// One line per SKU: adding a SKU that is already in the cart raises its quantity.
    pub lines: Vec<CartLine>,
    pub promo: Option<String>,
    pub created_ms: u64,
    pub updated_ms: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct CartLine {
    pub sku: Sku,
    pub quantity: u32,
}

impl Cart {
    pub fn quantity_of(&self, sku: &str) -> u32 {
        self.lines
            .iter()
            .filter(|l| l.sku.as_str() == sku)
            .map(|l| l.quantity)
            .sum()
    }

    pub fn units(&self) -> u64 {
        self.lines.iter().map(|l| u64::from(l.quantity)).sum()
    }

    /// Sets a SKU's quantity, keeping the line's place; 0 removes it.
    pub fn set_quantity(&mut self, sku: &Sku, quantity: u32) {
        match self.lines.iter_mut().find(|l| l.sku == *sku) {
            Some(line) => line.quantity = quantity,
            None => self.lines.push(CartLine {
                sku: sku.clone(),
                quantity,
            }),
        }
        self.lines.retain(|l| l.quantity > 0);
    }
}
