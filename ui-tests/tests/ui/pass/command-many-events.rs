//! Commands returning several events: tuples, `Vec`, `Option`, arrays and nothing.

use eventsource::prelude::*;

#[event]
pub struct ItemAdded {
    pub sku: String,
}

#[event]
pub struct CartCheckedOut;

#[event]
pub struct DiscountApplied {
    pub percent: u8,
}

#[derive(Aggregate, Debug, Default)]
pub struct Cart {
    pub items: Vec<String>,
    pub discount: u8,
    pub checked_out: bool,
}

#[apply]
impl Cart {
    fn added(&mut self, event: &ItemAdded) {
        self.items.push(event.sku.clone());
    }

    fn checked_out(&mut self, _: &CartCheckedOut) {
        self.checked_out = true;
    }

    fn discounted(&mut self, event: &DiscountApplied) {
        self.discount = event.percent;
    }
}

#[derive(Debug, PartialEq)]
pub enum CartError {
    CheckedOut,
}

impl Cart {
    pub fn add_all(&self, skus: &[&str]) -> Result<Vec<ItemAdded>, CartError> {
        if self.checked_out {
            return Err(CartError::CheckedOut);
        }
        Ok(skus
            .iter()
            .map(|sku| ItemAdded {
                sku: sku.to_string(),
            })
            .collect())
    }

    pub fn maybe_discount(&self) -> Result<Option<DiscountApplied>, CartError> {
        Ok((self.items.len() >= 3).then_some(DiscountApplied { percent: 10 }))
    }

    pub fn check_out(&self) -> Result<(ItemAdded, CartCheckedOut), CartError> {
        if self.checked_out {
            return Err(CartError::CheckedOut);
        }
        Ok((
            ItemAdded {
                sku: "gift-wrap".into(),
            },
            CartCheckedOut,
        ))
    }

    pub fn noop(&self) -> Result<(), CartError> {
        Ok(())
    }
}

fn main() {
    let mut cart = AggregateRoot::<Cart>::new(Uuid::now_v7());

    cart.execute(Cart::maybe_discount).unwrap();
    assert_eq!(cart.version(), 0);

    cart.execute(|c| c.add_all(&["a", "b", "c"])).unwrap();
    assert_eq!(cart.version(), 3);

    cart.execute(Cart::maybe_discount).unwrap();
    assert_eq!(cart.discount, 10);

    cart.execute(Cart::noop).unwrap();
    cart.execute(|_| {
        Ok::<_, CartError>([ItemAdded { sku: "d".into() }, ItemAdded { sku: "e".into() }])
    })
    .unwrap();
    cart.execute(Cart::check_out).unwrap();
    assert!(cart.checked_out);
    assert_eq!(cart.items, ["a", "b", "c", "d", "e", "gift-wrap"]);
    assert_eq!(cart.version(), 8);

    assert_eq!(cart.execute(Cart::check_out), Err(CartError::CheckedOut));
    assert_eq!(
        cart.execute(|c| c.add_all(&["f"])),
        Err(CartError::CheckedOut)
    );
    assert_eq!(cart.version(), 8);
    assert_eq!(cart.pending_events().len(), 8);
    assert_eq!(
        cart.pending_events()[7].event,
        CartEvent::CartCheckedOut(CartCheckedOut)
    );
}
