//! The `EVENT_TYPES` constant of an event set or a projection: every stored name its
//! events are read under, each event's name followed by its aliases.

use proc_macro2::TokenStream;
use quote::quote;

/// The value of `EVENT_TYPES` for the events `traits` (each `<E as SomeEventTrait>`,
/// a trait with `EVENT_TYPE` and `ALIASES`), in order.
pub fn event_types(traits: &[TokenStream]) -> TokenStream {
    quote! {
        {
            const EVENTS: &[(&'static str, &'static [&'static str])] =
                &[ #( (#traits::EVENT_TYPE, #traits::ALIASES) ),* ];
            const NAMES: [&'static str; ::eventsource::__private::names_len(EVENTS)] =
                ::eventsource::__private::flatten_names(EVENTS);
            &NAMES
        }
    }
}
