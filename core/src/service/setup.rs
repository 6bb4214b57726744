//! Setting up the device's shop, logging in, and shop settings.

use super::{tenant_of, Actor, Shop, ShopError};
use crate::domain::device::DeviceCode;
use crate::domain::event::{
    DeviceRegistered, OperatorCreated, OperatorLoggedIn, OperatorPinRejected, TenantCreated,
    TenantSettingsChanged,
};
use crate::domain::ids::{DeviceId, OperatorId, TenantId};
use crate::domain::locale::Locale;
use crate::domain::money::Currency;
use crate::domain::operator::{Operator, OperatorName, Pin, PinAttempts, PinHash};
use crate::domain::permission::{Operation, Role};
use crate::domain::replica::{changed_fields, Kind};
use crate::domain::tenant::{Features, ShopName, TaxMode, Tenant, TenantSettings, TenantSlug};
use crate::store::{self, DeviceIdentity, StoreError};

/// What setting up a device needs.
#[derive(Debug, Clone)]
pub struct ShopSetup {
    /// The shop's slug.
    pub slug: TenantSlug,
    /// The shop's settings.
    pub settings: TenantSettings,
    /// This device's order-number prefix.
    pub device_code: DeviceCode,
    /// The first administrator's name.
    pub admin_name: OperatorName,
    /// The first administrator's PIN.
    pub admin_pin: Pin,
}

/// What joining a chain needs: this device's new id and what central answered
/// when it redeemed the enrolment code.
#[derive(Debug, Clone)]
pub struct JoinSetup {
    /// The id this device enrolled with ([`Shop::new_device_id`]).
    pub device_id: DeviceId,
    /// The chain's tenant id at central.
    pub tenant_id: TenantId,
    /// Its slug at central.
    pub slug: TenantSlug,
    /// This device's order-number prefix.
    pub device_code: DeviceCode,
}

/// An operator as shown on the login screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginChoice {
    /// Id.
    pub id: OperatorId,
    /// Name.
    pub name: OperatorName,
    /// Role.
    pub role: Role,
}

enum LoginOutcome {
    In(Actor),
    Wrong(PinAttempts),
    Locked(u64),
}

impl Shop {
    /// This device's identity, or `None` before setup.
    pub fn device(&self) -> Result<Option<DeviceIdentity>, ShopError> {
        Ok(self.store.read(store::device_identity)?)
    }

    pub(super) fn hash_pin(&self, pin: &Pin) -> Result<PinHash, ShopError> {
        let mut salt = [0u8; 16];
        self.entropy.fill(&mut salt);
        PinHash::create(pin, salt).map_err(|e| {
            ShopError::validation(crate::domain::FieldError::new(
                "pin",
                "unhashable",
                e.to_string(),
            ))
        })
    }

    /// Creates the shop, this device's identity and the first administrator, and
    /// returns the administrator logged in. Refused once the device is set up.
    pub fn set_up(&self, setup: ShopSetup) -> Result<Actor, ShopError> {
        if self.device()?.is_some() {
            return Err(ShopError::AlreadySetUp);
        }
        setup.settings.validate().map_err(ShopError::validation)?;
        let pin_hash = self.hash_pin(&setup.admin_pin)?;
        let now = self.clock.now();
        let tenant = Tenant {
            id: TenantId::generate(now, &*self.entropy),
            slug: setup.slug,
            settings: setup.settings,
        };
        let admin = Operator {
            id: OperatorId::generate(now, &*self.entropy),
            tenant_id: tenant.id,
            name: setup.admin_name,
            role: Role::Admin,
            pin_hash,
            active: true,
            attempts: PinAttempts::default(),
        };
        let device = DeviceIdentity {
            device_id: DeviceId::generate(now, &*self.entropy),
            tenant_id: tenant.id,
            device_code: setup.device_code,
        };
        self.write_as(Some(admin.id), |tx| {
            if store::device_identity(tx)?.is_some() {
                return Err(ShopError::AlreadySetUp);
            }
            store::insert_tenant(tx, &tenant, now)?;
            store::insert_device(tx, &device)?;
            store::insert_operator(tx, &admin, now)?;
            tx.append(TenantCreated {
                tenant_id: tenant.id,
                slug: tenant.slug.clone(),
                settings: tenant.settings.clone(),
            })?;
            tx.append(DeviceRegistered {
                device_id: device.device_id,
                device_code: device.device_code.clone(),
            })?;
            tx.append(OperatorCreated {
                operator_id: admin.id,
                name: admin.name.clone(),
                role: admin.role,
                pin_hash: Some(admin.pin_hash.as_stored().to_owned()),
            })?;
            Ok(())
        })?;
        tracing::info!(tenant = %tenant.id, device = %device.device_id, "device set up");
        Ok(Actor {
            tenant_id: tenant.id,
            operator_id: admin.id,
            role: Role::Admin,
        })
    }

