//! Every user intent, whatever key produced it.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// A character typed into the focused field.
    Input(char),
    Backspace,
    NextField,
    PrevField,
    Up,
    Down,
    PageUp,
    PageDown,
    /// Confirm, open, submit.
    Enter,
    /// Back one screen, or leave a form.
    Back,
    FindCustomer,
    ToggleLang,
    Help,
    /// Log out, or quit on the login screen (asks first).
    Quit,
    Yes,
    No,
    Guidance,
    Unlock,
    PaperForm,
    HardToken,
    Approvals,
    FeeJournal,
    AuditTrail,
    ExpiringTokens,
}
