//! madoguchi (窓口): the counter terminal for corporate internet-banking support.
//!
//! Layers: `domain` (pure rules) ← `service` (use cases, one transaction each) ←
//! `store` (the only SQL). `keys` turns keys into `action`s, `app` holds the state and
//! applies them, `ui` draws it; `cli` runs the subcommands and `tui` the terminal.
pub mod action;
pub mod app;
pub mod cli;
pub mod config;
pub mod domain;
pub mod export;
pub mod format;
pub mod headfile;
pub mod i18n;
pub mod import;
pub mod keyfile;
pub mod keys;
pub mod messages;
pub mod paper;
pub mod secret;
pub mod serve;
pub mod service;
pub mod store;
pub mod text;
pub mod tui;
pub mod ui;