    /// A fresh id for this device, to enrol with before [`Shop::join`].
    pub fn new_device_id(&self) -> DeviceId {
        DeviceId::generate(self.clock.now(), &*self.entropy)
    }

    /// Makes this device a till of a chain central already holds: its identity
    /// under the chain's tenant, with placeholder settings (the slug as the name,
    /// euros) until the first pull brings the chain's own settings, operators and
    /// catalog. Nobody can log in before operators arrive. Refused once set up.
    pub fn join(&self, join: JoinSetup) -> Result<(), ShopError> {
        if self.device()?.is_some() {
            return Err(ShopError::AlreadySetUp);
        }
        let now = self.clock.now();
        let name = ShopName::parse(join.slug.as_str()).map_err(ShopError::validation)?;
        let tenant = Tenant {
            id: join.tenant_id,
            slug: join.slug,
            settings: TenantSettings {
                name,
                currency: Currency::parse("EUR").map_err(ShopError::validation)?,
                default_locale: Locale::parse("en").map_err(ShopError::validation)?,
                tax_mode: TaxMode::Inclusive,
                features: Features::default(),
                allow_oversell: false,
                shift_difference_limit: None,
                blind_count: false,
                discount_limit: None,
                address: None,
                kiosk_idle_secs: None,
            },
        };
        let device = DeviceIdentity {
            device_id: join.device_id,
            tenant_id: join.tenant_id,
            device_code: join.device_code,
        };
        self.write_as(None, |tx| {
            if store::device_identity(tx)?.is_some() {
                return Err(ShopError::AlreadySetUp);
            }
            store::insert_tenant(tx, &tenant, now)?;
            store::insert_device(tx, &device)?;
            tx.append(DeviceRegistered {
                device_id: device.device_id,
                device_code: device.device_code.clone(),
            })?;
            Ok(())
        })?;
        tracing::info!(tenant = %tenant.id, device = %device.device_id, "device joined a chain");
        Ok(())
    }

    /// Whether this till has what it needs to be used: the shop's settings (its
    /// own, or the chain's once pulled) and an active operator. A till set up here
    /// always has; one that joined a chain has once the first pull brought them.
    pub fn ready(&self) -> Result<bool, ShopError> {
        let Some(me) = self.device()? else {
            return Ok(false);
        };
        Ok(self.store.read(|c| {
            let settings = store::replica(c, Kind::Settings, me.tenant_id.as_uuid())?
                .is_some_and(|r| r.settings().is_ok());
            let operators = store::operators(c, me.tenant_id)?.iter().any(|o| o.active);
            Ok::<_, StoreError>(settings && operators)
        })?)
    }

    /// The actor of the device's own headless operations (the `import`
    /// subcommand, the drop folder): the shop's first active administrator, by
    /// name. No PIN is asked: whoever runs them holds the data folder, where a PIN
    /// protects nothing (the same holds for `backup` and `export-unsynced`).
    pub fn operations_actor(&self) -> Result<(Actor, String), ShopError> {
        self.store.read(|c| {
            let d = store::device_identity(c)?.ok_or(StoreError::NotSetUp)?;
            store::operators(c, d.tenant_id)?
                .into_iter()
                .find(|o| o.active && o.role == Role::Admin)
                .map(|o| {
                    (
                        Actor {
                            tenant_id: o.tenant_id,
                            operator_id: o.id,
                            role: o.role,
                        },
                        o.name.to_string(),
                    )
                })
                .ok_or(ShopError::NotFound {
                    entity: "administrator",
                })
        })
    }

    /// Active operators of this device's shop, for the login screen.
    pub fn login_choices(&self) -> Result<Vec<LoginChoice>, ShopError> {
        self.store.read(|c| {
            let d = store::device_identity(c)?.ok_or(StoreError::NotSetUp)?;
            Ok(store::operators(c, d.tenant_id)?
                .into_iter()
                .filter(|o| o.active)
                .map(|o| LoginChoice {
                    id: o.id,
                    name: o.name,
                    role: o.role,
                })
                .collect())
        })
    }

