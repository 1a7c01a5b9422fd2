//! Plain data and pure rules. Nothing here touches a clock, a terminal or the ledger:
//! time is a parameter, and every rule has a table test.
pub mod api_key;
pub mod approval;
pub mod audit;
pub mod branch;
pub mod credential;
pub mod customer;
pub mod fees;
pub mod forms;
pub mod guidance;
pub mod kana;
pub mod lockout;
pub mod paper;
pub mod password_change;
pub mod permission;
pub mod search;
pub mod staff;
pub mod token;
pub mod unlock;
pub mod view;
