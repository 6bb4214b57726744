//! Roles, permissions, and the one table that maps roles to permissions.
//!
//! Every service use case is an [`Operation`] with exactly one required
//! [`Permission`]; the service checks [`Role::allows`] before doing anything.

use crate::FieldError;
use serde::{Deserialize, Serialize};

/// What an operator is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Owns the device: everything.
    Admin,
    /// Runs the shop: catalog, stock, refunds, content, operators.
    Manager,
    /// Sells at the counter.
    Cashier,
    /// A self-service screen: browses and builds orders, pays at the counter.
    Kiosk,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 4] = [Role::Admin, Role::Manager, Role::Cashier, Role::Kiosk];

    /// Stable name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Cashier => "cashier",
            Role::Kiosk => "kiosk",
        }
    }

    /// Inverse of [`Role::as_str`].
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or_else(|| {
                FieldError::new(
                    "role",
                    "invalid_role",
                    "must be admin, manager, cashier or kiosk",
                )
            })
    }

    /// Whether this role may approve, with its PIN, a cash difference above the
    /// shop's limit (and so always sees what the drawer should hold).
    pub fn approves_cash_differences(self) -> bool {
        self.allows(Permission(Resource::Cash, Action::Approve))
    }

    /// Whether this role may sell more than is in stock when the shop does not allow
    /// it, and approve, with its PIN, another operator's doing so.
    pub fn approves_oversell(self) -> bool {
        self.allows(Permission(Resource::Stock, Action::Approve))
    }

    /// Whether this role may give discounts at all (a kiosk may not).
    pub fn gives_discounts(self) -> bool {
        self.allows(Permission(Resource::Orders, Action::Discount))
    }

    /// Whether this role may give discounts beyond the shop's limit for cashiers,
    /// and approve, with its PIN, another operator's doing so.
    pub fn approves_discounts(self) -> bool {
        self.allows(Permission(Resource::Orders, Action::Approve))
    }

    /// Whether this role may, with its PIN, take a device out of kiosk mode.
    pub fn unlocks_kiosk(self) -> bool {
        self.allows(Permission(Resource::Settings, Action::Approve))
    }

    /// Whether this role holds `permission`, by the table [`GRANTS`].
    pub fn allows(self, permission: Permission) -> bool {
        GRANTS
            .iter()
            .any(|(role, perms)| *role == self && perms.contains(&permission))
    }
}

/// What is acted upon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resource {
    /// Shop settings.
    Settings,
    /// Operators and their roles.
    Operators,
    /// Products.
    Catalog,
    /// Stock levels and movements.
    Stock,
    /// Orders.
    Orders,
    /// Taking payments.
    Payments,
    /// The cash drawer and shifts.
    Cash,
    /// Content pages and promos.
    Content,
    /// Backups, doctor, exports.
    Maintenance,
    /// The outbox and the connection to the central server.
    Sync,
}

/// What is done to a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Read.
    View,
    /// Create.
    Create,
    /// Change.
    Edit,
    /// Make visible (content).
    Publish,
    /// Take money.
    Take,
    /// Ship and deliver.
    Fulfil,
    /// Cancel.
    Cancel,
    /// Give money back.
    Refund,
    /// Open, close, cash in/out.
    Operate,
    /// Vouch with one's PIN for what another operator may not do alone (a shift
    /// difference above the shop's limit, selling more than is in stock, a
    /// discount above the cashier's limit).
    Approve,
    /// Give a discount (within the shop's limit for the role).
    Discount,
}

/// A `(Resource, Action)` pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Permission(pub Resource, pub Action);

use Action::*;
use Resource::*;

const CASHIER: &[Permission] = &[
    Permission(Catalog, View),
    Permission(Stock, View),
    Permission(Orders, View),
    Permission(Orders, Create),
    Permission(Orders, Edit),
    Permission(Orders, Fulfil),
    Permission(Orders, Cancel),
    Permission(Orders, Discount),
    Permission(Payments, Take),
    Permission(Cash, View),
    Permission(Cash, Operate),
    Permission(Content, View),
    Permission(Sync, View),
];

const MANAGER_EXTRA: &[Permission] = &[
    Permission(Settings, View),
    Permission(Operators, View),
    Permission(Operators, Create),
    Permission(Operators, Edit),
    Permission(Catalog, Create),
    Permission(Catalog, Edit),
    Permission(Stock, Edit),
    Permission(Orders, Refund),
    Permission(Content, Create),
    Permission(Content, Edit),
    Permission(Content, Publish),
    Permission(Maintenance, View),
    Permission(Maintenance, Operate),
    Permission(Cash, Approve),
    Permission(Stock, Approve),
    Permission(Orders, Approve),
    Permission(Settings, Approve),
];

const ADMIN_EXTRA: &[Permission] = &[Permission(Settings, Edit)];

const KIOSK: &[Permission] = &[
    Permission(Catalog, View),
    Permission(Orders, Create),
    Permission(Content, View),
];

// Evaluated at compile time over the constant tables; a length mismatch fails the build.
#[allow(clippy::arithmetic_side_effects)]
const fn concat<const N: usize>(parts: [&[Permission]; 3]) -> [Permission; N] {
    let mut out = [Permission(Settings, View); N];
    let mut i = 0;
    let mut p = 0;
    while p < parts.len() {
        let mut j = 0;
        while j < parts[p].len() {
            out[i] = parts[p][j];
            i += 1;
            j += 1;
        }
        p += 1;
    }
    assert!(i == N, "permission table length mismatch");
    out
}