    /// Checks an operator's PIN. Five wrong PINs in a row lock the operator for 30 s;
    /// every attempt is recorded (and so audited) as an event.
    pub fn login(&self, operator_id: OperatorId, pin: &Pin) -> Result<Actor, ShopError> {
        let now = self.clock.now();
        // The PIN is checked outside the write transaction: argon2 is deliberately
        // slow and must not hold up sales on other windows.
        let op = self.store.read(|c| {
            let d = store::device_identity(c)?.ok_or(StoreError::NotSetUp)?;
            store::operator(c, d.tenant_id, operator_id)?
                .ok_or(ShopError::NotFound { entity: "operator" })
        })?;
        if !op.active {
            return Err(ShopError::Forbidden {
                operation: "log in",
            });
        }
        op.attempts.check(now).map_err(|secs| ShopError::Locked {
            retry_after_secs: secs,
        })?;
        let correct = op.pin_hash.verify(pin);
        let outcome = self.write_as(Some(operator_id), |tx| {
            let mut op = store::operator(tx, op.tenant_id, operator_id)?
                .ok_or(ShopError::NotFound { entity: "operator" })?;
            if let Err(secs) = op.attempts.check(now) {
                // Another attempt locked the operator meanwhile; nothing to record.
                return Ok(LoginOutcome::Locked(secs));
            }
            if correct {
                op.attempts = PinAttempts::default();
                store::update_operator(tx, &op, now)?;
                tx.append(OperatorLoggedIn { operator_id })?;
                Ok(LoginOutcome::In(Actor {
                    tenant_id: op.tenant_id,
                    operator_id,
                    role: op.role,
                }))
            } else {
                op.attempts = op.attempts.after_wrong_pin(now);
                store::update_operator(tx, &op, now)?;
                tx.append(OperatorPinRejected {
                    operator_id,
                    wrong_in_row: op.attempts.wrong,
                    locked_until: op.attempts.locked_until,
                })?;
                Ok(LoginOutcome::Wrong(op.attempts))
            }
        })?;
        match outcome {
            LoginOutcome::In(actor) => Ok(actor),
            LoginOutcome::Locked(secs) => Err(ShopError::Locked {
                retry_after_secs: secs,
            }),
            LoginOutcome::Wrong(attempts) => match attempts.check(now) {
                Err(secs) => {
                    tracing::warn!(operator = %operator_id, "operator locked after wrong PINs");
                    Err(ShopError::Locked {
                        retry_after_secs: secs,
                    })
                }
                Ok(()) => Err(ShopError::WrongPin {
                    attempts_left: attempts.attempts_left(),
                }),
            },
        }
    }

    /// The device and its shop's settings, before anyone logs in (the login screen
    /// shows the shop's name; prices need its currency). `None` before setup.
    pub fn shop_info(&self) -> Result<Option<(DeviceIdentity, TenantSettings)>, ShopError> {
        self.store.read(|c| {
            let Some(d) = store::device_identity(c)? else {
                return Ok(None);
            };
            let t = store::tenant(c, d.tenant_id)?.ok_or(ShopError::NotFound { entity: "shop" })?;
            Ok(Some((d, t.settings)))
        })
    }

    /// The shop as every role may read it: what formatting prices and titles needs.
    pub fn shop_settings(&self, actor: &Actor) -> Result<Tenant, ShopError> {
        self.query(actor, Operation::ViewCatalog, |c, caller| {
            Ok(Tenant::clone(&*self.cached_tenant(c, caller)?))
        })
    }

    /// The operations the actor's current role allows, from the one permission table
    /// (what a UI may offer); nothing for an unknown or deactivated operator.
    pub fn allowed_operations(&self, actor: &Actor) -> Result<Vec<Operation>, ShopError> {
        self.store.read(|c| {
            let op = store::operator(c, actor.tenant_id(), actor.operator_id())?;
            Ok(match op {
                Some(o) if o.active => Operation::ALL
                    .iter()
                    .copied()
                    .filter(|op| o.role.allows(op.permission()))
                    .collect(),
                _ => Vec::new(),
            })
        })
    }

    /// The shop.
    pub fn tenant(&self, actor: &Actor) -> Result<Tenant, ShopError> {
        self.query(actor, Operation::ViewSettings, |c, caller| {
            Ok(Tenant::clone(&*self.cached_tenant(c, caller)?))
        })
    }

    /// Replaces the shop settings. The currency cannot change once products exist,
    /// because every stored price is in it.
    pub fn update_settings(
        &self,
        actor: &Actor,
        settings: TenantSettings,
    ) -> Result<Tenant, ShopError> {
        settings.validate().map_err(ShopError::validation)?;
        self.command(actor, Operation::UpdateSettings, |tx, caller| {
            let mut tenant = tenant_of(tx, caller)?;
            if settings.currency != tenant.settings.currency {
                let priced: bool = tx
                    .prepare_cached("SELECT 1 FROM products WHERE tenant_id = ?1")?
                    .exists([caller.tenant.to_string()])?;
                if priced {
                    return Err(ShopError::validation(crate::domain::FieldError::new(
                        "currency",
                        "in_use",
                        "cannot change the currency once products exist",
                    )));
                }
            }
            let changed = changed_fields(Kind::Settings, &tenant.settings, &settings);
            tenant.settings = settings;
            store::update_tenant_settings(tx, tenant.id, &tenant.settings, tx.now())?;
            tx.append(TenantSettingsChanged {
                tenant_id: tenant.id,
                settings: tenant.settings.clone(),
                changed: Some(changed),
            })?;
            Ok(tenant)
        })
    }
}
