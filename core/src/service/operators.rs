//! Managing operators: create, change role, deactivate, reset PIN, list.

use super::{Actor, Caller, Shop, ShopError};
use crate::domain::event::{
    OperatorCreated, OperatorDeactivated, OperatorPinReset, OperatorRoleChanged,
};
use crate::domain::ids::OperatorId;
use crate::domain::operator::{Operator, OperatorName, Pin, PinAttempts};
use crate::domain::permission::{Operation, Role};
use crate::domain::FieldError;
use crate::store;
use rusqlite::Connection;

/// Only an admin may create, change or remove admins.
/// Only an admin may touch an admin (make one, change one, deactivate one, reset
/// another's PIN).
fn may_touch(caller: Caller, touches_admin: bool) -> bool {
    !touches_admin || caller.role == Role::Admin
}

fn guard_admin(caller: Caller, op: Operation, touches_admin: bool) -> Result<(), ShopError> {
    if !may_touch(caller, touches_admin) {
        return Err(ShopError::Forbidden {
            operation: op.name(),
        });
    }
    Ok(())
}

fn load(c: &Connection, caller: Caller, id: OperatorId) -> Result<Operator, ShopError> {
    store::operator(c, caller.tenant, id)?.ok_or(ShopError::NotFound { entity: "operator" })
}

fn last_admin(c: &Connection, caller: Caller, target: &Operator) -> Result<bool, ShopError> {
    Ok(target.role == Role::Admin && target.active && store::active_admins(c, caller.tenant)? <= 1)
}

/// What the operator asking may do to one operator: the screen offers these and
/// nothing else, and the commands refuse the rest by the same rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorRights {
    /// Roles the operator can be given (empty: the role cannot be changed).
    pub roles: Vec<Role>,
    /// May be deactivated.
    pub deactivate: bool,
    /// May get a new PIN.
    pub reset_pin: bool,
}

fn rights(caller: Caller, target: &Operator, last_admin: bool) -> OperatorRights {
    let may = |op: Operation| caller.role.allows(op.permission());
    let is_admin = target.role == Role::Admin;
    let roles = if target.active
        && !last_admin
        && may(Operation::ChangeOperatorRole)
        && may_touch(caller, is_admin)
    {
        Role::ALL
            .into_iter()
            .filter(|r| *r != target.role && may_touch(caller, *r == Role::Admin))
            .collect()
    } else {
        Vec::new()
    };
    OperatorRights {
        roles,
        deactivate: target.active
            && target.id != caller.operator
            && !last_admin
            && may(Operation::DeactivateOperator)
            && may_touch(caller, is_admin),
        reset_pin: target.active
            && may(Operation::ResetOperatorPin)
            && may_touch(caller, is_admin && target.id != caller.operator),
    }
}

impl Shop {
    /// Every operator of the shop, each with what the operator asking may do to it.
    pub fn operators_with_rights(
        &self,
        actor: &Actor,
    ) -> Result<Vec<(Operator, OperatorRights)>, ShopError> {
        self.query(actor, Operation::ListOperators, |c, caller| {
            store::operators(c, caller.tenant)?
                .into_iter()
                .map(|op| {
                    let r = rights(caller, &op, last_admin(c, caller, &op)?);
                    Ok((op, r))
                })
                .collect()
        })
    }

    /// Roles the operator asking may give a new operator (empty: may not create).
    pub fn creatable_roles(&self, actor: &Actor) -> Result<Vec<Role>, ShopError> {
        self.query(actor, Operation::ListOperators, |_, caller| {
            Ok(
                if caller.role.allows(Operation::CreateOperator.permission()) {
                    Role::ALL
                        .into_iter()
                        .filter(|r| may_touch(caller, *r == Role::Admin))
                        .collect()
                } else {
                    Vec::new()
                },
            )
        })
    }

    /// Every operator of the shop.
    pub fn operators(&self, actor: &Actor) -> Result<Vec<Operator>, ShopError> {
        self.query(actor, Operation::ListOperators, |c, caller| {
            Ok(store::operators(c, caller.tenant)?)
        })
    }