const MANAGER: [Permission; CASHIER.len() + MANAGER_EXTRA.len()] =
    concat([CASHIER, MANAGER_EXTRA, &[]]);
const ADMIN: [Permission; CASHIER.len() + MANAGER_EXTRA.len() + ADMIN_EXTRA.len()] =
    concat([CASHIER, MANAGER_EXTRA, ADMIN_EXTRA]);

/// The one role → permission table.
pub const GRANTS: &[(Role, &[Permission])] = &[
    (Role::Admin, &ADMIN),
    (Role::Manager, &MANAGER),
    (Role::Cashier, CASHIER),
    (Role::Kiosk, KIOSK),
];

macro_rules! operations {
    ($($(#[$doc:meta])* $name:ident => ($res:ident, $act:ident)),* $(,)?) => {
        /// Every permission-checked use case of the service, with its required permission.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Operation {
            $($(#[$doc])* $name,)*
        }

        impl Operation {
            /// Every operation, so tests can cover each one against each role.
            pub const ALL: &'static [Operation] = &[$(Operation::$name,)*];

            /// The permission this operation requires.
            pub const fn permission(self) -> Permission {
                match self {
                    $(Operation::$name => Permission(Resource::$res, Action::$act),)*
                }
            }

            /// Stable name (for logs and `Forbidden` errors).
            pub const fn name(self) -> &'static str {
                match self {
                    $(Operation::$name => stringify!($name),)*
                }
            }
        }
    };
}

operations! {
    /// Read the shop settings.
    ViewSettings => (Settings, View),
    /// Change the shop settings.
    UpdateSettings => (Settings, Edit),
    /// List operators.
    ListOperators => (Operators, View),
    /// Add an operator.
    CreateOperator => (Operators, Create),
    /// Change an operator's role.
    ChangeOperatorRole => (Operators, Edit),
    /// Deactivate an operator.
    DeactivateOperator => (Operators, Edit),
    /// Set a new PIN for an operator.
    ResetOperatorPin => (Operators, Edit),
    /// Read products.
    ViewCatalog => (Catalog, View),
    /// Add a product.
    CreateProduct => (Catalog, Create),
    /// Change a product.
    UpdateProduct => (Catalog, Edit),
    /// Activate or archive a product.
    ChangeProductStatus => (Catalog, Edit),
    /// Import products from a file (creates, edits, statuses and stock counts).
    ImportCatalog => (Catalog, Edit),
    /// Add a catalog category.
    CreateCategory => (Catalog, Create),
    /// Change a catalog category.
    UpdateCategory => (Catalog, Edit),
    /// Add a product picture (decoded, re-encoded, stored by digest).
    StoreImage => (Catalog, Edit),
    /// Read stock movements.
    ViewStock => (Stock, View),
    /// Receive goods.
    ReceiveStock => (Stock, Edit),
    /// Correct stock with a reason.
    AdjustStock => (Stock, Edit),
    /// Read orders.
    ViewOrders => (Orders, View),
    /// Start an order.
    CreateOrder => (Orders, Create),
    /// Price a basket without saving it.
    QuoteOrder => (Orders, Create),
    /// Confirm a pending order.
    ConfirmOrder => (Orders, Edit),
    /// Take payment for a confirmed order.
    PayOrder => (Payments, Take),
    /// Ship a paid order.
    ShipOrder => (Orders, Fulfil),
    /// Mark a shipped order delivered.
    DeliverOrder => (Orders, Fulfil),
    /// Hand a paid order over at the counter.
    HandOverOrder => (Orders, Fulfil),
    /// Cancel a pending or confirmed order.
    CancelOrder => (Orders, Cancel),
    /// Refund a paid, shipped or delivered order.
    RefundOrder => (Orders, Refund),
    /// Sell at the counter in one step.
    CounterSale => (Payments, Take),
    /// Put a cart aside at the till.
    ParkSale => (Payments, Take),
    /// See the carts put aside.
    ListParkedSales => (Payments, Take),
    /// Take a cart put aside up again.
    ResumeParkedSale => (Payments, Take),
    /// Give a customer a ticket to pay at the counter (a kiosk).
    IssueTicket => (Orders, Create),
    /// Read a kiosk ticket scanned at the counter into the cart.
    ReadTicket => (Payments, Take),
    /// Read the cash session.
    ViewCashSession => (Cash, View),
    /// Open a cash session with a float.
    OpenCashSession => (Cash, Operate),
    /// Put cash into or take it out of the drawer.
    MoveCash => (Cash, Operate),
    /// Close the cash session with the counted cash.
    CloseCashSession => (Cash, Operate),
    /// Read content.
    ViewContent => (Content, View),
    /// Add a content node.
    CreateContent => (Content, Create),
    /// Change a content node.
    UpdateContent => (Content, Edit),
    /// Publish a content node.
    PublishContent => (Content, Publish),
    /// Archive a content node.
    ArchiveContent => (Content, Publish),
    /// Integrity check.
    Doctor => (Maintenance, View),
    /// Pending events and the age of the oldest.
    ViewSyncStatus => (Sync, View),
    /// Online backup to a file.
    Backup => (Maintenance, Operate),
    /// Export unsynced events as JSON lines.
    ExportUnsynced => (Maintenance, Operate),
    /// List the events handlers gave up on, and why.
    ListDeadLetters => (Maintenance, View),
    /// Try a given-up event again.
    RetryDeadLetter => (Maintenance, Operate),
    /// Give up on an event for good (recorded as an event).
    DiscardDeadLetter => (Maintenance, Operate),
    /// Connect the device to a central server.
    EnrolDevice => (Settings, Edit),
}
