//! The handler name a missing-handler error suggests.

/// The handler name a missing-handler error suggests for an event type: its name in snake
/// case (`TaskCompleted` → `task_completed`, `HTTPRequestSent` → `http_request_sent`).
pub(super) fn handler_name(event: &str) -> String {
    let chars: Vec<char> = event.chars().collect();
    let mut name = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let after_lower =
                i > 0 && (chars[i - 1].is_lowercase() || chars[i - 1].is_ascii_digit());
            let acronym_end = i > 0
                && chars[i - 1].is_uppercase()
                && chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if (after_lower || acronym_end) && !name.ends_with('_') {
                name.push('_');
            }
            name.extend(c.to_lowercase());
        } else {
            name.push(c);
        }
    }
    // A keyword (`Type` → `type`) is not a usable name.
    if syn::parse_str::<syn::Ident>(&name).is_err() {
        name.insert_str(0, "on_");
    }
    name
}

#[cfg(test)]
mod tests {
    use super::handler_name;

    #[test]
    fn a_suggested_handler_is_the_event_name_in_snake_case() {
        assert_eq!(handler_name("TaskCompleted"), "task_completed");
        assert_eq!(handler_name("Created"), "created");
        assert_eq!(handler_name("HTTPRequestSent"), "http_request_sent");
        assert_eq!(handler_name("Step2Done"), "step2_done");
        assert_eq!(handler_name("Type"), "on_type");
    }
}
