//! `madoguchi ib`: the customer channel, with the exit codes and JSON of docs/spec.md §6.

use super::{Context, Failure, IbCommand, Outcome, read_secret};
use crate::domain::credential::CredentialKind;
use crate::i18n::{t, tf};
use crate::service::ib::{IbOutcome, IbResult, Refusal};

pub fn run(ctx: &Context, cmd: IbCommand) -> Result<Outcome, Failure> {
    let lang = ctx.lang;
    let mut stdin = std::io::stdin().lock();
    let (outcome, json) = match cmd {
        IbCommand::Login { login_id, json } => {
            let secret = read_secret(&mut stdin, lang)?;
            let mut ledger = ctx.open()?;
            (ledger.ib_attempt(&login_id, CredentialKind::LoginPassword, &secret).map_err(|e| ctx.fail(e))?, json)
        }
        IbCommand::Verify { login_id, secret: kind, json } => {
            let value = read_secret(&mut stdin, lang)?;
            let mut ledger = ctx.open()?;
            (ledger.ib_attempt(&login_id, kind, &value).map_err(|e| ctx.fail(e))?, json)
        }
        IbCommand::ChangePassword { login_id, kind, json } => {
            let old = read_secret(&mut stdin, lang)?;
            let new = read_secret(&mut stdin, lang)?;
            let mut ledger = ctx.open()?;
            (ledger.ib_change_password(&login_id, kind, &old, &new).map_err(|e| ctx.fail(e))?, json)
        }
    };
    if json {
        println!("{}", serde_json::to_string(&outcome).unwrap_or_default());
    }
    eprintln!("{}", describe(ctx, &outcome));
    Ok(Outcome::Code(outcome.exit_code() as u8))
}

fn describe(ctx: &Context, o: &IbOutcome) -> String {
    let lang = ctx.lang;
    let center = ctx.cfg.contact_center_name.as_str();
    match (o.result, o.refusal) {
        (IbResult::Accepted, _) => t(lang, "msg.ib_accepted").into(),
        (IbResult::Rejected, _) => {
            let rejected = tf(
                lang,
                "msg.ib_rejected",
                &[("failures", &o.failures.to_string()), ("threshold", &o.threshold.to_string())],
            );
            // The attempt that reached the threshold suspended the service: say so now,
            // not only at the next attempt.
            let now_suspended = match (o.failures >= o.threshold, o.suspended) {
                (true, "otp") => Some("msg.ib_suspended_otp"),
                (true, "service") => Some("msg.ib_suspended"),
                _ => None,
            };
            match now_suspended {
                Some(key) => {
                    // Japanese sentences follow each other without a space.
                    let gap = if lang == crate::i18n::Lang::En { " " } else { "" };
                    format!("{rejected}{gap}{}", tf(lang, key, &[("center", center)]))
                }
                None => rejected,
            }
        }
        (IbResult::Suspended, _) if o.suspended == "otp" => tf(lang, "msg.ib_suspended_otp", &[("center", center)]),
        (IbResult::Suspended, _) => tf(lang, "msg.ib_suspended", &[("center", center)]),
        (IbResult::Refused, Some(Refusal::MustChange)) => t(lang, "msg.ib_must_change").into(),
        (IbResult::Refused, Some(Refusal::OnlyMasterChangesConfirm)) => t(lang, "msg.ib_only_master").into(),
        (IbResult::Refused, Some(Refusal::PaperFormOnly)) => t(lang, "msg.ib_paper_form").into(),
        (IbResult::Refused, Some(Refusal::NoToken)) => t(lang, "msg.ib_no_token").into(),
        (IbResult::Refused, Some(Refusal::Policy) | None) => t(lang, "msg.ib_policy").into(),
    }
}