    /// Adds an operator. Names are unique per shop.
    pub fn create_operator(
        &self,
        actor: &Actor,
        name: OperatorName,
        role: Role,
        pin: &Pin,
    ) -> Result<Operator, ShopError> {
        let pin_hash = self.hash_pin(pin)?;
        self.command(actor, Operation::CreateOperator, |tx, caller| {
            guard_admin(caller, Operation::CreateOperator, role == Role::Admin)?;
            if store::operator_name_taken(tx, caller.tenant, &name)? {
                return Err(
                    FieldError::new("name", "taken", "another operator has this name").into(),
                );
            }
            let op = Operator {
                id: OperatorId::from_uuid(tx.new_id()),
                tenant_id: caller.tenant,
                name,
                role,
                pin_hash,
                active: true,
                attempts: PinAttempts::default(),
            };
            store::insert_operator(tx, &op, tx.now())?;
            tx.append(OperatorCreated {
                operator_id: op.id,
                name: op.name.clone(),
                role,
                pin_hash: Some(op.pin_hash.as_stored().to_owned()),
            })?;
            Ok(op)
        })
    }

    /// Changes an operator's role. The last active admin keeps the role.
    pub fn change_operator_role(
        &self,
        actor: &Actor,
        id: OperatorId,
        role: Role,
    ) -> Result<Operator, ShopError> {
        self.command(actor, Operation::ChangeOperatorRole, |tx, caller| {
            let mut op = load(tx, caller, id)?;
            guard_admin(
                caller,
                Operation::ChangeOperatorRole,
                op.role == Role::Admin || role == Role::Admin,
            )?;
            if op.role == role {
                return Err(FieldError::new(
                    "role",
                    "unchanged",
                    "the operator already has this role",
                )
                .into());
            }
            if last_admin(tx, caller, &op)? {
                return Err(FieldError::new(
                    "role",
                    "last_admin",
                    "the last active admin must stay admin",
                )
                .into());
            }
            let from = op.role;
            op.role = role;
            store::update_operator(tx, &op, tx.now())?;
            tx.append(OperatorRoleChanged {
                operator_id: id,
                from,
                to: role,
            })?;
            Ok(op)
        })
    }

    /// Deactivates an operator: they can no longer log in or act.
    pub fn deactivate_operator(
        &self,
        actor: &Actor,
        id: OperatorId,
    ) -> Result<Operator, ShopError> {
        self.command(actor, Operation::DeactivateOperator, |tx, caller| {
            let mut op = load(tx, caller, id)?;
            guard_admin(
                caller,
                Operation::DeactivateOperator,
                op.role == Role::Admin,
            )?;
            if !op.active {
                return Err(ShopError::InvalidTransition {
                    from: "inactive",
                    action: "deactivate",
                });
            }
            if op.id == caller.operator {
                return Err(FieldError::new(
                    "id",
                    "yourself",
                    "you cannot deactivate yourself; another manager or admin can",
                )
                .into());
            }
            if last_admin(tx, caller, &op)? {
                return Err(FieldError::new(
                    "id",
                    "last_admin",
                    "the last active admin cannot be deactivated",
                )
                .into());
            }
            op.active = false;
            store::update_operator(tx, &op, tx.now())?;
            tx.append(OperatorDeactivated { operator_id: id })?;
            Ok(op)
        })
    }

    /// Sets a new PIN and lifts any lockout.
    pub fn reset_operator_pin(
        &self,
        actor: &Actor,
        id: OperatorId,
        pin: &Pin,
    ) -> Result<Operator, ShopError> {
        let pin_hash = self.hash_pin(pin)?;
        self.command(actor, Operation::ResetOperatorPin, |tx, caller| {
            let mut op = load(tx, caller, id)?;
            guard_admin(
                caller,
                Operation::ResetOperatorPin,
                op.role == Role::Admin && op.id != caller.operator,
            )?;
            op.pin_hash = pin_hash;
            op.attempts = PinAttempts::default();
            store::update_operator(tx, &op, tx.now())?;
            tx.append(OperatorPinReset {
                operator_id: id,
                pin_hash: Some(op.pin_hash.as_stored().to_owned()),
            })?;
            Ok(op)
        })
    }
}
