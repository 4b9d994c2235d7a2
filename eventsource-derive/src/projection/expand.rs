//! The tokens `#[projection]` generates besides the block.

use super::{Handler, ProjectionDef};
use proc_macro2::TokenStream;
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;

/// `impl Projection`: `NAME`, `EVENT_TYPES` in handler order, and `handle`, an if-chain on
/// the stored event type that decodes the payload only for a handled type.
pub(super) fn generate(def: &ProjectionDef) -> TokenStream {
    // Every use of an event's traits goes through `ProjectedEvent`, at the user's event
    // type: a type that is not an event is then reported once, there.
    let projected: Vec<_> = def
        .handlers
        .iter()
        .map(|h| {
            let event = h.event;
            quote_spanned!(event.span()=> <#event as ::eventsource::__private::ProjectedEvent>)
        })
        .collect();
    let event_types = projected.iter().map(|p| quote!(#p::EVENT_TYPE));
    let arms = def.handlers.iter().zip(&projected).map(|(h, projected)| {
        let call = call(h);
        quote! {
            if envelope.event_type == #projected::EVENT_TYPE {
                let decoded = #projected::decode_projected(envelope)?;
                #call
            }
        }
    });
    let body = quote! {
        ::std::boxed::Box::pin(async move {
            #( #arms )else* else {
                ::core::result::Result::Ok(())
            }
        })
    };
    let projection = projection_impl(def, quote!(#( #event_types ),*), quote!(envelope), body);
    let checks = duplicate_name_checks(def);
    quote!(#projection #checks)
}

/// `impl Projection for` the block's type, with `EVENT_TYPES = &[event_types]` and
/// `handle(&mut self, envelope) { body }`.
fn projection_impl(
    def: &ProjectionDef,
    event_types: TokenStream,
    envelope: TokenStream,
    body: TokenStream,
) -> TokenStream {
    let self_ty = &def.block.self_ty;
    let name = &def.name;
    quote! {
        #[automatically_derived]
        impl ::eventsource::Projection for #self_ty {
            const NAME: &'static str = #name;
            const EVENT_TYPES: &'static [&'static str] = &[ #event_types ];

            fn handle<'a>(
                &'a mut self,
                #envelope: &'a ::eventsource::subscription::EventEnvelope,
            ) -> ::eventsource::__private::BoxFuture<
                'a,
                ::core::result::Result<(), ::eventsource::__private::HandleError>,
            > {
                #body
            }
        }
    }
}

/// The handler's call on the decoded event, its outcome as a `Result`. The envelope
/// argument carries the span of the handler's envelope type and the outcome that of its
/// return type, so that a wrong one is reported there.
fn call(h: &Handler) -> TokenStream {
    let method = h.method;
    let envelope = h.envelope.map(|ty| quote_spanned!(ty.span()=> , envelope));
    let awaited = h.is_async.then(|| quote!(.await));
    let span = h.output.map_or_else(|| h.method.span(), |ty| ty.span());
    let outcome = quote_spanned!(span=> outcome);
    quote! {
        let #outcome = Self::#method(self, &decoded #envelope) #awaited;
        ::eventsource::__private::HandlerOutcome::into_outcome(#outcome)
    }
}

/// A `const` assertion per handler after the first: no earlier handler's event has its
/// stored name, since `handle` would give every such event to the earlier one. Each fails at
/// the later event type of its pair.
fn duplicate_name_checks(def: &ProjectionDef) -> TokenStream {
    let self_ty = def
        .block
        .self_ty
        .to_token_stream()
        .to_string()
        .replace(' ', "");
    let text = |ty: &syn::Type| ty.to_token_stream().to_string().replace(' ', "");
    let consts = def.handlers.iter().enumerate().skip(1).map(|(i, later)| {
        let checks = def.handlers[..i].iter().map(|earlier| {
            let (a, b) = (earlier.event, later.event);
            let message = format!(
                "events `{}` (handler `{}`) and `{}` (handler `{}`) of projection `{self_ty}` have the same stored name, so `{}` would never run; give one of them a distinct #[event(name = \"...\")]",
                text(a),
                earlier.method,
                text(b),
                later.method,
                later.method,
            );
            quote_spanned! {b.span()=>
                if ::eventsource::__private::str_eq(
                    <#a as ::eventsource::__private::ProjectedEvent>::EVENT_TYPE,
                    <#b as ::eventsource::__private::ProjectedEvent>::EVENT_TYPE,
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

/// When errors were reported: `Projection` for the type, handling nothing, so that the
/// errors are the only ones where the type is used as a projection.
pub(super) fn stand_in(def: &ProjectionDef) -> TokenStream {
    let body = quote!(::std::boxed::Box::pin(async {
        ::core::result::Result::Ok(())
    }));
    projection_impl(def, TokenStream::new(), quote!(_), body)
}
