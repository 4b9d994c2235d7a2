//! The compile-time checks of the events a block of handlers takes, written once for
//! `#[apply]` and `#[projection]`: no two with one stored name, none an older shape. Each
//! is a `const` assertion over the events' name constants, failing at the user's event
//! type.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;

/// One handler, as the checks see it.
pub struct CheckedHandler<'a> {
    pub method: &'a syn::Ident,
    pub event: &'a syn::Type,
}

/// A type as the user wrote it, without the spaces of its token form.
pub fn type_text(ty: &syn::Type) -> String {
    ty.to_token_stream().to_string().replace(' ', "")
}

/// A `const` assertion per handler after the first: no earlier handler's event shares a
/// stored name (a name or an alias) with it, since rows under that name could not be told
/// apart. Each fails at the later event of its pair, with `message(earlier, later)`.
/// `events` is the trait (a `__private` one with `EVENT_TYPE` and `ALIASES`) the checks
/// read the names through.
pub fn duplicate_names(
    handlers: &[CheckedHandler],
    events: &TokenStream,
    message: impl Fn(&CheckedHandler, &CheckedHandler) -> String,
) -> TokenStream {
    let consts = handlers.iter().enumerate().skip(1).map(|(i, later)| {
        let checks = handlers[..i].iter().map(|earlier| {
            let (a, b) = (earlier.event, later.event);
            let message = message(earlier, later);
            quote_spanned! {b.span()=>
                if ::eventsource::__private::names_overlap(
                    <#a as #events>::EVENT_TYPE,
                    <#a as #events>::ALIASES,
                    <#b as #events>::EVENT_TYPE,
                    <#b as #events>::ALIASES,
                ) {
                    ::core::panic!(#message);
                }
            }
        });
        quote_spanned! {later.event.span()=>
            const _: () = {
                #( #checks )*
            };
        }
    });
    quote!(#( #consts )*)
}

/// A `const` assertion per handler: its event is not an older shape (`upcast_to`), whose
/// rows the current event reads.
pub fn older_shapes(handlers: &[CheckedHandler], events: &TokenStream) -> TokenStream {
    let checks = handlers.iter().map(|handler| {
        let event = handler.event;
        let message = format!(
            "`{}` (handler `{}`) is an older shape of an event (`upcast_to`): handle the current event, which reads its rows",
            type_text(event),
            handler.method
        );
        quote_spanned! {event.span()=>
            const _: () = {
                if <#event as #events>::OLDER_SHAPE {
                    ::core::panic!(#message);
                }
            };
        }
    });
    quote!(#( #checks )*)
}
