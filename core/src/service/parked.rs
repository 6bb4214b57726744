//! Parked sales: a cart put aside at the till (the customer went back for milk) and
//! taken up again later, on this device, after any restart. Parking and taking up
//! are events of the device (`SaleParked`, `ParkedSaleResumed`), like every change.

use super::{Actor, NewLine, Shop, ShopError};
use crate::domain::clock::Timestamp;
use crate::domain::event::{ParkedSaleResumed, SaleParked};
use crate::domain::ids::{OperatorId, ParkedSaleId};
use crate::domain::order::{Discount, ParkedBasket, ParkedLine};
use crate::domain::permission::Operation;
use crate::domain::FieldError;
use crate::store;

/// The basket as a sale takes it.
pub fn new_lines(b: &ParkedBasket) -> Vec<NewLine> {
    b.lines
        .iter()
        .map(|l| NewLine {
            product_id: l.product_id,
            quantity: l.quantity,
            discount: l.discount,
        })
        .collect()
}

/// A parked sale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParkedSale {
    /// Id.
    pub id: ParkedSaleId,
    /// Who parked it.
    pub parked_by: OperatorId,
    /// When.
    pub parked_at: Timestamp,
    /// The cart.
    pub basket: ParkedBasket,
}

impl Shop {
    /// Puts a cart aside. It must have at least one line and no more than an order
    /// may; every product must be the shop's (prices are taken when it is resumed).
    pub fn park_sale(
        &self,
        actor: &Actor,
        lines: &[NewLine],
        discount: Option<Discount>,
    ) -> Result<ParkedSale, ShopError> {
        let basket = ParkedBasket {
            lines: lines
                .iter()
                .map(|l| ParkedLine {
                    product_id: l.product_id,
                    quantity: l.quantity,
                    discount: l.discount,
                })
                .collect(),
            discount,
        };
        basket.validate()?;
        self.command(actor, Operation::ParkSale, |tx, caller| {
            for (i, l) in lines.iter().enumerate() {
                if store::product(tx, caller.tenant, l.product_id)?.is_none() {
                    return Err(FieldError::new(
                        format!("lines[{i}].product_id"),
                        "not_found",
                        "no such product",
                    )
                    .into());
                }
            }
            let parked = ParkedSale {
                id: ParkedSaleId::from_uuid(tx.new_id()),
                parked_by: caller.operator,
                parked_at: tx.now(),
                basket,
            };
            store::insert_parked(tx, caller.tenant, &parked)?;
            let device_id = tx.identity()?.device_id;
            tx.append(SaleParked {
                device_id,
                parked_sale_id: parked.id,
                basket: parked.basket.clone(),
            })?;
            Ok(parked)
        })
    }

    /// The parked sales, oldest first.
    pub fn parked_sales(&self, actor: &Actor) -> Result<Vec<ParkedSale>, ShopError> {
        self.query(actor, Operation::ListParkedSales, |c, caller| {
            Ok(store::parked_sales(c, caller.tenant)?)
        })
    }

    /// Takes a parked sale up again: it is returned and no longer parked. A sale
    /// taken up twice (two tills, a double click) is found only once.
    pub fn resume_sale(&self, actor: &Actor, id: ParkedSaleId) -> Result<ParkedSale, ShopError> {
        self.command(actor, Operation::ResumeParkedSale, |tx, caller| {
            let parked = store::take_parked(tx, caller.tenant, id)?.ok_or(ShopError::NotFound {
                entity: "parked sale",
            })?;
            let device_id = tx.identity()?.device_id;
            tx.append(ParkedSaleResumed {
                device_id,
                parked_sale_id: id,
            })?;
            Ok(parked)
        })
    }
}
