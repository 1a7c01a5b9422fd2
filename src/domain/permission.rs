//! docs/spec.md §1: which staff role may do what, and for which branch's customers.
//!
//! The service layer calls [`authorize`] before every use case, whatever front end asked.

use serde::Serialize;
use strum::{EnumString, IntoStaticStr, VariantArray};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, EnumString, IntoStaticStr, VariantArray)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum StaffRole {
    /// 窓口担当
    Clerk,
    /// テレホンセンター担当
    Operator,
    /// 役席
    Supervisor,
    /// システム管理者
    Admin,
}

impl StaffRole {
    pub fn code(self) -> &'static str {
        self.into()
    }
}

/// Every operation the service layer guards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, VariantArray, IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum Operation {
    /// Find customers and open one (all customer-facing staff).
    SearchCustomers,
    /// 手続き案内
    Guidance,
    /// Lift a lock after the counter identity check (own branch).
    UnlockAtCounter,
    /// Lift a lock after a call back to the registered number (telephone center).
    UnlockByPhone,
    /// Paper forms, token add / reissue / hand-over, fee collection (own branch).
    CounterProcedure,
    /// 紛失届: at the counter or by phone.
    ReportLostToken,
    /// 検印: approve or reject a request of the branch.
    Approve,
    /// Staff accounts, token import, backups.
    Administer,
    /// Audit trail and chain verification.
    ViewAudit,
    /// 日計: the fee journal.
    ViewFeeJournal,
}

impl Operation {
    pub fn code(self) -> &'static str {
        self.into()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("this role may not do that")]
    Role,
    /// Counter procedures happen at the customer's own branch (お取引店).
    #[error("only the customer's branch {customer_branch} may do that")]
    OtherBranch { customer_branch: String },
    /// The telephone center cannot take paper or money: 「窓口でのお手続きが必要です」.
    #[error("a counter procedure is needed at branch {customer_branch}")]
    CounterOnly { customer_branch: String },
}

/// The staff member asking, as far as permissions care.
#[derive(Debug, Clone, Copy)]
pub struct Staff<'a> {
    pub role: StaffRole,
    pub branch: &'a str,
}

/// A logged-in staff member: what every use case checks permissions against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: String,
    pub name: String,
    pub role: StaffRole,
    pub branch: String,
}

impl Session {
    pub fn as_staff(&self) -> Staff<'_> {
        Staff { role: self.role, branch: &self.branch }
    }

    /// Whether this staff member may do `op`, for a customer of `customer_branch`.
    pub fn authorize(&self, op: Operation, customer_branch: Option<&str>) -> Result<(), Denied> {
        authorize(self.as_staff(), op, customer_branch)
    }
}

/// Whether `staff` may perform `op`, for a customer of `customer_branch` when the
/// operation concerns one.
pub fn authorize(staff: Staff<'_>, op: Operation, customer_branch: Option<&str>) -> Result<(), Denied> {
    use Operation as O;
    use StaffRole as R;
    let own_branch = || match customer_branch {
        Some(b) if b != staff.branch => Err(Denied::OtherBranch { customer_branch: b.to_string() }),
        _ => Ok(()),
    };
    match (staff.role, op) {
        (R::Admin, O::Administer | O::ViewAudit) => Ok(()),
        (R::Admin, _) => Err(Denied::Role),
        (_, O::Administer) => Err(Denied::Role),
        (_, O::SearchCustomers | O::Guidance | O::ReportLostToken | O::ViewAudit) => Ok(()),
        (R::Operator, O::UnlockByPhone) => Ok(()),
        (R::Operator, O::UnlockAtCounter | O::CounterProcedure) => {
            Err(Denied::CounterOnly { customer_branch: customer_branch.unwrap_or_default().to_string() })
        }
        (R::Operator, O::Approve | O::ViewFeeJournal) => Err(Denied::Role),
        (R::Clerk | R::Supervisor, O::UnlockByPhone) => Err(Denied::Role),
        (R::Clerk | R::Supervisor, O::UnlockAtCounter | O::CounterProcedure) => own_branch(),
        (R::Clerk | R::Supervisor, O::ViewFeeJournal) => own_branch(),
        (R::Supervisor, O::Approve) => own_branch(),
        (R::Clerk, O::Approve) => Err(Denied::Role),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Operation as O;
    use StaffRole as R;

    /// The matrix of docs/spec.md §1: for each role, what it may do for a customer of its own
    /// branch ('y'), of another branch ('b' = refused for the branch, 'c' = counter
    /// only, 'y' = allowed), or never ('n').
    #[test]
    fn every_role_and_operation() {
        // op, clerk, operator, supervisor, admin — each as (own branch, other branch)
        let table: [(O, [(char, char); 4]); 10] = [
            (O::SearchCustomers, [('y', 'y'), ('y', 'y'), ('y', 'y'), ('n', 'n')]),
            (O::Guidance, [('y', 'y'), ('y', 'y'), ('y', 'y'), ('n', 'n')]),
            (O::UnlockAtCounter, [('y', 'b'), ('c', 'c'), ('y', 'b'), ('n', 'n')]),
            (O::UnlockByPhone, [('n', 'n'), ('y', 'y'), ('n', 'n'), ('n', 'n')]),
            (O::CounterProcedure, [('y', 'b'), ('c', 'c'), ('y', 'b'), ('n', 'n')]),
            (O::ReportLostToken, [('y', 'y'), ('y', 'y'), ('y', 'y'), ('n', 'n')]),
            (O::Approve, [('n', 'n'), ('n', 'n'), ('y', 'b'), ('n', 'n')]),
            (O::Administer, [('n', 'n'), ('n', 'n'), ('n', 'n'), ('y', 'y')]),
            (O::ViewAudit, [('y', 'y'), ('y', 'y'), ('y', 'y'), ('y', 'y')]),
            (O::ViewFeeJournal, [('y', 'b'), ('n', 'n'), ('y', 'b'), ('n', 'n')]),
        ];
        assert_eq!(table.len(), Operation::VARIANTS.len());
        for (op, cells) in table {
            for (role, (own, other)) in StaffRole::VARIANTS.iter().copied().zip(cells) {
                let home = if role == R::Operator { "900" } else { "101" };
                let staff = Staff { role, branch: home };
                // An operator's "own" customer is any customer; use 101 for both columns.
                let own_branch = if role == R::Operator { "101" } else { home };
                for (expect, customer) in [(own, own_branch), (other, "205")] {
                    let got = authorize(staff, op, Some(customer));
                    let want = match expect {
                        'y' => Ok(()),
                        'n' => Err(Denied::Role),
                        'b' => Err(Denied::OtherBranch { customer_branch: customer.into() }),
                        'c' => Err(Denied::CounterOnly { customer_branch: customer.into() }),
                        _ => unreachable!(),
                    };
                    assert_eq!(got, want, "{role:?} {op:?} for a customer of {customer}");
                }
            }
        }
    }
}
