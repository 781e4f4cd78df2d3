//! Phone numbers as Telegram wants them: international, digits only.

/// Normalises a phone number to the digits Telegram expects (`"+1 (555) 010-0"` →
/// `"15550100"`): an optional leading `+` (or `tel:`), then digits with spaces, dashes, dots
/// or parentheses between them. `None` if anything else appears or the digit count cannot be
/// an international number (5 to 15 digits, E.164's maximum).
///
/// ```
/// use tgwire::utils::parse_phone;
///
/// assert_eq!(parse_phone("+1 (555) 010-0100").as_deref(), Some("15550100100"));
/// assert_eq!(parse_phone("tel:+44.20.7946.0958").as_deref(), Some("442079460958"));
/// assert_eq!(parse_phone("call me"), None);
/// ```
pub fn parse_phone(phone: &str) -> Option<String> {
    let phone = phone.trim();
    let phone = match phone.get(..4) {
        Some(scheme) if scheme.eq_ignore_ascii_case("tel:") => &phone[4..],
        _ => phone,
    };
    let phone = phone.strip_prefix('+').unwrap_or(phone);
    let mut digits = String::with_capacity(phone.len());
    for c in phone.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' | '\u{a0}' => {}
            _ => return None,
        }
    }
    (5..=15).contains(&digits.len()).then_some(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones() {
        assert_eq!(parse_phone("+1 555 0100").as_deref(), Some("15550100"));
        assert_eq!(parse_phone("15550100").as_deref(), Some("15550100"));
        assert_eq!(
            parse_phone(" +7 (999) 123-45-67 ").as_deref(),
            Some("79991234567")
        );
        assert_eq!(parse_phone("TEL:+15550100").as_deref(), Some("15550100"));
        for bad in [
            "",
            "+",
            "1234",
            "+1234567890123456",
            "+1 555 O100",
            "++15550100",
        ] {
            assert_eq!(parse_phone(bad), None, "{bad:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_answer_is_five_to_fifteen_digits(text in "[+0-9 ().a-z-]{0,24}") {
            if let Some(digits) = parse_phone(&text) {
                proptest::prop_assert!((5..=15).contains(&digits.len()));
                proptest::prop_assert!(digits.bytes().all(|b| b.is_ascii_digit()));
            }
        }
    }
}
