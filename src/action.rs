//! Every user intent, whatever key produced it.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// A character typed into the focused field.
    Input(char),
    /// Removes the character before the cursor.
    Backspace,
    /// Removes the character under the cursor.
    Delete,
    /// The cursor one character left (in a text field), or the previous choice in a row.
    Left,
    /// The cursor one character right, or the next choice in a row.
    Right,
    /// The cursor to the start of the field.
    LineStart,
    /// The cursor to the end of the field.
    LineEnd,
    /// Empties the focused field.
    ClearField,
    /// Space on a check box: turns it over.
    Toggle,
    /// Straight back to Home (asking first if something typed would be lost).
    GoHome,
    /// Reads the ledger afresh for the screen in front.
    Refresh,
    /// Writes what the screen shows to a file (the fee journal's CSV).
    Export,
    /// Prints the document in front: the receipt on its dialog, the day's fee journal.
    Print,
    /// Prints again the receipt of the fee selected on the journal (再発行).
    PrintReceipt,
    /// Withdraw a pending request of the selected user.
    Withdraw,
    /// A click on a row of the screen's list (its index among the rows).
    PickRow(usize),
    /// A click on a field's label (its catalog key): the focus goes there.
    PickField(&'static str),
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
